"""Finding a site's feeds from its page, and where to look when the page says nothing."""

from pathlib import Path

from articles.discovery import COMMON_FEED_PATHS, candidate_feed_urls, discover_feed_urls

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsing"

PAGE = b"""<!DOCTYPE html>
<html><head>
<title>Example</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="atom.xml">
<LINK REL="Alternate" TYPE="Application/Feed+JSON" HREF="https://cdn.example.org/feed.json">
<link rel="alternate" type="application/json; charset=utf-8" href="/feed.json?x=1#frag">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate feed" type="application/rss+xml" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml">
<link rel="alternate" type="application/rss+xml" href="feed://example.com/podcast.rss">
<link rel="alternate" type="application/rdf+xml" href="/index.rdf">
</head><body><a rel="alternate" type="application/rss+xml" href="/not-a-link-element.xml">x</a></body></html>
"""


def test_it_finds_announced_feeds_in_page_order_resolved_and_unique():
    urls = discover_feed_urls(PAGE, base_url="https://example.com/blog/post.html")

    assert urls == [
        "https://example.com/feed.xml",
        "https://example.com/blog/atom.xml",
        "https://cdn.example.org/feed.json",
        "https://example.com/feed.json?x=1",
        "https://example.com/comments/feed/",
        "http://example.com/podcast.rss",
        "https://example.com/index.rdf",
    ]


def test_it_resolves_against_the_pages_base_element():
    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="a.xml"><base href="https://static.example.net/site/"></head></html>'

    assert discover_feed_urls(page, base_url="https://example.com/") == [
        "https://static.example.net/site/a.xml"
    ]


def test_it_finds_nothing_on_a_page_without_feeds():
    assert discover_feed_urls((FIXTURES / "empty.xml").read_bytes(), base_url="https://example.com/") == []
    assert (
        discover_feed_urls(b"<html><head><title>x</title></head></html>", base_url="https://example.com/")
        == []
    )


def test_it_survives_broken_and_binary_pages():
    for page in (
        b"<link rel=alternate type=application/rss+xml href=/f.xml",
        b"\xff\xfe\x00<<<!--",
        bytes(range(256)) * 50,
    ):
        assert isinstance(discover_feed_urls(page, base_url="https://example.com/"), list)
    assert discover_feed_urls(
        b"<link rel=alternate type=application/rss+xml href=/f.xml>", base_url="https://example.com/"
    ) == ["https://example.com/f.xml"]


def test_it_reads_the_fixture_page():
    page = (FIXTURES / "html_page.html").read_bytes()

    assert discover_feed_urls(page, base_url="https://news.example.com/") == [
        "https://news.example.com/feed.xml"
    ]


def test_it_suggests_common_feed_paths_at_the_root_then_under_the_pages_directory():
    urls = candidate_feed_urls("https://Example.com/blog/2024/post.html?x=1")

    root = [f"https://Example.com{path}" for path in COMMON_FEED_PATHS]
    under = [f"https://Example.com/blog/2024{path}" for path in COMMON_FEED_PATHS]
    assert urls == root + under
    assert "https://Example.com/feed" in urls and "https://Example.com/feeds/posts/default" in urls


def test_it_suggests_only_root_paths_for_a_site_root():
    assert candidate_feed_urls("https://example.com") == [
        f"https://example.com{p}" for p in COMMON_FEED_PATHS
    ]
    assert candidate_feed_urls("https://example.com/") == [
        f"https://example.com{p}" for p in COMMON_FEED_PATHS
    ]


def test_it_suggests_nothing_for_what_is_not_a_web_address():
    assert candidate_feed_urls("ftp://example.com/") == []
    assert candidate_feed_urls("not a url") == []
    assert candidate_feed_urls("http://[::1") == []
