"""Prometheus metrics that stay correct with many worker processes on many machines.

Where the counts live, and why: the events (a feed refreshed, a story stored, an extraction timed) happen in
Celery workers, while `/metrics` is served by the web processes, possibly on other machines. prometheus_client's
multiprocess mode only adds up processes that share one directory on one host, and leaves files of dead
processes behind; counts derived from the database cannot give rates of refreshes or an extraction-time
histogram. Every process already talks to Redis (the broker), so the event counters are Redis hashes updated
with atomic HINCRBY/HINCRBYFLOAT: correct for any number of processes and hosts, and a worker killed mid-task
loses nothing it had recorded. If Redis restarts without its data the counters start again from zero, which
Prometheus treats as a counter reset (`rate()` stays right).

Gauges (queue depth and lag, feeds overdue, stories waiting for extraction, heartbeat age) are read when
`/metrics` is scraped, from Redis and the database, so they are never stale either.

Recording is on when METRICS_TOKEN and REDIS_URL are set; otherwise each `record_*` call returns at once.
A Redis outage never breaks the pipeline: a failed write is dropped, and writes pause for a few seconds.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

KEY_PREFIX = "newsreader:metrics:"
FEEDS_REFRESHED_KEY = KEY_PREFIX + "feeds_refreshed"  # hash: status -> count
COUNTERS_KEY = KEY_PREFIX + "counters"  # hash: name -> count
EXTRACTION_KEY = KEY_PREFIX + "extraction_seconds"  # hash: bucket bound -> count (not cumulative), sum, count

EXTRACTION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Seconds during which writes are skipped after Redis failed, so an outage costs one timeout, not one per event.
PAUSE_AFTER_ERROR = 10.0

_STATUS_RE = re.compile(r"[^a-z0-9_]")
_lock = threading.Lock()
_client: Any = None
_client_url = ""
_paused_until: dict[str, float] = {}  # Redis URL -> monotonic time before which writes are skipped


def metrics_enabled() -> bool:
    return bool(getattr(settings, "METRICS_TOKEN", "") and getattr(settings, "REDIS_URL", ""))


def _redis():
    """One client per process and URL; redis-py's pool reconnects after a fork or a Redis restart."""
    global _client, _client_url
    url = settings.REDIS_URL
    with _lock:
        if _client is None or _client_url != url:
            import redis

            _client = redis.Redis.from_url(
                url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
            )
            _client_url = url
        return _client


def _write(ops) -> None:
    """Run `ops(pipeline)` against Redis if metrics are on; never raises."""
    if not metrics_enabled() or time.monotonic() < _paused_until.get(settings.REDIS_URL, 0.0):
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        ops(pipe)
        pipe.execute()
    except Exception as exc:  # a metrics outage must never fail a refresh
        _paused_until[settings.REDIS_URL] = time.monotonic() + PAUSE_AFTER_ERROR
        logger.warning("metrics not recorded", extra={"error": f"{exc.__class__.__name__}: {exc}"})


def _status_label(status: str) -> str:
    # Labels are a closed, short vocabulary: anything odd is squashed so it cannot explode cardinality.
    return _STATUS_RE.sub("_", str(status).lower())[:32] or "unknown"


# --- Called by the pipeline ----------------------------------------------------------------------


def record_feed_refreshed(status: str, n: int = 1) -> None:
    """`n` feeds were checked successfully; `status` is "fetched" or "not_modified"."""
    label = _status_label(status)
    if n > 0:
        _write(lambda p: p.hincrby(FEEDS_REFRESHED_KEY, label, int(n)))


def record_feed_failed() -> None:
    _write(lambda p: p.hincrby(COUNTERS_KEY, "feeds_failed", 1))


def record_articles_stored(n: int) -> None:
    if n > 0:
        _write(lambda p: p.hincrby(COUNTERS_KEY, "articles_stored", int(n)))


def observe_extraction_seconds(s: float) -> None:
    if not math.isfinite(s) or s < 0:
        return
    bucket = next((repr(b) for b in EXTRACTION_BUCKETS if s <= b), "+Inf")

    def ops(p) -> None:
        p.hincrby(EXTRACTION_KEY, bucket, 1)
        p.hincrby(EXTRACTION_KEY, "count", 1)
        p.hincrbyfloat(EXTRACTION_KEY, "sum", float(s))

    _write(ops)


# --- Reading -------------------------------------------------------------------------------------


def _decode(raw: dict) -> dict[str, str]:
    return {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }


def counters_read() -> dict[str, Any]:
    """The event counters as plain numbers (zeros when metrics are off or Redis is away)."""
    out: dict[str, Any] = {"feeds_refreshed": {}, "feeds_failed": 0, "articles_stored": 0}
    out["extraction"] = {
        "buckets": {repr(b): 0 for b in EXTRACTION_BUCKETS} | {"+Inf": 0},
        "count": 0,
        "sum": 0.0,
    }
    if not metrics_enabled():
        return out
    pipe = _redis().pipeline(transaction=False)
    pipe.hgetall(FEEDS_REFRESHED_KEY).hgetall(COUNTERS_KEY).hgetall(EXTRACTION_KEY)
    refreshed, counters, extraction = (_decode(r) for r in pipe.execute())
    out["feeds_refreshed"] = {k: int(v) for k, v in refreshed.items()}
    out["feeds_failed"] = int(counters.get("feeds_failed", 0))
    out["articles_stored"] = int(counters.get("articles_stored", 0))
    for bound in out["extraction"]["buckets"]:
        out["extraction"]["buckets"][bound] = int(extraction.get(bound, 0))
    out["extraction"]["count"] = int(extraction.get("count", 0))
    out["extraction"]["sum"] = float(extraction.get("sum", 0.0))
    return out


