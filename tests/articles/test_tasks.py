"""The Celery tasks around the pipeline, run eagerly in-process: what they hand on, and in how many messages."""

import pytest
from celery.signals import task_prerun

from articles import tasks
from articles.models import Article
from articles.services import feed_get_or_create
from newsreader.celery import app


@pytest.fixture
def eager():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def ran():
    """(task name, first argument) of every task run."""
    seen: list[tuple[str, object]] = []

    def record(sender=None, args=None, **kwargs):
        seen.append((sender.name, args[0] if args else None))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def test_a_batch_hands_its_new_stories_to_extraction_in_batches(publisher_server, db, eager, ran, settings):
    settings.EXTRACT_FULL_TEXT = True
    settings.EXTRACT_TASK_BATCH = 10
    feeds = [
        feed_get_or_create(url=publisher_server.site(f"gazette-{n}", n_items=n_items).feed_url)[0]
        for n, n_items in enumerate((8, 5))
    ]

    assert tasks.feeds_refresh_batch([f.id for f in feeds]) == 13

    extract = [arg for name, arg in ran if name == "articles.tasks.articles_extract"]
    assert [len(arg) for arg in extract] == [10, 3]
    assert sorted(i for arg in extract for i in arg) == sorted(Article.objects.values_list("id", flat=True))
    assert Article.objects.filter(extraction_status="extracted").count() == 13
    cluster = [arg for name, arg in ran if name == "discovery.tasks.articles_cluster"]
    assert sorted(i for arg in cluster for i in arg) == sorted(Article.objects.values_list("id", flat=True))


def test_without_extraction_new_stories_go_to_clustering_in_lists(publisher_server, db, eager, ran, settings):
    settings.EXTRACT_FULL_TEXT = False
    feed, _ = feed_get_or_create(url=publisher_server.site("no-extract-herald", n_items=3).feed_url)

    tasks.feeds_refresh_batch([feed.id])

    assert [name for name, _ in ran] == ["discovery.tasks.articles_cluster"]
    assert sorted(ran[0][1]) == sorted(Article.objects.values_list("id", flat=True))


def test_article_extract_still_takes_one_story(publisher_server, db, eager, ran, settings):
    settings.EXTRACT_FULL_TEXT = True
    feed, _ = feed_get_or_create(url=publisher_server.site("single-sentinel", n_items=1).feed_url)
    from articles.pipeline import feed_refresh

    (article_id,) = feed_refresh(feed_id=feed.id).new_article_ids

    assert tasks.article_extract(article_id) == "extracted"
    assert tasks.article_extract(article_id) == "skipped"
    assert ran == [("discovery.tasks.article_cluster", article_id)]
