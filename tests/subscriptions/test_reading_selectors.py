"""Selectors of the river, the article, reading lists and unread counts: scoping, filters, keyset paging."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from discovery.models import ClusterMember, StoryCluster
from subscriptions.selectors.reading import (
    article_get_for_user,
    cursor_decode,
    cursor_encode,
    page_save_status_for_user,
    reading_list_items_for_user,
    reading_lists_for_user,
    river_for_user,
    river_neighbours_for_user,
    river_page_for_user,
    river_sources_for_user,
    river_stream_for_user,
    unread_count_for_user,
    unread_counts_for_user,
)
from subscriptions.services.reading import reading_list_save_url
from tests.factories import (
    ArticleFactory,
    FeedFactory,
    FolderFactory,
    PublisherFactory,
    ReadingListFactory,
    ReadingListItemFactory,
    ReadStateFactory,
    SubscriptionFactory,
    UserFactory,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _ids(qs) -> list[int]:
    return [a.pk for a in qs]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # factory users get a hashed password; the default hasher costs ~0.3 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def followed(reader):
    return SubscriptionFactory(user=reader).feed


# --- Cursors --------------------------------------------------------------------------------------


def test_it_round_trips_a_cursor_to_the_microsecond():
    at = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    assert cursor_decode(cursor_encode(at=at, pk=42)) == (at, 42)


def test_it_round_trips_a_cursor_before_the_epoch():
    at = datetime(1969, 7, 20, 20, 17, 40, 5, tzinfo=UTC)
    assert cursor_decode(cursor_encode(at=at, pk=1)) == (at, 1)


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        "abc",
        "12",
        "12_",
        "_5",
        "1_x",
        "1.5_2",
        "9" * 70,
        f"{10**30}_1",
        f"1_{2**64}",
        "1__2",
        "--1_2",
    ],
)
def test_it_refuses_malformed_cursors(value):
    assert cursor_decode(value) is None


# --- The river ------------------------------------------------------------------------------------


def test_it_shows_stories_of_followed_feeds_newest_first(reader, followed):
    old = ArticleFactory(feed=followed, published_at=T0)
    new = ArticleFactory(feed=followed, published_at=T0 + timedelta(hours=1))
    ArticleFactory(published_at=T0 + timedelta(hours=2))  # a feed nobody follows
    other_user_feed = SubscriptionFactory().feed
    ArticleFactory(feed=other_user_feed, published_at=T0 + timedelta(hours=3))
    assert _ids(river_for_user(user=reader)) == [new.pk, old.pk]


def test_it_orders_equal_timestamps_by_id(reader, followed):
    first, second, third = (ArticleFactory(feed=followed, published_at=T0) for _ in range(3))
    assert _ids(river_for_user(user=reader)) == [third.pk, second.pk, first.pk]


def test_it_marks_read_and_saved_stories(reader, followed):
    read, saved, plain = (ArticleFactory(feed=followed) for _ in range(3))
    ReadStateFactory(user=reader, article=read)
    ReadingListItemFactory(reading_list=ReadingListFactory(user=reader, is_default=True), article=saved)
    # Another user's read state and saves do not leak into this user's river.
    stranger = UserFactory()
    ReadStateFactory(user=stranger, article=plain)
    ReadingListItemFactory(reading_list=ReadingListFactory(user=stranger, is_default=True), article=plain)
    flags = {a.pk: (a.is_read, a.is_saved) for a in river_for_user(user=reader)}
    assert flags == {read.pk: (True, False), saved.pk: (False, True), plain.pk: (False, False)}


def test_it_shows_only_unread_when_asked(reader, followed):
    read, unread = ArticleFactory(feed=followed), ArticleFactory(feed=followed)
    ReadStateFactory(user=reader, article=read)
    ReadStateFactory(article=unread)  # read by someone else
    assert _ids(river_for_user(user=reader, unread_only=True)) == [unread.pk]


def test_it_narrows_to_a_folder_a_feed_or_a_publisher(reader):
    folder = FolderFactory(user=reader)
    in_folder = SubscriptionFactory(user=reader, folder=folder).feed
    loose = SubscriptionFactory(user=reader).feed
    a = ArticleFactory(feed=in_folder)
    b = ArticleFactory(feed=loose)
    assert _ids(river_for_user(user=reader, folder_id=folder.pk)) == [a.pk]
    assert _ids(river_for_user(user=reader, feed_id=loose.pk)) == [b.pk]
    assert _ids(river_for_user(user=reader, publisher_id=in_folder.publisher_id)) == [a.pk]


def test_it_shows_nothing_for_a_feed_or_folder_the_user_does_not_follow(reader, followed):
    ArticleFactory(feed=followed)
    stranger_sub = SubscriptionFactory(folder=FolderFactory())
    ArticleFactory(feed=stranger_sub.feed)
    assert list(river_for_user(user=reader, feed_id=stranger_sub.feed_id)) == []
    assert list(river_for_user(user=reader, folder_id=stranger_sub.folder_id)) == []
    assert list(river_for_user(user=reader, publisher_id=stranger_sub.feed.publisher_id)) == []


def test_it_lists_saved_stories_from_anywhere_when_starred_only(reader, followed):
    ArticleFactory(feed=followed)
    saved_elsewhere = ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))
    ReadingListItemFactory(
        reading_list=ReadingListFactory(user=reader, is_default=True), article=saved_elsewhere
    )
    assert _ids(river_for_user(user=reader, starred_only=True)) == [saved_elsewhere.pk]


def test_it_keeps_only_newer_ids_after_an_id(reader, followed):
    a, b, c = (ArticleFactory(feed=followed, published_at=T0 - timedelta(minutes=i)) for i in range(3))
    assert _ids(river_for_user(user=reader, after_id=a.pk)) == [b.pk, c.pk]


def test_it_does_not_shift_pages_when_stories_arrive(reader, followed):
    stories = [ArticleFactory(feed=followed, published_at=T0 - timedelta(minutes=i)) for i in range(6)]
    page1 = list(river_for_user(user=reader, limit=3))
    ArticleFactory(feed=followed, published_at=T0 + timedelta(minutes=5))  # arrives at the top
    ArticleFactory(feed=followed, published_at=T0 - timedelta(minutes=1, seconds=30))  # in the middle
    last = page1[-1]
    page2 = list(river_for_user(user=reader, before=(last.published_at, last.pk), limit=3))
    assert _ids(page1) == [s.pk for s in stories[:3]]
    # The story that slipped in below the cursor shows on page 2; nothing repeats, nothing is skipped.
    assert len(page2) == 3 and not set(_ids(page1)) & set(_ids(page2))
    assert stories[3].pk in _ids(page2)


@pytest.mark.parametrize("size", [10, 50])
def test_it_takes_one_query_for_a_page_of_any_size(reader, followed, size):
    for i in range(size):
        ArticleFactory(feed=followed, published_at=T0 - timedelta(minutes=i))
    with CaptureQueriesContext(connection) as queries:
        page = list(river_for_user(user=reader, limit=size))
        for story in page:  # everything a card shows
            _ = (story.title, story.publisher.name, story.lead_image_url, story.summary, story.reading_time)
            _ = (story.is_read, story.is_saved, story.published_at)
    assert len(page) == size
    assert len(queries) == 1


class RiverKeysetPagingTests(HypothesisTestCase):
    """Paging with the cursor visits every story exactly once, in order, however timestamps tie."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        offsets=st.lists(st.integers(min_value=0, max_value=4), min_size=0, max_size=25),
        page_size=st.integers(min_value=1, max_value=7),
        unread_only=st.booleans(),
    )
    def test_it_pages_through_every_story_once_with_equal_timestamps(self, offsets, page_size, unread_only):
        user = UserFactory()
        feed = SubscriptionFactory(user=user).feed
        stories = [ArticleFactory(feed=feed, published_at=T0 + timedelta(seconds=o)) for o in offsets]
        for story in stories[::3]:
            ReadStateFactory(user=user, article=story)
        read = {s.pk for s in stories[::3]}
        expected = sorted(
            (s for s in stories if not (unread_only and s.pk in read)),
            key=lambda s: (s.published_at, s.pk),
            reverse=True,
        )
        seen: list[int] = []
        cursor = None
        for _ in range(len(stories) + 2):
            page = list(river_for_user(user=user, unread_only=unread_only, before=cursor, limit=page_size))
            seen += _ids(page)
            if len(page) < page_size:
                break
            cursor = cursor_decode(cursor_encode(at=page[-1].published_at, pk=page[-1].pk))
        assert seen == [s.pk for s in expected]