def counters_reset() -> None:
    """Forget every counter (tests, or an operator starting afresh)."""
    if metrics_enabled():
        _redis().delete(FEEDS_REFRESHED_KEY, COUNTERS_KEY, EXTRACTION_KEY)


class NewsreaderCollector:
    """Builds every metric at scrape time from Redis and the database."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        from newsreader import health

        try:
            counters = counters_read()
            up = 1.0
        except Exception as exc:
            logger.warning("metrics counters unreadable", extra={"error": exc.__class__.__name__})
            counters, up = None, 0.0
        yield GaugeMetricFamily(
            "newsreader_metrics_store_up", "1 if the shared counter store (Redis) answered", value=up
        )
        if counters is not None:
            refreshed = CounterMetricFamily(
                "newsreader_feeds_refreshed", "Feed checks that succeeded, by outcome", labels=["status"]
            )
            for status in sorted({"fetched", "not_modified"} | set(counters["feeds_refreshed"])):
                refreshed.add_metric([status], counters["feeds_refreshed"].get(status, 0))
            yield refreshed
            yield CounterMetricFamily(
                "newsreader_feeds_failed", "Feed checks that failed", value=counters["feeds_failed"]
            )
            yield CounterMetricFamily(
                "newsreader_articles_stored", "New stories stored", value=counters["articles_stored"]
            )
            cumulative, buckets = 0, []
            for bound, n in counters["extraction"]["buckets"].items():
                cumulative += n
                buckets.append((bound, cumulative))
            yield HistogramMetricFamily(
                "newsreader_extraction_seconds",
                "Time to fetch and extract one story's page",
                buckets=buckets,
                sum_value=counters["extraction"]["sum"],
            )

        queues = GaugeMetricFamily("newsreader_queue_depth", "Tasks waiting in a queue", labels=["queue"])
        lag = GaugeMetricFamily(
            "newsreader_queue_lag_seconds", "Age of the oldest task waiting in a queue", labels=["queue"]
        )
        for name, stats in health.queue_stats().items():
            if stats.depth is not None:
                queues.add_metric([name], stats.depth)
            if stats.lag_seconds is not None:
                lag.add_metric([name], stats.lag_seconds)
        yield queues
        yield lag

        age = health.heartbeat_age()
        if age is not None:
            yield GaugeMetricFamily(
                "newsreader_heartbeat_age_seconds",
                "Seconds since the scheduler's heartbeat task last ran on a worker",
                value=age,
            )
        yield from _database_gauges(GaugeMetricFamily)


def _database_gauges(GaugeMetricFamily) -> Iterator[Any]:
    """Cheap, index-backed figures: no COUNT(*) over the whole article table on every scrape."""
    from django.db import connection
    from django.db.models import Min
    from django.utils import timezone

    from articles.models import Article, Feed

    now = timezone.now()
    feeds = GaugeMetricFamily("newsreader_feeds", "Feeds by state", labels=["state"])
    feeds.add_metric(["active"], Feed.objects.filter(disabled=False).count())
    feeds.add_metric(["disabled"], Feed.objects.filter(disabled=True).count())
    feeds.add_metric(["erroring"], Feed.objects.filter(disabled=False, error_count__gt=0).count())
    yield feeds
    oldest_due = Feed.objects.filter(disabled=False, next_check_at__lte=now).aggregate(
        m=Min("next_check_at")
    )["m"]
    yield GaugeMetricFamily(
        "newsreader_feeds_overdue_seconds",
        "How late the most overdue feed is: the scheduler or the feeds workers are falling behind",
        value=(now - oldest_due).total_seconds() if oldest_due else 0.0,
    )
    yield GaugeMetricFamily(
        "newsreader_articles_pending_extraction",
        "Stories waiting for their full text",
        value=Article.objects.filter(extraction_status=Article.Extraction.PENDING).count(),
    )
    if connection.vendor == "postgresql":
        # The planner's estimate: exact counts of a 100-million-row table take seconds.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Article._meta.db_table]
            )
            row = cursor.fetchone()
        total = max(float(row[0]), 0.0) if row else 0.0
    else:
        total = float(Article.objects.count())
    yield GaugeMetricFamily("newsreader_articles", "Stories stored (an estimate on Postgres)", value=total)


def metrics_render() -> bytes:
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(NewsreaderCollector())
    return generate_latest(registry)


def _token_ok(request: HttpRequest, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


@login_not_required
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper that sends `Authorization: Bearer $METRICS_TOKEN`."""
    # The classic text format: every Prometheus 2.x and 3.x server reads it.
    from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        raise Http404("metrics are disabled")
    if not _token_ok(request, token):
        response = HttpResponse("a valid bearer token is needed\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_render(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
