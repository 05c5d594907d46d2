"""Story clustering: group each new article with the earlier coverage of the same event.

`article_cluster` runs in the worker once an article's text is final (after extraction). It computes the
article's features (discovery/text.py), records them (a signature row and one posting per event token),
then asks the database which articles of the time window share the most tokens with it. The best match
above `SAME_EVENT` Jaccard similarity brings the article into that match's cluster (or starts a cluster of
the two). A match whose text is nearly the same (MinHash of shingles above `DUPLICATE`) marks the article
as a syndicated copy.

Memory stays bounded: nothing is held across calls, and the comparison reads at most `MAX_CANDIDATES`
signatures; the posting index does the work in SQL.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from articles.models import Article
from discovery.models import ArticleSignature, ClusterMember, StoryCluster, TokenPosting
from discovery.text import (
    ArticleFeatures,
    article_features,
    jaccard_from_counts,
    signature_bytes,
    signature_from_bytes,
    text_similarity,
)

logger = logging.getLogger(__name__)

# Tuned on discovery/data/cluster_eval.json (`make score-clusters`): see the module docstring there.
SAME_EVENT = 0.12
DUPLICATE = 0.5
MIN_SHARED_TOKENS = 3
MAX_CANDIDATES = 50


def cluster_window() -> timedelta:
    return timedelta(hours=getattr(settings, "DISCOVERY_CLUSTER_WINDOW_HOURS", 48))


def signature_retention() -> timedelta:
    return timedelta(days=getattr(settings, "DISCOVERY_SIGNATURE_DAYS", 7))


@dataclass(frozen=True)
class Candidate:
    article_id: int
    shared: int
    similarity: float
    text_similarity: float
    cluster_id: int | None
    duplicate_of_id: int | None
    published_at: datetime


def _digest(features: ArticleFeatures) -> str:
    h = hashlib.blake2b(digest_size=16)
    for token in sorted(features.tokens):
        h.update(token.to_bytes(8, "big", signed=False))
    h.update(signature_bytes(features.text_signature))
    return h.hexdigest()


def _store_features(article: Article, features: ArticleFeatures, digest: str) -> None:
    with transaction.atomic():
        ArticleSignature.objects.update_or_create(
            article_id=article.pk,
            defaults={
                "published_at": article.published_at,
                "token_count": len(features.tokens),
                "text_signature": signature_bytes(features.text_signature),
                "digest": digest,
                "pruned": False,
            },
        )
        TokenPosting.objects.filter(article_id=article.pk).delete()
        TokenPosting.objects.bulk_create(
            [
                TokenPosting(token=token, article_id=article.pk, published_at=article.published_at)
                for token in features.tokens
            ],
            batch_size=500,
        )


def _candidates(article: Article, features: ArticleFeatures) -> list[Candidate]:
    """Articles of the window sharing the most event tokens with `article`, best first. Three queries."""
    window = cluster_window()
    shared_rows = list(
        TokenPosting.objects.filter(
            token__in=list(features.tokens),
            published_at__gte=article.published_at - window,
            published_at__lte=article.published_at + window,
        )
        .exclude(article_id=article.pk)
        .values("article_id")
        .annotate(shared=Count("id"))
        .filter(shared__gte=MIN_SHARED_TOKENS)
        .order_by("-shared", "article_id")[:MAX_CANDIDATES]
    )
    if not shared_rows:
        return []
    ids = [row["article_id"] for row in shared_rows]
    signatures = {
        row["article_id"]: row
        for row in ArticleSignature.objects.filter(article_id__in=ids).values(
            "article_id", "token_count", "text_signature", "published_at"
        )
    }
    members = {
        row["article_id"]: row
        for row in ClusterMember.objects.filter(article_id__in=ids).values(
            "article_id", "cluster_id", "duplicate_of_id"
        )
    }
    out = []
    for row in shared_rows:
        signature = signatures.get(row["article_id"])
        if signature is None:
            continue
        member = members.get(row["article_id"])
        out.append(
            Candidate(
                article_id=row["article_id"],
                shared=row["shared"],
                similarity=jaccard_from_counts(
                    shared=row["shared"], size_a=len(features.tokens), size_b=signature["token_count"]
                ),
                text_similarity=text_similarity(
                    features.text_signature, signature_from_bytes(signature["text_signature"])
                ),
                cluster_id=member["cluster_id"] if member else None,
                duplicate_of_id=member["duplicate_of_id"] if member else None,
                published_at=signature["published_at"],
            )
        )
    out.sort(key=lambda c: (-c.similarity, c.published_at, c.article_id))
    return out


def _cluster_refresh(cluster_id: int) -> None:
    """Recount a cluster's members and publishers and move its lead to its earliest original member."""
    stats = ClusterMember.objects.filter(cluster_id=cluster_id).aggregate(
        size=Count("id"),
        publishers=Count("article__publisher_id", distinct=True),
        first=Min("article__published_at"),
        last=Max("article__published_at"),
    )
    lead = (
        ClusterMember.objects.filter(cluster_id=cluster_id, is_duplicate=False)
        .order_by("article__published_at", "article_id")
        .values("article_id", "article__title")
        .first()
    )
    fields = {
        "size": stats["size"],
        "publisher_count": stats["publishers"],
        "first_published_at": stats["first"] or timezone.now(),
        "last_published_at": stats["last"] or timezone.now(),
        "updated_at": timezone.now(),
    }
    if lead is not None:
        fields.update(lead_article_id=lead["article_id"], title=lead["article__title"] or "")
    StoryCluster.objects.filter(pk=cluster_id).update(**fields)


