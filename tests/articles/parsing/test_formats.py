"""Each feed format, from fixture files to the fields the pipeline stores (table-driven)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from articles.parsing import ParsedFeed, ParsedItem, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
FEED_URL = "https://fixtures.example.net/dir/feed.xml"

CASES = [
    {
        "file": "rss091.xml",
        "feed": {
            "format": "rss091n",
            "title": "Netscape Era News",
            "link": "http://news.example.com/",
            "language": "en-us",
            "image_url": "http://news.example.com/logo.gif",
            "bozo": False,
        },
        "count": 2,
        "first": {
            "guid": "http://news.example.com/1999/browser-wars.html",
            "url": "http://news.example.com/1999/browser-wars.html",
            "title": "Browser wars heat up",
            "summary_html": "Two companies, one web.",
            "published_at": None,
            "language": "en-us",
        },
    },
    {
        "file": "rss092.xml",
        "feed": {
            "format": "rss092",
            "title": "Userland Weblog",
            "description": "Scripting News, more or less.",
        },
        "count": 2,
        "first": {
            "url": "",
            "title": "",
            "summary_html": "A short post <b>with markup</b> and no title.",
            "base_url": FEED_URL,
        },
    },
    {
        "file": "rss10.rdf",
        "feed": {
            "format": "rss10",
            "title": "RDF Site Summary",
            "language": "de",
            "link": "https://rdf.example.org/",
        },
        "count": 1,
        "first": {
            "guid": "https://rdf.example.org/a",
            "author": "Erika Mustermann",
            "published_at": datetime(2024, 3, 1, 7, 30, tzinfo=UTC),
            "summary_html": "Kurzfassung",
            "content_html": '<p>Der ganze <em>Text</em> <img src="/img/a.png" alt=""></p>',
            "image_url": "https://rdf.example.org/img/a.png",
            "categories": ["Technik"],
        },
    },
    {
        "file": "rss20.xml",
        "feed": {
            "format": "rss20",
            "title": "The Daily Example",
            "link": "https://daily.example.com/",
            "description": "All the news that fits & more",
            "language": "en-GB",
            "ttl_seconds": 30 * 60,
            "image_url": "https://daily.example.com/logo.png",
            "bozo": False,
        },
        "count": 2,
        "first": {
            "guid": "daily-example-8841",
            "url": "https://daily.example.com/2024/05/storm",
            "title": "Storm & flood warnings issued",
            "author": "Jane Reporter",
            "published_at": datetime(2024, 5, 14, 7, 15, tzinfo=UTC),
            "updated_at": None,
            "summary_html": "<p>Short summary.</p>",
            "content_html": '<p>The full story, with a <a href="/related">related link</a>.</p><img src="/inline.jpg">',
            "base_url": "https://daily.example.com/2024/05/storm",
            "image_url": "https://cdn.daily.example.com/storm.jpg",
            "language": "en-GB",
            "categories": ["Weather", "UK"],
        },
        "last": {"image_url": "https://daily.example.com/cover.jpg"},
    },
    {
        "file": "atom03.xml",
        "feed": {"format": "atom03", "title": "Old Atom", "description": "Before the RFC", "language": "en"},
        "count": 1,
        "first": {
            "guid": "tag:atom03.example.net,2004:3.2397",
            "url": "http://atom03.example.net/2004/12/13/entry",
            "author": "Mark",
            "published_at": datetime(2004, 12, 13, 12, 29, 29, tzinfo=UTC),
            "updated_at": datetime(2004, 12, 13, 18, 30, 2, tzinfo=UTC),
            "summary_html": "<p>Plain &lt;summary&gt;</p>",
            "content_html": "<p>Escaped HTML content</p>",
        },
    },
    {
        "file": "atom10.xml",
        "feed": {
            "format": "atom10",
            "title": "Carnet <Atom>",
            "description": "Un carnet de notes",
            "link": "https://atom.example.org/blog/",
            "language": "fr",
            "image_url": "https://atom.example.org/blog/images/logo.png",
            "bozo": False,
        },
        "count": 2,
        "first": {
            "guid": "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
            "url": "https://atom.example.org/blog/posts/2024/hiver.html",
            "title": "L\u2019hiver arrive",
            "author": "Claude",
            "published_at": datetime(2024, 1, 2, 4, 30, tzinfo=UTC),
            "updated_at": datetime(2024, 1, 2, 9, 0, tzinfo=UTC),
            "summary_html": "<p>Résumé en texte &amp; brut</p>",
            "base_url": "https://atom.example.org/blog/posts/2024/",
            "image_url": "https://atom.example.org/blog/posts/2024/neige.jpg",
            "language": "fr-CA",
            "categories": ["Saisons"],
        },
        "last": {
            "url": "https://elsewhere.example.com/absolute",
            # Only <updated>: it stands in for the publication date.
            "published_at": datetime(2023, 12, 31, 12, 0, tzinfo=UTC),
            "content_html": "<p>Line one<br>Line two</p><p>Second paragraph &lt;not a tag&gt;</p>",
            "language": "fr",
        },
    },
    {
        "file": "jsonfeed10.json",
        "feed": {
            "format": "json1",
            "title": "JSON Feed One & Only",
            "link": "https://json.example.com/",
            "description": "A JSON Feed 1.0 fixture",
            "image_url": "https://json.example.com/icon.png",
            "ttl_seconds": None,
            "bozo": True,  # one entry of items is a string, not an object
        },
        "count": 2,
        "first": {
            "guid": "1001",
            "url": "https://fixtures.example.net/posts/1001",
            "title": "Numeric id and relative url",
            "author": "Feed Author",
            "published_at": datetime(2023, 6, 1, 12, 0, tzinfo=UTC),
            "updated_at": datetime(2023, 6, 2, 6, 0, tzinfo=UTC),
            "summary_html": "<p>Hello summary</p>",
            "content_html": '<p>Hello <img src="pic.png"></p>',
            "image_url": "https://fixtures.example.net/posts/pic.png",
            "categories": ["one", "two"],
        },
        "last": {
            "guid": "text-only",
            "url": "https://other.example.org/story",
            "author": "Item Author",
            "content_html": "<p>First paragraph.</p><p>Second &lt;paragraph&gt;.</p>",
            "image_url": "https://json.example.com/cover.jpg",
            "published_at": None,
        },
    },
    {
        "file": "jsonfeed11.json",
        "feed": {"format": "json11", "title": "JSON Feed Eleven", "language": "es-ES", "bozo": False},
        "count": 1,
        "first": {
            "guid": "a1",
            "author": "Ana, Luis",
            "published_at": datetime(2022, 2, 2, 5, 2, 2, tzinfo=UTC),
            "image_url": "https://json11.example.com/a1.jpg",
            "language": "es-MX",
        },
    },
    {
        "file": "sy_update.xml",
        "feed": {"format": "rss10", "ttl_seconds": 6 * 3600},
        "count": 0,
    },
    {
        "file": "utf16_bom.xml",
        "feed": {"format": "atom10", "title": "日本語のフィード", "bozo": False},
        "count": 1,
        "first": {"title": "über \U0001f600", "url": "https://utf16.example.jp/1"},
    },
]


def _check(obj: ParsedFeed | ParsedItem, expected: dict) -> None:
    assert {key: getattr(obj, key) for key in expected} == expected


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_it_maps_each_format_onto_the_same_fields(case):
    feed = parse_feed((FIXTURES / case["file"]).read_bytes(), url=FEED_URL)

    _check(feed, case["feed"])
    assert len(feed.items) == case["count"]
    if "first" in case:
        _check(feed.items[0], case["first"])
    if "last" in case:
        _check(feed.items[-1], case["last"])


def test_it_takes_the_json_feed_path_from_the_bytes_not_the_content_type():
    content = (FIXTURES / "jsonfeed11.json").read_bytes()

    assert parse_feed(content, url=FEED_URL, content_type="text/html").format == "json11"
    assert parse_feed(
        (FIXTURES / "rss20.xml").read_bytes(), url=FEED_URL, content_type="application/json"
    ).format == ("rss20")
