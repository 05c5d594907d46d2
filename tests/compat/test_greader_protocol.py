"""The Google Reader protocol's parsing and shapes, as pure functions (no database, no HTTP)."""

from datetime import UTC, datetime

import pytest

from compat import greader as gr

LONG = "tag:google.com,2005:reader/item/"


@pytest.mark.parametrize(
    ("sent", "pk"),
    [
        (f"{LONG}000000012a05f204", 5000000004),  # RSS Guard: long form, padded hex
        (f"{LONG}000000000000048C", 1164),  # upper-case hex
        (f"{LONG}2f2", 754),  # NetNewsWire: long form, unpadded hex
        ("000000000000048c", 1164),  # Reeder: bare 16 hex digits
        ("5000000003", 5000000003),  # Liferea, and what items/ids answers: decimal
        ("42", 42),
        (" 42 ", 42),
        ("2f2", 754),  # older NetNewsWire: bare unpadded hex with a letter
    ],
)
def test_it_reads_item_ids_in_every_spelling_clients_send(sent, pk):
    assert gr.item_id_parse(sent) == pk


def test_it_reads_an_unpadded_hex_id_of_digits_only_as_decimal_like_both_servers():
    # The ambiguity api-spec.md warns about: "123" is decimal 123, not hex 0x123.
    assert gr.item_id_parse("123") == 123


@pytest.mark.parametrize(
    "sent",
    ["", "0", "-5", "abc-def", f"{LONG}", f"{LONG}zz", "1" * 25, "ffffffffffffffff", "12\u00b3", "４２"],
)
def test_it_refuses_what_is_not_an_item_id(sent):
    with pytest.raises(gr.BadRequest):
        gr.item_id_parse(sent)


def test_it_writes_the_long_form_padded_to_sixteen_hex_digits():
    assert gr.item_id_long(5000000004) == f"{LONG}000000012a05f204"
    assert gr.item_id_parse(gr.item_id_long(7)) == 7


def test_it_refuses_more_ids_than_one_request_may_carry():
    with pytest.raises(gr.BadRequest):
        gr.item_ids_parse(["1"] * (gr.MAX_IDS + 1))


@pytest.mark.parametrize(
    ("sent", "stream"),
    [
        ("user/-/state/com.google/reading-list", gr.Stream("reading-list")),
        ("user/-/state/com.google/read", gr.Stream("read")),
        ("user/-/state/com.google/starred", gr.Stream("starred")),
        ("user/-/state/com.google/kept-unread", gr.Stream("kept-unread")),
        ("user/1234/state/com.google/starred", gr.Stream("starred")),  # Miniflux's numeric user
        ("user/-/label/Tech News", gr.Stream("label", label="Tech News")),
        ("user/alice/label/a/b", gr.Stream("label", label="a/b")),
        ("feed/42", gr.Stream("feed", feed_id=42)),
        ("feed/https://example.org/feed.xml", gr.Stream("feed", feed_url="https://example.org/feed.xml")),
        ("user/-/state/com.google/like", gr.Stream("unknown")),
        ("splice/xyz", gr.Stream("unknown")),
        ("", gr.Stream("reading-list")),
    ],
)
def test_it_reads_stream_ids(sent, stream):
    assert gr.stream_parse(sent) == stream


def test_it_refuses_an_absurdly_long_stream_id():
    with pytest.raises(gr.BadRequest):
        gr.stream_parse("feed/" + "x" * 5000)


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("1764028800", datetime(2025, 11, 25, tzinfo=UTC)),  # seconds (ot, nt)
        ("1764028800000", datetime(2025, 11, 25, tzinfo=UTC)),  # milliseconds
        ("1764028800000000", datetime(2025, 11, 25, tzinfo=UTC)),  # microseconds (ts)
        ("", None),
        ("yesterday", None),
        ("-5", None),
        ("9" * 19, None),  # out of range
    ],
)
def test_it_reads_times_in_seconds_milli_or_microseconds(sent, expected):
    assert gr.time_param(sent) == expected


@pytest.mark.parametrize(
    ("sent", "expected"), [("", 20), ("5", 5), ("200000", 1000), ("0", 1), ("ten", 20), ("1e9", 20)]
)
def test_it_bounds_the_page_size(sent, expected):
    assert gr.count_param(sent, default=20, cap=1000) == expected


def test_the_login_answer_is_key_value_lines_whose_values_hold_no_equals_sign():
    text = gr.login_text("alice/0123abcd")
    lines = text.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["SID", "LSID", "Auth"]
    assert all(line.count("=") == 1 for line in lines)
