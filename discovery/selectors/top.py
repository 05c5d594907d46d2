"""Top stories right now: stories ranked by how many publishers cover them, decaying with age, lifted by
how many readers opened and saved them (counts only, never who).

    score = (publishers + 0.5 ln(1 + reads) + ln(1 + saves)) / (age_hours + 2) ^ 1.5

The ranking is the same for everyone, so the worker computes it once a minute (beat runs
`discovery.tasks.top_stories_refresh`) and keeps it in the cache, and a request only reads it: no reader
waits for the recomputation. Only when there is no ranking, or when it is older than TOP_STALE_SECONDS
(no worker is running), does a request compute it, one process at a time; the others serve the old one.
Only catalogue publishers' articles are counted and shown: stories from someone's own feeds stay private.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from discovery.models import ClusterMember, StoryCluster
from subscriptions.models import ReadingListItem, ReadState

TOP_WINDOW = timedelta(hours=72)
TOP_REFRESH_SECONDS = 60  # how often the worker recomputes the ranking (the beat schedule)
TOP_STALE_SECONDS = 180  # a ranking this old means no worker refreshes it: a request recomputes it
TOP_CACHE_SECONDS = 3600
TOP_KEEP = 300
TOP_MAX_CLUSTERS = 1000  # the freshest stories of the window: a big story keeps getting new members
CACHE_KEY = "discovery:top-stories:v2"
LOCK_KEY = "discovery:top-stories:lock"


@dataclass(frozen=True)
class TopStory:
    cluster_id: int
    title: str
    article_id: int
    summary: str
    lead_image_url: str
    published_at: datetime
    publishers: list[str]
    categories: list[str]
    reads: int
    saves: int
    score: float
    members: list[dict] = field(default_factory=list)  # other coverage: article_id, title, publisher

    @property
    def publisher_count(self) -> int:
        return len(self.publishers)


@dataclass
class TopStories:
    stories: list[TopStory]
    categories: list[str]
    computed_at: datetime
    category: str = ""


def story_score(*, publishers: int, reads: int, saves: int, age_hours: float) -> float:
    weight = publishers + 0.5 * math.log1p(reads) + math.log1p(saves)
    return weight / (max(age_hours, 0.0) + 2.0) ** 1.5


def top_stories_compute(*, now: datetime | None = None) -> list[TopStory]:
    """Rank the recent stories. Four queries, whatever the number of stories."""
    now = now or timezone.now()
    clusters = {
        row["id"]: row
        for row in StoryCluster.objects.filter(
            last_published_at__gte=now - TOP_WINDOW, publisher_count__gte=2
        )
        .order_by("-last_published_at")
        .values("id", "first_published_at")[:TOP_MAX_CLUSTERS]
    }
    if not clusters:
        return []
    ids = list(clusters)
    members: dict[int, list[dict]] = {}
    for row in (
        ClusterMember.objects.filter(cluster_id__in=ids, article__publisher__in_catalogue=True)
        .order_by("article__published_at", "article_id")
        .values(
            "cluster_id",
            "article_id",
            "is_duplicate",
            "article__title",
            "article__summary",
            "article__lead_image_url",
            "article__published_at",
            "article__publisher_id",
            "article__publisher__name",
            "article__publisher__category",
        )
    ):
        members.setdefault(row["cluster_id"], []).append(dict(row))
    reads = dict(
        ReadState.objects.filter(article__cluster_member__cluster_id__in=ids)
        .values("article__cluster_member__cluster_id")
        .annotate(n=Count("id"))
        .values_list("article__cluster_member__cluster_id", "n")
    )
    saves = dict(
        ReadingListItem.objects.filter(article__cluster_member__cluster_id__in=ids)
        .values("article__cluster_member__cluster_id")
        .annotate(n=Count("id"))
        .values_list("article__cluster_member__cluster_id", "n")
    )
    stories = []
    for cluster_id, rows in members.items():
        publishers = list(dict.fromkeys(r["article__publisher__name"] for r in rows))
        if len(publishers) < 2:
            continue
        lead = next((r for r in rows if not r["is_duplicate"]), rows[0])
        age_hours = (now - rows[0]["article__published_at"]).total_seconds() / 3600
        n_reads, n_saves = reads.get(cluster_id, 0), saves.get(cluster_id, 0)
        stories.append(
            TopStory(
                cluster_id=cluster_id,
                title=lead["article__title"],
                article_id=lead["article_id"],
                summary=(lead["article__summary"] or "")[:400],
                lead_image_url=lead["article__lead_image_url"] or "",
                published_at=rows[0]["article__published_at"],
                publishers=publishers,
                categories=sorted(
                    {r["article__publisher__category"] for r in rows if r["article__publisher__category"]}
                ),
                reads=n_reads,
                saves=n_saves,
                score=story_score(
                    publishers=len(publishers), reads=n_reads, saves=n_saves, age_hours=age_hours
                ),
                members=[
                    {
                        "article_id": r["article_id"],
                        "title": r["article__title"],
                        "publisher": r["article__publisher__name"],
                    }
                    for r in rows
                    if r is not lead
                ][:5],
            )
        )
    stories.sort(key=lambda s: (-s.score, -s.published_at.timestamp(), s.cluster_id))
    return stories[:TOP_KEEP]


def top_stories_store(*, now: datetime) -> list[TopStory]:
    """Compute the ranking as of `now` and keep it in the cache for every process to read."""
    stories = top_stories_compute(now=now)
    cache.set(CACHE_KEY, {"computed_at": now, "stories": stories}, timeout=TOP_CACHE_SECONDS)
    return stories


def _cached(now: datetime) -> tuple[list[TopStory], datetime]:
    entry = cache.get(CACHE_KEY)
    stale = entry is None or (now - entry["computed_at"]).total_seconds() >= TOP_STALE_SECONDS
    # Normally the worker keeps it fresh. Without one, a single process recomputes it at a time and
    # the others keep serving what there is.
    if stale and (entry is None or cache.add(LOCK_KEY, 1, timeout=30)):
        try:
            entry = {"computed_at": now, "stories": top_stories_store(now=now)}
        finally:
            cache.delete(LOCK_KEY)
    return list(entry["stories"]), entry["computed_at"]


def top_stories(*, category: str = "", limit: int = 30, now: datetime | None = None) -> TopStories:
    """The top stories overall, or of one publisher category; shared by everyone, as of the worker's last
    ranking (a minute old at most while the worker runs)."""
    stories, computed_at = _cached(now or timezone.now())
    counts: dict[str, int] = {}
    for story in stories:
        for name in story.categories:
            counts[name] = counts.get(name, 0) + 1
    categories = sorted(counts, key=lambda name: (-counts[name], name))
    if category:
        stories = [s for s in stories if category in s.categories]
    return TopStories(
        stories=stories[:limit], categories=categories, computed_at=computed_at, category=category
    )


def top_stories_invalidate() -> None:
    cache.delete(CACHE_KEY)