def test_it_finds_the_neighbours_in_the_same_river(reader):
    folder = FolderFactory(user=reader)
    feed = SubscriptionFactory(user=reader, folder=folder).feed
    other = SubscriptionFactory(user=reader).feed
    newest = ArticleFactory(feed=feed, published_at=T0 + timedelta(hours=3))
    ArticleFactory(feed=other, published_at=T0 + timedelta(hours=2))  # not in the folder
    middle = ArticleFactory(feed=feed, published_at=T0 + timedelta(hours=1))
    oldest = ArticleFactory(feed=feed, published_at=T0)
    around = river_neighbours_for_user(user=reader, article=middle, folder_id=folder.pk)
    assert (around.newer, around.older) == (newest, oldest)
    assert river_neighbours_for_user(user=reader, article=newest, folder_id=folder.pk).newer is None


def test_it_skips_read_stories_going_down_but_not_going_back_up(reader, followed):
    newer = ArticleFactory(feed=followed, published_at=T0 + timedelta(hours=2))
    current = ArticleFactory(feed=followed, published_at=T0 + timedelta(hours=1))
    read_below = ArticleFactory(feed=followed, published_at=T0)
    unread_below = ArticleFactory(feed=followed, published_at=T0 - timedelta(hours=1))
    ReadStateFactory(user=reader, article=newer)
    ReadStateFactory(user=reader, article=read_below)
    around = river_neighbours_for_user(user=reader, article=current, unread_only=True)
    assert (around.newer, around.older) == (newer, unread_below)


