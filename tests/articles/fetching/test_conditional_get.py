from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from articles.fetching import ACCEPT_FEED, ACCEPT_HTML, fetch, fetch_client


def test_it_returns_the_body_and_its_validators(publisher_server):
    result = fetch(publisher_server.url("/feeds/news.xml"))

    assert result.status == 200
    assert result.not_modified is False
    assert result.url == publisher_server.url("/feeds/news.xml")
    assert result.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert publisher_server.url("/pages/footbridge.html").encode() in result.content
    assert result.etag.startswith('"') and result.etag == result.headers["etag"]
    assert result.last_modified.endswith(" GMT")
    assert result.content_type == "application/rss+xml"
    assert result.permanent_redirect_url is None
    assert result.max_age == 300
    assert 0 < result.elapsed < 5


def test_it_skips_an_unchanged_feed_on_304(publisher_server):
    url = publisher_server.url("/feeds/news.xml")
    first = fetch(url)

    again = fetch(url, etag=first.etag, last_modified=first.last_modified)

    assert again.status == 304
    assert again.not_modified is True
    assert again.content == b""
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)
    sent = publisher_server.requests_for("/feeds/news.xml")[-1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == first.last_modified


def test_it_gets_a_304_from_last_modified_alone(publisher_server):
    first = fetch(publisher_server.url("/feeds/atom.xml"))

    again = fetch(publisher_server.url("/feeds/atom.xml"), last_modified=first.last_modified)

    assert again.not_modified
    assert "If-None-Match" not in publisher_server.requests[-1].headers


def test_it_keeps_the_sent_validators_when_a_304_carries_none(publisher_server):
    publisher_server.route("/bare-304", status=304)

    result = fetch(
        publisher_server.url("/bare-304"), etag='W/"v7"', last_modified="Mon, 02 Mar 2026 08:00:00 GMT"
    )

    assert result.not_modified
    assert result.etag == 'W/"v7"'
    assert result.last_modified == "Mon, 02 Mar 2026 08:00:00 GMT"


def test_it_fetches_the_new_version_when_the_etag_changed(publisher_server):
    publisher_server.route("/changing.xml", body=b"<rss>v2</rss>", headers={"ETag": '"v2"'})

    result = fetch(publisher_server.url("/changing.xml"), etag='"v1"')

    assert result.status == 200
    assert result.content == b"<rss>v2</rss>"
    assert result.etag == '"v2"'


def test_it_serves_scripted_answers_in_order(publisher_server):
    publisher_server.route("/flaky.xml", status=503, repeat=False)
    publisher_server.route("/flaky.xml", body=b"<rss/>", headers={"ETag": '"a"'})

    with pytest.raises(Exception, match="503"):
        fetch(publisher_server.url("/flaky.xml"))
    assert fetch(publisher_server.url("/flaky.xml")).content == b"<rss/>"
    assert fetch(publisher_server.url("/flaky.xml"), etag='"a"').not_modified


def test_it_sends_a_real_user_agent_and_feed_accept_headers(publisher_server, settings):
    settings.FETCH_USER_AGENT = "Newsreader/9.9 (+https://reader.example.org/about)"

    fetch(publisher_server.url("/feeds/news.xml"))

    sent = publisher_server.requests[-1]
    assert sent.method == "GET"
    assert sent.headers["User-Agent"] == "Newsreader/9.9 (+https://reader.example.org/about)"
    assert sent.headers["Accept"] == ACCEPT_FEED
    assert {"gzip", "deflate", "br"} <= {t.strip() for t in sent.headers["Accept-Encoding"].split(",")}
    assert "If-None-Match" not in sent.headers


def test_it_takes_accept_and_user_agent_by_keyword(publisher_server):
    fetch(publisher_server.url("/pages/footbridge.html"), accept=ACCEPT_HTML, user_agent="Reader-test/1.0")

    sent = publisher_server.requests[-1].headers
    assert sent["Accept"] == ACCEPT_HTML
    assert sent["User-Agent"] == "Reader-test/1.0"


def test_it_drops_a_stored_validator_that_would_inject_headers(publisher_server):
    result = fetch(publisher_server.url("/feeds/news.xml"), etag='"x"\r\nX-Injected: 1', last_modified="\x00")

    assert result.status == 200
    sent = publisher_server.requests[-1].headers
    assert "X-Injected" not in sent
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "identity"])
def test_it_decodes_compressed_bodies(publisher_server, encoding):
    plain = fetch(publisher_server.url("/feeds/news.xml?encoding=identity")).content

    result = fetch(publisher_server.url(f"/feeds/news.xml?encoding={encoding}"))

    assert result.content == plain
    assert result.headers.get("content-encoding", "identity") == encoding


def test_it_reports_the_lifetime_from_expires(publisher_server):
    date = "Mon, 02 Mar 2026 08:00:00 GMT"
    publisher_server.route(
        "/expires.xml", body=b"<rss/>", headers={"Date": date, "Expires": "Mon, 02 Mar 2026 08:20:00 GMT"}
    )
    publisher_server.route("/no-cache.xml", body=b"<rss/>", headers={"Cache-Control": "no-cache"})

    assert fetch(publisher_server.url("/expires.xml")).max_age == 20 * 60
    assert fetch(publisher_server.url("/no-cache.xml")).max_age == 0
    assert fetch(publisher_server.url("/status/200")).max_age is None


def test_it_reuses_one_connection_for_many_fetches_with_a_client(publisher_server):
    before = publisher_server.connections

    with fetch_client() as client:
        first = fetch(publisher_server.url("/feeds/news.xml"), client=client)
        fetch(publisher_server.url("/feeds/atom.xml"), client=client)
        fetch(publisher_server.url("/feeds/news.xml"), etag=first.etag, client=client)
        fetch(publisher_server.url("/redirect/301/2?to=/feeds/feed.json"), client=client)

    assert publisher_server.connections - before == 1
    assert len({r.client for r in publisher_server.requests}) == 1


def test_it_reads_defaults_from_settings_at_call_time(publisher_server, settings):
    settings.FETCH_MAX_BYTES = 1000

    with pytest.raises(Exception, match="1000 bytes limit"):
        fetch(publisher_server.url("/feeds/news.xml?encoding=identity"))
    assert fetch(publisher_server.url("/feeds/news.xml?encoding=identity"), max_bytes=100_000).status == 200


def test_it_sends_if_modified_since_as_stored(publisher_server):
    stamp = format_datetime(datetime(2030, 1, 1, tzinfo=UTC), usegmt=True)

    assert fetch(publisher_server.url("/feeds/news.xml"), last_modified=stamp).not_modified
    assert publisher_server.requests[-1].headers["If-Modified-Since"] == stamp
