import pytest
from hypothesis import given
from hypothesis import strategies as st

from articles.fetching import parse_max_age, parse_retry_after
from articles.fetching.result import MAX_HINT_SECONDS

NOW = 1_772_438_400.0  # Mon, 02 Mar 2026 08:00:00 GMT


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120),
        (" 30 ", 30),
        ("0", 0),
        ("Mon, 02 Mar 2026 08:05:00 GMT", 300),
        ("Monday, 02-Mar-26 08:05:00 GMT", 300),
        ("Mon, 02 Mar 2026 07:00:00 GMT", 0),
        ("99999999999999999999999", MAX_HINT_SECONDS),
        ("Wed, 21 Oct 2099 07:28:00 GMT", MAX_HINT_SECONDS),
        ("-10", None),
        ("1.5", None),
        ("\u00b9", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_it_reads_retry_after(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"cache-control": "public, max-age=600"}, 600),
        ({"cache-control": 'max-age="60", s-maxage=5'}, 60),
        ({"cache-control": "max-age=600", "expires": "Mon, 02 Mar 2026 09:00:00 GMT"}, 600),
        ({"cache-control": "no-cache"}, 0),
        ({"cache-control": "no-store, max-age=600"}, 600),
        ({"expires": "Mon, 02 Mar 2026 09:00:00 GMT"}, 3600),
        ({"expires": "Mon, 02 Mar 2026 09:00:00 GMT", "date": "Mon, 02 Mar 2026 08:30:00 GMT"}, 1800),
        ({"expires": "0"}, 0),
        ({"expires": "Mon, 02 Mar 2026 07:00:00 GMT"}, 0),
        ({"cache-control": "max-age=abc"}, None),
        ({"cache-control": "private"}, None),
        ({}, None),
    ],
)
def test_it_reads_the_freshness_lifetime(headers, expected):
    assert parse_max_age(headers, now=NOW) == expected


@given(st.text(max_size=60))
def test_it_reads_any_retry_after_without_crashing(value):
    seconds = parse_retry_after(value, now=NOW)

    assert seconds is None or 0 <= seconds <= MAX_HINT_SECONDS


@given(st.dictionaries(st.sampled_from(["cache-control", "expires", "date"]), st.text(max_size=60)))
def test_it_reads_any_cache_headers_without_crashing(headers):
    seconds = parse_max_age(headers, now=NOW)

    assert seconds is None or 0 <= seconds <= MAX_HINT_SECONDS
