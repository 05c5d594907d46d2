from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.retention import articles_purge_old, retention_cutoff
from newsreader.tasks import articles_purge_old as articles_purge_old_task
from subscriptions.models import ReadState
from tests.factories import ArticleFactory, ReadingListItemFactory, ReadStateFactory

pytestmark = pytest.mark.django_db


def _old(days: int = 100, **kwargs) -> Article:
    when = timezone.now() - timedelta(days=days)
    return ArticleFactory(published_at=when, created_at=when, **kwargs)


def test_it_deletes_old_stories_that_nobody_saved():
    old = [_old() for _ in range(3)]
    recent = ArticleFactory()

    deleted = articles_purge_old(older_than=timezone.now() - timedelta(days=90), batch_size=1000)

    assert deleted == 3
    assert not Article.objects.filter(id__in=[a.id for a in old]).exists()
    assert Article.objects.filter(id=recent.id).exists()


def test_it_keeps_old_stories_saved_in_a_reading_list_even_archived():
    saved = _old()
    archived = _old()
    ReadingListItemFactory(article=saved)
    ReadingListItemFactory(article=archived, archived=True)
    doomed = _old()

    deleted = articles_purge_old(older_than=timezone.now() - timedelta(days=90), batch_size=10)

    assert deleted == 1
    assert set(Article.objects.values_list("id", flat=True)) == {saved.id, archived.id}
    assert not Article.objects.filter(id=doomed.id).exists()


def test_it_keeps_an_old_story_that_arrived_recently():
    # A feed's back catalogue fetched today is not deleted on the spot.
    story = ArticleFactory(published_at=timezone.now() - timedelta(days=400), created_at=timezone.now())

    assert articles_purge_old(older_than=timezone.now() - timedelta(days=90), batch_size=10) == 0
    assert Article.objects.filter(id=story.id).exists()


def test_it_deletes_in_batches_until_nothing_is_left():
    for _ in range(7):
        _old()
    ArticleFactory()

    assert articles_purge_old(older_than=timezone.now() - timedelta(days=90), batch_size=2) == 7
    assert Article.objects.count() == 1


def test_it_takes_read_states_with_the_story():
    story = _old()
    ReadStateFactory(article=story)

    articles_purge_old(older_than=timezone.now() - timedelta(days=90), batch_size=10)

    assert not ReadState.objects.filter(article_id=story.id).exists()


def test_it_is_safe_to_repeat():
    _old()
    cutoff = timezone.now() - timedelta(days=90)

    assert articles_purge_old(older_than=cutoff, batch_size=10) == 1
    assert articles_purge_old(older_than=cutoff, batch_size=10) == 0


def test_it_stops_when_its_time_budget_is_spent():
    _old()

    assert articles_purge_old(older_than=timezone.now(), batch_size=10, time_budget_seconds=0) == 0
    assert Article.objects.count() == 1


def test_it_refuses_an_empty_batch():
    with pytest.raises(ValueError):
        articles_purge_old(older_than=timezone.now(), batch_size=0)


def test_the_task_uses_retention_days(settings):
    settings.RETENTION_DAYS = 30
    forty_days = _old(days=40)
    twenty_days = _old(days=20)

    assert articles_purge_old_task() == 1
    assert not Article.objects.filter(id=forty_days.id).exists()
    assert Article.objects.filter(id=twenty_days.id).exists()


def test_the_task_keeps_everything_when_retention_is_zero(settings):
    settings.RETENTION_DAYS = 0
    _old(days=4000)

    assert articles_purge_old_task() == 0
    assert Article.objects.count() == 1
    assert retention_cutoff() is None


def test_the_cutoff_follows_retention_days(settings):
    settings.RETENTION_DAYS = 90
    now = timezone.now()

    assert retention_cutoff(now=now) == now - timedelta(days=90)
