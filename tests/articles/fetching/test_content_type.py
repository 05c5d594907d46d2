import pytest

from articles.fetching import fetch
from articles.fetching.result import parse_content_type


def test_it_passes_an_unknown_charset_through(publisher_server):
    result = fetch(publisher_server.url("/charset/x-martian-7"))

    assert result.content_type == "application/rss+xml"
    assert result.encoding == "x-martian-7"
    assert "Café crème".encode() in result.content


def test_it_passes_a_wrong_charset_through_with_the_bytes_untouched(publisher_server):
    result = fetch(publisher_server.url("/charset/us-ascii"))

    assert result.encoding == "us-ascii"
    assert "Naïve résumé".encode() in result.content


def test_it_keeps_the_bytes_of_a_latin1_feed(publisher_server):
    result = fetch(publisher_server.url("/feeds/latin1.xml"))

    assert result.encoding is None
    assert "Rivière".encode("iso-8859-1") in result.content
    assert b'encoding="iso-8859-1"' in result.content


def test_it_serves_the_corpus_with_its_simulated_headers(publisher_server):
    result = fetch(
        publisher_server.url("/corpus/feeds/fp-encoding-http_application_atom_xml_gb2312_charset.xml")
    )

    assert result.content_type == "application/atom+xml"
    assert result.encoding == "gb2312"


def test_it_serves_corpus_article_pages(publisher_server):
    corpus_id = next(iter(publisher_server.corpus.articles()))

    result = fetch(publisher_server.url(f"/corpus/articles/{corpus_id}.html"))

    assert result.content_type == "text/html"
    assert result.encoding == "utf-8"
    assert result.content == (publisher_server.corpus.articles_dir / f"{corpus_id}.html").read_bytes()


@pytest.mark.parametrize(
    "header, expected",
    [
        ("application/rss+xml", ("application/rss+xml", None)),
        ("Text/XML; Charset=ISO-8859-1", ("text/xml", "ISO-8859-1")),
        ('application/atom+xml; type=feed; charset="utf-8"', ("application/atom+xml", "utf-8")),
        ("application/atom+xml;charset='gb2312'", ("application/atom+xml", "gb2312")),
        ("text/xml;", ("text/xml", None)),
        ("text/html; charset=", ("text/html", None)),
        ("", ("", None)),
        (";;;charset=x", ("", "x")),
    ],
)
def test_it_reads_the_media_type_and_charset(header, expected):
    assert parse_content_type(header) == expected
