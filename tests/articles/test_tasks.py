"""The Celery tasks around the pipeline, run eagerly in-process: what they hand on, and in how many messages."""

import pytest
from celery.exceptions import Retry
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


def test_a_batch_hands_its_new_stories_to_extraction_ten_to_a_task(
    publisher_server, db, eager, ran, settings
):
    settings.EXTRACT_FULL_TEXT = True
    feeds = [
        feed_get_or_create(url=publisher_server.site(f"gazette-{n}", n_items=n_items).feed_url)[0]
        for n, n_items in enumerate((8, 5))
    ]

    assert tasks.feeds_refresh_batch([f.id for f in feeds]) == 13

    extract = [arg for name, arg in ran if name == "articles.tasks.article_extract"]
    assert [len(arg) if isinstance(arg, list) else 1 for arg in extract] == [10, 3]
    assert sorted(i for arg in extract for i in arg) == sorted(Article.objects.values_list("id", flat=True))
    assert Article.objects.filter(extraction_status="extracted").count() == 13
    cluster = [arg for name, arg in ran if name == "discovery.tasks.article_cluster"]
    assert sorted(i for arg in cluster for i in arg) == sorted(Article.objects.values_list("id", flat=True))


def test_without_extraction_new_stories_go_to_clustering_in_lists(publisher_server, db, eager, ran, settings):
    settings.EXTRACT_FULL_TEXT = False
    feed, _ = feed_get_or_create(url=publisher_server.site("no-extract-herald", n_items=3).feed_url)

    tasks.feeds_refresh_batch([feed.id])

    assert [name for name, _ in ran] == ["discovery.tasks.article_cluster"]
    assert sorted(ran[0][1]) == sorted(Article.objects.values_list("id", flat=True))


def test_article_extract_still_takes_one_story(publisher_server, db, eager, ran, settings):
    settings.EXTRACT_FULL_TEXT = True
    feed, _ = feed_get_or_create(url=publisher_server.site("single-sentinel", n_items=1).feed_url)
    from articles.pipeline import feed_refresh

    (article_id,) = feed_refresh(feed_id=feed.id).new_article_ids

    assert tasks.article_extract(article_id) == "extracted"
    assert tasks.article_extract(article_id) == "skipped"
    assert ran == [("discovery.tasks.article_cluster", article_id)]


def test_a_story_whose_page_fails_for_now_is_retried_alone(publisher_server, db, eager, settings):
    settings.EXTRACT_FULL_TEXT = True
    site = publisher_server.site("flaky-tribune", n_items=2)
    feed, _ = feed_get_or_create(url=site.feed_url)
    from articles.pipeline import feed_refresh

    ids = feed_refresh(feed_id=feed.id).new_article_ids
    flaky = Article.objects.get(id=ids[1])
    flaky_path = flaky.url.removeprefix(publisher_server.base_url)
    publisher_server.route(flaky_path, status=503)
    publisher_server.clear_requests()
    retried: list[tuple[object, int]] = []

    def record(sender=None, args=None, **kwargs):
        if sender.name == "articles.tasks.article_extract":
            retried.append((args[0], sender.request.retries))

    task_prerun.connect(record, weak=False)
    try:
        # Eagerly, a task that retries raises Retry to its caller (a worker would queue it instead).
        with pytest.raises(Retry):
            tasks.article_extract(ids)
    finally:
        task_prerun.disconnect(record)

    # The list went on without it; the story went on alone, counted as a first retry.
    assert retried == [(flaky.id, 1)]
    assert [r.path for r in publisher_server.requests].count(flaky_path) == 2
    assert Article.objects.get(id=ids[0]).extraction_status == "extracted"
    assert Article.objects.get(id=flaky.id).extraction_status == "pending"
