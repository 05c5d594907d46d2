"""Dates come out aware and in UTC; missing or unreadable ones are None; far-future ones are clamped."""

from datetime import UTC, datetime
from pathlib import Path

import time_machine

from articles.parsing import parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "parsing"
NOW = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_it_normalises_clamps_and_drops_dates():
    feed = parse_feed((FIXTURES / "dates.xml").read_bytes(), url="https://dates.example.com/feed")

    dates = {item.guid: item.published_at for item in feed.items}
    assert dates == {
        "far-future": NOW,  # beyond a day ahead: the date is a lie, now is the best guess
        "slightly-ahead": datetime(2024, 5, 15, 0, 0, tzinfo=UTC),  # within a day: clocks and zones drift
        "offset": datetime(2024, 5, 14, 16, 15, tzinfo=UTC),
        "no-date": None,
        "garbage": None,
    }
    assert all(d is None or d.tzinfo is UTC for d in dates.values())


@time_machine.travel(NOW, tick=False)
def test_it_clamps_json_feed_dates_too():
    content = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": ['
        b'{"id": "a", "date_published": "2099-01-01T00:00:00Z", "date_modified": "2024-05-14T13:00:00+02:00"},'
        b'{"id": "b", "date_published": "2024-05-14T08:00:00"},'
        b'{"id": "c", "date_published": "Tue, 14 May 2024 09:15:00 -0700"},'
        b'{"id": "d", "date_published": 1715680800}]}'
    )

    items = parse_feed(content, url="https://dates.example.com/feed.json").items

    assert [(i.published_at, i.updated_at) for i in items] == [
        (NOW, datetime(2024, 5, 14, 11, 0, tzinfo=UTC)),
        (datetime(2024, 5, 14, 8, 0, tzinfo=UTC), None),  # no offset: taken as UTC
        (datetime(2024, 5, 14, 16, 15, tzinfo=UTC), None),  # not RFC 3339, but readable
        (None, None),  # not a string
    ]


def test_it_takes_the_update_date_when_there_is_no_publication_date():
    content = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<entry><id>x</id><title>e</title><updated>2003-12-13T18:30:02Z</updated></entry></feed>"
    )

    (item,) = parse_feed(content, url="https://dates.example.com/atom").items

    assert item.published_at == item.updated_at == datetime(2003, 12, 13, 18, 30, 2, tzinfo=UTC)
