"""OPML reading and writing: the shared corpus, the shipped catalogue sources, real-world quirks, hostile files."""

import html
import json
import os
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subscriptions.opml import (
    MAX_OPML_BYTES,
    MAX_OPML_FEEDS,
    OpmlDocument,
    OpmlError,
    OpmlFeed,
    export_opml,
    parse_opml,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("NEWSREADER_SHARED_DIR", REPO_ROOT.parent / "shared"))
CORPUS_DIR = SHARED_DIR / "corpus" / "opml"
CATALOGUE_DIR = SHARED_DIR / "catalogue"

CORPUS_CASES = [json.loads(line) for line in (CORPUS_DIR / "expected.jsonl").read_text().splitlines() if line]
CATALOGUE_FILES = sorted(CATALOGUE_DIR.glob("*.opml"))


def opml(body: str, head: str = "<head><title>Mine</title></head>") -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">{head}<body>{body}</body></opml>'.encode()


# --- The shared corpus and the catalogue sources -------------------------------------------------------------


@pytest.mark.parametrize("case", CORPUS_CASES, ids=[c["file"] for c in CORPUS_CASES])
def test_it_reads_every_corpus_file_as_expected(case):
    document = parse_opml((CORPUS_DIR / case["file"]).read_bytes())

    assert len(document.feeds) == case["feed_count"]
    # expected.jsonl keeps the raw attribute text, where "&amp;" is still escaped.
    assert [f.xml_url for f in document.feeds] == [html.unescape(u) for u in case["feed_urls"]]
    assert document.folders == case["category_folders"]
    assert document.repaired is not case["xml_wellformed_strict"]


def test_it_covers_the_whole_corpus():
    assert len(CORPUS_CASES) == len(list(CORPUS_DIR.glob("*.opml"))) == 9


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=[p.name for p in CATALOGUE_FILES])
def test_it_reads_every_catalogue_file(path):
    document = parse_opml(path.read_bytes())

    assert len(document.feeds) == path.read_bytes().count(b"xmlUrl=")
    assert len(document.folders) == 1
    # Two sources have an empty title (globalnews.ca, eluniversal.com.mx); every other feed has one.
    assert sum(not f.title for f in document.feeds) <= 1
    assert all(f.xml_url.startswith(("http://", "https://")) for f in document.feeds)


def test_it_finds_every_distinct_feed_of_the_catalogue_sources():
    urls = {f.xml_url for path in CATALOGUE_FILES for f in parse_opml(path.read_bytes()).feeds}

    assert len(CATALOGUE_FILES) == 59
    assert len(urls) == 781


def test_it_keeps_raw_quotes_and_markup_inside_a_broken_description():
    document = parse_opml(
        (CATALOGUE_DIR / "recommended__with_category__Android_Development.opml").read_bytes()
    )

    saket = next(f for f in document.feeds if f.title == "Saket Narayan")
    assert saket.xml_url == "https://saket.me/feed/"
    assert '<a href="https://square.com/">Square</a>' in saket.description


def test_it_keeps_raw_quotes_inside_a_broken_title():
    document = parse_opml((CATALOGUE_DIR / "countries__with_category__Russia.opml").read_bytes())

    titles = {f.title for f in document.feeds}
    assert 'Газета "Коммерсантъ". Главное' in titles


# --- Real-world quirks -------------------------------------------------------------------------------------


def test_it_reads_a_strict_file_without_repair():
    document = parse_opml(
        opml('<outline text="A" title="Alpha" type="rss" xmlUrl="https://a.example/feed"/>')
    )

    assert document == OpmlDocument(
        title="Mine", feeds=[OpmlFeed(title="Alpha", xml_url="https://a.example/feed")], repaired=False
    )


def test_it_repairs_bare_ampersands_in_titles_and_urls():
    document = parse_opml(opml('<outline text="Tom & Jerry" xmlUrl="https://a.example/rss?a=1&b=2&not=3"/>'))

    assert document.feeds == [OpmlFeed(title="Tom & Jerry", xml_url="https://a.example/rss?a=1&b=2&not=3")]
    assert document.repaired


def test_it_decodes_html_entities_that_xml_does_not_define():
    document = parse_opml(
        opml('<outline text="Caf&eacute; &amp; Cr&egrave;me" xmlUrl="https://a.example/f"/>')
    )

    assert document.feeds[0].title == "Café & Crème"


def test_it_drops_references_to_characters_xml_forbids():
    document = parse_opml(opml('<outline text="bell&#7;s" xmlUrl="https://a.example/f"/>'))

    assert document.feeds[0].title == "bells"


