from urllib.parse import urljoin

import pytest

from articles.sanitizing import strip_tracking_params
from articles.sanitizing.urls import clean_url, rewrite_srcset


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?id=1&utm_campaign=x&page=2", "https://example.com/a?id=1&page=2"),
        ("https://example.com/a?UTM_SOURCE=x&ok=1#top", "https://example.com/a?ok=1#top"),
        ("https://example.com/a?fbclid=1&gclid=2&msclkid=3&mc_cid=4&mc_eid=5", "https://example.com/a"),
        ("https://example.com/a?q=a%20b&utm_term=x", "https://example.com/a?q=a%20b"),
        ("https://example.com/a?utm=1&source=2", "https://example.com/a?utm=1&source=2"),
        ("https://example.com/a", "https://example.com/a"),
        ("https://example.com/utm_source/page", "https://example.com/utm_source/page"),
        ("http://[::1/?utm_source=x", "http://[::1/?utm_source=x"),
    ],
)
def test_it_strips_only_tracking_parameters(url, expected):
    assert strip_tracking_params(url) == expected


@pytest.mark.parametrize(
    ("value", "base_url", "allow_mailto", "expected"),
    [
        ("/a", "https://example.com/x/y", False, "https://example.com/a"),
        ("b.png", "https://example.com/x/y", False, "https://example.com/x/b.png"),
        ("  https://example.com/z  ", "", False, "https://example.com/z"),
        ("mailto:a@example.com", "", True, "mailto:a@example.com"),
        ("mailto:a@example.com", "", False, None),
        ("javascript:alert(1)", "https://example.com/", True, None),
        ("JaVaScRiPt:alert(1)", "", True, None),
        ("java\tscript:alert(1)", "", True, None),
        ("\x01javascript:alert(1)", "", True, None),
        ("data:image/png;base64,AAAA", "", False, None),
        ("vbscript:x", "", False, None),
        ("ftp://example.com/f", "", False, None),
        ("http://", "", False, None),
        ("relative/path", "", False, "relative/path"),
        ("a:b/c", "", False, None),
        ("", "https://example.com/", False, None),
    ],
)
def test_it_keeps_only_web_urls_made_absolute(value, base_url, allow_mailto, expected):
    assert clean_url(value, base_url=base_url, allow_mailto=allow_mailto) == expected


def test_it_rewrites_srcset_candidates_and_keeps_commas_inside_urls():
    value = " a.jpg 1x,https://cdn.example.com/w_2,h_3/b.jpg 2x , javascript:x 3x, c.jpg"
    assert rewrite_srcset(value, base_url="https://example.com/p/") == (
        "https://example.com/p/a.jpg 1x, https://cdn.example.com/w_2,h_3/b.jpg 2x, https://example.com/p/c.jpg"
    )


def test_it_drops_a_srcset_with_no_safe_candidate():
    assert rewrite_srcset("javascript:x 1x, data:y 2x") is None
    assert rewrite_srcset(" , ") is None


@pytest.mark.parametrize(
    "value",
    [
        "/a/b?x=1#f",
        "/a/./b",
        "/a/../b",
        "/a/b/..",
        "/a?",
        "/a#",
        "/a?#f",
        "/a;p",
        "/a;",
        "/",
        "/a//b",
        "/a\\b",
    ],
)
@pytest.mark.parametrize("base_url", ["https://Example.org:8080/dir/page?q=1#top", "HTTP://user@example.org"])
def test_it_resolves_root_relative_urls_as_urljoin_does(value, base_url):
    assert clean_url(value, base_url=base_url) == urljoin(base_url, value)


def test_it_does_not_resolve_root_relative_urls_against_a_base_that_is_not_web():
    assert clean_url("/a", base_url="ftp://example.org/x") is None
    assert clean_url("/a", base_url="") == "/a"
