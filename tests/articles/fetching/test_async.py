"""afetch follows the same rules as fetch: these run the same cases through the async client."""

import asyncio
import time
import tracemalloc

import httpx
import pytest

from articles.fetching import (
    BlockedAddressError,
    FeedGoneError,
    PermanentFetchError,
    ResponseTooLargeError,
    TransientFetchError,
    afetch,
    async_fetch_client,
)

MiB = 1 << 20


def test_it_fetches_many_feeds_at_once_over_shared_connections(publisher_server):
    urls = [publisher_server.site(f"async-site-{i}", n_items=3).feed_url for i in range(20)]
    before = publisher_server.connections

    async def main():
        async with async_fetch_client() as client:
            first = await asyncio.gather(*(afetch(u, client=client) for u in urls))
            again = await asyncio.gather(
                *(afetch(r.url, etag=r.etag, last_modified=r.last_modified, client=client) for r in first)
            )
        return first, again

    first, again = asyncio.run(main())

    assert [r.status for r in first] == [200] * 20
    assert all(b"<rss" in r.content and r.etag for r in first)
    assert [r.status for r in again] == [304] * 20
    assert all(r.not_modified and r.content == b"" for r in again)
    assert publisher_server.connections - before <= 20


def test_it_overlaps_slow_answers(publisher_server):
    for i in range(10):
        publisher_server.route(f"/slow-{i}.xml", body=b"<rss/>", delay=0.5)

    async def main():
        async with async_fetch_client() as client:
            return await asyncio.gather(
                *(afetch(publisher_server.url(f"/slow-{i}.xml"), client=client) for i in range(10))
            )

    started = time.monotonic()
    results = asyncio.run(main())

    assert [r.content for r in results] == [b"<rss/>"] * 10
    assert time.monotonic() - started < 2.5


def test_it_reports_permanent_redirects(publisher_server):
    result = asyncio.run(afetch(publisher_server.url("/redirect/308/2?to=/feeds/atom.xml")))

    assert result.permanent_redirect_url == publisher_server.url("/feeds/atom.xml")


@pytest.mark.parametrize(
    "path, error, match",
    [
        ("/status/404", PermanentFetchError, "404 Not Found"),
        ("/status/410", FeedGoneError, "gone for good"),
        ("/status/503", TransientFetchError, "503"),
        ("/redirect/301/6", PermanentFetchError, "Too many redirects"),
        ("/loop/0", PermanentFetchError, "loop"),
        (f"/huge?bytes={50 * MiB}&chunked=1", ResponseTooLargeError, "limit"),
        ("/bomb/gzip", ResponseTooLargeError, "once decompressed"),
    ],
)
def test_it_names_the_same_outcomes(publisher_server, path, error, match):
    with pytest.raises(error, match=match):
        asyncio.run(afetch(publisher_server.url(path), max_bytes=4 * MiB))


def test_it_reads_retry_after(publisher_server):
    with pytest.raises(TransientFetchError) as caught:
        asyncio.run(afetch(publisher_server.url("/status/429?header=Retry-After:45")))

    assert caught.value.retry_after == 45


def test_it_refuses_a_bomb_without_holding_it(publisher_server):
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError):
            asyncio.run(afetch(publisher_server.url("/bomb/br"), max_bytes=4 * MiB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 10 * MiB


def test_it_stops_a_dribbling_body_at_the_deadline(publisher_server):
    started = time.monotonic()

    with pytest.raises(TransientFetchError, match="over 1 s"):
        asyncio.run(afetch(publisher_server.url("/slow?bytes=100&delay=0.1"), timeout=1.0))

    assert 0.9 < time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/feeds/news.xml",
        "http://localhost:{port}/",
        "http://169.254.169.254/",
        "http://[::1]/",
    ],
)
def test_it_refuses_private_addresses_without_connecting(publisher_server, connect_attempts, url):
    with pytest.raises(BlockedAddressError):
        asyncio.run(afetch(url.format(port=publisher_server.port), allow_private=False))

    assert connect_attempts == []


def test_it_refuses_a_redirect_into_a_private_network(publisher_server, other_publisher, connect_attempts):
    other_publisher.route(
        "/moved.xml", status=302, headers={"Location": publisher_server.url("/feeds/news.xml")}
    )

    with pytest.raises(BlockedAddressError):
        asyncio.run(
            afetch(other_publisher.url("/moved.xml"), allow_private=False, allow_networks=["127.0.0.2/32"])
        )

    assert [host for host, _ in connect_attempts] == ["127.0.0.2"]
    assert publisher_server.requests == []


