"""The process's fetch loop: one loop thread and client reused from batch to batch, a new one after fork."""

import asyncio
import os
import threading

from articles import pipeline
from articles.fetching import background
from articles.services import feed_get_or_create


async def _where(client):
    return client, asyncio.get_running_loop(), threading.get_ident()


def test_it_runs_every_batch_on_one_loop_with_one_client():
    first = background.submit(_where, max_per_host=6).result(timeout=10)
    second = background.submit(_where, max_per_host=6).result(timeout=10)

    assert first == second
    assert first[2] != threading.get_ident()


def test_it_keeps_one_client_per_setting_the_client_is_built_from(settings):
    default = background.submit(_where, max_per_host=6).result(timeout=10)[0]
    other_limit = background.submit(_where, max_per_host=7).result(timeout=10)[0]
    settings.FETCH_USER_AGENT = "Another agent/1.0"
    other_agent = background.submit(_where, max_per_host=6).result(timeout=10)[0]

    assert len({id(default), id(other_limit), id(other_agent)}) == 3
    assert other_agent.headers["User-Agent"] == "Another agent/1.0"


def test_cancelling_a_batch_cancels_its_work_in_the_loop():
    started, cancelled = threading.Event(), threading.Event()

    async def slow(client):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    future = background.submit(slow, max_per_host=6)
    assert started.wait(10)
    future.cancel()

    assert cancelled.wait(10)


def test_a_forked_child_makes_its_own_loop():
    background.submit(_where, max_per_host=6).result(timeout=10)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's loop thread does not exist here, so using its loop would hang
        try:
            background.submit(_where, max_per_host=6).result(timeout=10)
            own = background._pid == os.getpid() and background._thread.is_alive()
            os.write(write, b"ran on its own loop" if own else b"ran on the parent's loop")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 100)
    os.waitpid(pid, 0)

    assert answer == b"ran on its own loop"


def test_batches_of_feeds_reuse_the_connections_of_earlier_batches(publisher_server, db):
    feeds = [
        feed_get_or_create(url=publisher_server.site(f"kept-{n}", n_items=2).feed_url)[0] for n in range(4)
    ]
    pipeline.feeds_refresh(feed_ids=[f.id for f in feeds], concurrency=2)
    opened = publisher_server.connections

    outcomes = pipeline.feeds_refresh(feed_ids=[f.id for f in feeds], concurrency=2)

    assert [o.status for o in outcomes] == ["not_modified"] * 4
    assert publisher_server.connections == opened
