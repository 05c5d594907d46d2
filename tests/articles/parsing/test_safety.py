"""Hostile feeds: entity expansion, external entities, size, and time."""

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from articles.parsing import FeedParseError, ParsedFeed, parse_feed
from articles.parsing.normalise import MAX_CONTENT_CHARS, MAX_ITEMS_READ, MAX_TITLE_CHARS
from articles.parsing.prolog import MAX_MARKUP_TOKENS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
FEED_URL = "https://fixtures.example.net/feed.xml"


def _all_text(feed: ParsedFeed) -> str:
    parts = [feed.title, feed.description, feed.link, feed.bozo_message]
    for item in feed.items:
        parts += [item.title, item.summary_html, item.content_html, item.author, item.url, item.guid]
    return "\n".join(parts)


def _timed_parse(content: bytes, **kwargs) -> tuple[ParsedFeed, float]:
    started = time.perf_counter()
    feed = parse_feed(content, url=FEED_URL, **kwargs)
    return feed, time.perf_counter() - started


def test_it_does_not_expand_a_billion_laughs():
    feed, seconds = _timed_parse((FIXTURES / "billion_laughs.xml").read_bytes())

    assert seconds < 2
    assert "lollol" not in _all_text(feed)
    assert len(_all_text(feed)) < 2_000
    assert feed.items[0].url == "https://lol.example.com/1"


def test_it_does_not_expand_one_large_entity_many_times():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "' + b"A" * 100_000 + b'">]>'
        b'<rss version="2.0"><channel><title>t</title><item><description>'
        + b"&big;" * 50_000
        + b"</description></item></channel></rss>"
    )

    feed, seconds = _timed_parse(content)

    assert seconds < 5
    assert "AAAA" not in _all_text(feed)


def test_it_never_reads_a_local_file_named_by_an_external_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENTS")
    content = (FIXTURES / "xxe_file.xml").read_bytes().replace(b"{{FILE_URL}}", secret.as_uri().encode())

    feed = parse_feed(content, url=FEED_URL)

    text = _all_text(feed)
    assert "TOP-SECRET-CONTENTS" not in text
    assert "root:" not in text
    assert feed.title.startswith("XXE")
    assert [item.url for item in feed.items] == ["https://xxe.example.com/1"]


def test_it_never_fetches_a_url_named_by_a_dtd_or_entity():
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    content = (FIXTURES / "xxe_http.xml").read_bytes().replace(b"{{URL}}", url.encode())
    try:
        feed = parse_feed(content, url=FEED_URL)
        # Any connection made during the parse would be waiting in the backlog by now.
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()

    assert feed.title == "XXE over HTTP"
    assert feed.items[0].url == "https://xxe.example.com/1"


def test_it_does_not_treat_the_bytes_as_a_file_name():
    """feedparser.parse(bytes) opens the bytes as a path if such a file exists; we never let it."""
    with pytest.raises(FeedParseError):
        parse_feed(str(FIXTURES / "rss20.xml").encode(), url=FEED_URL)


def test_it_does_not_define_entities_from_a_doctype_misplaced_after_the_root():
    content = (
        b'<rss version="2.0"><!DOCTYPE rss [<!ENTITY x "EXPANDED">]><channel><title>t &x;</title>'
        b"<item><guid>1</guid><title>&x;</title></item></channel></rss>"
    )

    feed = parse_feed(content, url=FEED_URL)

    assert "EXPANDED" not in _all_text(feed)
    assert feed.bozo and feed.items[0].guid == "1"


def test_it_leaves_a_doctype_inside_an_article_alone():
    content = (
        b'<rss version="2.0"><channel><title>t</title><item><title>i</title>'
        b"<description><![CDATA[<!DOCTYPE html><p>Example page</p>]]></description></item></channel></rss>"
    )

    feed = parse_feed(content, url=FEED_URL)

    assert feed.items[0].summary_html == "<!DOCTYPE html><p>Example page</p>"
    assert not feed.bozo


