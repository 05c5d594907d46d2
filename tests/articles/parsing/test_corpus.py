"""Every feed of the shared corpus parses; where feedparser 6.0.14's output is recorded, ours agrees.

Titles are compared as plain text (ours are plain text by contract; the reference keeps feedparser's
sanitized HTML). Counts and the first entry's link are compared as they are.
"""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from articles.parsing import FeedParseError, parse_feed
from articles.parsing.normalise import html_to_text

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DIR = Path(os.environ.get("NEWSREADER_SHARED_DIR", REPO_ROOT.parent / "shared"))
FEEDS_DIR = SHARED_DIR / "corpus" / "feeds"


def _expected() -> dict[str, dict]:
    path = FEEDS_DIR / "expected.jsonl"
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["file"]: row for row in rows}


EXPECTED = _expected()
FILES = sorted(p.name for p in FEEDS_DIR.glob("*") if p.is_file() and p.name != "expected.jsonl")

# Not a feed at all, so FeedParseError is the right answer.
NOT_FEEDS = {
    # The whole file is an XML comment: there is no element, so nothing to salvage (feedparser says
    # bozo with an empty result).
    "fp-illformed-rss_empty_document.xml": "no element at all",
}

# Where we differ from feedparser 6.0.14 on purpose.
DISAGREEMENTS = {
    # Two entries with no id, link, title, date or content: nothing tells them apart, so they share one
    # identity and are kept once (a batch upsert must not meet the same guid twice).
    "fp-wellformed-node_precedence-atom10_arbitrary_element.xml": "entry_count",
    # The title is a whole HTML page with <script>; feedparser's sanitizer keeps the script's text,
    # our plain-text title drops script content.
    "fp-wellformed-sanitize-entry_title_crazy.xml": "first_entry_title",
}


def _url_for(row: dict) -> str:
    # Tests under wellformed/http assume the feed was served from this address (see the corpus README).
    location = (row.get("http_headers") or {}).get("Content-Location", "")
    served_from = "http://127.0.0.1:8097/" + row.get("source_path", row["file"])
    return location if location.startswith("http") else served_from


def _content_type(row: dict) -> str | None:
    return (row.get("http_headers") or {}).get("Content-type")


def test_it_has_the_corpus_to_test_against():
    assert FEEDS_DIR.is_dir(), f"shared corpus missing: {FEEDS_DIR} (set NEWSREADER_SHARED_DIR)"
    assert len(FILES) >= 100
    assert set(FILES) == set(EXPECTED)


@pytest.mark.parametrize("name", FILES)
def test_it_parses_every_corpus_file(name):
    row = EXPECTED[name]
    content = (FEEDS_DIR / name).read_bytes()
    if name in NOT_FEEDS:
        with pytest.raises(FeedParseError):
            parse_feed(content, url=_url_for(row), content_type=_content_type(row))
        return

    feed = parse_feed(content, url=_url_for(row), content_type=_content_type(row))

    now = datetime.now(UTC)
    for item in feed.items:
        assert item.guid
        assert item.url == "" or item.url.startswith(("http://", "https://"))
        for moment in (item.published_at, item.updated_at):
            assert moment is None or (
                moment.utcoffset() == timedelta(0) and moment <= now + timedelta(days=1)
            )
    assert feed.format and feed.format != "unknown" or feed.items == []


@pytest.mark.parametrize("name", [n for n in FILES if (EXPECTED[n].get("reference_feedparser") or {})])
def test_it_agrees_with_feedparser_where_the_reference_is_meaningful(name):
    row = EXPECTED[name]
    if row["category"] == "jsonfeed" or name in NOT_FEEDS:
        return  # feedparser 6.0.x has no JSON Feed support; JSON files are checked against the JSON itself
    reference = row["reference_feedparser"]
    feed = parse_feed((FEEDS_DIR / name).read_bytes(), url=_url_for(row), content_type=_content_type(row))

    got = {
        "feed_title": feed.title,
        "entry_count": len(feed.items),
        "first_entry_title": feed.items[0].title if feed.items else "",
        "first_entry_link": feed.items[0].url if feed.items else "",
    }
    want = {
        "feed_title": html_to_text(reference["feed_title"] or ""),
        "entry_count": reference["entry_count"],
        "first_entry_title": html_to_text(reference["first_entry_title"] or ""),
        "first_entry_link": reference["first_entry_link"] or "",
    }
    differing = {key for key in got if got[key] != want[key]}
    assert differing == ({DISAGREEMENTS[name]} if name in DISAGREEMENTS else set()), (got, want)


@pytest.mark.parametrize("name", [n for n in FILES if EXPECTED[n]["category"] in ("realworld", "jsonfeed")])
def test_it_matches_every_realworld_and_json_feed(name):
    row = EXPECTED[name]
    content = (FEEDS_DIR / name).read_bytes()
    feed = parse_feed(content, url=_url_for(row))
    if row["category"] == "jsonfeed":
        document = json.loads(content)
        first = document["items"][0]
        assert feed.format == {"https://jsonfeed.org/version/1": "json1"}.get(document["version"], "json11")
        assert (feed.title, len(feed.items)) == (document["title"], len(document["items"]))
        assert (feed.items[0].guid, feed.items[0].url) == (first["id"], first["url"])
        assert feed.items[0].title == first.get("title", "")
        assert feed.link == document["home_page_url"]
        assert not feed.bozo
    else:
        reference = row["reference_feedparser"]
        # Whitespace inside titles is collapsed by contract ("BBC News  اردو" has two spaces).
        assert feed.title == html_to_text(reference["feed_title"])
        assert len(feed.items) == reference["entry_count"]
        assert feed.items[0].title == html_to_text(reference["first_entry_title"])
        assert feed.items[0].url == reference["first_entry_link"]
        assert not feed.bozo


def test_it_reads_the_legacy_encodings_that_declare_nothing():
    """feedparser needs chardet for these; we guess with charset-normalizer."""
    titles = {
        "fp-illformed-chardet-eucjp.xml": "ゲーム三昧な正月",
        "fp-illformed-chardet-koi8r.xml": "Как пережить новогоднюю ночь",
        "fp-illformed-chardet-gb2312.xml": "不归移民漫画系列：专业工作",
        "fp-illformed-chardet-euckr.xml": "EUC-KR 에서 TypeKey 한글닉네임 표시하기",
    }
    for name, title in titles.items():
        feed = parse_feed((FEEDS_DIR / name).read_bytes(), url="https://example.com/feed")
        assert feed.items[0].title == title
        assert feed.bozo and "no encoding declared" in feed.bozo_message
