"""Health of the whole installation: `/healthz` (database, broker, scheduler heartbeat, queue depths) and
`/healthz/live` (the web process answers; for a container's liveness probe).

The heartbeat: beat enqueues `newsreader.tasks.heartbeat` on the default queue every HEARTBEAT_INTERVAL
seconds and a worker writes the time it ran. Its age therefore proves that beat runs, that the broker carries
messages and that a worker consumes them. It is written to the cache when the cache is shared (Redis), and to
a file in DATA_DIR otherwise (one machine, SQLite and the file-system broker).

Queue lag: every task message is stamped with its publish time (see `newsreader/celery.py`), so the age of
the oldest message still waiting in a queue is read straight from the broker.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "newsreader:heartbeat"
HEARTBEAT_FILE = "heartbeat"
QUEUES = ("feeds", "extraction", "default")
SENT_AT_HEADER = "nr_sent_at"
# kombu's Redis transport keeps each priority of a queue in its own list: "<queue>\x06\x16<priority>".
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEP = "\x06\x16"


# --- Heartbeat -----------------------------------------------------------------------------------


def _cache_is_shared() -> bool:
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def heartbeat_record(*, now: float | None = None) -> None:
    """Note that the scheduler's heartbeat reached a worker. Safe to repeat."""
    now = time.time() if now is None else now
    if _cache_is_shared():
        cache.set(HEARTBEAT_KEY, now, timeout=None)
        return
    path = Path(settings.DATA_DIR) / HEARTBEAT_FILE
    tmp = path.with_name(f"{HEARTBEAT_FILE}.{os.getpid()}.tmp")
    tmp.write_text(repr(now))
    tmp.replace(path)  # atomic: a reader never sees half a number


def heartbeat_forget() -> None:
    """Drop the recorded heartbeat (tests, or after moving the scheduler)."""
    if _cache_is_shared():
        cache.delete(HEARTBEAT_KEY)
    else:
        (Path(settings.DATA_DIR) / HEARTBEAT_FILE).unlink(missing_ok=True)


def heartbeat_age(*, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None if there has never been one (or it cannot be read)."""
    now = time.time() if now is None else now
    try:
        if _cache_is_shared():
            value = cache.get(HEARTBEAT_KEY)
        else:
            path = Path(settings.DATA_DIR) / HEARTBEAT_FILE
            value = path.read_text() if path.exists() else None
        return None if value is None else max(0.0, now - float(value))
    except Exception as exc:
        logger.warning("heartbeat unreadable", extra={"error": exc.__class__.__name__})
        return None


# --- Broker --------------------------------------------------------------------------------------


@dataclass
class QueueStats:
    depth: int | None  # None: the broker could not be asked
    lag_seconds: float | None  # age of the oldest waiting message; 0 when the queue is empty


def _broker_url() -> str:
    return settings.CELERY_BROKER_URL


def _broker_is_redis() -> bool:
    return _broker_url().startswith(("redis://", "rediss://", "unix://"))


def _broker_redis():
    import redis

    return redis.Redis.from_url(_broker_url(), socket_timeout=2, socket_connect_timeout=2)


def _message_sent_at(raw: bytes | str | None) -> float | None:
    if not raw:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(SENT_AT_HEADER)
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def queue_stats(*, now: float | None = None) -> dict[str, QueueStats]:
    """Depth and lag of each Celery queue. Never raises: an unreachable broker gives None values."""
    now = time.time() if now is None else now
    try:
        if _broker_is_redis():
            return _redis_queue_stats(now)
        if _broker_url().startswith("filesystem://"):
            return _filesystem_queue_stats(now)
    except Exception as exc:
        logger.warning("queue depths unreadable", extra={"error": exc.__class__.__name__})
    return {name: QueueStats(depth=None, lag_seconds=None) for name in QUEUES}


def _redis_queue_stats(now: float) -> dict[str, QueueStats]:
    client = _broker_redis()
    try:
        pipe = client.pipeline(transaction=False)
        keys = [
            (name, name if pri == 0 else f"{name}{_PRIORITY_SEP}{pri}")
            for name in QUEUES
            for pri in _PRIORITY_STEPS
        ]
        for _, key in keys:
            # New messages are LPUSHed and workers BRPOP from the right: index -1 is the oldest.
            pipe.llen(key).lindex(key, -1)
        answers = pipe.execute()
    finally:
        client.close()
    stats = {name: QueueStats(depth=0, lag_seconds=0.0) for name in QUEUES}
    for i, (name, _) in enumerate(keys):
        length, oldest = answers[2 * i], answers[2 * i + 1]
        stats[name].depth = (stats[name].depth or 0) + int(length)
        sent_at = _message_sent_at(oldest)
        if sent_at is not None:
            stats[name].lag_seconds = max(stats[name].lag_seconds or 0.0, round(now - sent_at, 3))
    return stats


def _filesystem_queue_stats(now: float) -> dict[str, QueueStats]:
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""))
    names = sorted(os.listdir(folder)) if folder.is_dir() else []
    stats = {}
    for queue in QUEUES:
        mine = [n for n in names if n.partition(".")[2] == f"{queue}.msg"]
        lag = 0.0
        if mine:  # file names start with a monotonic stamp, so the first is the oldest
            try:
                sent_at = _message_sent_at((folder / mine[0]).read_bytes())
                lag = round(now - sent_at, 3) if sent_at is not None else 0.0
            except OSError:
                pass  # a worker took it meanwhile
        stats[queue] = QueueStats(depth=len(mine), lag_seconds=lag)
    return stats


# --- Checks --------------------------------------------------------------------------------------


def _timed(check) -> dict[str, Any]:
    started = time.monotonic()
    try:
        result = check() or {}
        result.setdefault("ok", True)
    except Exception as exc:
        logger.warning("health check failed", extra={"check": check.__name__, "error": repr(exc)[:500]})
        # The class name only: messages can carry host names that a public endpoint should not show.
        result = {"ok": False, "error": exc.__class__.__name__}
    result["latency_ms"] = round((time.monotonic() - started) * 1000, 2)
    return result


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    if _broker_is_redis():
        client = _broker_redis()
        try:
            client.ping()
        finally:
            client.close()
        return {"ok": True, "transport": "redis"}
    if _broker_url().startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""))
        writable = folder.is_dir() and os.access(folder, os.W_OK)
        return {"ok": writable, "transport": "filesystem"}
    return {"ok": True, "transport": _broker_url().split(":", 1)[0], "note": "not probed"}


def check_heartbeat() -> dict[str, Any]:
    age = heartbeat_age()
    limit = settings.HEALTH_HEARTBEAT_MAX_AGE
    return {
        "ok": age is not None and age <= limit,
        "age_seconds": None if age is None else round(age, 1),
        "max_age_seconds": limit,
    }


def health_report() -> dict[str, Any]:
    checks = {
        "database": _timed(check_database),
        "broker": _timed(check_broker),
        "heartbeat": _timed(check_heartbeat),
    }
    healthy = all(c["ok"] for c in checks.values())
    return {
        "status": "ok" if healthy else "failing",
        "checks": checks,
        "queues": {name: asdict(s) for name, s in queue_stats().items()},
    }


# --- Views ---------------------------------------------------------------------------------------


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker and the scheduler's heartbeat are fine, 503 otherwise."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@login_not_required
@never_cache
@require_GET
def healthz_live(request: HttpRequest) -> JsonResponse:
    """The process answers requests. Touches nothing else, so a database outage does not restart web."""
    return JsonResponse({"status": "ok"})
