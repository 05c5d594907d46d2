"""Selectors and services of reading that the Google Reader and Fever APIs use (appended by `compat`)."""

from datetime import UTC, datetime, timedelta

import pytest

from subscriptions.models import ReadingList, ReadingListItem
from subscriptions.selectors.reading import (
    river_articles_by_ids_for_user,
    river_by_id_for_user,
    river_newest_by_feed_for_user,
    river_stream_for_user,
)
from subscriptions.services.reading import reading_list_add_many, reading_list_remove_many
from tests.factories import (
    ArticleFactory,
    FolderFactory,
    PublisherFactory,
    ReadingListFactory,
    ReadingListItemFactory,
    ReadStateFactory,
    SubscriptionFactory,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def river(reader):
    """Two followed feeds (one in a folder), five stories an hour apart, the newest first."""
    folder = FolderFactory(user=reader, name="Tech")
    tech = SubscriptionFactory(user=reader, folder=folder).feed
    world = SubscriptionFactory(user=reader).feed
    feeds = [tech, world, tech, world, tech]
    stories = [
        ArticleFactory(feed=feed, published_at=T0 - timedelta(hours=i), created_at=T0 + timedelta(days=i))
        for i, feed in enumerate(feeds)
    ]
    return {"folder": folder, "tech": tech, "world": world, "stories": stories}


def _ids(qs) -> list[int]:
    return [a.pk for a in qs]


def _default_list(user) -> ReadingList:
    return ReadingList.objects.get_or_create(user=user, is_default=True, defaults={"name": "Read later"})[0]


def test_the_stream_is_newest_first_or_oldest_first(reader, river):
    ids = [a.pk for a in river["stories"]]
    assert _ids(river_stream_for_user(user=reader)) == ids
    assert _ids(river_stream_for_user(user=reader, oldest_first=True)) == ids[::-1]


def test_the_stream_pages_by_keyset_in_both_orders(reader, river):
    stories = river["stories"]
    after = (stories[1].published_at, stories[1].pk)
    assert _ids(river_stream_for_user(user=reader, after=after)) == [a.pk for a in stories[2:]]
    assert _ids(river_stream_for_user(user=reader, after=after, oldest_first=True)) == [stories[0].pk]


def test_the_stream_filters_by_read_saved_folder_and_feed(reader, river):
    stories = river["stories"]
    ReadStateFactory(user=reader, article=stories[0])
    ReadingListItemFactory(reading_list=_default_list(reader), article=stories[3])
    assert _ids(river_stream_for_user(user=reader, read=True)) == [stories[0].pk]
    assert stories[0].pk not in _ids(river_stream_for_user(user=reader, read=False))
    assert _ids(river_stream_for_user(user=reader, saved=True)) == [stories[3].pk]
    assert _ids(river_stream_for_user(user=reader, starred_only=True)) == [stories[3].pk]
    assert _ids(river_stream_for_user(user=reader, folder_id=river["folder"].pk)) == [
        stories[0].pk,
        stories[2].pk,
        stories[4].pk,
    ]
    assert _ids(river_stream_for_user(user=reader, feed_id=river["world"].pk)) == [
        stories[1].pk,
        stories[3].pk,
    ]
    flags = {a.pk: (a.is_read, a.is_saved) for a in river_stream_for_user(user=reader)}
    assert flags[stories[0].pk] == (True, False) and flags[stories[3].pk] == (False, True)


def test_the_stream_bounds_the_time_a_story_was_stored_not_published(reader, river):
    stories = river["stories"]
    # created_at runs the other way from published_at in this river.
    after = river_stream_for_user(user=reader, stored_after=T0 + timedelta(days=3))
    assert _ids(after) == [stories[3].pk, stories[4].pk]
    before = river_stream_for_user(user=reader, stored_before=T0 + timedelta(days=1))
    assert _ids(before) == [stories[0].pk, stories[1].pk]


def test_the_stream_holds_only_the_users_own_feeds(reader, river):
    other = SubscriptionFactory().feed
    ArticleFactory(feed=other)
    assert _ids(river_stream_for_user(user=reader, feed_id=other.pk)) == []
    assert len(_ids(river_stream_for_user(user=reader))) == 5


def test_the_stream_costs_one_query_whatever_its_length(reader, river, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(river_stream_for_user(user=reader, read=False, saved=False)[:100])


def test_by_id_pages_up_from_since_id_and_down_from_max_id(reader, river):
    ids = sorted(a.pk for a in river["stories"])
    assert _ids(river_by_id_for_user(user=reader, above_id=ids[1], limit=2)) == ids[2:4]
    assert _ids(river_by_id_for_user(user=reader, below_id=ids[3], limit=2)) == [ids[2], ids[1]]
    assert _ids(river_by_id_for_user(user=reader, limit=2)) == [ids[4], ids[3]]


def test_by_ids_gives_the_river_and_the_lists_but_nothing_else(reader, river):
    private_elsewhere = ArticleFactory(feed__publisher=PublisherFactory(in_catalogue=False))
    catalogue_not_followed = ArticleFactory()
    saved_page = ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))
    ReadingListItemFactory(reading_list=ReadingListFactory(user=reader), article=saved_page)
    wanted = [river["stories"][0].pk, saved_page.pk, private_elsewhere.pk, catalogue_not_followed.pk, 10**12]
    got = river_articles_by_ids_for_user(user=reader, article_ids=wanted)
    assert set(_ids(got)) == {river["stories"][0].pk, saved_page.pk}