def _big_feed(count: int) -> bytes:
    body = "<p>" + 'Lorem ipsum dolor sit amet, <a href="/x">consectetur</a> adipiscing elit. ' * 25 + "</p>"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><title>Item {i}</title><link>https://big.example.com/{i}</link><guid>id-{i}</guid>"
        # Dates run backwards through the document except for a few late arrivals at the end.
        f"<pubDate>{(start - timedelta(hours=i if i < count - 5 else -i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


def test_it_reads_ten_thousand_items_in_bounded_time_and_keeps_the_newest():
    content = _big_feed(10_000)
    assert len(content) > 19 * 1024 * 1024

    feed, seconds = _timed_parse(content, max_items=100)

    # About 5 s on one unloaded core; generous so a busy CI machine doesn't fail it.
    assert seconds < 90
    assert not feed.bozo
    assert len(feed.items) == 100
    # The five late arrivals at the end are the newest; the rest come from the top, in document order.
    guids = [item.guid for item in feed.items]
    assert guids == [f"id-{i}" for i in range(95)] + [f"id-{i}" for i in range(9995, 10_000)]


def test_it_keeps_document_order_when_no_item_has_a_date():
    items = "".join(f"<item><guid>g{i}</guid><title>{i}</title></item>" for i in range(50))
    content = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()

    feed = parse_feed(content, url=FEED_URL, max_items=10)

    assert [item.guid for item in feed.items] == [f"g{i}" for i in range(10)]


def test_it_reads_only_the_first_items_of_an_enormous_feed():
    items = b"".join(b"<item><guid>g%d</guid></item>" % i for i in range(MAX_ITEMS_READ + 500))
    content = b'<rss version="2.0"><channel><title>t</title>' + items + b"</channel></rss>"

    feed = parse_feed(content, url=FEED_URL)

    assert len(feed.items) == MAX_ITEMS_READ
    assert feed.items[-1].guid == f"g{MAX_ITEMS_READ - 1}"
    assert feed.bozo and "more than 10,000 items" in feed.bozo_message


def test_it_stops_reading_markup_beyond_its_budget():
    content = (
        b'<rss version="2.0"><channel><title>t</title><item><guid>first</guid><title>ok</title></item>'
        b"<item><guid>second</guid><title>"
        + b"<b>x</b>" * MAX_MARKUP_TOKENS
        + b"</title></item></channel></rss>"
    )

    feed, seconds = _timed_parse(content)

    assert seconds < 90
    assert [item.guid for item in feed.items] == ["first"]
    assert "tags and entities" in feed.bozo_message


def test_it_truncates_enormous_fields():
    huge = "word " * 1_000_000
    content = (
        f'<rss version="2.0"><channel><title>{huge}</title><item><title>{huge}</title>'
        f"<description>{huge}</description><content:encoded xmlns:content="
        f'"http://purl.org/rss/1.0/modules/content/">{huge}</content:encoded></item></channel></rss>'
    ).encode()

    feed = parse_feed(content, url=FEED_URL)

    assert len(feed.title) <= MAX_TITLE_CHARS
    assert len(feed.items[0].title) <= MAX_TITLE_CHARS
    assert len(feed.items[0].content_html) == MAX_CONTENT_CHARS
    assert len(feed.items[0].summary_html) < len(huge)


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE x>" * 2_000 + b"<rss/>",
        b'<!DOCTYPE x [<!ENTITY a "' + b"x" * 300_000 + b'">]><rss/>',
    ],
    ids=["thousands-of-doctypes", "huge-internal-subset"],
)
def test_it_refuses_a_prolog_built_to_waste_time(content):
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed(content, url=FEED_URL)


def test_it_skips_junk_printed_before_the_feed():
    content = (
        b"<br />\n<b>Warning</b>: Undefined index in <b>feed.php</b> on line <b>3</b><br />\n"
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<rss version="2.0"><channel><title>Behind a warning &e;</title>'
        b"<item><guid>1</guid><title>kept</title></item></channel></rss>"
    )

    feed = parse_feed(content, url=FEED_URL)

    assert feed.format == "rss20"
    assert [item.title for item in feed.items] == ["kept"]
    assert "root:" not in _all_text(feed)
    assert feed.bozo