def test_it_counts_unread_stories_per_feed_and_folder(reader):
    folder = FolderFactory(user=reader)
    a = SubscriptionFactory(user=reader, folder=folder).feed
    b = SubscriptionFactory(user=reader).feed
    for _ in range(3):
        ArticleFactory(feed=a)
    ReadStateFactory(user=reader, article=ArticleFactory(feed=a))
    ArticleFactory(feed=b)
    ArticleFactory()  # not followed
    counts = unread_counts_for_user(user=reader)
    assert counts.by_feed == {a.pk: 3, b.pk: 1}
    assert counts.by_folder == {folder.pk: 3}
    assert counts.total == 4


def test_it_counts_unread_up_to_a_cap(reader):
    folder = FolderFactory(user=reader)
    feed = SubscriptionFactory(user=reader, folder=folder).feed
    other = SubscriptionFactory(user=reader).feed
    for _ in range(5):
        ArticleFactory(feed=feed)
    ReadStateFactory(user=reader, article=ArticleFactory(feed=other))
    ArticleFactory(feed=other)
    assert unread_count_for_user(user=reader) == 6
    assert unread_count_for_user(user=reader, cap=3) == 3
    assert unread_count_for_user(user=reader, folder_id=folder.pk) == 5
    assert unread_count_for_user(user=reader, feed_id=other.pk) == 1


def test_it_groups_sources_by_folder_and_names_the_river(reader):
    folder = FolderFactory(user=reader, name="Tech")
    sub = SubscriptionFactory(user=reader, folder=folder, title="Gadgets")
    loose = SubscriptionFactory(user=reader)
    sources = river_sources_for_user(user=reader)
    assert [(f.name if f else None, [s.pk for s in subs]) for f, subs in sources.groups] == [
        ("Tech", [sub.pk]),
        (None, [loose.pk]),
    ]
    assert sources.title_for(folder_id=folder.pk) == "Tech"
    assert sources.title_for(feed_id=sub.feed_id) == "Gadgets"
    assert sources.title_for(publisher_id=loose.feed.publisher_id) == loose.feed.publisher.name
    assert sources.title_for() == "All stories"


