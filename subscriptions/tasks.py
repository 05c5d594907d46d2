"""Celery tasks of the subscriptions app. Payloads are ids and tokens; running a task twice does no harm."""

from __future__ import annotations

from celery import shared_task


# One attempt, no automatic retry: the person is watching the page for the outcome, and a clear
# "could not be reached" they can retry beats a spinner that keeps turning for an hour of backoff.
@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def reading_list_save_url(token: str) -> None:
    """Fetch, extract and store a page someone saved by URL, then add it to their list."""
    from subscriptions.services.reading import reading_list_save_url_complete

    reading_list_save_url_complete(token=token)


# Long: the import fetches every feed nobody fetched before (many at once, see articles.pipeline.feeds_refresh).
# No automatic retry: a redelivered task finds the import running or done and leaves it alone.
@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=31 * 60)
def opml_import_run(import_id: int) -> None:
    """Follow the feeds of an uploaded OPML file and record an outcome for each (see services.follows)."""
    from subscriptions.services.follows import opml_import_run as run

    run(import_id=import_id)
