import gzip
import zlib

import brotli
import pytest
from hypothesis import given
from hypothesis import strategies as st

from articles.fetching import PermanentFetchError, ResponseTooLargeError
from articles.fetching.decoding import BodyReader

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xc3\xa9</title></channel></rss>' * 50


def read(body: bytes, encoding: str, *, max_bytes: int = 1 << 20, chunk: int = 4096) -> bytes:
    reader = BodyReader(content_encoding=encoding, max_bytes=max_bytes)
    for start in range(0, len(body), chunk):
        reader.feed(body[start : start + chunk])
    return reader.finish()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    "encoding, body",
    [
        ("gzip", gzip.compress(FEED)),
        ("x-gzip", gzip.compress(FEED)),
        ("GZIP", gzip.compress(FEED)),
        ("deflate", zlib.compress(FEED)),
        ("deflate", raw_deflate(FEED)),
        ("br", brotli.compress(FEED)),
        ("gzip, br", brotli.compress(gzip.compress(FEED))),
        ("identity", FEED),
        ("", FEED),
        ("x-unheard-of", FEED),
    ],
    ids=[
        "gzip",
        "x-gzip",
        "GZIP",
        "zlib-deflate",
        "raw-deflate",
        "br",
        "gzip-then-br",
        "identity",
        "none",
        "unknown",
    ],
)
def test_it_decodes_every_coding_we_ask_for(encoding, body):
    assert read(body, encoding) == FEED
    assert read(body, encoding, chunk=1) == FEED


def test_it_reads_every_member_of_a_multi_member_gzip():
    assert read(gzip.compress(FEED[:100]) + gzip.compress(FEED[100:]), "gzip") == FEED


def test_it_ignores_garbage_after_a_complete_gzip_body():
    assert read(gzip.compress(FEED) + b"\x00\x00garbage", "gzip") == FEED


def test_it_keeps_what_arrived_of_a_truncated_gzip_body():
    body = gzip.compress(FEED)

    decoded = read(body[: len(body) // 2], "gzip")

    assert FEED.startswith(decoded) and 0 < len(decoded) < len(FEED)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_it_refuses_a_corrupt_body(encoding):
    with pytest.raises(PermanentFetchError, match="corrupt"):
        read(b"\x1f\x8b\x08\x00 this is not compressed at all" * 10, encoding)


def test_it_caps_the_bytes_on_the_wire():
    with pytest.raises(ResponseTooLargeError, match="100 bytes limit.$"):
        read(FEED, "identity", max_bytes=100)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, gzip"])
def test_it_caps_the_bytes_after_decompression(encoding):
    body = bytes(50 << 20)
    for token in encoding.split(", "):
        body = {
            "gzip": gzip.compress,
            "deflate": zlib.compress,
            "br": lambda b: brotli.compress(b, quality=1),
        }[token](body)
    assert len(body) < 1 << 20

    with pytest.raises(ResponseTooLargeError, match="once decompressed"):
        read(body, encoding, max_bytes=1 << 20)


@given(
    st.binary(max_size=5000),
    st.integers(min_value=1, max_value=700),
    st.sampled_from(["gzip", "deflate", "br"]),
)
def test_it_decodes_any_body_in_any_chunking(payload, chunk, encoding):
    body = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](payload)

    assert read(body, encoding, chunk=chunk) == payload


@given(st.binary(max_size=2000), st.sampled_from(["gzip", "deflate", "br", "gzip, br", "identity"]))
def test_it_never_fails_on_hostile_bytes_with_anything_but_a_fetch_error(junk, encoding):
    try:
        read(junk, encoding, max_bytes=10_000)
    except PermanentFetchError:
        pass
