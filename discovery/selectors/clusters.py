"""Stories as clusters: "also in N sources" for a page of the river, and related stories of an article."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull

from articles.models import Article
from discovery.models import ClusterMember, TokenPosting
from subscriptions.models import ReadingListItem, Subscription
from subscriptions.selectors.reading import RIVER_COLUMNS, compiled_rows

RELATED_WINDOW = timedelta(days=3)
RELATED_MIN_SHARED = 4


@dataclass(frozen=True)
class ClusterInfo:
    cluster_id: int
    size: int  # articles in the story, copies included
    other_publishers: list[str] = field(default_factory=list)  # catalogue publishers, not the article's own
    is_duplicate: bool = False  # the article is a syndicated copy of another in the story

    @property
    def other_count(self) -> int:
        return len(self.other_publishers)


def cluster_info_for_articles(*, article_ids: Iterable[int]) -> dict[int, ClusterInfo]:
    """For each article that is part of a story: its size and the other publishers covering it. One query.

    Only publishers of the shipped catalogue are named: a publisher made from someone's own feed would
    tell other users what that person follows.
    """
    ids = [int(i) for i in article_ids]
    if not ids:
        return {}

    def build(**values: int) -> QuerySet:
        return (
            ClusterMember.objects.filter(
                cluster_id__in=ClusterMember.objects.filter(article_id__in=list(values.values())).values(
                    "cluster_id"
                )
            )
            .order_by("cluster_id", "article__published_at", "article_id")
            .values_list(
                "cluster_id",
                "article_id",
                "is_duplicate",
                "article__publisher_id",
                "article__publisher__name",
                "article__publisher__in_catalogue",
            )
        )

    # Compiled once per size (building it was most of its cost): the ids padded with the first one up to
    # a power of two, so a few shapes serve every length.
    size = 1 << (len(ids) - 1).bit_length()
    padded = ids + [ids[0]] * (size - len(ids))
    rows = compiled_rows(("cluster_info", size), build, {f"id{i}": pk for i, pk in enumerate(padded)})
    by_cluster: dict[int, list[tuple]] = {}
    for row in rows:
        by_cluster.setdefault(row[0], []).append(row)
    wanted = set(ids)
    out: dict[int, ClusterInfo] = {}
    for cluster_id, members in by_cluster.items():
        for _, article_id, is_duplicate, publisher_id, _, _ in members:
            if article_id not in wanted:
                continue
            others = list(
                dict.fromkeys(
                    name
                    for _, _, _, pid, name, in_catalogue in members
                    if pid != publisher_id and in_catalogue
                )
            )
            out[article_id] = ClusterInfo(
                cluster_id=cluster_id, size=len(members), other_publishers=others, is_duplicate=is_duplicate
            )
    return out


def visible_article_q(*, user, prefix: str = "") -> Q:
    """The condition "the user may open this article" on a path to an Article (`prefix`, e.g. "article__")."""
    followed = Subscription.objects.filter(user=user).values("feed_id")
    in_list = Exists(
        ReadingListItem.objects.filter(
            reading_list__user=user, article_id=OuterRef(f"{prefix}pk" if prefix else "pk")
        )
    )
    return (
        Q(**{f"{prefix}publisher__in_catalogue": True}) | Q(**{f"{prefix}feed_id__in": followed}) | Q(in_list)
    )


@dataclass(frozen=True)
class RelatedStory:
    article: Article
    same_story: bool  # a member of the article's cluster (else: similar words, recently)
    is_duplicate: bool = False


def related_for_article(*, user, article: Article, limit: int = 6) -> list[RelatedStory]:
    """Other coverage of the article's story first, then similar recent articles (most shared event
    tokens within RELATED_WINDOW), only what the user may open. At most three queries."""
    visible = visible_article_q(user=user)
    siblings = list(
        Article.objects.filter(visible)
        .filter(cluster_member__cluster__members__article_id=article.pk)
        .exclude(pk=article.pk)
        .select_related("publisher", "cluster_member")
        .only(
            *RIVER_COLUMNS, "cluster_member__id", "cluster_member__is_duplicate", "cluster_member__article_id"
        )
        .order_by("-published_at", "-id")[:limit]
    )
    out = [
        RelatedStory(article=a, same_story=True, is_duplicate=a.cluster_member.is_duplicate) for a in siblings
    ]
    if len(out) >= limit:
        return out
    shared = list(
        TokenPosting.objects.filter(
            token__in=TokenPosting.objects.filter(article_id=article.pk).values("token"),
            published_at__gte=article.published_at - RELATED_WINDOW,
            published_at__lte=article.published_at + RELATED_WINDOW,
        )
        .exclude(article_id=article.pk)
        .values("article_id")
        .annotate(shared=Count("id"))
        .filter(shared__gte=RELATED_MIN_SHARED)
        .order_by("-shared", "-article_id")
        .values_list("article_id", "shared")[: limit * 3]
    )
    seen = {a.pk for a in siblings}
    order = {pk: n for pk, n in shared if pk not in seen}
    if not order:
        return out
    similar = (
        Article.objects.filter(visible)
        .filter(pk__in=list(order))
        .select_related("publisher")
        .only(*RIVER_COLUMNS)
    )
    for a in sorted(similar, key=lambda a: (-order[a.pk], -a.pk))[: limit - len(out)]:
        out.append(RelatedStory(article=a, same_story=False))
    return out


def _copies_of_followed(*, feeds) -> QuerySet:  # noqa: ANN001
    return ClusterMember.objects.filter(
        article_id=OuterRef("pk"), is_duplicate=True, duplicate_of__feed_id__in=feeds
    )


def syndicated_copy_of_followed_exists(*, feeds) -> Exists:  # noqa: ANN001 - a queryset of feed ids or a list
    """On Article: it is a syndicated copy (the same wire text) of an article from one of `feeds`.

    The river filters these out when the original is in it, so a wire story shows once, with "also in N
    sources". (Added for the river, owner `pages`.)
    """
    return Exists(_copies_of_followed(feeds=feeds))


def not_a_syndicated_copy_of_followed(*, feeds) -> IsNull:  # noqa: ANN001 - a queryset of feed ids or a list
    """On Article: the opposite of syndicated_copy_of_followed_exists, as `(SELECT ... LIMIT 1) IS NULL`.

    Postgres turns NOT EXISTS into an anti-join, and for a query that visits stories in no useful order
    (the unread count) it hashed every copy whose original the reader follows first: 11,000 rows at a
    million stories, 14 ms to count 1,000. A scalar subquery stays one index probe a story (2 ms). A river
    page, which walks the date index and stops after 31 stories, is better off with NOT EXISTS: with this
    one Postgres sorted the whole river.
    """
    return IsNull(Subquery(_copies_of_followed(feeds=feeds).values("pk")[:1]), True)
