"""The river caches each reader's sources (its "showing" menu) and an unread count at its cap until the
reader changes them: every change shows on the next page, and no reader ever sees another's."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscriptions.reader_cache import FOLLOWS, reader_cached, reader_changed
from subscriptions.selectors.reading import unread_count_for_user
from subscriptions.services.reading import article_mark_read, article_mark_unread
from tests.factories import (
    ArticleFactory,
    FeedFactory,
    FolderFactory,
    PublisherFactory,
    SubscriptionFactory,
    UserFactory,
)

HTMX = {"HX-Request": "true"}


def _menu(client) -> str:
    """The river's "showing" menu: its folder groups and their options."""
    html = client.get(reverse("subscriptions:river")).content.decode()
    return re.search(r'<select id="river-source".*?</select>', html, re.S)[0]


def test_the_menu_is_read_from_the_cache_on_the_next_page(signed_in, reader):
    SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    assert "Daily Bugle" in _menu(signed_in)
    with CaptureQueriesContext(connection) as queries:
        assert "Daily Bugle" in _menu(signed_in)
    assert not [q for q in queries if "subscriptions_subscription" in q["sql"] and "feed__title" in q["sql"]]
    assert not [q for q in queries if '"articles_feed"."title"' in q["sql"]]


def test_a_renamed_subscription_shows_at_once(signed_in, reader):
    subscription = SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    assert "Daily Bugle" in _menu(signed_in)
    signed_in.post(
        reverse("subscriptions:subscription-rename", args=[subscription.pk]), {"name": "The Bugle"}
    )
    menu = _menu(signed_in)
    assert "The Bugle" in menu and "Daily Bugle" not in menu


def test_a_followed_and_an_unfollowed_publisher_show_at_once(signed_in, reader):
    SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    planet = FeedFactory(title="Daily Planet", publisher=PublisherFactory(name="Planet"))
    story = ArticleFactory(feed=planet, title="Superman seen again")
    assert "Daily Planet" not in _menu(signed_in)

    signed_in.post(reverse("subscriptions:publisher-follow", args=[planet.publisher_id]))
    assert "Daily Planet" in _menu(signed_in)
    assert story.title in signed_in.get(reverse("subscriptions:river")).content.decode()

    signed_in.post(reverse("subscriptions:publisher-unfollow", args=[planet.publisher_id]))
    assert "Daily Planet" not in _menu(signed_in)
    assert story.title not in signed_in.get(reverse("subscriptions:river")).content.decode()


def test_an_unfollowed_subscription_leaves_the_menu_at_once(signed_in, reader):
    SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    gone = SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Planet"))
    assert "Daily Planet" in _menu(signed_in)
    signed_in.post(reverse("subscriptions:subscription-delete", args=[gone.pk]))
    assert "Daily Planet" not in _menu(signed_in)


def test_folder_changes_show_at_once(signed_in, reader):
    folder = FolderFactory(user=reader, name="Local")
    subscription = SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Planet"))
    assert 'label="Local"' not in _menu(signed_in)

    signed_in.post(reverse("subscriptions:subscription-move", args=[subscription.pk]), {"folder": folder.pk})
    assert re.search(r'<optgroup label="Local">.*?Daily Bugle.*?</optgroup>', _menu(signed_in), re.S)

    signed_in.post(reverse("subscriptions:folder-rename", args=[folder.pk]), {"name": "Nearby"})
    menu = _menu(signed_in)
    assert 'label="Nearby"' in menu and 'label="Local"' not in menu

    signed_in.post(reverse("subscriptions:folder-delete", args=[folder.pk]))
    assert 'label="Nearby"' not in _menu(signed_in)


def test_each_reader_sees_only_their_own_menu(client, reader):
    other = UserFactory()
    SubscriptionFactory(user=reader, feed=FeedFactory(title="Daily Bugle"))
    SubscriptionFactory(user=other, feed=FeedFactory(title="Daily Planet"))
    client.force_login(reader)
    assert "Daily Bugle" in _menu(client)
    client.force_login(other)
    menu = _menu(client)
    assert "Daily Planet" in menu and "Daily Bugle" not in menu
    client.force_login(reader)
    menu = _menu(client)
    assert "Daily Bugle" in menu and "Daily Planet" not in menu


def test_a_value_computed_across_a_change_is_not_kept(reader):
    """A page that read the rows before a change and stores them after it: the next page reads again."""
    computed = []

    def compute() -> int:
        computed.append(1)
        if len(computed) == 1:
            reader_changed(user_id=reader.pk, kind=FOLLOWS)  # committed while this page was reading
        return len(computed)

    def cached() -> int:
        return reader_cached(
            user_id=reader.pk, name="test", depends_on=(FOLLOWS,), compute=compute, ttl=lambda _: 60
        )

    assert cached() == 1
    assert cached() == 2
    assert cached() == 2


# --- The unread count at its cap -----------------------------------------------------------------------


@pytest.fixture
def feed(reader):
    return SubscriptionFactory(user=reader).feed


def test_a_count_under_the_cap_is_counted_every_time(reader, feed):
    ArticleFactory(feed=feed)
    assert unread_count_for_user(user=reader, cap=3) == 1
    ArticleFactory(feed=feed)
    assert unread_count_for_user(user=reader, cap=3) == 2


def test_a_count_at_the_cap_is_kept_until_the_reader_reads(reader, feed, django_assert_num_queries):
    stories = [ArticleFactory(feed=feed) for _ in range(4)]
    assert unread_count_for_user(user=reader, cap=3) == 3
    with django_assert_num_queries(0):
        assert unread_count_for_user(user=reader, cap=3) == 3

    article_mark_read(user=reader, article_id=stories[0].pk)
    article_mark_read(user=reader, article_id=stories[1].pk)
    assert unread_count_for_user(user=reader, cap=3) == 2

    article_mark_unread(user=reader, article_id=stories[1].pk)
    assert unread_count_for_user(user=reader, cap=3) == 3


def test_a_count_at_the_cap_drops_at_once_when_the_reader_unfollows(client, reader, feed):
    for _ in range(4):
        ArticleFactory(feed=feed)
    assert unread_count_for_user(user=reader, cap=3) == 3
    client.force_login(reader)
    client.post(reverse("subscriptions:subscription-delete", args=[feed.subscriptions.get().pk]))
    assert unread_count_for_user(user=reader, cap=3) == 0


def test_marking_all_read_in_the_river_shows_at_once(signed_in, reader, feed):
    for _ in range(3):
        ArticleFactory(feed=feed)
    river = signed_in.get(reverse("subscriptions:river")).content.decode()
    assert "3 unread" in river
    latest = max(feed.articles.values_list("id", flat=True))
    signed_in.post(reverse("subscriptions:river-mark-all-read"), {"before_id": latest})
    river = signed_in.get(reverse("subscriptions:river")).content.decode()
    assert "3 unread" not in river and "You are all caught up" in river


def test_each_reader_has_their_own_count(reader, feed):
    other = UserFactory()
    SubscriptionFactory(user=other, feed=feed)
    stories = [ArticleFactory(feed=feed) for _ in range(3)]
    assert unread_count_for_user(user=reader, cap=3) == 3
    article_mark_read(user=other, article_id=stories[0].pk)
    assert unread_count_for_user(user=other, cap=3) == 2
    assert unread_count_for_user(user=reader, cap=3) == 3
