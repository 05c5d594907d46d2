"""Retention: old stories that nobody saved are deleted, in small batches, so the article table stays bounded.

Owned by ops. A story is kept while it sits in anybody's reading list (archived items included). Both its
publication and its arrival must be older than the cutoff, so a feed's back catalogue fetched today is not
deleted on the spot. The pipeline should not store items published before `retention_cutoff()` again, or a
feed that keeps old items would bring them back as new after each purge.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from articles.models import Article


def retention_cutoff(*, now: datetime | None = None) -> datetime | None:
    """Stories published before this are purged (and need not be stored); None when RETENTION_DAYS is 0."""
    days = settings.RETENTION_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def _purgeable(older_than: datetime) -> QuerySet[Article]:
    from subscriptions.models import ReadingListItem

    saved = ReadingListItem.objects.filter(article_id=OuterRef("pk"))
    return Article.objects.filter(published_at__lt=older_than, created_at__lt=older_than).exclude(
        Exists(saved)
    )


def articles_purge_old(
    *, older_than: datetime, batch_size: int = 1000, time_budget_seconds: float | None = None
) -> int:
    """Delete stories published and stored before `older_than` that are in no reading list.

    Side effects: deletes Article rows and what cascades from them (read states and the like), one
    transaction per batch of `batch_size`. Returns how many stories were deleted. Safe to repeat and to run
    beside the web and workers: a story that someone saves while its batch is deleted is kept. With
    `time_budget_seconds`, stops after the batch that crosses the budget; the next run goes on.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    deleted = 0
    last_id = 0
    while deadline is None or time.monotonic() < deadline:
        # Walk by id so a batch that cannot be deleted (see below) is never picked again in this run.
        ids = list(
            _purgeable(older_than)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic():
            # Lock the rows first: saving a story to a list takes a key-share lock on it, so from here on
            # nobody can save one of these, and the check below sees every save made before the lock.
            locked = list(Article.objects.select_for_update().filter(id__in=ids).values_list("id", flat=True))
            _, per_model = _purgeable(older_than).filter(id__in=locked).delete()
        deleted += per_model.get(Article._meta.label, 0)
    return deleted
