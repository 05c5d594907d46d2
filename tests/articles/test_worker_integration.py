"""Real Celery worker processes on real Redis and Postgres ingest simulated publishers.

The test process plays the scheduler (it sends `feeds_enqueue_due` as beat would), so that the test
controls when batches are handed out. Workers get their own Redis database and the test database.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from articles.models import Article, Feed
from articles.services import feed_get_or_create

pytestmark = [pytest.mark.integration, pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parents[2]
# The workers' broker, flushed before and after each test: a Redis database of its own, not REDIS_URL's
# (the suite's cache). TEST_BROKER_URL sets another, so that two suites can run side by side.
BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def broker_url():
    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.fail(
            "this test needs DATABASE_URL on Postgres and REDIS_URL (deselect postgres_only otherwise)"
        )
    url = BROKER_URL
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


def worker_env(broker_url, tmp_path, **extra):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "FETCH_ALLOW_PRIVATE": "1",
        "DATA_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(env, tmp_path, name, *, processes=2):
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "newsreader", "worker", "-Q", "feeds,extraction,default",
         "--concurrency", str(processes), "--loglevel", "INFO", "-n", f"{name}@%h", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)


def beat(app):
    app.send_task("articles.tasks.feeds_enqueue_due", queue="feeds")
    app.send_task("articles.tasks.articles_enqueue_pending_extraction", queue="default")


def wait_for(predicate, *, timeout, app=None, tick=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if app is not None:
            beat(app)
        time.sleep(tick)
    return predicate()


@pytest.fixture
def sender(broker_url):
    app = Celery(broker=broker_url)
    yield app
    app.close()


def test_a_worker_ingests_a_publisher_and_the_second_refresh_gets_304(
    transactional_db, publisher_server, broker_url, sender, tmp_path
):
    site = publisher_server.site("worker-gazette", n_items=5)
    feed, _ = feed_get_or_create(url=site.feed_url)
    worker = start_worker(worker_env(broker_url, tmp_path), tmp_path, "w1")
    try:
        beat(sender)
        assert wait_for(
            lambda: Article.objects.filter(feed=feed, extraction_status="extracted").count() == 5, timeout=90
        ), (tmp_path / "w1.log").read_text()[-3000:]
        for article in Article.objects.filter(feed=feed):
            assert article.word_count > 50 and "<script" not in article.content_html

        feed_requests = lambda: [r for r in publisher_server.requests if r.path.endswith("/feed.xml")]  # noqa: E731
        seen = len(feed_requests())
        Feed.objects.filter(id=feed.id).update(next_check_at=feed.created_at)
        beat(sender)
        assert wait_for(lambda: len(feed_requests()) > seen, timeout=60)
        assert wait_for(lambda: Feed.objects.get(id=feed.id).last_status == 304, timeout=30)
        assert Article.objects.filter(feed=feed).count() == 5
    finally:
        stop(worker)


def test_a_worker_killed_mid_batch_loses_and_duplicates_no_story(
    transactional_db, publisher_server, broker_url, sender, tmp_path
):
    sites = [publisher_server.site(f"killed-{n}", n_items=3) for n in range(12)]
    feeds = [feed_get_or_create(url=s.feed_url)[0] for s in sites]
    # Every answer is slow, so the kill lands while the batch is in flight.
    for site in sites:
        path = site.feed_url.removeprefix(publisher_server.base_url)
        publisher_server.route(path, body=httpx.get(site.feed_url).content, delay=1.5)
    env = worker_env(
        broker_url, tmp_path, FEED_LEASE_SECONDS=4, FEED_TASK_BATCH=6, FETCH_CONCURRENCY=2,
        EXTRACT_STALE_SECONDS=5,
    )  # fmt: skip

    first = start_worker(env, tmp_path, "doomed")
    beat(sender)
    assert wait_for(lambda: len(publisher_server.requests) >= 2, timeout=60), (
        tmp_path / "doomed.log"
    ).read_text()
    stop(first, signal.SIGKILL)
    stored_at_kill = Article.objects.count()

    second = start_worker(env, tmp_path, "survivor")
    try:
        expected = {url for s in sites for url, _ in s.articles}
        done = wait_for(
            lambda: Article.objects.filter(extraction_status="extracted").count() == len(expected),
            timeout=180,
            app=sender,
            tick=3,
        )
        assert done, (tmp_path / "survivor.log").read_text()[-3000:]
    finally:
        stop(second)

    assert stored_at_kill < len(expected)
    urls = list(Article.objects.values_list("url", flat=True))
    assert sorted(urls) == sorted(expected)  # none lost, none twice
    assert all(Feed.objects.get(id=f.id).last_status == 200 for f in feeds)


def test_feeds_tasks_in_several_processes_overlap_their_fetches_and_store_each_story_once(
    transactional_db, publisher_server, broker_url, sender, tmp_path
):
    # Four processes, as two a core on two cores: while one task waits for its last answers, the others'
    # fetches are in flight.
    sites = [publisher_server.site(f"overlap-{n}", n_items=3) for n in range(16)]
    feeds = [feed_get_or_create(url=s.feed_url)[0] for s in sites]
    paths = set()
    for site in sites:
        path = site.feed_url.removeprefix(publisher_server.base_url)
        paths.add(path)
        publisher_server.route(path, body=httpx.get(site.feed_url).content, delay=1.5)
    env = worker_env(broker_url, tmp_path, FEED_TASK_BATCH=4, FETCH_CONCURRENCY=2, EXTRACT_FULL_TEXT=0)
    before = len(publisher_server.requests)
    worker = start_worker(env, tmp_path, "overlap", processes=4)
    try:
        beat(sender)
        done = wait_for(
            lambda: Feed.objects.filter(id__in=[f.id for f in feeds], last_status=200).count() == len(feeds),
            timeout=90,
        )
        assert done, (tmp_path / "overlap.log").read_text()[-3000:]
    finally:
        stop(worker)

    started = sorted(r.at for r in publisher_server.requests[before:] if r.path in paths)
    assert len(started) == len(feeds)  # each feed fetched once
    # fetches begun within one answer's delay of each other were in flight together: more than one task's
    in_flight_together = max(sum(1 for t in started if a <= t < a + 1.5) for a in started)
    assert in_flight_together > 2
    urls = list(Article.objects.values_list("url", flat=True))
    assert sorted(urls) == sorted(url for s in sites for url, _ in s.articles)  # none lost, none twice


def _sessions_started() -> int:
    """Connections ever made to the test database (Postgres counts them; reported within a second)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    transactional_db, broker_url, sender, tmp_path
):
    """Celery's Django fixup would close it around every task, and a new one costs Postgres about 18 ms of
    CPU: newsreader/celery.py keeps it, closing only one that failed or outlived CONN_MAX_AGE."""
    log = tmp_path / "reuse.log"
    worker = start_worker(worker_env(broker_url, tmp_path), tmp_path, "reuse", processes=1)

    def run_tasks(n):
        done = log.read_text().count("succeeded") if log.exists() else 0
        for _ in range(n):
            # A task that reads the database: the stories whose extraction was lost.
            sender.send_task("articles.tasks.articles_enqueue_pending_extraction", queue="default")
        assert wait_for(lambda: log.read_text().count("succeeded") >= done + n, timeout=60), log.read_text()
        time.sleep(1.5)  # Postgres reports a session's start within a second

    try:
        run_tasks(1)
        after_first = _sessions_started()
        run_tasks(5)
        after_six = _sessions_started()
    finally:
        stop(worker)
    assert after_six - after_first == 0, log.read_text()[-3000:]