# --- One article ----------------------------------------------------------------------------------


def test_it_opens_an_article_of_a_followed_feed(reader, followed):
    article = ArticleFactory(feed=followed, publisher=PublisherFactory(in_catalogue=False))
    found = article_get_for_user(user=reader, article_id=article.pk)
    assert found == article and found.is_read is False and found.is_saved is False
    assert found.is_followed is True


def test_it_opens_an_article_in_the_catalogue(reader):
    article = ArticleFactory(feed=FeedFactory(publisher=PublisherFactory(in_catalogue=True)))
    found = article_get_for_user(user=reader, article_id=article.pk)
    assert found == article and found.is_followed is False


def test_it_opens_an_article_the_user_saved(reader):
    article = ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))
    ReadingListItemFactory(reading_list=ReadingListFactory(user=reader), article=article)
    assert article_get_for_user(user=reader, article_id=article.pk) == article


def test_it_hides_another_users_private_article(reader):
    private = ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))
    ReadingListItemFactory(reading_list=ReadingListFactory(), article=private)
    followed_by_other = ArticleFactory(
        feed=SubscriptionFactory().feed, publisher=PublisherFactory(in_catalogue=False)
    )
    for article_id in (private.pk, followed_by_other.pk, 10**9):
        with pytest.raises(Http404):
            article_get_for_user(user=reader, article_id=article_id)


def test_it_opens_an_article_in_one_query(reader, followed):
    article = ArticleFactory(feed=followed)
    with CaptureQueriesContext(connection) as queries:
        found = article_get_for_user(user=reader, article_id=article.pk)
        _ = (found.publisher.name, found.feed.title, found.content_html, found.is_read, found.is_saved)
    assert len(queries) == 1


# --- Reading lists --------------------------------------------------------------------------------


def test_it_lists_items_newest_first_with_read_state(reader):
    reading_list = ReadingListFactory(user=reader)
    old = ReadingListItemFactory(reading_list=reading_list, added_at=T0)
    new = ReadingListItemFactory(reading_list=reading_list, added_at=T0 + timedelta(hours=1))
    ReadingListItemFactory(reading_list=reading_list, archived=True)
    ReadStateFactory(user=reader, article=old.article)
    items = list(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk))
    assert [(i.pk, i.is_read) for i in items] == [(new.pk, False), (old.pk, True)]


def test_it_lists_the_archive_apart(reader):
    reading_list = ReadingListFactory(user=reader)
    ReadingListItemFactory(reading_list=reading_list)
    archived = ReadingListItemFactory(reading_list=reading_list, archived=True)
    assert _ids(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk, archived=True)) == [
        archived.pk
    ]
    assert len(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk, archived=None)) == 2


def test_it_gives_nothing_from_another_users_list(reader):
    other = ReadingListItemFactory().reading_list
    assert list(reading_list_items_for_user(user=reader, reading_list_id=other.pk, archived=None)) == []


def test_it_pages_list_items_by_keyset_with_equal_times(reader):
    reading_list = ReadingListFactory(user=reader)
    items = [ReadingListItemFactory(reading_list=reading_list, added_at=T0) for _ in range(5)]
    first = list(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk, limit=2))
    cursor = (first[-1].added_at, first[-1].pk)
    rest = list(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk, before=cursor))
    assert _ids(first) + _ids(rest) == [i.pk for i in reversed(items)]


@pytest.mark.parametrize("size", [10, 50])
def test_it_takes_one_query_for_a_list_page_of_any_size(reader, size):
    reading_list = ReadingListFactory(user=reader)
    for _ in range(size):
        ReadingListItemFactory(reading_list=reading_list)
    with CaptureQueriesContext(connection) as queries:
        items = list(reading_list_items_for_user(user=reader, reading_list_id=reading_list.pk, limit=size))
        for item in items:
            _ = (item.article.title, item.article.publisher.name, item.is_read, item.archived)
    assert len(items) == size and len(queries) == 1


