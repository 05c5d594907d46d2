"""The Celery app. Queues: `feeds` (refreshes, mostly waiting on the network), `extraction`
(CPU-bound article extraction, one process a core) and `default` (everything else)."""

import gc
import os
import time

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_process_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsreader.settings")

app = Celery("newsreader")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_queues=(Queue("default"), Queue("feeds"), Queue("extraction")),
    task_default_queue="default",
    task_routes={
        "articles.tasks.feed_refresh": {"queue": "feeds"},
        "articles.tasks.feeds_refresh_batch": {"queue": "feeds"},
        "articles.tasks.feeds_enqueue_due": {"queue": "feeds"},
        "articles.tasks.article_extract": {"queue": "extraction"},
        "articles.tasks.articles_extract": {"queue": "extraction"},
    },
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=300,
    task_soft_time_limit=240,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        "feeds-enqueue-due": {"task": "articles.tasks.feeds_enqueue_due", "schedule": 60.0},
        "articles-enqueue-pending-extraction": {
            "task": "articles.tasks.articles_enqueue_pending_extraction",
            "schedule": 300.0,
        },
        # ops: /healthz reads the heartbeat's age; retention deletes old stories nobody saved.
        "heartbeat": {
            "task": "newsreader.tasks.heartbeat",
            "schedule": float(os.environ.get("HEARTBEAT_INTERVAL") or 30),
        },
        "articles-purge-old": {"task": "newsreader.tasks.articles_purge_old", "schedule": 3600.0},
        # /top/ reads the stored ranking; `expires` drops a run that waited past the next one.
        "discovery-top-stories-refresh": {
            "task": "discovery.tasks.top_stories_refresh",
            "schedule": 60.0,
            "options": {"expires": 55},
        },
        "discovery-signatures-prune": {"task": "discovery.tasks.signatures_prune", "schedule": 24 * 3600.0},
    },
)
app.conf.imports = ("newsreader.tasks",)
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_sent_at(headers=None, **kwargs) -> None:
    """ops: stamp each message with its publish time; /healthz and /metrics report the queue lag from it."""
    if headers is not None:
        headers.setdefault("nr_sent_at", time.time())


@worker_process_init.connect
def _freeze_inherited_objects(**kwargs) -> None:
    """A pool process starts as a copy of the worker (Django, Celery, the task modules): take those objects
    out of the garbage collector's sight, so its full collections walk only what the tasks make, and do
    not write to the pages the process shares with its parent."""
    gc.freeze()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Around each task, what Django does around each request: close a connection that failed or has
    outlived CONN_MAX_AGE, keep the rest (settings.CELERY_DB_REUSE_MAX). Not for a task run eagerly, in
    its caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