def test_it_connects_to_the_address_it_vetted(publisher_server, connect_attempts):
    lookups = []

    def resolver(host, port):
        lookups.append(host)
        return ["127.0.0.1"]

    async def main():
        async with async_fetch_client(resolver=resolver) as client:
            return await afetch(
                f"http://async.rebind.test:{publisher_server.port}/feeds/news.xml", client=client
            )

    assert asyncio.run(main()).status == 200
    assert lookups == ["async.rebind.test"]
    assert connect_attempts == [("127.0.0.1", publisher_server.port)]


def test_it_refuses_a_client_made_elsewhere(publisher_server):
    async def main():
        async with httpx.AsyncClient() as client:
            await afetch(publisher_server.url("/feeds/news.xml"), client=client)

    with pytest.raises(TypeError):
        asyncio.run(main())


def test_it_opens_at_most_a_few_connections_to_one_publisher(publisher_server, other_publisher):
    for i in range(6):
        publisher_server.route(f"/busy-{i}.xml", body=b"<rss/>", delay=0.3)
        other_publisher.route(f"/busy-{i}.xml", body=b"<rss/>", delay=0.3)
    before = publisher_server.connections
    urls = [s.url(f"/busy-{i}.xml") for s in (publisher_server, other_publisher) for i in range(6)]

    async def main():
        async with async_fetch_client(max_per_host=2) as client:
            return await asyncio.gather(*(afetch(u, client=client) for u in urls))

    started = time.monotonic()
    results = asyncio.run(main())
    elapsed = time.monotonic() - started

    assert [r.content for r in results] == [b"<rss/>"] * 12
    assert publisher_server.connections - before == 2
    assert other_publisher.connections == 2
    # Three rounds of 0.3 s per publisher, both publishers at the same time.
    assert 0.85 < elapsed < 1.8


def test_a_fetch_that_gives_up_waiting_for_a_connection_leaves_no_hole(publisher_server):
    # One connection to the host: the first fetch holds it, the second gives up waiting, the third gets it.
    publisher_server.route("/hold.xml", body=b"<rss/>", delay=0.5)
    publisher_server.route("/next.xml", body=b"<rss/>")
    before = publisher_server.connections

    async def main():
        async with async_fetch_client(max_per_host=1) as client:
            holder = asyncio.create_task(afetch(publisher_server.url("/hold.xml"), client=client))
            await asyncio.sleep(0.1)
            impatient = asyncio.create_task(afetch(publisher_server.url("/next.xml"), client=client))
            await asyncio.sleep(0.1)
            impatient.cancel()
            later = await afetch(publisher_server.url("/next.xml"), client=client)
            return await holder, later, impatient

    held, later, impatient = asyncio.run(main())

    assert held.content == b"<rss/>" and later.content == b"<rss/>"
    assert impatient.cancelled()
    assert publisher_server.connections - before == 1
    assert [r.path for r in publisher_server.requests] == ["/hold.xml", "/next.xml"]


def test_a_fetch_that_waits_too_long_for_a_connection_fails_as_transient(publisher_server):
    publisher_server.route("/hold.xml", body=b"<rss/>", delay=1.0)

    async def main():
        async with async_fetch_client(max_per_host=1) as client:
            holder = asyncio.create_task(afetch(publisher_server.url("/hold.xml"), client=client))
            await asyncio.sleep(0.1)
            with pytest.raises(TransientFetchError):
                await afetch(publisher_server.url("/feeds/news.xml"), client=client, connect_timeout=0.2)
            return await holder

    assert asyncio.run(main()).content == b"<rss/>"
    assert [r.path for r in publisher_server.requests] == ["/hold.xml"]


def test_many_fetches_to_one_host_share_its_few_connections_in_turn(publisher_server):
    for i in range(30):
        publisher_server.route(f"/queue-{i}.xml", body=f"<rss>{i}</rss>".encode(), delay=0.05)
    before = publisher_server.connections

    async def main():
        async with async_fetch_client(max_per_host=3) as client:
            return await asyncio.gather(
                *(afetch(publisher_server.url(f"/queue-{i}.xml"), client=client) for i in range(30))
            )

    results = asyncio.run(main())

    assert [r.content for r in results] == [f"<rss>{i}</rss>".encode() for i in range(30)]
    assert publisher_server.connections - before == 3
