"""Our Picks: chosen in the admin, shown on the home page to readers who may open them."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from discovery.models import Pick
from discovery.selectors import picks_for_home
from discovery.selectors.picks import picks_any_active
from tests.discovery.helpers import story_with_members
from tests.factories import ArticleFactory, PublisherFactory, UserFactory


def test_it_shows_active_picks_in_the_editors_order(reader):
    first = Pick.objects.create(article=ArticleFactory(title="First"), blurb="Read this first", position=0)
    cluster, articles = story_with_members(n=3, published_at=timezone.now(), title="Story")
    second = Pick.objects.create(cluster=cluster, blurb="The whole story", position=1)
    Pick.objects.create(article=ArticleFactory(), blurb="Switched off", is_active=False)
    Pick.objects.create(
        article=ArticleFactory(), blurb="Expired", show_until=timezone.now() - timedelta(hours=1)
    )
    cards = picks_for_home(user=reader)
    assert [c.pick_id for c in cards] == [first.pk, second.pk]
    assert cards[1].article.pk == articles[0].pk and cards[1].publisher_count == 3


def test_it_hides_picks_the_reader_may_not_open(reader):
    Pick.objects.create(
        article=ArticleFactory(feed__publisher=PublisherFactory(in_catalogue=False)), blurb="Private"
    )
    assert picks_for_home(user=reader) == []


def test_a_pick_is_an_article_or_a_story_not_both(db):
    cluster, articles = story_with_members(n=2, published_at=timezone.now())
    with pytest.raises(IntegrityError):
        Pick.objects.create(article=articles[0], cluster=cluster, blurb="Both")


def test_editors_manage_picks_in_the_admin(client, db):
    assert admin.site.is_registered(Pick)
    editor = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(editor)
    article = ArticleFactory()
    response = client.post(
        reverse("admin:discovery_pick_add"),
        {"article": article.pk, "blurb": "Why it matters", "is_active": "on", "position": 0},
    )
    assert response.status_code == 302
    assert Pick.objects.get().created_by == editor


def test_the_river_shows_the_picks(client, reader):
    Pick.objects.create(article=ArticleFactory(title="An editor's choice"), blurb="Worth your time")
    client.force_login(reader)
    body = client.get(reverse("subscriptions:river")).content.decode()
    assert "Our picks" in body and "Worth your time" in body and "An editor&#x27;s choice" in body


def test_with_no_active_pick_the_picks_query_is_skipped(reader, django_assert_num_queries):
    Pick.objects.create(article=ArticleFactory(), blurb="Switched off", is_active=False)
    assert picks_for_home(user=reader) == []  # works out, and remembers, that none is active
    with django_assert_num_queries(0):
        assert picks_for_home(user=reader) == []


def test_a_new_pick_shows_at_once_after_none_was_remembered(client, reader):
    client.force_login(reader)
    assert "Our picks" not in client.get(reverse("subscriptions:river")).content.decode()
    assert picks_any_active() is False
    Pick.objects.create(article=ArticleFactory(title="Fresh"), blurb="Just chosen")
    assert "Just chosen" in client.get(reverse("subscriptions:river")).content.decode()


def test_a_pick_switched_on_again_shows_at_once(reader):
    pick = Pick.objects.create(article=ArticleFactory(), blurb="Back again", is_active=False)
    assert picks_for_home(user=reader) == []
    pick.is_active = True
    pick.save()
    assert [c.pick_id for c in picks_for_home(user=reader)] == [pick.pk]
