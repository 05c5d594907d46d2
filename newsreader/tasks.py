"""Operational tasks that beat schedules: the heartbeat behind /healthz, and the retention purge."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True, expires=120)
def heartbeat() -> None:
    """Proves beat -> broker -> default worker works; /healthz reads its age. A stale copy expires unrun."""
    from newsreader.health import heartbeat_record

    heartbeat_record()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def articles_purge_old() -> int:
    """Delete stories older than RETENTION_DAYS that nobody saved. Safe to repeat or to stop half-way:
    each batch is its own transaction, and whatever is left goes in the next run."""
    from articles.retention import articles_purge_old as purge

    days = settings.RETENTION_DAYS
    if days <= 0:
        return 0
    deleted = purge(
        older_than=timezone.now() - timedelta(days=days),
        batch_size=settings.RETENTION_BATCH_SIZE,
        time_budget_seconds=1500,
    )
    logger.info("old stories purged", extra={"deleted": deleted, "retention_days": days})
    return deleted