@pytest.mark.parametrize(
    "outline",
    [
        '<outline text="F" xmlUrl="https://a.example/f"/>',
        '<outline text="F" xmlurl="https://a.example/f"/>',
        '<outline text="F" XMLURL="https://a.example/f"/>',
        '<outline text="F" url="https://a.example/f"/>',
        '<outline text="F" type="atom" url="https://a.example/f"/>',
        '<outline text="F" type="rss" xmlUrl="  https://a.example/f  "/>',
    ],
)
def test_it_accepts_the_usual_spellings_of_the_feed_address(outline):
    document = parse_opml(opml(outline))

    assert document.feeds == [OpmlFeed(title="F", xml_url="https://a.example/f")]


def test_it_prefers_title_to_text_and_reads_site_and_description():
    document = parse_opml(
        opml(
            '<outline text="short" title="Long  title\n here" htmlUrl="https://a.example/"'
            ' description=" About   it " xmlUrl="https://a.example/f"/>'
        )
    )

    assert document.feeds == [
        OpmlFeed(
            title="Long title here",
            xml_url="https://a.example/f",
            html_url="https://a.example/",
            description="About it",
        )
    ]


def test_it_flattens_nested_folders_outermost_first():
    document = parse_opml(
        opml(
            '<outline text="News"><outline title="World">'
            '<outline text="W" xmlUrl="https://w.example/f"/></outline>'
            '<outline text="N" xmlUrl="https://n.example/f"/></outline>'
            '<outline text="Loose" xmlUrl="https://l.example/f"/>'
        )
    )

    assert [(f.title, f.folder) for f in document.feeds] == [
        ("W", "News / World"),
        ("N", "News"),
        ("Loose", ""),
    ]
    assert document.folders == ["News / World", "News"]


def test_it_uses_the_category_attribute_outside_folders():
    document = parse_opml(
        opml(
            '<outline text="A" category="/Tech/Android,/News" xmlUrl="https://a.example/f"/>'
            '<outline text="B" category="Science" xmlUrl="https://b.example/f"/>'
            '<outline text="Folder"><outline text="C" category="/Else" xmlUrl="https://c.example/f"/></outline>'
        )
    )

    assert [f.folder for f in document.feeds] == ["Tech / Android", "Science", "Folder"]


def test_it_skips_outlines_that_are_not_http_feeds():
    document = parse_opml(
        opml(
            '<outline text="ok" xmlUrl="http://ok.example/f"/>'
            '<outline text="js" xmlUrl="javascript:alert(1)"/>'
            '<outline text="file" xmlUrl="file:///etc/passwd"/>'
            '<outline text="ftp" xmlUrl="ftp://ftp.example/f"/>'
            '<outline text="feed" xmlUrl="feed://a.example/f"/>'
            '<outline text="nohost" xmlUrl="http:///f"/>'
            '<outline text="spaces" xmlUrl="http://a.example/a b"/>'
            '<outline text="link" type="link" url="https://a.example/page"/>'
            '<outline text="include" type="include" url="https://a.example/more.opml"/>'
            '<outline text="empty folder"/>'
        )
    )

    assert [f.xml_url for f in document.feeds] == ["http://ok.example/f"]
    assert document.skipped == 6


def test_it_keeps_the_first_of_duplicate_urls():
    document = parse_opml(
        opml(
            '<outline text="One" xmlUrl="https://a.example/f"/>'
            '<outline text="X"><outline text="Two" xmlUrl="https://a.example/f"/></outline>'
        )
    )

    assert document.feeds == [OpmlFeed(title="One", xml_url="https://a.example/f")]
    assert document.duplicates == 1


def test_it_reads_other_encodings():
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><opml><body><outline text="Caf\xe9 & co" xmlUrl="https://a.example/f"/></body></opml>'
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><opml><body><outline text="Café" xmlUrl="https://a.example/f"/></body></opml>'

    assert parse_opml(latin.encode("latin-1")).feeds[0].title == "Café & co"
    assert parse_opml(utf16.encode("utf-16")).feeds[0].title == "Café"


def test_it_reads_a_file_without_head_or_body():
    document = parse_opml(b'<opml><outline text="A" xmlUrl="https://a.example/f"/></opml>')

    assert document.title == ""
    assert [f.xml_url for f in document.feeds] == ["https://a.example/f"]


# --- Hostile and wrong files -------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><head><title>&lol9;</title></head>
<body><outline text="&lol9;" xmlUrl="https://a.example/f"/></body></opml>"""


def xxe(system_id: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY xxe SYSTEM "{system_id}">]>'
        '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/f"/></body></opml>'
    ).encode()


@pytest.fixture
def listening_socket():
    """A port where a fetch would land: the test checks that nobody ever connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def assert_nobody_connected(sock):
    with pytest.raises(BlockingIOError):
        sock.accept()


