import re

import pytest
from django.urls import reverse

from articles.models import Feed
from subscriptions.models import Subscription
from subscriptions.services.follows import source_preview_token
from tests.factories import FolderFactory, SubscriptionFactory, UserFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


@pytest.mark.django_db
def test_it_shows_the_form(client, alice):
    response = client.get(reverse("subscriptions:source-add"))
    assert response.status_code == 200
    assert 'name="url"' in response.content.decode()


@pytest.mark.django_db
def test_it_finds_the_feed_of_a_site_and_previews_it(client, alice, publisher_server):
    site = publisher_server.site("daily-planet", n_items=4)
    response = client.post(
        reverse("subscriptions:source-add"),
        {"url": publisher_server.url("/sites/daily-planet/")},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Daily Planet" in html
    assert site.feed_url in html
    assert html.count('class="preview__item-title"') == 4
    assert not Feed.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
def test_it_follows_what_the_preview_found(client, alice, publisher_server):
    site = publisher_server.site("gotham-gazette")
    folder = FolderFactory(user=alice, name="Local")
    preview = client.post(reverse("subscriptions:source-add"), {"url": site.feed_url}, headers=HTMX)

    response = client.post(
        reverse("subscriptions:source-follow"),
        {"token": _token(preview.content.decode()), "title": "The Gazette", "folder": folder.pk},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "You now follow “The Gazette”" in response.content.decode()
    subscription = Subscription.objects.get(user=alice)
    assert subscription.feed.url == site.feed_url
    assert subscription.title == "The Gazette"
    assert subscription.folder == folder


@pytest.mark.django_db
def test_it_keeps_the_feed_title_when_the_name_is_not_changed(client, alice, publisher_server):
    site = publisher_server.site("metropolis-ledger")
    preview = client.post(reverse("subscriptions:source-add"), {"url": site.feed_url})
    client.post(
        reverse("subscriptions:source-follow"),
        {"token": _token(preview.content.decode()), "title": "Metropolis Ledger"},
    )
    subscription = Subscription.objects.get(user=alice)
    assert subscription.title == ""
    assert subscription.display_title == "Metropolis Ledger"


@pytest.mark.django_db
def test_it_says_when_the_feed_is_already_followed(client, alice, publisher_server):
    site = publisher_server.site("northern-star")
    preview = client.post(reverse("subscriptions:source-add"), {"url": site.feed_url})
    token = _token(preview.content.decode())
    client.post(reverse("subscriptions:source-follow"), {"token": token})
    response = client.post(reverse("subscriptions:source-follow"), {"token": token}, follow=True)
    assert "You already follow" in response.content.decode()
    assert Subscription.objects.filter(user=alice).count() == 1

    again = client.post(reverse("subscriptions:source-add"), {"url": site.feed_url})
    assert "You already follow this feed" in again.content.decode()


@pytest.mark.django_db
def test_it_explains_a_page_without_a_feed(client, alice, publisher_server):
    publisher_server.route(
        "/about", body=b"<!doctype html><html><body><p>Just a page.</p></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )  # fmt: skip
    response = client.post(reverse("subscriptions:source-add"), {"url": publisher_server.url("/about")})
    assert response.status_code == 422
    assert "No feed was found" in response.content.decode()


@pytest.mark.django_db
def test_it_explains_an_unreachable_address(client, alice, publisher_server):
    for url in ("http://127.0.0.1:9/feed.xml", publisher_server.url("/status/503")):
        response = client.post(reverse("subscriptions:source-add"), {"url": url})
        assert response.status_code == 422
        assert "could not be reached" in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_private_address(client, alice, publisher_server, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    response = client.post(
        reverse("subscriptions:source-add"), {"url": publisher_server.url("/feeds/news.xml")}, headers=HTMX
    )
    html = response.content.decode()
    assert "private or local address" in html
    assert 'role="alert"' in html
    assert not publisher_server.requests


@pytest.mark.django_db
def test_it_refuses_addresses_that_are_not_web_addresses(client, alice):
    response = client.post(reverse("subscriptions:source-add"), {"url": "file:///etc/passwd"})
    assert "Only http and https addresses can be followed" in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_forged_preview(client, alice):
    response = client.post(
        reverse("subscriptions:source-follow"), {"token": "eyJ1IjoxfQ:forged:signature"}, follow=True
    )
    assert "This preview is not valid" in response.content.decode()
    assert not Feed.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_preview_made_for_another_user(client, alice):
    bob = UserFactory(username="bob")
    token = source_preview_token(user=bob, feed_url="https://example.org/feed.xml", title="X", site_url="")
    response = client.post(reverse("subscriptions:source-follow"), {"token": token}, follow=True)
    assert "This preview is not valid" in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_it_refuses_to_follow_into_another_users_folder(client, alice):
    bobs_folder = FolderFactory(user=UserFactory(username="bob"))
    token = source_preview_token(user=alice, feed_url="https://example.org/feed.xml", title="X", site_url="")
    response = client.post(reverse("subscriptions:source-follow"), {"token": token, "folder": bobs_folder.pk})
    assert response.status_code == 404
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_it_does_not_tell_what_another_user_follows(client, alice, publisher_server):
    site = publisher_server.site("harbour-herald")
    SubscriptionFactory(user=UserFactory(username="bob"), feed__url=site.feed_url)
    response = client.post(reverse("subscriptions:source-add"), {"url": site.feed_url})
    assert "You already follow" not in response.content.decode()


UNDATED_FEED = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Undated Weekly</title><link>https://undated.example/</link>
<item><title>Dated story</title><link>https://undated.example/a</link>
<pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>A story with no date</title><link>https://undated.example/b</link></item>
</channel></rss>"""


@pytest.mark.django_db
def test_it_previews_a_feed_whose_stories_carry_no_date(client, alice, publisher_server):
    publisher_server.route("/undated.xml", status=200, body=UNDATED_FEED)

    response = client.post(
        reverse("subscriptions:source-add"), {"url": publisher_server.url("/undated.xml")}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Undated Weekly" in html
    assert html.index("Dated story") < html.index("A story with no date")  # newest first, undated last
