import time

import pytest
from django.urls import reverse

from newsreader.celery import app
from newsreader.health import heartbeat_age, heartbeat_forget, heartbeat_record, queue_stats
from newsreader.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_it_is_healthy_when_database_broker_and_heartbeat_answer(client, broker_ready):
    heartbeat_record()

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "heartbeat": True,
    }
    assert set(body["queues"]) == {"feeds", "extraction", "default"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_fails_with_503_when_the_heartbeat_is_stale(client, broker_ready, settings):
    settings.HEALTH_HEARTBEAT_MAX_AGE = 180
    heartbeat_record(now=time.time() - 1000)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    check = response.json()["checks"]["heartbeat"]
    assert check["ok"] is False
    assert 999 <= check["age_seconds"] <= 1010


def test_it_fails_when_no_heartbeat_ever_arrived(client, broker_ready):
    heartbeat_forget()

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["checks"]["heartbeat"] == {
        "ok": False,
        "age_seconds": None,
        "max_age_seconds": 180,
        "latency_ms": response.json()["checks"]["heartbeat"]["latency_ms"],
    }


def test_it_fails_when_the_broker_cannot_be_reached(client, settings):
    heartbeat_record()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert body["queues"]["feeds"] == {"depth": None, "lag_seconds": None}


def test_it_answers_without_signing_in(client, broker_ready):
    response = client.get(reverse("healthz"))

    assert response.status_code in (200, 503)
    assert response["Content-Type"] == "application/json"


def test_the_liveness_probe_needs_nothing_but_the_process(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    heartbeat_forget()

    response = client.get(reverse("healthz-live"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_heartbeat_task_records_the_time_it_ran():
    heartbeat_forget()
    assert heartbeat_age() is None

    heartbeat()

    age = heartbeat_age()
    assert age is not None and age < 5


def test_it_reads_queue_depth_and_lag_from_the_messages_waiting(broker_ready):
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("extraction")
    before = queue_stats()["extraction"].depth

    # Real messages through the real broker: nothing consumes this queue during the test.
    app.send_task("articles.tasks.article_extract", args=[1], queue="extraction")
    app.send_task("articles.tasks.article_extract", args=[2], queue="extraction")
    try:
        stats = queue_stats(now=time.time() + 60)["extraction"]
        assert stats.depth == before + 2
        assert 59 <= stats.lag_seconds <= 70  # every message carries its publish time
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("extraction")
    assert queue_stats()["extraction"] == type(stats)(depth=0, lag_seconds=0.0)
