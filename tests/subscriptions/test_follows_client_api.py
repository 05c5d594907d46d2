"""Following by address and lookups by name or feed, which the Google Reader API uses (appended by `compat`)."""

import pytest
from django.http import Http404

from articles.models import Feed
from articles.services import FeedLookupError
from subscriptions.models import Folder, Subscription
from subscriptions.selectors.follows import folder_get_by_name_for_user, subscription_get_by_feed_for_user
from subscriptions.services.follows import FollowError, subscription_create_from_url
from tests.factories import FeedFactory, FolderFactory, SubscriptionFactory


def test_it_follows_a_feed_it_stores_already_without_fetching(reader, publisher_server):
    feed = FeedFactory(url=publisher_server.url("/never-fetched.xml"))
    subscription, created = subscription_create_from_url(user=reader, url=feed.url, folder_name="Tech")
    assert created and subscription.feed == feed and subscription.folder.name == "Tech"
    assert publisher_server.requests_for("/never-fetched.xml") == []


def test_it_looks_up_a_new_address_and_follows_the_feed_found(reader, publisher_server):
    site = publisher_server.site("compat-follow", 3)
    home = site.feed_url.rsplit("/", 1)[0] + "/"
    subscription, created = subscription_create_from_url(user=reader, url=home, title="My title")
    assert created
    assert subscription.feed.url.endswith("/sites/compat-follow/feed.xml")
    assert subscription.title == "My title"
    assert subscription.folder is None


def test_following_twice_keeps_the_first_subscription(reader, publisher_server):
    feed = FeedFactory()
    first, _ = subscription_create_from_url(user=reader, url=feed.url)
    second, created = subscription_create_from_url(user=reader, url=feed.url, folder_name="Later")
    assert second == first and not created
    assert Subscription.objects.filter(user=reader).count() == 1


def test_it_refuses_an_address_that_is_not_a_feed(reader, publisher_server):
    publisher_server.route(
        "/not-a-feed", status=200, body=b"just text", headers={"Content-Type": "text/plain"}
    )
    with pytest.raises(FeedLookupError):
        subscription_create_from_url(user=reader, url=publisher_server.url("/not-a-feed"))
    assert not Subscription.objects.filter(user=reader).exists()
    assert not Feed.objects.filter(url=publisher_server.url("/not-a-feed")).exists()


@pytest.mark.parametrize("url", ["", "   ", "https://example.org/" + "x" * 3000])
def test_it_refuses_an_empty_or_huge_address(reader, url):
    with pytest.raises(FollowError):
        subscription_create_from_url(user=reader, url=url)


def test_it_finds_a_folder_by_its_exact_name_before_another_case(reader):
    FolderFactory(user=reader, name="tech")
    exact = FolderFactory(user=reader, name="Tech")
    assert folder_get_by_name_for_user(user=reader, name="Tech") == exact
    assert folder_get_by_name_for_user(user=reader, name="TECH").name.lower() == "tech"


def test_it_finds_only_the_users_own_folder(reader):
    FolderFactory(name="Secret")
    with pytest.raises(Http404):
        folder_get_by_name_for_user(user=reader, name="Secret")
    assert Folder.objects.filter(name="Secret").count() == 1


def test_it_finds_a_subscription_by_feed_id_or_address_only_for_its_user(reader):
    mine = SubscriptionFactory(user=reader)
    theirs = SubscriptionFactory()
    assert subscription_get_by_feed_for_user(user=reader, feed_id=mine.feed_id) == mine
    assert subscription_get_by_feed_for_user(user=reader, feed_url=mine.feed.url) == mine
    for kwargs in ({"feed_id": theirs.feed_id}, {"feed_url": theirs.feed.url}, {}):
        with pytest.raises(Http404):
            subscription_get_by_feed_for_user(user=reader, **kwargs)
