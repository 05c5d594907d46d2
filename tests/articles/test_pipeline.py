"""The whole ingestion pipeline in-process, against simulated publishers on loopback."""

import re
from collections import Counter
from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import pipeline
from articles.models import Article, Feed
from articles.services import feed_get_or_create
from tests.factories import FeedFactory

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Route feed</title><link>{base}/</link>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{base}/story/{n}</link><guid>story-{n}</guid>
<pubDate>Tue, 24 Nov 2026 10:0{n}:00 GMT</pubDate><description>&lt;p&gt;{body}&lt;/p&gt;</description></item>"""


def rss(base, titles, body="Feed text of the story."):
    items = "\n".join(ITEM.format(title=t, base=base, n=n, body=body) for n, t in enumerate(titles))
    return RSS.format(base=base, items=items).encode()


def tokens(text):
    return Counter(re.findall(r"\w+", text.lower()))


def f1(pred, expected):
    p, e = tokens(pred), tokens(expected)
    tp = sum((p & e).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(p.values()), tp / sum(e.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture
def site_feed(publisher_server, db):
    site = publisher_server.site("daily-planet", n_items=4)
    feed, _ = feed_get_or_create(url=site.feed_url)
    return site, feed


def test_it_stores_a_publishers_stories_with_their_full_text(site_feed, publisher_server):
    site, feed = site_feed

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    assert outcome.status == "fetched"
    assert outcome.new == 4
    assert Article.objects.filter(feed=feed, extraction_status="pending").count() == 4
    for article_id in outcome.new_article_ids:
        assert pipeline.article_extract(article_id=article_id) == "extracted"
    for article_url, corpus_id in site.articles:
        article = Article.objects.get(url=article_url)
        expected = publisher_server.corpus_expected(corpus_id)["text"]
        assert f1(article.text, expected) > 0.8, article_url
        assert article.word_count > 50
        assert article.reading_time >= 1
        assert "<script" not in article.content_html
    feed.refresh_from_db()
    assert feed.last_status == 200 and feed.error_count == 0 and feed.lease_until is None
    assert feed.etag and feed.next_check_at > timezone.now()


def test_it_gets_304_the_second_time_and_stores_nothing_twice(site_feed, publisher_server):
    _, feed = site_feed
    pipeline.feed_refresh(feed_id=feed.id)
    Feed.objects.filter(id=feed.id).update(next_check_at=timezone.now())

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    assert outcome.status == "not_modified"
    assert publisher_server.requests[-1].headers["If-None-Match"]
    assert Article.objects.filter(feed=feed).count() == 4


def test_it_stores_nothing_twice_when_the_feed_answers_200_again(site_feed):
    _, feed = site_feed
    pipeline.feed_refresh(feed_id=feed.id)
    Feed.objects.filter(id=feed.id).update(etag="", last_modified="")

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    assert (outcome.status, outcome.new, outcome.updated) == ("fetched", 0, 0)
    assert Article.objects.filter(feed=feed).count() == 4


def test_it_updates_a_changed_story_and_leaves_the_others(publisher_server, db):
    base = publisher_server.base_url
    publisher_server.route("/changing.xml", body=rss(base, ["One", "Two"]), repeat=False)
    publisher_server.route("/changing.xml", body=rss(base, ["One", "Two, corrected"]), repeat=False)
    feed, _ = feed_get_or_create(url=publisher_server.url("/changing.xml"))
    pipeline.feed_refresh(feed_id=feed.id)
    untouched = Article.objects.get(guid="story-0").updated_at

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    assert (outcome.new, outcome.updated) == (0, 1)
    assert Article.objects.get(guid="story-1").title == "Two, corrected"
    assert Article.objects.get(guid="story-0").updated_at == untouched


def test_it_records_a_server_error_keeps_the_stories_and_backs_off(publisher_server, db):
    base = publisher_server.base_url
    publisher_server.route("/flaky.xml", body=rss(base, ["Kept"]), repeat=False)
    publisher_server.route("/flaky.xml", status=500, body=b"oops")
    feed, _ = feed_get_or_create(url=publisher_server.url("/flaky.xml"))
    pipeline.feed_refresh(feed_id=feed.id)

    first = pipeline.feed_refresh(feed_id=feed.id)
    feed.refresh_from_db()
    first_wait = feed.next_check_at - timezone.now()
    pipeline.feed_refresh(feed_id=feed.id)
    feed.refresh_from_db()

    assert first.status == "failed" and "500" in first.error
    assert feed.error_count == 2 and feed.last_status == 500 and not feed.disabled
    assert feed.next_check_at - timezone.now() > first_wait
    assert Article.objects.filter(feed=feed, title="Kept").exists()


def test_it_honours_retry_after_on_429(publisher_server, db):
    publisher_server.route("/busy.xml", status=429, headers={"Retry-After": "7200"})
    feed, _ = feed_get_or_create(url=publisher_server.url("/busy.xml"))

    pipeline.feed_refresh(feed_id=feed.id)

    feed.refresh_from_db()
    assert feed.next_check_at - timezone.now() > timedelta(seconds=7100)


def test_it_disables_a_feed_that_is_gone(publisher_server, db):
    feed, _ = feed_get_or_create(url=publisher_server.url("/status/410"))

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    feed.refresh_from_db()
    assert outcome.status == "failed"
    assert feed.disabled and "410" in feed.disabled_reason
    assert feed.id not in pipeline.feeds_claim_due(limit=10, now=timezone.now() + timedelta(days=30))


def test_it_disables_a_feed_after_too_many_errors(publisher_server, db, settings):
    settings.FEED_MAX_ERRORS = 3
    feed, _ = feed_get_or_create(url=publisher_server.url("/status/404"))
    for _ in range(3):
        pipeline.feed_refresh(feed_id=feed.id)
    feed.refresh_from_db()
    assert feed.disabled and "3 failed checks" in feed.disabled_reason


def test_it_records_a_page_that_is_not_a_feed(publisher_server, db):
    publisher_server.route(
        "/not-a-feed", body=b"<html><body>Hello</body></html>", headers={"Content-Type": "text/html"}
    )
    feed, _ = feed_get_or_create(url=publisher_server.url("/not-a-feed"))

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    feed.refresh_from_db()
    assert outcome.status == "failed" and feed.error_count == 1 and feed.last_error


def test_it_follows_a_permanent_redirect_by_updating_the_feed_url(publisher_server, db):
    feed, _ = feed_get_or_create(url=publisher_server.url("/redirect/301/2?to=/feeds/news.xml"))

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    feed.refresh_from_db()
    assert outcome.status == "fetched"
    assert feed.url == publisher_server.url("/feeds/news.xml")


def test_it_keeps_the_url_after_a_temporary_redirect(publisher_server, db):
    url = publisher_server.url("/redirect/302/1?to=/feeds/news.xml")
    feed, _ = feed_get_or_create(url=url)
    pipeline.feed_refresh(feed_id=feed.id)
    feed.refresh_from_db()
    assert feed.url == url


def test_it_refuses_a_redirect_to_a_private_address_when_not_allowed(publisher_server, db, settings):
    feed, _ = feed_get_or_create(url=publisher_server.url("/feeds/news.xml"))
    settings.FETCH_ALLOW_PRIVATE = False

    outcome = pipeline.feed_refresh(feed_id=feed.id)

    assert outcome.status == "failed"
    assert Article.objects.count() == 0
    assert publisher_server.requests == []


def test_it_keeps_the_feeds_text_when_the_page_is_gone(publisher_server, db):
    base = publisher_server.base_url
    body = "A long feed text. " * 60
    publisher_server.route("/gone-pages.xml", body=rss(base + "/status/404?x=", ["Only the feed"], body=body))
    feed, _ = feed_get_or_create(url=publisher_server.url("/gone-pages.xml"))
    outcome = pipeline.feed_refresh(feed_id=feed.id)

    status = pipeline.article_extract(article_id=outcome.new_article_ids[0])

    article = Article.objects.get(id=outcome.new_article_ids[0])
    assert status == "feed" and article.extraction_status == "feed"
    assert "A long feed text." in article.text


def test_it_extracts_a_story_once(site_feed):
    _, feed = site_feed
    outcome = pipeline.feed_refresh(feed_id=feed.id)
    article_id = outcome.new_article_ids[0]
    assert pipeline.article_extract(article_id=article_id) == "extracted"
    assert pipeline.article_extract(article_id=article_id) == "skipped"


def test_it_refreshes_many_feeds_with_fetches_in_flight(publisher_server, db):
    feeds = [
        feed_get_or_create(url=publisher_server.site(f"paper-{n}", n_items=2).feed_url)[0] for n in range(6)
    ]
    feeds.append(feed_get_or_create(url=publisher_server.url("/status/500"))[0])

    outcomes = pipeline.feeds_refresh(feed_ids=[f.id for f in feeds], concurrency=3)

    assert Counter(o.status for o in outcomes) == {"fetched": 6, "failed": 1}
    assert Article.objects.count() == 12


def test_a_leased_feed_is_not_taken_twice(db):
    due = FeedFactory(next_check_at=timezone.now() - timedelta(minutes=1))
    FeedFactory(next_check_at=timezone.now() + timedelta(hours=1))

    assert pipeline.feeds_claim_due(limit=10) == [due.id]
    assert pipeline.feeds_claim_due(limit=10) == []
    assert not pipeline.feed_claim(feed_id=due.id)
    later = timezone.now() + timedelta(seconds=pipeline.lease_seconds() + 1)
    assert pipeline.feeds_claim_due(limit=10, now=later) == [due.id]


def test_it_skips_a_feed_another_worker_holds(db):
    feed = FeedFactory(lease_until=timezone.now() + timedelta(minutes=5))
    assert pipeline.feed_refresh(feed_id=feed.id).status == "skipped"


def test_it_saves_any_web_page(publisher_server, db):
    site = publisher_server.site("page-saver", n_items=1)
    url, corpus_id = site.articles[0]

    article = pipeline.page_ingest(url=url)
    again = pipeline.page_ingest(url=url)

    assert article.id == again.id
    assert article.extraction_status == "extracted"
    assert f1(article.text, publisher_server.corpus_expected(corpus_id)["text"]) > 0.8
    assert article.publisher.site_url.startswith("http://127.0.0.1")


def test_it_does_not_store_stories_older_than_the_retention_window(publisher_server, db, settings):
    settings.RETENTION_DAYS = 30
    base = publisher_server.base_url
    items = "".join(
        f"<item><title>{title}</title><link>{base}/story/{title}</link>"
        f"<pubDate>{format_datetime(timezone.now() - age, usegmt=True)}</pubDate></item>"
        for title, age in (("Ancient", timedelta(days=31)), ("Fresh", timedelta(days=29)))
    )
    publisher_server.route("/retention.xml", body=RSS.format(base=base, items=items).encode())
    feed, _ = feed_get_or_create(url=publisher_server.url("/retention.xml"))

    pipeline.feed_refresh(feed_id=feed.id)

    assert list(Article.objects.values_list("title", flat=True)) == ["Fresh"]


def test_it_extracts_a_batch_as_it_extracts_one_story(site_feed, publisher_server):
    site, feed = site_feed
    base = publisher_server.base_url
    body = "A long feed text. " * 60
    items = [
        ITEM.format(title=title, base=f"{base}/status/{code}?x=", n=n, body=body)
        for n, (title, code) in enumerate([("Page gone", 404), ("Page busy", 503)])
    ]
    publisher_server.route("/mixed-pages.xml", body=RSS.format(base=base, items="\n".join(items)).encode())
    broken, _ = feed_get_or_create(url=publisher_server.url("/mixed-pages.xml"))
    good_ids = pipeline.feed_refresh(feed_id=feed.id).new_article_ids
    pipeline.feed_refresh(feed_id=broken.id)
    gone_id = Article.objects.get(title="Page gone").id
    busy_id = Article.objects.get(title="Page busy").id

    outcome = pipeline.articles_extract(
        article_ids=[*good_ids, gone_id, busy_id], concurrency=2, retry_transient=True
    )

    assert outcome.statuses == {**dict.fromkeys(good_ids, "extracted"), gone_id: "feed"}
    assert outcome.transient == [busy_id]
    assert Article.objects.get(id=busy_id).extraction_status == "pending"  # left for the retry
    for article_url, corpus_id in site.articles:
        article = Article.objects.get(url=article_url)
        assert f1(article.text, publisher_server.corpus_expected(corpus_id)["text"]) > 0.8, article_url
        assert article.word_count > 50 and "<script" not in article.content_html
    # Nothing is done twice; without retries the passing error leaves the feed's text.
    again = pipeline.articles_extract(article_ids=[*good_ids, gone_id, busy_id], concurrency=2)
    assert again.statuses == {busy_id: "feed"} and again.transient == []
    assert "A long feed text." in Article.objects.get(id=busy_id).text


def test_it_writes_a_batch_in_a_few_statements_whatever_its_size(
    publisher_server, db, django_assert_max_num_queries
):
    site = publisher_server.site("many-pages", n_items=8)
    feed, _ = feed_get_or_create(url=site.feed_url)
    ids = pipeline.feed_refresh(feed_id=feed.id).new_article_ids

    # the stories, their locks, one executemany a set of fields written (two or three here), and the
    # savepoint the test's transaction puts around them
    with django_assert_max_num_queries(7):
        outcome = pipeline.articles_extract(article_ids=ids, concurrency=4)

    assert outcome.statuses == dict.fromkeys(ids, "extracted")
    assert all(a.word_count > 50 for a in Article.objects.filter(id__in=ids))


def test_a_batch_leaves_alone_a_story_another_worker_finished_meanwhile(site_feed):
    _, feed = site_feed
    first, second, *_ = pipeline.feed_refresh(feed_id=feed.id).new_article_ids
    Article.objects.filter(id=first).update(extraction_status="extracted", text="Done elsewhere.")
    fields = {
        "text": "Ours.",
        "word_count": 1,
        "extraction_status": "extracted",
        "updated_at": timezone.now(),
    }

    written = pipeline._extractions_write(
        [(first, fields), (second, {**fields, "extraction_status": "feed"})]
    )

    assert written == {second: "feed"}
    assert Article.objects.get(id=first).text == "Done elsewhere."
    assert Article.objects.values_list("text", "extraction_status").get(id=second) == ("Ours.", "feed")


def test_extraction_finds_its_stories_by_primary_key_alone(site_feed):
    """With the status in a WHERE, Postgres may walk every waiting story's index entry to find one
    row (when its statistics say few stories wait); the status is checked on the rows found instead."""
    _, feed = site_feed
    first, *others = pipeline.feed_refresh(feed_id=feed.id).new_article_ids

    with CaptureQueriesContext(connection) as queries:
        assert pipeline.article_extract(article_id=first) == "extracted"
        assert pipeline.articles_extract(article_ids=others, concurrency=2).statuses
    wheres = [query["sql"].split(" WHERE ", 1)[1] for query in queries if " WHERE " in query["sql"]]

    assert wheres and not [where for where in wheres if "extraction_status" in where]


def test_a_batch_and_a_single_extraction_store_the_same(site_feed, publisher_server, db):
    _, feed = site_feed
    first, *others = pipeline.feed_refresh(feed_id=feed.id).new_article_ids
    fields = ["content_html", "text", "word_count", "reading_time", "lead_image_url", "language", "author"]

    assert pipeline.article_extract(article_id=first) == "extracted"
    single = Article.objects.values(*fields).get(id=first)
    Article.objects.filter(id=first).update(extraction_status="pending", content_html="", text="")
    assert pipeline.articles_extract(article_ids=[first], concurrency=1).statuses == {first: "extracted"}

    assert Article.objects.values(*fields).get(id=first) == single


def test_it_records_many_304s_at_once_each_with_its_own_interval(publisher_server, db):
    feeds = [
        feed_get_or_create(url=publisher_server.site(f"weekly-{n}", n_items=2).feed_url)[0] for n in range(4)
    ]
    pipeline.feeds_refresh(feed_ids=[f.id for f in feeds], concurrency=4)
    Feed.objects.update(error_count=2, last_error="earlier trouble", lease_until=timezone.now())
    Feed.objects.filter(id=feeds[0].id).update(interval_seconds=7200)
    before = timezone.now()

    outcomes = pipeline.feeds_refresh(feed_ids=[f.id for f in feeds], concurrency=4)

    assert [o.status for o in outcomes] == ["not_modified"] * 4
    for feed in Feed.objects.filter(id__in=[f.id for f in feeds]):
        assert feed.last_status == 304 and feed.error_count == 0 and feed.last_error == ""
        assert feed.lease_until is None and feed.last_checked_at >= before
        assert feed.next_check_at == feed.last_checked_at + timedelta(seconds=feed.interval_seconds)
    assert Feed.objects.get(id=feeds[0].id).interval_seconds == 7200
    assert Article.objects.count() == 8


def test_a_304_that_brings_new_validators_keeps_them(publisher_server, db):
    publisher_server.route(
        "/moving.xml", status=304, headers={"ETag": '"v2"', "Last-Modified": "Wed, 25 Nov 2026 08:00:00 GMT"}
    )
    feed, _ = feed_get_or_create(url=publisher_server.url("/moving.xml"))
    Feed.objects.filter(id=feed.id).update(etag='"v1"', last_modified="Tue, 24 Nov 2026 08:00:00 GMT")

    outcomes = pipeline.feeds_refresh(feed_ids=[feed.id], concurrency=2)

    assert [o.status for o in outcomes] == ["not_modified"]
    assert publisher_server.requests[-1].headers["If-None-Match"] == '"v1"'
    feed.refresh_from_db()
    assert (feed.etag, feed.last_modified) == ('"v2"', "Wed, 25 Nov 2026 08:00:00 GMT")
    assert feed.last_status == 304
