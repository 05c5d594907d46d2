"""The Celery app. Queues: `feeds` (refreshes, mostly waiting on the network), `extraction`
(CPU-bound article extraction, one process a core) and `default` (everything else)."""

import os

from celery import Celery
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
    },
)
app.autodiscover_tasks()
