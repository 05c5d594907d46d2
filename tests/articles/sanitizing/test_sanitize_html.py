"""sanitize_html over tests/fixtures/sanitizing/<case>/dirty.html -> clean.html (miniflux sanitizer testdata style)."""

from pathlib import Path

import pytest

from articles.sanitizing import sanitize_html

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sanitizing"
BASE_URL = "https://news.example.org/world/2024/story.html"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "dirty.html").is_file())


def _case(name: str) -> tuple[str, str]:
    folder = FIXTURES / name
    return (folder / "dirty.html").read_text(encoding="utf-8"), (folder / "clean.html").read_text(
        encoding="utf-8"
    )


def test_it_has_a_case_for_every_rule():
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_it_cleans_each_fixture_to_its_expected_html(name):
    dirty, clean = _case(name)
    assert sanitize_html(dirty, base_url=BASE_URL) == clean.strip()


@pytest.mark.parametrize("name", CASES)
def test_it_leaves_clean_html_unchanged(name):
    _, clean = _case(name)
    assert sanitize_html(clean, base_url=BASE_URL) == clean.strip()


def test_it_keeps_relative_urls_relative_without_a_base_url():
    html = '<a href="/about">a</a><img src="img/x.png" srcset="img/x2.png 2x">'
    assert sanitize_html(html) == (
        '<a target="_blank" rel="noopener noreferrer nofollow" href="/about">a</a>'
        '<img src="img/x.png" srcset="img/x2.png 2x" loading="lazy" decoding="async">'
    )


def test_it_drops_relative_urls_that_look_like_a_scheme_without_a_base_url():
    assert sanitize_html('<a href="java\x00script:alert(1)">x</a>') == (
        '<a target="_blank" rel="noopener noreferrer nofollow">x</a>'
    )


def test_it_returns_an_empty_string_for_empty_or_content_free_input():
    assert sanitize_html("") == ""
    assert sanitize_html("<script>alert(1)</script><p> </p>") == ""


def test_it_resolves_against_each_base_url_separately():
    html = '<a href="x">x</a>'
    first = sanitize_html(html, base_url="https://one.example/a/")
    second = sanitize_html(html, base_url="https://two.example/b/")
    assert 'href="https://one.example/a/x"' in first
    assert 'href="https://two.example/b/x"' in second