def test_it_refuses_a_billion_laughs_quickly():
    started = time.perf_counter()
    with pytest.raises(OpmlError, match="entities"):
        parse_opml(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1


def test_it_refuses_an_external_entity_to_a_local_file():
    with pytest.raises(OpmlError, match="not accepted") as error:
        parse_opml(xxe("file:///etc/passwd"))
    assert "root:" not in str(error.value)


def test_it_refuses_an_external_entity_over_http_without_connecting(listening_socket):
    port = listening_socket.getsockname()[1]

    with pytest.raises(OpmlError, match="not accepted"):
        parse_opml(xxe(f"http://127.0.0.1:{port}/secret"))
    assert_nobody_connected(listening_socket)


def test_it_refuses_an_external_dtd_and_parameter_entities_without_connecting(listening_socket):
    port = listening_socket.getsockname()[1]
    external_dtd = f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:{port}/x.dtd"><opml/>'
    parameter = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p">%p;]>'
        '<opml><body><outline xmlUrl="https://a.example/f"/></body></opml>'
    )

    for document in (external_dtd, parameter):
        with pytest.raises(OpmlError, match="not accepted"):
            parse_opml(document.encode())
    assert_nobody_connected(listening_socket)


def test_it_refuses_a_doctype_hidden_after_the_root_element():
    # Not well-formed, so the repair path runs: it must not let the entity through either.
    hidden = b'<opml><body><outline text="&x;" xmlUrl="https://a.example/f"/></body></opml><!DOCTYPE a [<!ENTITY x "y">]>'

    with pytest.raises(OpmlError, match="not accepted"):
        parse_opml(hidden)


def test_it_refuses_a_file_over_the_size_cap():
    padding = b"<!-- " + b"x" * (6 * 1024 * 1024) + b" -->"
    too_large = opml('<outline text="A" xmlUrl="https://a.example/f"/>').replace(
        b"<body>", b"<body>" + padding
    )

    assert len(too_large) > MAX_OPML_BYTES
    with pytest.raises(OpmlError, match="too large"):
        parse_opml(too_large)


def test_it_refuses_more_feeds_than_the_cap():
    outlines = "".join(f'<outline xmlUrl="https://a.example/{n}"/>' for n in range(MAX_OPML_FEEDS + 1))

    with pytest.raises(OpmlError, match="more than 5,000 feeds"):
        parse_opml(opml(outlines))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (bytes(range(256)) * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "binary"),
        (b"just some words, no markup at all", "not XML"),
        (b"<!DOCTYPE html><html><head><title>Hi</title></head><body><p>A page</p></body></html>", "web page"),
        (b"<html><body><a href='https://a.example/feed'>feed</a></body></html>", "web page"),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            b"<item><link>https://a.example/1</link></item></channel></rss>",
            "a feed, not an OPML",
        ),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title></feed>', "a feed"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "root element is <svg>"),
        (opml(""), "No feeds"),
        (
            opml(
                '<outline text="Only a folder"><outline text="and a link" type="link" url="https://x.example"/></outline>'
            ),
            "No feeds",
        ),
        (opml('<outline text="bad" xmlUrl="javascript:alert(1)"/>'), "No feeds"),
        (b"<opml><body><outline text='unclosed' xmlUrl='https://a.example/f'>", "could not be repaired"),
    ],
    ids=[
        "empty",
        "whitespace",
        "binary",
        "png",
        "plain-text",
        "html-page",
        "html-no-doctype",
        "rss-feed",
        "atom-feed",
        "other-xml",
        "no-outlines",
        "no-feed-outlines",
        "only-unsafe-urls",
        "truncated",
    ],
)
def test_it_refuses_what_is_not_an_importable_opml_file(data, message):
    with pytest.raises(OpmlError, match=message):
        parse_opml(data)


def test_it_survives_very_deep_nesting():
    depth = 100_000
    nested = (
        "<outline text='f'>" * depth
        + '<outline text="deep" xmlUrl="https://a.example/f"/>'
        + "</outline>" * depth
    )

    started = time.perf_counter()
    document = parse_opml(opml(nested))
    assert time.perf_counter() - started < 10
    assert document.feeds[0].title == "deep"
    assert len(document.feeds[0].folder) <= 100


