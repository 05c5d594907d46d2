"""The publisher simulator's content and HTTP answers, without a socket: what a client sees must be a pure
function of the seed, and conditional requests must behave as a real publisher's do."""

import feedparser
import pytest

from bench.simulator import CorpusMissingError, Mix, PublisherSet, Simulator

BASE = "http://127.0.0.1:9"


def _sim(**mix) -> Simulator:
    sim = Simulator(PublisherSet(n_feeds=500, seed=7, mix=Mix(**mix)))
    sim.base_url = BASE
    return sim


def test_it_serves_the_same_bytes_for_the_same_seed():
    a, b = _sim(), _sim()
    assert a.answer("GET", "/x/feeds/3.xml", {}).body == b.answer("GET", "/x/feeds/3.xml", {}).body


def test_it_serves_parseable_feeds_of_ten_stories_with_about_two_kilobytes_each():
    sim = _sim(atom_share=0.5)
    sizes = []
    for i in range(20):
        answer = sim.answer("GET", f"/x/feeds/{i}.xml", {})
        parsed = feedparser.parse(answer.body)
        assert answer.status == 200 and not parsed.bozo
        assert len(parsed.entries) == 10
        sizes.append(len(answer.body) / 10)
    assert 1500 < sum(sizes) / len(sizes) < 3500


def test_it_answers_304_to_the_current_etag_or_last_modified():
    sim = _sim()
    first = sim.answer("GET", "/x/feeds/1.xml", {})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert sim.answer("GET", "/x/feeds/1.xml", {"if-none-match": etag}).status == 304
    assert sim.answer("GET", "/x/feeds/1.xml", {"if-modified-since": modified}).status == 304
    assert sim.answer("GET", "/x/feeds/1.xml", {"if-none-match": '"other"'}).status == 200


def test_it_publishes_news_in_the_configured_share_of_feeds_at_each_epoch():
    sim = _sim(new_share=0.2)
    etags = {i: sim.answer("GET", f"/x/feeds/{i}.xml", {}).headers["ETag"] for i in range(500)}
    sim.answer("GET", "/_sim/advance?space=x", {})
    changed = [
        i
        for i in range(500)
        if sim.answer("GET", f"/x/feeds/{i}.xml", {"if-none-match": etags[i]}).status == 200
    ]
    assert 70 <= len(changed) <= 130
    # Other spaces keep their own epoch.
    assert sim.answer("GET", f"/y/feeds/{changed[0]}.xml", {"if-none-match": etags[changed[0]]}).status == 304
    fresh = feedparser.parse(sim.answer("GET", f"/x/feeds/{changed[0]}.xml", {}).body)
    assert {e.link for e in fresh.entries}.isdisjoint(
        {
            e.link
            for e in feedparser.parse(_sim().answer("GET", f"/x/feeds/{changed[0]}.xml", {}).body).entries
        }
    )


def test_it_redirects_and_fails_in_the_configured_shares():
    sim = _sim(error_share=0.1, redirect_share=0.1)
    statuses = [sim.answer("GET", f"/x/feeds/{i}.xml", {}).status for i in range(500)]
    redirects = [i for i, s in enumerate(statuses) if s == 301]
    errors = [s for s in statuses if s >= 400]
    assert 25 <= len(redirects) <= 75 and 25 <= len(errors) <= 75
    moved = sim.answer("GET", f"/x/feeds/{redirects[0]}.xml", {})
    assert moved.headers["Location"] == f"{BASE}/x/moved/{redirects[0]}.xml"
    assert sim.answer("GET", f"/x/moved/{redirects[0]}.xml", {}).status == 200


def test_it_serves_real_article_pages_for_the_stories():
    sim = _sim()
    parsed = feedparser.parse(sim.answer("GET", "/x/feeds/0.xml", {}).body)
    path = parsed.entries[0].link.removeprefix(BASE)
    page = sim.answer("GET", path, {})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert len(page.body) > 5000


def test_it_delays_slow_answers_and_refuses_what_it_does_not_serve():
    sim = _sim(latency_ms=200, slow_share=1.0)
    assert sim.answer("GET", "/x/feeds/0.xml", {}).delay == 0.2
    assert sim.answer("POST", "/x/feeds/0.xml", {}).status == 405
    assert sim.answer("GET", "/x/feeds/999999.xml", {}).status == 404
    assert sim.answer("GET", "/../../etc/passwd", {}).status == 404


def test_it_refuses_to_run_without_the_corpus(tmp_path):
    with pytest.raises(CorpusMissingError, match="NEWSREADER_SHARED_DIR"):
        PublisherSet(n_feeds=3, articles_dir=tmp_path / "corpus" / "articles")