def _join(article: Article, match: Candidate, duplicate_of_id: int | None) -> ClusterMember:
    with transaction.atomic():
        cluster_id = match.cluster_id
        if cluster_id is None:
            cluster = StoryCluster.objects.create(
                first_published_at=min(article.published_at, match.published_at),
                last_published_at=max(article.published_at, match.published_at),
            )
            cluster_id = cluster.pk
            # Raises IntegrityError if another worker put the match in a cluster meanwhile.
            ClusterMember.objects.create(article_id=match.article_id, cluster_id=cluster_id, similarity=1.0)
        member = ClusterMember.objects.create(
            article_id=article.pk,
            cluster_id=cluster_id,
            similarity=round(match.similarity, 4),
            is_duplicate=duplicate_of_id is not None,
            duplicate_of_id=duplicate_of_id,
        )
        _cluster_refresh(cluster_id)
    return member


def _duplicate_of(candidates: list[Candidate]) -> int | None:
    """The original of which the article is a syndicated copy, if any candidate has nearly its text."""
    copies = [c for c in candidates if c.text_similarity >= DUPLICATE]
    if not copies:
        return None
    best = max(copies, key=lambda c: (c.text_similarity, -c.published_at.timestamp()))
    return best.duplicate_of_id or best.article_id


def article_cluster(*, article_id: int) -> ClusterMember | None:
    """Cluster one article with the same event's earlier (or later-stored) coverage of the window.

    Writes the article's signature and token postings, and a ClusterMember (plus a StoryCluster when
    the match had none) when a match is found. Safe to repeat: an unchanged article is skipped, and an
    article already in a cluster stays there. Returns the article's membership, or None.
    """
    article = (
        Article.objects.filter(pk=article_id)
        .only("id", "title", "text", "summary", "published_at", "publisher_id")
        .first()
    )
    if article is None:
        return None
    features = article_features(title=article.title, text=article.text or article.summary)
    digest = _digest(features)
    member = ClusterMember.objects.filter(article_id=article_id).first()
    stored = ArticleSignature.objects.filter(article_id=article_id).values("digest", "pruned").first()
    if stored is not None and stored["digest"] == digest and not stored["pruned"]:
        return member
    _store_features(article, features, digest)
    if member is not None or features.is_empty:
        return member
    for _attempt in range(2):
        candidates = [c for c in _candidates(article, features) if c.similarity >= SAME_EVENT]
        if not candidates:
            return None
        try:
            member = _join(article, candidates[0], _duplicate_of(candidates))
        except IntegrityError:
            # Another worker clustered the match (or this article) at the same moment: look again.
            member = ClusterMember.objects.filter(article_id=article_id).first()
            if member is not None:
                return member
            continue
        logger.info(
            "article clustered",
            extra={
                "article_id": article_id,
                "cluster_id": member.cluster_id,
                "similarity": member.similarity,
                "duplicate": member.is_duplicate,
            },
        )
        return member
    return None


def articles_cluster_backfill(
    *,
    since: datetime | None = None,
    batch_size: int = 500,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Cluster stored articles that have no signature yet, oldest first (so each finds the coverage
    before it), in keyset batches: memory stays bounded whatever the table's size. Safe to re-run or
    interrupt. Returns how many articles it processed."""
    done = 0
    cursor: tuple[datetime, int] | None = None
    while limit is None or done < limit:
        qs = Article.objects.filter(signature__isnull=True)
        if since is not None:
            qs = qs.filter(published_at__gte=since)
        if cursor is not None:
            at, pk = cursor
            qs = qs.filter(published_at__gte=at).exclude(published_at=at, id__lte=pk)
        size = batch_size if limit is None else min(batch_size, limit - done)
        rows = list(qs.order_by("published_at", "id").values_list("id", "published_at")[:size])
        if not rows:
            break
        for article_id, _ in rows:
            article_cluster(article_id=article_id)
        done += len(rows)
        cursor = (rows[-1][1], rows[-1][0])
        if progress is not None:
            progress(done)
    return done


def signatures_prune(*, older_than: timedelta | None = None, batch_size: int = 1000) -> int:
    """Drop the token postings and text signatures of articles published before the retention window
    (no new article can match them any more); the signature row stays as the mark that the article was
    clustered. Safe to repeat. Returns how many articles it pruned."""
    cutoff = timezone.now() - (older_than if older_than is not None else signature_retention())
    pruned = 0
    while True:
        ids = list(
            ArticleSignature.objects.filter(pruned=False, published_at__lt=cutoff).values_list(
                "article_id", flat=True
            )[:batch_size]
        )
        if not ids:
            return pruned
        with transaction.atomic():
            TokenPosting.objects.filter(article_id__in=ids).delete()
            ArticleSignature.objects.filter(article_id__in=ids).update(pruned=True, text_signature=b"")
        pruned += len(ids)


def top_stories_refresh(*, now: datetime | None = None) -> int:
    """Recompute the top stories and store them for the pages to read (beat, every minute); returns how
    many stories were ranked. Pages then never wait for the ranking's four queries."""
    from discovery.selectors.top import top_stories_store

    return len(top_stories_store(now=now or timezone.now()))
