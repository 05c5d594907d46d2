"""Celery tasks: thin wrappers that call the pipeline. Payloads are ids only; running a task twice does no harm."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
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


# New stories handed to one follow-up task: one message for many stories (a message costs the refresh about
# as much CPU as storing a story), and few enough that a slow page holds up only a handful.
STORIES_PER_TASK = 10
# Seconds of an extraction task's time limits for each story it holds.
EXTRACT_SECONDS_PER_STORY = 60


def _after_store(article_ids: list[int]) -> None:
    """New stories get their full text first, when enabled; clustering follows once the text is final."""
    from discovery.tasks import article_cluster

    for start in range(0, len(article_ids), STORIES_PER_TASK):
        chunk = article_ids[start : start + STORIES_PER_TASK]
        payload = chunk[0] if len(chunk) == 1 else chunk
        if settings.EXTRACT_FULL_TEXT:
            soft = EXTRACT_SECONDS_PER_STORY * len(chunk)
            article_extract.apply_async((payload,), soft_time_limit=soft, time_limit=soft + 30)
        else:
            article_cluster.delay(payload)


@shared_task(
    bind=True,
    acks_late=True,
    soft_time_limit=EXTRACT_SECONDS_PER_STORY,
    time_limit=EXTRACT_SECONDS_PER_STORY + 30,
    max_retries=2,
)
def article_extract(self, article_id: int | list[int]) -> str | list[str]:
    """Fetch and extract a story's page (or each of a list of stories'); a passing network error is
    retried, then the feed's text stays. Clustering follows for every story whose text is now final.

    A list is sent with time limits for all of its stories; a story that meets a passing error goes on
    alone as a retry, and if the list runs out of time, the stories not reached go on alone as well.
    """
    from articles.pipeline import article_extract as run
    from discovery.tasks import article_cluster

    single = not isinstance(article_id, list)
    ids = [article_id] if single else [int(i) for i in article_id]
    raise_transient = self.request.retries < self.max_retries
    statuses: list[str] = []
    for position, story_id in enumerate(ids):
        try:
            statuses.append(run(article_id=story_id, raise_transient=raise_transient))
        except TransientFetchError as exc:
            countdown = 30 * 2**self.request.retries
            if single:
                raise self.retry(exc=exc, countdown=countdown) from exc
            article_extract.apply_async((story_id,), countdown=countdown, retries=self.request.retries + 1)
            statuses.append("retrying")
        except SoftTimeLimitExceeded:
            # This story stays pending (the stale-extraction sweep queues it again); the rest go on alone.
            for rest in ids[position + 1 :]:
                article_extract.delay(rest)
            raise
    done = [i for i, status in zip(ids, statuses, strict=True) if status not in ("skipped", "retrying")]
    if done:
        article_cluster.delay(done[0] if len(done) == 1 else done)
    return statuses[0] if single else statuses


@shared_task(acks_late=True)
def articles_enqueue_pending_extraction() -> int:
    """Beat: stories whose extraction task was lost (a worker died) are queued again."""
    from articles.pipeline import articles_pending_extraction

    ids = articles_pending_extraction(older_than=timedelta(seconds=settings.EXTRACT_STALE_SECONDS))
    for article_id in ids:
        article_extract.delay(article_id)  # one by one: these may be the pages that ran out of time
    return len(ids)
