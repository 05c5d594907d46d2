"""Celery tasks of discovery: thin wrappers over services. Payloads are ids; running one twice does no harm."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def article_cluster(article_id: int) -> int | None:
    """Cluster one article once its text is final; returns its cluster's id, or None (a story of its own)."""
    from discovery.services import article_cluster as run

    member = run(article_id=article_id)
    return member.cluster_id if member is not None else None


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def articles_cluster(article_ids: list[int]) -> int:
    """article_cluster for a batch (the stories one extraction task finished): one message, not one each.
    Returns how many joined a cluster."""
    from discovery.services import article_cluster as run

    return sum(run(article_id=article_id) is not None for article_id in article_ids)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=900)
def signatures_prune() -> int:
    """Daily: drop the clustering postings of articles past the matching window (bounded disk)."""
    from discovery.services import signatures_prune as run

    return run()


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def top_stories_refresh() -> int:
    """Every minute (beat): rank the top stories and store the ranking that /top/ reads."""
    from discovery.services import top_stories_refresh as run

    return run()
