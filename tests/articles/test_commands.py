"""The management commands an operator types: add_feed, refresh_feeds."""

import io

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article, Feed


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_feed_then_refresh_sync_fills_articles_from_a_local_server(publisher_server, db):
    site = publisher_server.site("command-courier", n_items=3)

    out, _ = run("add_feed", site.feed_url)
    assert "Added feed" in out
    out, _ = run("refresh_feeds", "--sync")

    assert "fetched 1, not modified 0, new 3, updated 0, failed 0" in out
    assert "full text 3" in out
    assert Article.objects.filter(extraction_status="extracted").count() == 3


def test_add_feed_finds_the_feed_of_a_sites_page(publisher_server, db):
    site = publisher_server.site("homepage-herald", n_items=2)

    out, _ = run("add_feed", publisher_server.url("/sites/homepage-herald/"))

    assert Feed.objects.get().url in {site.feed_url, site.feed_url.replace("feed.xml", "atom.xml"),
                                      site.feed_url.replace("feed.xml", "feed.json")}  # fmt: skip


def test_add_feed_twice_keeps_one_feed(publisher_server, db):
    site = publisher_server.site("twice-times", n_items=1)
    run("add_feed", site.feed_url)
    out, _ = run("add_feed", site.feed_url)
    assert "Already known" in out
    assert Feed.objects.count() == 1


def test_add_feed_says_plainly_when_there_is_no_feed(publisher_server, db):
    publisher_server.route("/plain-page", body=b"<html><head><title>x</title></head><body>hi</body></html>",
                           headers={"Content-Type": "text/html"})  # fmt: skip
    with pytest.raises(CommandError, match="No feed was found"):
        run("add_feed", publisher_server.url("/plain-page"))


def test_add_feed_refuses_a_private_address_unless_allowed(publisher_server, db, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    with pytest.raises(CommandError, match="private or local address"):
        run("add_feed", publisher_server.url("/feeds/news.xml"))
    assert Feed.objects.count() == 0


def test_refresh_sync_reports_failures_and_counts_not_modified(publisher_server, db):
    site = publisher_server.site("second-run-post", n_items=2)
    run("add_feed", site.feed_url)
    run("add_feed", publisher_server.url("/feeds/news.xml"))
    Feed.objects.create(url=publisher_server.url("/status/500"), publisher=Feed.objects.first().publisher)
    run("refresh_feeds", "--sync", "--no-extract")

    out, err = run("refresh_feeds", "--sync", "--no-extract")

    assert "not modified 2" in out and "failed 1" in out
    assert "500" in err


def test_refresh_without_sync_queues_feeds_for_the_workers(publisher_server, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from newsreader.celery import app

    app.conf.task_always_eager = True
    try:
        site = publisher_server.site("queued-quarterly", n_items=2)
        run("add_feed", site.feed_url)
        out, _ = run("refresh_feeds")
    finally:
        app.conf.task_always_eager = False
    assert "Queued 1 feeds" in out
    assert Article.objects.count() == 2
