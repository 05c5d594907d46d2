"""The simulated publishers themselves: other tests lean on them, so they get tests of their own."""

import gzip
import http.client
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import brotli
import httpx
import pytest

from tests.publisher_content import bomb_body

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def web():
    with httpx.Client(timeout=10) as client:
        yield client


def test_it_builds_a_publisher_site_from_corpus_articles(publisher_server, web):
    site = publisher_server.site("test-gazette", n_items=4)

    feed = web.get(site.feed_url)

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "application/rss+xml"
    assert len(site.articles) == 4
    for article_url, corpus_id in site.articles:
        assert f"<link>{article_url}</link>" in feed.text
        page = web.get(article_url)
        assert page.status_code == 200
        assert page.content == (publisher_server.corpus.articles_dir / f"{corpus_id}.html").read_bytes()
        assert publisher_server.corpus_expected(corpus_id)["text"]


def test_it_gives_a_site_the_same_articles_every_time(publisher_server):
    assert (
        publisher_server.site("steady-news", 3).articles == publisher_server.site("steady-news", 3).articles
    )
    assert publisher_server.site("steady-news", 3).articles != publisher_server.site("other-news", 3).articles


@pytest.mark.parametrize("kind, marker", [("atom", b"<feed"), ("json", b"jsonfeed.org/version/1.1")])
def test_it_offers_atom_and_json_feeds(publisher_server, web, kind, marker):
    site = publisher_server.site("format-times", n_items=2, format=kind)

    body = web.get(site.feed_url).content

    assert marker in body
    assert all(url.encode() in body for url, _ in site.articles)
    if kind == "json":
        assert [item["url"] for item in json.loads(body)["items"]] == [url for url, _ in site.articles]


def test_it_links_a_site_home_page_to_its_feeds(publisher_server, web):
    publisher_server.site("home-herald")

    page = web.get(publisher_server.url("/sites/home-herald/")).text

    assert 'rel="alternate" type="application/rss+xml"' in page
    assert 'href="feed.xml"' in page and 'href="atom.xml"' in page


def test_it_points_the_fixture_feeds_back_at_itself(publisher_server, web):
    body = web.get(publisher_server.url("/feeds/news.xml")).text

    assert "%%BASE_URL%%" not in body
    page = web.get(publisher_server.url("/pages/footbridge.html"))
    assert page.status_code == 200 and publisher_server.url("/pages/footbridge.html") in body


def test_it_answers_conditional_requests_with_304(publisher_server, web):
    first = web.get(publisher_server.url("/feeds/atom.xml"))

    by_etag = web.get(
        publisher_server.url("/feeds/atom.xml"), headers={"If-None-Match": first.headers["etag"]}
    )
    by_date = web.get(
        publisher_server.url("/feeds/atom.xml"), headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    other = web.get(publisher_server.url("/feeds/atom.xml"), headers={"If-None-Match": '"nope"'})

    assert (by_etag.status_code, by_date.status_code, other.status_code) == (304, 304, 200)
    assert by_etag.content == b""


def test_it_serves_scripted_routes_once_or_always(publisher_server, web):
    publisher_server.route("/scripted", status=500, repeat=False)
    publisher_server.route("/scripted", body="ok", headers={"X-Test": "yes"})

    statuses = [web.get(publisher_server.url("/scripted")).status_code for _ in range(3)]

    assert statuses == [500, 200, 200]
    assert web.get(publisher_server.url("/scripted")).headers["x-test"] == "yes"


def test_it_delays_scripted_routes(publisher_server, web):
    publisher_server.route("/late", body=b"abc", delay=0.3, chunk_delay=0.1)
    started = time.monotonic()

    assert web.get(publisher_server.url("/late")).content == b"abc"
    assert time.monotonic() - started >= 0.5


def test_it_starts_each_test_with_an_empty_log(publisher_server):
    assert publisher_server.requests == []


def test_it_logs_what_was_sent(publisher_server, web):
    web.head(publisher_server.url("/feeds/news.xml?x=1"), headers={"X-Probe": "42"})

    (request,) = publisher_server.requests
    assert (request.method, request.path, request.query, request.target) == (
        "HEAD",
        "/feeds/news.xml",
        "x=1",
        "/feeds/news.xml?x=1",
    )
    assert request.headers["x-probe"] == request.headers["X-PROBE"] == "42"
    assert request.client[0] == "127.0.0.1"


def test_it_builds_redirect_chains(publisher_server, web):
    response = web.get(
        publisher_server.url("/redirect/301,302,308?to=/feeds/feed.json"), follow_redirects=True
    )

    assert [r.status_code for r in response.history] == [301, 302, 308]
    assert response.url.path == "/feeds/feed.json"


def test_it_serves_statuses_with_extra_headers(publisher_server, web):
    response = web.get(publisher_server.url("/status/429?header=Retry-After:30&header=X-Why:busy"))

    assert response.status_code == 429
    assert (response.headers["retry-after"], response.headers["x-why"]) == ("30", "busy")


def test_it_streams_a_huge_body_of_the_exact_size(publisher_server, web):
    with web.stream("GET", publisher_server.url("/huge?bytes=3000001&chunked=1")) as response:
        assert sum(len(chunk) for chunk in response.iter_raw()) == 3_000_001


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_it_builds_valid_bombs(encoding):
    size = 3 * (1 << 20) + 5
    body = bomb_body(encoding, size)

    data = {"gzip": gzip.decompress, "deflate": zlib.decompress, "br": brotli.decompress}[encoding](body)

    assert data == bytes(size)
    assert len(body) < size / 100


def test_it_keeps_requests_inside_its_folders(publisher_server):
    connection = http.client.HTTPConnection("127.0.0.1", publisher_server.port, timeout=5)
    try:
        for path in [
            "/../../../etc/passwd",
            "/corpus/articles/../../../../etc/passwd",
            "/%2e%2e/conftest.py",
        ]:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            assert response.status == 404, path
    finally:
        connection.close()


def test_it_runs_outside_pytest(tmp_path):
    manifest = tmp_path / "sites.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.publisher_server",
            "--port",
            "0",
            "--sites",
            "3",
            "--manifest",
            str(manifest),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith("Simulated publishers at http://127.0.0.1:")
        sites = json.loads(manifest.read_text())["sites"]
        assert [s["name"] for s in sites] == ["daily-planet", "gotham-gazette", "metropolis-ledger"]
        with httpx.Client(timeout=10) as client:
            feed = client.get(sites[0]["feed_url"])
            page = client.get(sites[0]["articles"][0]["url"])
        assert feed.status_code == 200 and b"<rss" in feed.content
        assert page.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
