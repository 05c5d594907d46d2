"""Celery tasks: thin wrappers that call the pipeline. Payloads are ids only; running a task twice does no harm."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from articles.fetching import TransientFetchError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def feeds_enqueue_due() -> int:
    """Beat, every minute: lease the due feeds and hand them to the feeds queue in batches."""
    from articles.pipeline import feeds_claim_due

    claimed = feeds_claim_due(limit=settings.FEED_BATCH_SIZE)
    size = settings.FEED_TASK_BATCH
    for start in range(0, len(claimed), size):
        feeds_refresh_batch.delay(claimed[start : start + size])
    if claimed:
        logger.info("feeds enqueued", extra={"feeds": len(claimed)})
    return len(claimed)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def feeds_refresh_batch(feed_ids: list[int]) -> int:
    """Refresh a leased batch with its fetches in flight at once; extraction goes to its own queue."""
    from articles.pipeline import feeds_refresh

    outcomes = feeds_refresh(feed_ids=feed_ids, concurrency=settings.FETCH_CONCURRENCY)
    _after_store([article_id for outcome in outcomes for article_id in outcome.new_article_ids])
    return sum(o.new for o in outcomes)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def feed_refresh(feed_id: int) -> int:
    """Refresh one feed now (a new subscription, a manual refresh)."""
    from articles.pipeline import feed_refresh as run

    outcome = run(feed_id=feed_id)
    _after_store(outcome.new_article_ids)
    return outcome.new


def _after_store(article_ids: list[int]) -> None:
    """New stories get their full text first, when enabled; clustering follows once the text is final."""
    from discovery.tasks import articles_cluster

    # One message for many stories: a message costs the refresh about as much CPU as storing a story.
    _send_in_batches(articles_extract if settings.EXTRACT_FULL_TEXT else articles_cluster, article_ids)


def _send_in_batches(task, article_ids: list[int]) -> None:  # noqa: ANN001 - a Celery task taking a list of ids
    size = max(1, settings.EXTRACT_TASK_BATCH)
    for start in range(0, len(article_ids), size):
        task.delay(article_ids[start : start + size])


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    max_retries=2,
)
def article_extract(self, article_id: int) -> str:
    """Fetch and extract one story's page; a passing network error is retried, then the feed's text stays."""
    from articles.pipeline import article_extract as run
    from discovery.tasks import article_cluster

    try:
        status = run(article_id=article_id, raise_transient=self.request.retries < self.max_retries)
    except TransientFetchError as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
    if status != "skipped":
        article_cluster.delay(article_id)
    return status


@shared_task(acks_late=True, soft_time_limit=300, time_limit=360)
def articles_extract(article_ids: list[int]) -> int:
    """article_extract for a batch: pages fetched concurrently while the others are extracted, one
    transaction. A story whose page met a passing network error goes to article_extract to be retried."""
    from articles.pipeline import articles_extract as run
    from discovery.tasks import articles_cluster

    outcome = run(
        article_ids=article_ids, concurrency=settings.EXTRACT_FETCH_CONCURRENCY, retry_transient=True
    )
    for article_id in outcome.transient:
        # this batch was the first attempt: the single task makes the remaining ones
        article_extract.apply_async((article_id,), countdown=30, retries=1)
    if outcome.statuses:
        articles_cluster.delay(list(outcome.statuses))
    return len(outcome.statuses)


@shared_task(acks_late=True)
def articles_enqueue_pending_extraction() -> int:
    """Beat: stories whose extraction task was lost (a worker died) are queued again."""
    from articles.pipeline import articles_pending_extraction

    ids = articles_pending_extraction(older_than=timedelta(seconds=settings.EXTRACT_STALE_SECONDS))
    _send_in_batches(articles_extract, ids)
    return len(ids)
