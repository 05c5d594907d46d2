import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from articles.models import Article
from newsreader import metrics
from tests.factories import ArticleFactory, FeedFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-scrape-token"


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return _samples(response.content.decode())


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def counters(token):
    """A clean slate of counters in the shared store (the REDIS_URL of this run)."""
    metrics.counters_reset()
    yield
    metrics.counters_reset()


def test_it_is_a_404_while_no_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get(reverse("metrics"), headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_it_refuses_a_missing_or_wrong_token(client, token, header):
    headers = {"Authorization": header} if header else {}

    response = client.get(reverse("metrics"), headers=headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"newsreader_" not in response.content


def test_it_reports_feeds_and_stories_from_the_database(client, token):
    overdue = FeedFactory(next_check_at=timezone.now() - timedelta(minutes=10))
    FeedFactory(error_count=2, next_check_at=timezone.now() + timedelta(hours=1))
    FeedFactory(disabled=True)
    ArticleFactory.create_batch(2, feed=overdue, extraction_status=Article.Extraction.PENDING)
    ArticleFactory(feed=overdue)

    samples = _scrape(client)

    assert samples[("newsreader_feeds", (("state", "active"),))] == 2
    assert samples[("newsreader_feeds", (("state", "erroring"),))] == 1
    assert samples[("newsreader_feeds", (("state", "disabled"),))] == 1
    assert samples[("newsreader_articles_pending_extraction", ())] == 2
    assert samples[("newsreader_feeds_overdue_seconds", ())] >= 600
    assert ("newsreader_queue_depth", (("queue", "extraction"),)) in samples


def test_recording_is_a_cheap_no_op_without_redis(client, token, settings):
    settings.REDIS_URL = ""

    metrics.record_feed_refreshed("fetched")
    metrics.record_feed_failed()
    metrics.record_articles_stored(3)
    metrics.observe_extraction_seconds(0.2)

    assert metrics.counters_read()["articles_stored"] == 0
    assert _scrape(client)[("newsreader_feeds_refreshed_total", (("status", "fetched"),))] == 0


def test_a_redis_outage_never_fails_the_pipeline(client, token, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()

    for _ in range(200):
        metrics.record_feed_refreshed("fetched")
        metrics.observe_extraction_seconds(1.0)

    # One failed write pauses the others: an outage costs one timeout, not one per event.
    assert time.monotonic() - started < 3
    samples = _scrape(client)
    assert samples[("newsreader_metrics_store_up", ())] == 0
    assert ("newsreader_feeds", (("state", "active"),)) in samples


@pytest.mark.postgres_only
def test_it_counts_the_pipeline_events(client, counters):
    metrics.record_feed_refreshed("fetched")
    metrics.record_feed_refreshed("fetched")
    metrics.record_feed_refreshed("not_modified")
    metrics.record_feed_refreshed("Weird Status!")  # squashed into a safe label
    metrics.record_feed_failed()
    metrics.record_articles_stored(5)
    metrics.record_articles_stored(0)
    metrics.observe_extraction_seconds(0.3)
    metrics.observe_extraction_seconds(2.0)
    metrics.observe_extraction_seconds(100.0)
    metrics.observe_extraction_seconds(float("nan"))  # ignored

    samples = _scrape(client)

    assert samples[("newsreader_metrics_store_up", ())] == 1
    assert samples[("newsreader_feeds_refreshed_total", (("status", "fetched"),))] == 2
    assert samples[("newsreader_feeds_refreshed_total", (("status", "not_modified"),))] == 1
    assert samples[("newsreader_feeds_refreshed_total", (("status", "weird_status_"),))] == 1
    assert samples[("newsreader_feeds_failed_total", ())] == 1
    assert samples[("newsreader_articles_stored_total", ())] == 5
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "0.25"),))] == 0
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "0.5"),))] == 1
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "2.5"),))] == 2
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "60.0"),))] == 2
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "+Inf"),))] == 3
    assert samples[("newsreader_extraction_seconds_count", ())] == 3
    assert samples[("newsreader_extraction_seconds_sum", ())] == pytest.approx(102.3)


@pytest.mark.postgres_only
def test_counts_from_several_worker_processes_add_up(client, counters, settings):
    """Each process increments the same shared counters: nothing is lost or counted twice."""
    script = (
        "import django; django.setup()\n"
        "from newsreader import metrics\n"
        "for _ in range(50):\n"
        "    metrics.record_feed_refreshed('fetched')\n"
        "    metrics.record_articles_stored(2)\n"
        "    metrics.observe_extraction_seconds(0.07)\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "newsreader.settings",
        "METRICS_TOKEN": TOKEN,
        "REDIS_URL": settings.REDIS_URL,
    }
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]

    samples = _scrape(client)

    assert samples[("newsreader_feeds_refreshed_total", (("status", "fetched"),))] == 150
    assert samples[("newsreader_articles_stored_total", ())] == 300
    assert samples[("newsreader_extraction_seconds_bucket", (("le", "0.1"),))] == 150
    assert samples[("newsreader_extraction_seconds_sum", ())] == pytest.approx(10.5)


@pytest.mark.postgres_only
def test_nothing_is_counted_while_metrics_are_off(counters, settings):
    settings.METRICS_TOKEN = ""
    metrics.record_articles_stored(7)
    settings.METRICS_TOKEN = TOKEN

    assert metrics.counters_read()["articles_stored"] == 0
