"""Broken feeds are read as far as they go; things that are not feeds get a clear FeedParseError."""

import gzip
import json
from pathlib import Path

import pytest

from articles.parsing import FeedParseError, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
FEED_URL = "https://fixtures.example.net/feed.xml"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_it_salvages_bare_ampersands_and_html_entities():
    feed = parse_feed(_fixture("bare_ampersand.xml"), url=FEED_URL)

    assert feed.bozo and "not well-formed" in feed.bozo_message
    assert feed.title == "Tom & Jerry Gazette"
    assert [(i.title, i.url) for i in feed.items] == [
        ("Fish & Chips \u2014 a history", "https://amp.example.com/story?id=1&page=2"),
        ("Second item survives", "https://amp.example.com/story?id=2"),
    ]
    assert feed.items[0].summary_html == "Salt & vinegar"


def test_it_salvages_a_feed_whose_cdata_never_closes():
    feed = parse_feed(_fixture("broken_cdata.xml"), url=FEED_URL)

    assert feed.bozo and "CDATA" in feed.bozo_message
    assert feed.title == "Broken CDATA"
    assert [i.url for i in feed.items] == [
        "https://cdata.example.com/good",
        "https://cdata.example.com/broken",
    ]
    assert feed.items[0].summary_html == "<p>Fine</p>"


def test_it_salvages_a_truncated_download():
    whole = _fixture("rss20.xml")

    feed = parse_feed(whole[: whole.index(b"Podcast:")], url=FEED_URL)

    assert feed.bozo
    assert feed.items[0].title == "Storm & flood warnings issued"


def test_it_reads_windows_1252_bytes_declared_as_utf_8():
    feed = parse_feed(_fixture("wrong_declared_encoding.xml"), url=FEED_URL)

    assert feed.title == "Café crème – naïve"
    assert feed.items[0].title == "Résumé \u201cquoted\u201d"
    assert feed.bozo and "windows-1252" in feed.bozo_message


def test_it_keeps_utf_8_with_a_few_stray_bytes_as_utf_8():
    content = '<rss version="2.0"><channel><title>Zürich · Genève</title><item><title>x\x96y</title></item></channel></rss>'
    raw = content.encode("utf-8").replace("\x96".encode(), b"\x96")

    feed = parse_feed(raw, url=FEED_URL)

    assert feed.title == "Zürich · Genève"
    assert feed.items[0].title == "x\u2013y"


def test_it_reads_utf_16_with_a_byte_order_mark():
    content = _fixture("utf16_bom.xml")
    assert content.startswith(b"\xff\xfe")

    feed = parse_feed(content, url=FEED_URL, content_type="application/atom+xml")

    assert feed.title == "日本語のフィード"
    assert not feed.bozo


def test_it_recognises_utf_16_without_a_byte_order_mark():
    content = '\n  <rss version="2.0"><channel><title>Wide ünïcode</title></channel></rss>'

    assert parse_feed(content.encode("utf-16-le"), url=FEED_URL).title == "Wide ünïcode"
    assert parse_feed(content.encode("utf-16-be"), url=FEED_URL).title == "Wide ünïcode"


def test_it_follows_the_http_charset_over_the_xml_declaration():
    content = '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>Ελληνικά</title></channel></rss>'

    feed = parse_feed(content.encode("iso-8859-7"), url=FEED_URL, content_type="text/xml; charset=iso-8859-7")

    assert feed.title == "Ελληνικά"


def test_it_prefers_a_utf_8_declaration_to_a_latin_1_server_default():
    content = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Ærø – ok</title></channel></rss>'

    feed = parse_feed(content.encode("utf-8"), url=FEED_URL, content_type="text/xml; charset=ISO-8859-1")

    assert feed.title == "Ærø – ok"


def test_it_drops_control_characters_that_xml_forbids():
    content = b'<rss version="2.0"><channel><title>Bell\x07 and\x0c feed</title><item><title>ok</title></item></channel></rss>'

    feed = parse_feed(content, url=FEED_URL)

    assert feed.title == "Bell and feed"
    assert feed.bozo and "not allow" in feed.bozo_message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_fixture("html_page.html"), "HTML web page"),
        (b"<html><body><p>no doctype</p></body></html>", "HTML web page"),
        (_fixture("empty.xml"), "empty"),
        (_fixture("whitespace_only.xml"), "empty"),
        (b"", "empty"),
        (gzip.compress(_fixture("rss20.xml")), "gzip"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
        (bytes(range(256)) * 16, "binary"),
        (b"Just some words, no markup at all.", "plain text"),
        (b"<!-- only a comment -->", "not a feed"),
        (b'<?xml version="1.0"?><urlset><url><loc>https://example.com/</loc></url></urlset>', "<urlset>"),
        (b'<?xml version="1.0"?><opml version="2.0"><body/></opml>', "OPML"),
        (b'{"name": "not a feed"}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
    ],
    ids=[
        "html-page",
        "html-no-doctype",
        "empty-file",
        "whitespace-file",
        "empty-bytes",
        "gzip",
        "png",
        "binary",
        "plain-text",
        "comment-only",
        "sitemap",
        "opml",
        "json-object",
        "json-array",
        "json-truncated",
        "json-deep",
    ],
)
def test_it_refuses_what_is_not_a_feed_with_a_readable_message(content, message):
    with pytest.raises(FeedParseError, match=message):
        parse_feed(content, url=FEED_URL)


def test_it_reads_a_json_feed_with_a_missing_version_but_items():
    content = json.dumps({"title": "Loose", "items": [{"id": "1", "url": "https://example.com/1"}]}).encode()

    feed = parse_feed(content, url=FEED_URL, content_type="application/json")

    assert (feed.format, feed.title, len(feed.items), feed.bozo) == ("json1", "Loose", 1, True)


def test_it_refuses_a_feed_over_the_size_limit():
    from articles.parsing.prepare import MAX_FEED_BYTES

    with pytest.raises(FeedParseError, match="larger than"):
        parse_feed(b"<rss>" + b" " * MAX_FEED_BYTES + b"</rss>", url=FEED_URL)