def test_it_counts_items_to_read_per_list(reader):
    default = ReadingListFactory(user=reader, is_default=True, name="Read later")
    named = ReadingListFactory(user=reader, name="Weekend")
    ReadingListItemFactory(reading_list=default)
    ReadingListItemFactory(reading_list=default, archived=True)
    ReadingListFactory()  # someone else's
    assert [(rl.pk, rl.item_count) for rl in reading_lists_for_user(user=reader)] == [
        (default.pk, 1),
        (named.pk, 0),
    ]


def test_it_hides_another_users_page_save(reader):
    status = reading_list_save_url(user=reader, url="https://example.org/page")
    assert page_save_status_for_user(user=reader, token=status.token).state == "pending"
    with pytest.raises(Http404):
        page_save_status_for_user(user=UserFactory(), token=status.token)
    with pytest.raises(Http404):
        page_save_status_for_user(user=reader, token="not-a-token")


# --- Syndicated copies: a wire story once ---------------------------------------------------------


def _wire_story(*, original_feed, copy_feeds, published_at):
    """An original in `original_feed` and a syndicated copy of it in each of `copy_feeds`, clustered
    the way discovery's clustering marks them (ClusterMember.is_duplicate, duplicate_of)."""
    cluster = StoryCluster.objects.create(first_published_at=published_at, last_published_at=published_at)
    original = ArticleFactory(feed=original_feed, published_at=published_at)
    ClusterMember.objects.create(article=original, cluster=cluster)
    copies = []
    for i, feed in enumerate(copy_feeds):
        copy = ArticleFactory(feed=feed, published_at=published_at + timedelta(minutes=i + 1))
        ClusterMember.objects.create(article=copy, cluster=cluster, is_duplicate=True, duplicate_of=original)
        copies.append(copy)
    return original, copies


def test_the_river_shows_a_wire_story_once(reader):
    a, b, c = (SubscriptionFactory(user=reader).feed for _ in range(3))
    original, copies = _wire_story(original_feed=a, copy_feeds=[b, c], published_at=T0)
    own = ArticleFactory(feed=b, published_at=T0 - timedelta(hours=1))
    assert _ids(river_for_user(user=reader)) == [original.pk, own.pk]
    assert unread_count_for_user(user=reader) == 2
    # Read or not, the copy stays out: it is the story the reader has seen.
    ReadStateFactory(user=reader, article=original)
    assert _ids(river_for_user(user=reader, unread_only=True)) == [own.pk]
    # The API clients keep every article (they sync ids, and mark the copies read themselves).
    assert set(_ids(river_stream_for_user(user=reader))) == {original.pk, own.pk, *(x.pk for x in copies)}


def test_a_copy_shows_when_its_original_is_not_in_the_river(reader):
    followed_feed = SubscriptionFactory(user=reader).feed
    folder = FolderFactory(user=reader)
    in_folder = SubscriptionFactory(user=reader, folder=folder).feed
    original, (copy,) = _wire_story(original_feed=FeedFactory(), copy_feeds=[followed_feed], published_at=T0)
    assert _ids(river_for_user(user=reader)) == [copy.pk]
    # Narrowed to one feed or folder, a copy whose original lies outside it shows.
    original2, (copy2,) = _wire_story(original_feed=followed_feed, copy_feeds=[in_folder], published_at=T0)
    assert copy2.pk not in _ids(river_for_user(user=reader))
    assert _ids(river_for_user(user=reader, folder_id=folder.pk)) == [copy2.pk]
    assert _ids(river_for_user(user=reader, feed_id=in_folder.pk)) == [copy2.pk]
    assert unread_count_for_user(user=reader, feed_id=in_folder.pk) == 1
    # In Read later, the reader chose each story: a saved copy shows.
    read_later = ReadingListFactory(user=reader, is_default=True)
    ReadingListItemFactory(reading_list=read_later, article=copy2)
    assert _ids(river_for_user(user=reader, starred_only=True)) == [copy2.pk]


