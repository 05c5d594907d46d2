"""For you: the reader's unread stories ordered by what they read and save most, each with its reasons.

Signals (last `HISTORY_DAYS`): stories read and saved per publisher, and the words that recur in the
titles of what they read and saved ("topics"). A story scores by its publisher's affinity, its title's
topic words, the number of publishers covering its story, and its freshness. Every part of the score that
counts is said in words on the card: nothing is ranked for a reason the reader cannot see.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from articles.models import Article
from discovery.selectors.clusters import cluster_info_for_articles
from discovery.text import STOP_WORDS, words
from subscriptions.models import ReadingListItem, ReadState
from subscriptions.selectors.reading import river_for_user

HISTORY_DAYS = 60
HISTORY_ROWS = 400
CANDIDATES = 300
MIN_TOPIC_TITLES = 2


@dataclass
class ForYouStory:
    article: Article
    score: float
    reasons: list[str] = field(default_factory=list)


def _title_words(title: str) -> set[str]:
    return {w for w in words(title or "") if len(w) > 3 and not w.isdigit() and w not in STOP_WORDS}


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def for_you_for_user(*, user, limit: int = 30, now: datetime | None = None) -> list[ForYouStory]:
    """Unread stories of what the user follows, best first, each with why. Four queries."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    read_rows = list(
        ReadState.objects.filter(user=user, read_at__gte=since)
        .order_by("-read_at")
        .values_list("article__publisher_id", "article__publisher__name", "article__title")[:HISTORY_ROWS]
    )
    saved_rows = list(
        ReadingListItem.objects.filter(reading_list__user=user, added_at__gte=since)
        .order_by("-added_at")
        .values_list("article__publisher_id", "article__publisher__name", "article__title")[:HISTORY_ROWS]
    )
    reads_by_publisher = Counter(pid for pid, _, _ in read_rows)
    saves_by_publisher = Counter(pid for pid, _, _ in saved_rows)
    read_topics = Counter(w for _, _, title in read_rows for w in _title_words(title))
    saved_topics = Counter(w for _, _, title in saved_rows for w in _title_words(title))

    candidates = list(river_for_user(user=user, unread_only=True, limit=CANDIDATES))
    coverage = cluster_info_for_articles(article_ids=[a.pk for a in candidates])
    out = []
    for article in candidates:
        reasons = []
        name = article.publisher.name
        reads, saves = reads_by_publisher[article.publisher_id], saves_by_publisher[article.publisher_id]
        score = math.log1p(reads) + 1.5 * math.log1p(saves)
        if saves >= 2:
            reasons.append(f"You saved {_plural(saves, 'story', 'stories')} from {name}")
        elif reads >= 3:
            reasons.append(f"You often read {name}")
        topics = sorted(
            _title_words(article.title),
            key=lambda w: (-(2 * saved_topics[w] + read_topics[w]), w),
        )
        for word in topics[:3]:
            if saved_topics[word] >= MIN_TOPIC_TITLES:
                score += 1.5 * math.log1p(saved_topics[word])
                if len(reasons) < 3:
                    reasons.append(f"You saved {saved_topics[word]} stories about “{word}”")
            elif read_topics[word] >= MIN_TOPIC_TITLES:
                score += math.log1p(read_topics[word])
                if len(reasons) < 3:
                    reasons.append(f"You read {read_topics[word]} stories about “{word}”")
        info = coverage.get(article.pk)
        if info is not None and info.other_count:
            score += 0.5 * math.log1p(info.other_count)
            reasons.append(f"Covered by {_plural(info.other_count + 1, 'publisher', 'publishers')}")
        age_days = max((now - article.published_at).total_seconds() / 86400, 0.0)
        score += 1.0 / (1.0 + age_days)
        if not reasons:
            reasons.append(f"New from {name}, which you follow")
        out.append(ForYouStory(article=article, score=round(score, 4), reasons=reasons))
    out.sort(key=lambda s: (-s.score, -s.article.published_at.timestamp(), -s.article.pk))
    return out[:limit]