def test_newest_by_feed_is_the_last_stored_story_of_each_followed_feed(reader, river):
    newest = river_newest_by_feed_for_user(user=reader)
    assert newest == {river["tech"].pk: T0 + timedelta(days=4), river["world"].pk: T0 + timedelta(days=3)}


def test_add_many_saves_visible_articles_once_and_restores_archived_ones(reader, river):
    stories = river["stories"]
    hidden = ArticleFactory(feed__publisher=PublisherFactory(in_catalogue=False))
    default = _default_list(reader)
    ReadingListItemFactory(reading_list=default, article=stories[0], archived=True)
    ReadingListItemFactory(reading_list=default, article=stories[1])
    added = reading_list_add_many(user=reader, article_ids=[a.pk for a in stories] + [hidden.pk])
    assert added == 4  # three new, one brought back from the archive
    items = ReadingListItem.objects.filter(reading_list=default)
    assert set(items.values_list("article_id", flat=True)) == {a.pk for a in stories}
    assert not items.filter(archived=True).exists()
    assert reading_list_add_many(user=reader, article_ids=[a.pk for a in stories]) == 0


def test_add_many_creates_read_later_when_needed(reader, river):
    reading_list_add_many(user=reader, article_ids=[river["stories"][0].pk])
    assert ReadingList.objects.get(user=reader, is_default=True).items.count() == 1


def test_remove_many_takes_them_out_of_read_later_only(reader, river):
    stories = river["stories"]
    default, named = _default_list(reader), ReadingListFactory(user=reader)
    for article in stories[:3]:
        ReadingListItemFactory(reading_list=default, article=article)
        ReadingListItemFactory(reading_list=named, article=article)
    assert reading_list_remove_many(user=reader, article_ids=[a.pk for a in stories]) == 3
    assert not default.items.exists() and named.items.count() == 3
    assert reading_list_remove_many(user=reader, article_ids=[stories[0].pk]) == 0


def test_many_at_once_costs_the_same_queries_for_5_and_50(reader, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _default_list(reader)
    counts = []
    for n in (5, 50):
        feed = SubscriptionFactory(user=reader).feed
        ids = [ArticleFactory(feed=feed).pk for _ in range(n)]
        with CaptureQueriesContext(connection) as added, django_assert_max_num_queries(8):
            reading_list_add_many(user=reader, article_ids=ids)
        with CaptureQueriesContext(connection) as removed:
            reading_list_remove_many(user=reader, article_ids=ids)
        counts.append((len(added), len(removed)))
    assert counts[0] == counts[1]