def test_keyset_pages_skip_copies_without_gaps_or_repeats(reader):
    feeds = [SubscriptionFactory(user=reader).feed for _ in range(3)]
    expected = []
    for i in range(7):
        at = T0 - timedelta(hours=i)
        if i % 2:
            original, _ = _wire_story(original_feed=feeds[0], copy_feeds=feeds[1:], published_at=at)
            expected.append(original.pk)
        else:
            expected.append(ArticleFactory(feed=feeds[i % 3], published_at=at).pk)
    seen, cursor = [], None
    while True:
        page = list(river_for_user(user=reader, before=cursor, limit=2))
        seen += [a.pk for a in page]
        if len(page) < 2:
            break
        cursor = (page[-1].published_at, page[-1].pk)
    assert seen == expected


def test_the_river_with_copies_still_takes_one_query(reader):
    feeds = [SubscriptionFactory(user=reader).feed for _ in range(2)]
    for i in range(5):
        _wire_story(original_feed=feeds[0], copy_feeds=[feeds[1]], published_at=T0 - timedelta(hours=i))
    with CaptureQueriesContext(connection) as queries:
        page = list(river_for_user(user=reader, unread_only=True))
    assert len(page) == 5 and len(queries) == 1


def test_next_and_previous_skip_copies(reader):
    a, b = (SubscriptionFactory(user=reader).feed for _ in range(2))
    older = ArticleFactory(feed=a, published_at=T0 - timedelta(hours=2))
    original, (copy,) = _wire_story(original_feed=a, copy_feeds=[b], published_at=T0 - timedelta(hours=1))
    newer = ArticleFactory(feed=b, published_at=T0 + timedelta(hours=1))
    neighbours = river_neighbours_for_user(user=reader, article=original)
    assert neighbours.older == older and neighbours.newer == newer


def test_the_river_page_is_river_for_user_as_values_in_one_query(reader):
    folder = FolderFactory(user=reader)
    feeds = [SubscriptionFactory(user=reader, folder=folder if i else None).feed for i in range(3)]
    read_later = ReadingListFactory(user=reader, is_default=True)
    for i in range(12):
        article = ArticleFactory(feed=feeds[i % 3], published_at=T0 - timedelta(minutes=i), reading_time=i)
        if i % 4 == 0:
            ReadingListItemFactory(reading_list=read_later, article=article)
        if i % 3 == 0:
            ReadStateFactory(user=reader, article=article)
    _wire_story(original_feed=feeds[0], copy_feeds=[feeds[1]], published_at=T0 - timedelta(minutes=30))
    ArticleFactory(published_at=T0)  # not followed
    middle = list(river_for_user(user=reader, limit=20))[5]
    shapes = [
        {},
        {"unread_only": True},
        {"folder_id": folder.pk},
        {"feed_id": feeds[2].pk, "unread_only": True},
        {"publisher_id": feeds[1].publisher_id},
        {"starred_only": True},
        {"before": (middle.published_at, middle.pk)},
        {"before": (middle.published_at, middle.pk), "unread_only": True, "folder_id": folder.pk},
    ]
    for kwargs in shapes:
        expected = [
            (a.pk, a.title, a.published_at, a.publisher.name, a.reading_time, a.is_read, a.is_saved)
            for a in river_for_user(user=reader, limit=7, **kwargs)
        ]
        with CaptureQueriesContext(connection) as queries:
            page = river_page_for_user(user=reader, limit=7, **kwargs)
        got = [
            (s.pk, s.title, s.published_at, s.publisher.name, s.reading_time, s.is_read, s.is_saved)
            for s in page
        ]
        assert got == expected, kwargs
        assert len(queries) == 1
    # Another user's values go into the same compiled query: they see their own river only.
    other = UserFactory()
    SubscriptionFactory(user=other, feed=feeds[2])
    assert {s.feed_id for s in river_page_for_user(user=other, limit=50)} == {feeds[2].pk}
