"""Stable identity for items and absolute URLs, whatever the feed leaves out or writes relatively."""

import hashlib
from pathlib import Path

from articles.parsing import parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
FEED_URL = "https://fixtures.example.net/dir/feed.xml"


def _parse(name: str, url: str = FEED_URL, content: bytes | None = None):
    return parse_feed(content if content is not None else (FIXTURES / name).read_bytes(), url=url)


def test_it_resolves_links_against_the_channel_and_item_xml_base():
    feed = _parse("xml_base.xml")

    assert feed.link == "https://base.example.com/site/"
    channel_based, item_based, unsafe = feed.items
    assert channel_based.url == "https://base.example.com/site/articles/one.html"
    assert channel_based.base_url == "https://base.example.com/site/"
    assert channel_based.image_url == "https://base.example.com/site/thumbs/one.jpg"
    assert item_based.url == "https://cdn.example.net/root-relative.html"
    assert item_based.base_url == "https://cdn.example.net/mirror/"
    assert item_based.image_url == "https://cdn.example.net/mirror/pic.png"
    # A javascript: xml:base is not a base: the channel's applies.
    assert unsafe.url == "https://base.example.com/site/three.html"


def test_it_resolves_links_against_the_feed_url_without_xml_base():
    feed = _parse("no_base.xml")

    assert feed.link == "https://fixtures.example.net/"
    relative, javascript = feed.items
    assert relative.url == "https://fixtures.example.net/dir/posts/relative.html"
    # Relative URLs in the item's HTML were written on the item's page.
    assert relative.base_url == relative.url
    assert javascript.url == ""
    assert javascript.base_url == FEED_URL


def test_it_gives_items_without_guid_the_link_or_a_digest_of_title_and_date():
    feed = _parse("no_guid.xml")

    linked, title_date, title_only, text_a, text_b, blank_guid = feed.items
    assert linked.guid == "https://noguid.example.com/linked"
    assert (
        title_date.guid == hashlib.sha256(b"Title and date only\nWed, 01 May 2024 09:00:00 GMT").hexdigest()
    )
    assert title_only.guid == hashlib.sha256(b"Title only\n").hexdigest()
    assert text_a.guid != text_b.guid
    assert blank_guid.guid == "https://noguid.example.com/blank-guid"
    assert all(item.guid for item in feed.items)


def test_it_gives_the_same_identity_on_every_parse():
    content = (FIXTURES / "no_guid.xml").read_bytes()

    first = [item.guid for item in parse_feed(content, url=FEED_URL).items]
    second = [item.guid for item in parse_feed(content, url=FEED_URL).items]

    assert first == second


def test_it_keeps_identities_when_a_new_item_arrives_on_top():
    content = (FIXTURES / "no_guid.xml").read_bytes()
    newer = content.replace(b"<item>", b"<item><title>Breaking</title></item><item>", 1)

    before = {item.title: item.guid for item in parse_feed(content, url=FEED_URL).items if item.title}
    after = {item.title: item.guid for item in parse_feed(newer, url=FEED_URL).items if item.title}

    assert after.items() >= before.items()


def test_it_does_not_tie_guids_to_the_feed_url():
    """A feed that moves (http to https, a new path) must not present its stories as new ones."""
    content = (FIXTURES / "dates.xml").read_bytes()

    old = [item.guid for item in _parse("dates.xml", url="http://old.example.com/rss", content=content).items]
    new = [
        item.guid for item in _parse("dates.xml", url="https://new.example.com/feed", content=content).items
    ]

    assert old == new == ["far-future", "slightly-ahead", "offset", "no-date", "garbage"]


def test_it_does_not_turn_a_guid_that_is_not_a_url_into_a_link():
    feed = _parse("dates.xml")

    assert [item.url for item in feed.items] == [""] * 5


def test_it_keeps_one_item_per_guid():
    item = b"<item><guid>same</guid><title>%s</title></item>"
    content = (
        b'<rss version="2.0"><channel><title>t</title>'
        + item % b"first"
        + item % b"second"
        + b"</channel></rss>"
    )

    feed = parse_feed(content, url=FEED_URL)

    assert [(i.guid, i.title) for i in feed.items] == [("same", "first")]


def test_it_replaces_an_overlong_guid_by_its_digest():
    long_id = "x" * 5000
    content = (
        f'<rss version="2.0"><channel><item><guid isPermaLink="false">{long_id}</guid></item></channel></rss>'
    )

    (item,) = parse_feed(content.encode(), url=FEED_URL).items

    assert item.guid == "sha256:" + hashlib.sha256(long_id.encode()).hexdigest()
