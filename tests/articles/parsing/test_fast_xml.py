"""The lxml fast path for RSS 2.0 and Atom 1.0 gives exactly what the feedparser path gives, or steps aside.

Every document is read both ways from the same prepared bytes: where the fast reader accepts it, the two
ParsedFeeds must be equal field for field; where it declines, parse_feed's answer is feedparser's.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.parsing import FeedParseError, parse_feed
from articles.parsing.fast_xml import read_fast
from articles.parsing.prepare import check_size_and_kind, prepare_xml
from articles.parsing.xml_feed import parse_xml, parse_xml_with_feedparser
from bench.simulator import Mix, PublisherSet
from tests.articles.parsing.test_corpus import EXPECTED, FEEDS_DIR, FILES, _content_type, _url_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _both(content: bytes, url: str, content_type: str | None = None) -> tuple[bool, object, object] | None:
    """(fast path taken, parse_xml's answer, feedparser's answer); None when it is not an XML feed."""
    try:
        if check_size_and_kind(content, content_type) == "json":
            return None
        prepared = prepare_xml(content, content_type)
    except FeedParseError:
        return None
    answers = []
    for reader in (parse_xml, parse_xml_with_feedparser):
        try:
            answers.append(reader(prepared, url=url, now=NOW))
        except FeedParseError as exc:
            answers.append(f"FeedParseError: {exc}")
    return read_fast(prepared.data) is not None, answers[0], answers[1]


XML_FILES = [n for n in FILES if EXPECTED[n]["category"] != "jsonfeed"]


@pytest.mark.parametrize("name", XML_FILES)
def test_it_agrees_with_feedparser_on_every_corpus_feed(name):
    row = EXPECTED[name]
    outcome = _both((FEEDS_DIR / name).read_bytes(), _url_for(row), _content_type(row))
    if outcome is None:
        return
    _fast, got, want = outcome
    assert got == want


def test_it_takes_the_fast_path_for_plain_corpus_feeds():
    fast = []
    for name in XML_FILES:
        row = EXPECTED[name]
        outcome = _both((FEEDS_DIR / name).read_bytes(), _url_for(row), _content_type(row))
        if outcome and outcome[0]:
            fast.append(name)
    # the real-world RSS and Atom feeds, and the plain ones among feedparser's own tests
    assert {"miniflux-large_atom.xml", "miniflux-large_rss.xml", "miniflux-urdu_UTF8.xml"} <= set(fast)
    assert len(fast) >= 20


@pytest.fixture(scope="module")
def publishers() -> PublisherSet:
    return PublisherSet(n_feeds=120, seed=3, mix=Mix(new_share=0.5))


def test_it_reads_every_simulated_feed_fast_and_the_same(publishers):
    kinds = set()
    for i in range(publishers.n_feeds):
        for version in (0, 1):
            url = f"http://127.0.0.1:9/ours/feeds/{i}.xml"
            outcome = _both(
                publishers.feed_document("http://127.0.0.1:9", i, version), url, "application/xml"
            )
            assert outcome is not None
            fast, got, want = outcome
            assert fast, f"feed {i} left the fast path"
            assert got == want
            kinds.add(got.format)
            assert len(got.items) == 10
    assert kinds == {"rss20", "atom10"}


# --- hypothesis: documents in the shapes the fast path knows, with hostile details -------------------

texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(
    [
        "",
        "  padded  ",
        "AT&amp;T",
        "<b>bold</b> &amp; more",
        "a &lt;b&gt; c",
        "Ã©tÃ© \x85 \x93quoted\x94",
        "caf\u00e9",
        "<![CDATA[<p>x</p>]]>",
        "&#x80;&#150;",
        "&nbsp;",
        "<!-- c -->",
        "<p>html</p>",
        "/relative/path?a=1&amp;b=2",
        "http:////example.com//x",
        "javascript:alert(1)",
        "Sat, 05 Dec 2026 07:00:00 GMT",
        "2026-12-05T07:00:00Z",
        "someone@example.com (Some One)",
    ]
)


def _escape(value: str, raw: bool) -> str:
    # `raw` lets markup through as it is (entities, CDATA, tags): mostly well-formed, sometimes not.
    return value if raw else html.escape(value, quote=False)


@st.composite
def rss_documents(draw) -> bytes:
    def text() -> str:
        return _escape(draw(texts), draw(st.booleans()))

    item_elements = [
        lambda: f"<title>{text()}</title>",
        lambda: f"<link>{text()}</link>",
        lambda: f'<guid isPermaLink="{draw(st.sampled_from(["true", "false", "True"]))}">{text()}</guid>',
        lambda: f"<guid>{text()}</guid>",
        lambda: f"<pubDate>{text()}</pubDate>",
        lambda: f"<dc:date>{text()}</dc:date>",
        lambda: f"<description>{text()}</description>",
        lambda: f"<content:encoded>{text()}</content:encoded>",
        lambda: f"<dc:creator>{text()}</dc:creator>",
        lambda: f"<author>{text()}</author>",
        lambda: f"<category>{text()}</category>",
        lambda: f'<category domain="{html.escape(draw(texts))}">{text()}</category>',
        lambda: (
            f'<enclosure url="{html.escape(draw(texts))}" type="{draw(st.sampled_from(["image/JPEG", "audio/mpeg", ""]))}" length="1"/>'
        ),
        lambda: f'<media:content url="{html.escape(draw(texts))}" medium="image"/>',
        lambda: f'<media:thumbnail url="{html.escape(draw(texts))}"/>',
        lambda: f"<comments>{text()}</comments>",
        lambda: "<!-- a comment -->",
        lambda: f"<source>{text()}</source>",
        lambda: f'<title type="html">{text()}</title>',
    ]
    channel_elements = [
        lambda: f"<title>{text()}</title>",
        lambda: f"<link>{text()}</link>",
        lambda: f"<description>{text()}</description>",
        lambda: f"<language>{text()}</language>",
        lambda: f"<ttl>{text()}</ttl>",
        lambda: f"<sy:updatePeriod>{text()}</sy:updatePeriod>",
        lambda: f"<sy:updateFrequency>{text()}</sy:updateFrequency>",
        lambda: f"<image><url>{text()}</url><title>{text()}</title></image>",
        lambda: f'<atom:link rel="self" href="{html.escape(draw(texts))}"/>',
        lambda: f"<generator>{text()}</generator>",
    ]
    items = "".join(
        "<item>"
        + "".join(f() for f in draw(st.lists(st.sampled_from(item_elements), max_size=8)))
        + "</item>"
        for _ in range(draw(st.integers(0, 3)))
    )
    head = "".join(f() for f in draw(st.lists(st.sampled_from(channel_elements), max_size=6)))
    version = draw(st.sampled_from(["2.0", "2.0", "0.92", "2.01"]))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="{version}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel>{head}{items}</channel></rss>"
    ).encode("utf-8", "surrogatepass")


@st.composite
def atom_documents(draw) -> bytes:
    def text() -> str:
        return _escape(draw(texts), draw(st.booleans()))

    def kind() -> str:
        chosen = draw(st.sampled_from(["", "text", "html", "xhtml", "TEXT", "text/html"]))
        return f' type="{chosen}"' if chosen else ""

    def link() -> str:
        attributes = "".join(
            draw(
                st.lists(
                    st.sampled_from(
                        [
                            'rel="alternate"',
                            'rel="enclosure"',
                            'rel="self"',
                            'type="text/html"',
                            'type="image/png"',
                        ]
                    ),
                    unique=True,
                    max_size=2,
                ).map(lambda xs: " ".join(xs))
            )
        )
        return f'<link {attributes} href="{html.escape(draw(texts))}"/>'

    entry_elements = [
        lambda: f"<title{kind()}>{text()}</title>",
        link,
        lambda: f"<id>{text()}</id>",
        lambda: f"<published>{text()}</published>",
        lambda: f"<updated>{text()}</updated>",
        lambda: f"<author><name>{text()}</name><email>{text()}</email></author>",
        lambda: f"<author><name>{text()}</name></author>",
        lambda: f"<content{kind()}>{text()}</content>",
        lambda: f"<summary{kind()}>{text()}</summary>",
        lambda: f'<category term="{html.escape(draw(texts))}"/>',
        lambda: f"<link>{text()}</link>",
    ]
    feed_elements = [
        lambda: f"<title{kind()}>{text()}</title>",
        lambda: f"<subtitle{kind()}>{text()}</subtitle>",
        link,
        lambda: f"<id>{text()}</id>",
        lambda: f"<icon>{text()}</icon>",
        lambda: f"<logo>{text()}</logo>",
        lambda: f"<updated>{text()}</updated>",
        lambda: f"<author><name>{text()}</name></author>",
    ]
    entries = "".join(
        "<entry>"
        + "".join(f() for f in draw(st.lists(st.sampled_from(entry_elements), max_size=8)))
        + "</entry>"
        for _ in range(draw(st.integers(0, 3)))
    )
    head = "".join(f() for f in draw(st.lists(st.sampled_from(feed_elements), max_size=6)))
    lang = draw(st.sampled_from(["", ' xml:lang="en_GB"', ' xml:lang=""', ' xml:base="http://a.example/"']))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{lang}>'
        f"{head}{entries}</feed>"
    ).encode("utf-8", "surrogatepass")


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEED_URL = "https://example.com/dir/feed.xml"


def _same_or_declined(content: bytes) -> None:
    read_fast(content)  # never raises, whatever it is handed
    outcome = _both(content, FEED_URL)
    if outcome is not None:
        _fast, got, want = outcome
        assert got == want


@FUZZ
@given(rss_documents())
def test_it_matches_feedparser_or_declines_on_generated_rss(content):
    _same_or_declined(content)


@FUZZ
@given(atom_documents())
def test_it_matches_feedparser_or_declines_on_generated_atom(content):
    _same_or_declined(content)


@FUZZ
@given(st.binary(max_size=2048))
def test_it_never_raises_on_random_bytes(content):
    assert read_fast(content) is None or isinstance(read_fast(content), tuple)


# --- safety ----------------------------------------------------------------------------------------


def test_it_declines_a_document_with_a_dtd_and_never_expands_its_entities():
    content = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><title>&b;</title></channel></rss>'
    )
    assert read_fast(content) is None


def test_it_declines_an_external_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<rss version="2.0"><channel><title>&x;</title></channel></rss>'
    ).encode()
    assert read_fast(content) is None
    feed = parse_feed(content, url=FEED_URL)
    assert "TOP-SECRET" not in feed.title


def test_it_declines_what_it_does_not_know():
    plain = '<rss version="2.0"><channel><title>t</title><item><title>a</title>{}</item></channel></rss>'
    assert read_fast(plain.format("").encode()) is not None
    for unknown in (
        "<itunes:duration xmlns:itunes='http://www.itunes.com/DTDs/PodCast-1.0.dtd'>1</itunes:duration>",
        "<title>a second title</title>",
        "<description><p>inline markup</p></description>",
        '<link xml:base="http://elsewhere.example/">x</link>',
        "<unknown>x</unknown>",
    ):
        assert read_fast(plain.format(unknown).encode()) is None, unknown
