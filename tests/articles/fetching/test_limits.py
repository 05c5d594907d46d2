import gzip
import time
import tracemalloc

import pytest

from articles.fetching import ResponseTooLargeError, TransientFetchError, fetch
from tests.publisher_content import bomb_body

MiB = 1 << 20


def test_it_refuses_a_50_mb_body_at_the_cap(publisher_server):
    started = time.monotonic()

    with pytest.raises(ResponseTooLargeError, match="10 MB limit"):
        fetch(publisher_server.url(f"/huge?bytes={50 * MiB}"))

    assert time.monotonic() - started < 2


def test_it_refuses_a_50_mb_body_without_a_length_while_streaming(publisher_server):
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError):
            fetch(publisher_server.url(f"/huge?bytes={50 * MiB}&chunked=1"), max_bytes=4 * MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 10 * MiB


def test_it_takes_a_body_exactly_at_the_cap(publisher_server):
    result = fetch(publisher_server.url(f"/huge?bytes={MiB}&chunked=1"), max_bytes=MiB)

    assert len(result.content) == MiB
    with pytest.raises(ResponseTooLargeError):
        fetch(publisher_server.url(f"/huge?bytes={MiB + 1}&chunked=1"), max_bytes=MiB)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_it_refuses_a_compression_bomb_without_holding_it(publisher_server, encoding):
    bomb = bomb_body(encoding, 1024 * MiB)  # 1 GiB of zeros, built once and kept by the server
    assert len(bomb) < 2 * MiB

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match="once decompressed"):
            fetch(publisher_server.url(f"/bomb/{encoding}"), max_bytes=4 * MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 10 * MiB


def test_it_refuses_a_bomb_of_nested_encodings(publisher_server):
    twice = gzip.compress(bomb_body("gzip", 64 * MiB))
    publisher_server.route("/nested.xml", body=twice, headers={"Content-Encoding": "gzip, gzip"})

    with pytest.raises(ResponseTooLargeError):
        fetch(publisher_server.url("/nested.xml"), max_bytes=2 * MiB)


def test_it_stops_a_body_that_dribbles_in_at_the_deadline(publisher_server):
    started = time.monotonic()

    with pytest.raises(TransientFetchError, match="over 1 s"):
        fetch(publisher_server.url("/slow?bytes=100&delay=0.1"), timeout=1.0)

    assert 0.9 < time.monotonic() - started < 1.5


def test_it_stops_a_scripted_one_byte_a_second_body_at_the_deadline(publisher_server):
    publisher_server.route("/drip.xml", body=b"<rss>" + b" " * 100 + b"</rss>", chunk_delay=1.0)
    started = time.monotonic()

    with pytest.raises(TransientFetchError):
        fetch(publisher_server.url("/drip.xml"), timeout=2.5, read_timeout=5)

    assert time.monotonic() - started < 3.0


def test_it_times_out_a_server_that_never_answers(publisher_server):
    started = time.monotonic()

    with pytest.raises(TransientFetchError, match="too long"):
        fetch(publisher_server.url("/slow-headers?delay=3"), read_timeout=0.5)

    assert time.monotonic() - started < 1.5


def test_it_counts_redirect_hops_against_the_deadline(publisher_server):
    publisher_server.route("/slow-hop", status=302, headers={"Location": "/slow-hop-2"}, delay=0.6)
    publisher_server.route("/slow-hop-2", status=302, headers={"Location": "/feeds/news.xml"}, delay=0.6)

    with pytest.raises(TransientFetchError):
        fetch(publisher_server.url("/slow-hop"), timeout=1.0)
