from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Folder, Subscription
from tests.factories import FeedFactory, FolderFactory, SubscriptionFactory, UserFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_it_lists_subscriptions_by_folder(client, alice):
    tech = FolderFactory(user=alice, name="Tech")
    SubscriptionFactory(user=alice, folder=tech, feed=FeedFactory(title="Gadget Weekly"))
    SubscriptionFactory(user=alice, feed=FeedFactory(title="Town Crier"))
    SubscriptionFactory(feed=FeedFactory(title="Someone Else's Feed"))

    response = client.get(reverse("subscriptions:subscription-manage"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tech" in html and "Gadget Weekly" in html and "Town Crier" in html
    assert "Not in a folder" in html
    assert "Someone Else" not in html
    assert (
        html.index("Tech")
        < html.index("Gadget Weekly")
        < html.index("Not in a folder")
        < html.index("Town Crier")
    )


@pytest.mark.django_db
def test_it_shows_the_last_error_and_next_try_of_a_failing_feed(client, alice):
    feed = FeedFactory(
        title="Flaky Times",
        error_count=3,
        last_error="The server answered 503 Service Unavailable",
        next_check_at=timezone.now() + timedelta(hours=2, minutes=5),
        last_checked_at=timezone.now(),
    )
    SubscriptionFactory(user=alice, feed=feed)

    html = client.get(reverse("subscriptions:subscription-manage")).content.decode()

    assert "Failing" in html
    assert "Last error: The server answered 503 Service Unavailable" in html
    assert "failed 3 times in a row" in html
    assert "next try" in html and "in 2\xa0hours" in html
    assert reverse("subscriptions:subscription-retry", args=[feed.subscriptions.get().pk]) in html


@pytest.mark.django_db
def test_it_shows_why_a_feed_was_stopped(client, alice):
    feed = FeedFactory(disabled=True, disabled_reason="The publisher says this feed is gone (HTTP 410).")
    SubscriptionFactory(user=alice, feed=feed)
    html = client.get(reverse("subscriptions:subscription-manage")).content.decode()
    assert "Stopped" in html
    assert "The publisher says this feed is gone (HTTP 410)." in html


@pytest.mark.django_db
def test_it_takes_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries):
    folders = [FolderFactory(user=alice) for _ in range(4)]
    for i in range(40):
        SubscriptionFactory(user=alice, folder=folders[i % 5] if i % 5 < 4 else None)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("subscriptions:subscription-manage"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_it_retries_a_failing_feed(client, alice):
    feed = FeedFactory(
        disabled=True, disabled_reason="Stopped after 10 failed checks", error_count=10,
        next_check_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    subscription = SubscriptionFactory(user=alice, feed=feed)

    response = client.post(reverse("subscriptions:subscription-retry", args=[subscription.pk]))

    assert response.status_code == 302
    feed.refresh_from_db()
    assert not feed.disabled
    assert feed.next_check_at <= timezone.now()


@pytest.mark.django_db
def test_it_renames_a_subscription(client, alice):
    subscription = SubscriptionFactory(user=alice, feed=FeedFactory(title="Original"))
    response = client.post(
        reverse("subscriptions:subscription-rename", args=[subscription.pk]),
        {"name": "  My  paper "},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Renamed to “My paper”" in response.content.decode()
    assert 'id="subscription-list"' in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.title == "My paper"


@pytest.mark.django_db
def test_it_goes_back_to_the_feed_title_when_the_name_is_emptied(client, alice):
    subscription = SubscriptionFactory(user=alice, title="Mine", feed=FeedFactory(title="Original"))
    client.post(reverse("subscriptions:subscription-rename", args=[subscription.pk]), {"name": ""})
    subscription.refresh_from_db()
    assert subscription.display_title == "Original"


@pytest.mark.django_db
def test_it_moves_a_subscription_into_and_out_of_a_folder(client, alice):
    folder = FolderFactory(user=alice, name="Local")
    subscription = SubscriptionFactory(user=alice)
    client.post(reverse("subscriptions:subscription-move", args=[subscription.pk]), {"folder": folder.pk})
    subscription.refresh_from_db()
    assert subscription.folder == folder
    client.post(reverse("subscriptions:subscription-move", args=[subscription.pk]), {"folder": ""})
    subscription.refresh_from_db()
    assert subscription.folder is None


@pytest.mark.django_db
def test_it_unfollows(client, alice):
    subscription = SubscriptionFactory(user=alice)
    response = client.post(reverse("subscriptions:subscription-delete", args=[subscription.pk]), headers=HTMX)
    assert response.status_code == 200
    assert "You no longer follow" in response.content.decode()
    assert "announce" in response["HX-Trigger"]
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.django_db
def test_it_refuses_to_unfollow_on_get(client, alice):
    subscription = SubscriptionFactory(user=alice)
    assert client.get(reverse("subscriptions:subscription-delete", args=[subscription.pk])).status_code == 405
    assert Subscription.objects.filter(pk=subscription.pk).exists()


@pytest.mark.django_db
def test_it_creates_renames_and_deletes_folders(client, alice):
    client.post(reverse("subscriptions:folder-create"), {"name": "World"})
    folder = Folder.objects.get(user=alice)
    assert folder.name == "World"

    client.post(reverse("subscriptions:folder-rename", args=[folder.pk]), {"name": "Abroad"})
    folder.refresh_from_db()
    assert folder.name == "Abroad"

    subscription = SubscriptionFactory(user=alice, folder=folder)
    response = client.post(reverse("subscriptions:folder-delete", args=[folder.pk]), headers=HTMX)
    assert "Its 1 subscription" in response.content.decode()
    assert not Folder.objects.filter(pk=folder.pk).exists()
    subscription.refresh_from_db()
    assert subscription.folder is None


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_refuses_a_bad_folder_name(client, alice, name):
    response = client.post(reverse("subscriptions:folder-create"), {"name": name}, headers=HTMX)
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()
    assert not Folder.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_it_refuses_a_folder_name_the_user_already_has(client, alice):
    FolderFactory(user=alice, name="Tech")
    response = client.post(reverse("subscriptions:folder-create"), {"name": "tech"}, follow=True)
    assert "You already have a folder called “tech”" in response.content.decode()
    assert Folder.objects.filter(user=alice).count() == 1


# --- Another user's ids -----------------------------------------------------------------------------------


@pytest.fixture
def bobs_things():
    bob = UserFactory(username="bob")
    folder = FolderFactory(user=bob, name="Bob's")
    subscription = SubscriptionFactory(user=bob, folder=folder, title="Bob's paper")
    return bob, folder, subscription


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data",
    [
        ("subscriptions:subscription-rename", {"name": "Hacked"}),
        ("subscriptions:subscription-move", {"folder": ""}),
        ("subscriptions:subscription-delete", {}),
        ("subscriptions:subscription-retry", {}),
    ],
)
def test_it_does_not_let_another_user_touch_a_subscription(client, alice, bobs_things, name, data):
    _, folder, subscription = bobs_things
    response = client.post(reverse(name, args=[subscription.pk]), data)
    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.title == "Bob's paper"
    assert subscription.folder == folder


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data", [("subscriptions:folder-rename", {"name": "Hacked"}), ("subscriptions:folder-delete", {})]
)
def test_it_does_not_let_another_user_touch_a_folder(client, alice, bobs_things, name, data):
    _, folder, _ = bobs_things
    assert client.post(reverse(name, args=[folder.pk]), data).status_code == 404
    folder.refresh_from_db()
    assert folder.name == "Bob's"


@pytest.mark.django_db
def test_it_does_not_let_a_user_move_into_another_users_folder(client, alice, bobs_things):
    _, bobs_folder, _ = bobs_things
    mine = SubscriptionFactory(user=alice)
    response = client.post(
        reverse("subscriptions:subscription-move", args=[mine.pk]), {"folder": bobs_folder.pk}
    )
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.folder is None


@pytest.mark.django_db
def test_it_does_not_show_another_users_folders(client, alice, bobs_things):
    html = client.get(reverse("subscriptions:subscription-manage")).content.decode()
    assert "Bob&#x27;s" not in html and "Bob's" not in html