@pytest.mark.parametrize(
    "attack",
    [
        '<outline text="' + '" ' * 200_000 + '" xmlUrl="https://a.example/f"/>',
        '<outline text="a' + '"' + " " * 500_000 + 'x="' * 50_000 + '" xmlUrl="https://a.example/f"/>',
        '<outline text="&' + "&x" * 300_000 + '" xmlUrl="https://a.example/f"/>',
        "<outline " * 200_000 + ' xmlUrl="https://a.example/f"/>',
    ],
    ids=["many-quotes", "long-whitespace", "many-ampersands", "many-open-tags"],
)
def test_it_repairs_or_refuses_pathological_files_in_bounded_time(attack):
    started = time.perf_counter()
    try:
        parse_opml(opml(attack))
    except OpmlError:
        pass
    assert time.perf_counter() - started < 10


# --- Writing -----------------------------------------------------------------------------------------------


def test_it_exports_opml_2_with_folders_and_escaping():
    feeds = [
        OpmlFeed(
            title='Tom & "Jerry" <3', xml_url="https://a.example/f?a=1&b=2", html_url="https://a.example/"
        ),
        OpmlFeed(
            title="In a folder", xml_url="https://b.example/f", folder="UI / UX", description="line\nbreak"
        ),
    ]

    data = export_opml("My feeds & more", feeds)

    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in data
    assert b"<title>My feeds &amp; more</title>" in data
    assert b'xmlUrl="https://a.example/f?a=1&amp;b=2"' in data
    assert b'text="Tom &amp; &quot;Jerry&quot; &lt;3"' in data
    assert b'<outline text="UI / UX" title="UI / UX">' in data
    document = parse_opml(data)
    assert document.title == "My feeds & more"
    assert document.repaired is False
    assert document.feeds == [feeds[0], OpmlFeed(**{**feeds[1].__dict__, "description": "line break"})]


def test_it_drops_characters_xml_cannot_carry_when_exporting():
    data = export_opml("t\x00", [OpmlFeed(title="a\x01b\ufffe", xml_url="https://a.example/f")])

    assert parse_opml(data).feeds[0].title == "ab"


@pytest.mark.parametrize("path", CATALOGUE_FILES[:: len(CATALOGUE_FILES) // 8], ids=lambda p: p.name)
def test_it_round_trips_catalogue_files(path):
    document = parse_opml(path.read_bytes())

    again = parse_opml(export_opml(document.title, document.feeds))

    assert again.feeds == document.feeds
    assert again.title == document.title
    assert not again.repaired


def normalized_text(max_size):
    alphabet = st.characters(blacklist_categories=("Cs", "Cc", "Cn"))
    return st.text(alphabet, max_size=max_size).map(lambda s: " ".join(s.split()))


urls = st.builds(
    "{}://{}.example/{}?q={}&r={}".format,
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._~%-]{0,30}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9<>\"'&;=]{0,10}", fullmatch=True).map(lambda s: s.replace('"', "")),
    st.integers(0, 10**6),
)
feeds = st.builds(
    OpmlFeed,
    title=normalized_text(300),
    xml_url=urls,
    html_url=st.one_of(st.just(""), urls),
    folder=normalized_text(100),
    description=normalized_text(1000),
)


@settings(max_examples=150, deadline=None)
@given(
    title=normalized_text(300),
    feed_list=st.lists(feeds, min_size=1, max_size=15, unique_by=lambda f: f.xml_url),
)
def test_it_round_trips_any_feed_list(title, feed_list):
    document = parse_opml(export_opml(title, feed_list))

    assert document.title == title
    assert sorted(document.feeds, key=lambda f: f.xml_url) == sorted(feed_list, key=lambda f: f.xml_url)
    assert document.repaired is False


@pytest.mark.parametrize("encoding", ["rot13", "zlib", "hex", "utf-7", "x-nonexistent", "utf-32", "cp1252"])
def test_it_survives_a_bogus_declared_encoding(encoding):
    data = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<opml><body><outline text="Cafe" xmlUrl="https://a.example/f"/></body></opml>'
    ).encode()

    assert parse_opml(data).feeds == [OpmlFeed(title="Cafe", xml_url="https://a.example/f")]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000))
def test_it_never_fails_otherwise_than_with_opml_error_on_any_bytes(data):
    try:
        parse_opml(data)
    except OpmlError:
        pass


SAMPLE = (CORPUS_DIR / "recommended__with_category__Tech.opml").read_bytes()


@settings(max_examples=300, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SAMPLE)), st.integers(0, 40), st.binary(max_size=12)),
        min_size=1,
        max_size=6,
    )
)
def test_it_never_fails_otherwise_than_with_opml_error_on_damaged_files(edits):
    data = SAMPLE
    for position, removed, inserted in edits:
        data = data[:position] + inserted + data[position + removed :]
    try:
        document = parse_opml(data)
    except OpmlError:
        return
    assert all(f.xml_url.startswith(("http://", "https://")) for f in document.feeds)
