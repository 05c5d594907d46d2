"""Celery tasks of the subscriptions app. Payloads are ids and tokens; running a task twice does no harm."""

from __future__ import annotations

from celery import shared_task


# Long: the import fetches every feed nobody fetched before (many at once, see articles.pipeline.feeds_refresh).
# No automatic retry: a redelivered task finds the import running or done and leaves it alone.
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=31 * 60)
def opml_import_run(import_id: int) -> None:
    """Follow the feeds of an uploaded OPML file and record an outcome for each (see services.follows)."""
    from subscriptions.services.follows import opml_import_run as run

    run(import_id=import_id)
