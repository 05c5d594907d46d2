"""Whatever the bytes, parse_feed returns a ParsedFeed or raises FeedParseError; nothing else."""

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.parsing import FeedParseError, ParsedFeed, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
SEEDS = [
    (FIXTURES / name).read_bytes()
    for name in (
        "rss20.xml",
        "atom10.xml",
        "rss10.rdf",
        "rss091.xml",
        "jsonfeed10.json",
        "jsonfeed11.json",
        "xml_base.xml",
        "utf16_bom.xml",
        "billion_laughs.xml",
    )
]
TOKENS = [
    b"<",
    b">",
    b"&",
    b";",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999;",
    b"&amp;",
    b"&nbsp;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<!DOCTYPE x [",
    b'<!ENTITY a "&a;&a;">',
    b"]>",
    b'"',
    b"'",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b"<rss>",
    b"<item>",
    b"</item>",
    b"<entry>",
    b"<feed>",
    b'xml:base="javascript:alert(1)"',
    b"{",
    b"}",
    b"[",
    b"]",
    b'"items":',
    b'"version":"https://jsonfeed.org/version/1"',
    b"1e999",
    b"\n",
]
URLS = ["https://example.com/feed", "", "not a url", "http://[::1", "javascript:alert(1)"]
CONTENT_TYPES = [
    None,
    "",
    "text/xml",
    "application/json",
    "text/html; charset=utf-16",
    "application/rss+xml; charset=bogus",
]


@st.composite
def mutated_feeds(draw) -> bytes:
    doc = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(0, len(doc)))
        operation = draw(st.sampled_from(["insert", "delete", "flip", "noise"]))
        if operation == "insert":
            doc[pos:pos] = draw(st.sampled_from(TOKENS))
        elif operation == "delete":
            del doc[pos : pos + draw(st.integers(1, 64))]
        elif operation == "flip" and doc:
            doc[min(pos, len(doc) - 1)] = draw(st.integers(0, 255))
        else:
            doc[pos:pos] = draw(st.binary(min_size=1, max_size=32))
    return bytes(doc)


token_soup = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=8), max_size=60).map(b"".join)


def _check(content: bytes, url: str, content_type: str | None) -> None:
    try:
        feed = parse_feed(content, url=url, content_type=content_type, max_items=20)
    except FeedParseError as exc:
        assert str(exc)
        return
    assert isinstance(feed, ParsedFeed)
    assert len(feed.items) <= 20
    guids = [item.guid for item in feed.items]
    assert all(guids) and len(set(guids)) == len(guids)
    for item in feed.items:
        assert item.url == "" or item.url.startswith(("http://", "https://"))
        assert item.published_at is None or item.published_at.utcoffset() == timedelta(0)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(URLS), st.sampled_from(CONTENT_TYPES))
def test_it_survives_random_bytes(content, url, content_type):
    _check(content, url, content_type)


@FUZZ
@given(mutated_feeds(), st.sampled_from(URLS), st.sampled_from(CONTENT_TYPES))
def test_it_survives_mutations_of_valid_feeds(content, url, content_type):
    _check(content, url, content_type)


@FUZZ
@given(token_soup, st.sampled_from(CONTENT_TYPES))
def test_it_survives_markup_soup(content, content_type):
    _check(content, "https://example.com/feed", content_type)
