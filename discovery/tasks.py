"""Celery tasks of discovery: thin wrappers over services. Payloads are ids; running one twice does no harm."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def article_cluster(article_id: int | list[int]) -> int | None | list[int | None]:
    """Cluster an article (or each of a list) once its text is final; returns its cluster's id, or None
    (a story of its own). A list is one message for the new stories of a refresh or an extraction batch."""
    from discovery.services import article_cluster as run

    if isinstance(article_id, list):
        members = [run(article_id=int(i)) for i in article_id]
        return [m.cluster_id if m is not None else None for m in members]
    member = run(article_id=article_id)
    return member.cluster_id if member is not None else None


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def signatures_prune() -> int:
    """Daily: drop the clustering postings of articles past the matching window (bounded disk)."""
    from discovery.services import signatures_prune as run

    return run()
