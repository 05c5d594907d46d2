"""'Also in N sources': cluster info for a page of the river in one query, and its fragment on the cards."""

import pytest
from django.urls import reverse
from django.utils import timezone

from discovery.models import ClusterMember
from discovery.selectors import cluster_info_for_articles
from tests.discovery.helpers import story_with_members
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory


def test_it_gives_size_and_other_publishers_in_one_query(db, django_assert_num_queries):
    cluster, articles = story_with_members(n=3, published_at=timezone.now())
    lone = ArticleFactory()
    with django_assert_num_queries(1):
        info = cluster_info_for_articles(article_ids=[articles[0].pk, articles[2].pk, lone.pk])
    assert set(info) == {articles[0].pk, articles[2].pk}
    assert info[articles[0].pk].size == 3
    assert info[articles[0].pk].other_publishers == [articles[1].publisher.name, articles[2].publisher.name]
    assert cluster_info_for_articles(article_ids=[]) == {}


def test_it_never_names_a_publisher_made_from_someones_own_feed(db):
    cluster, articles = story_with_members(n=3, published_at=timezone.now())
    articles[2].publisher.in_catalogue = False
    articles[2].publisher.save()
    assert cluster_info_for_articles(article_ids=[articles[0].pk])[articles[0].pk].other_count == 1


def test_it_says_when_a_story_is_a_copy(db):
    cluster, articles = story_with_members(n=2, published_at=timezone.now())
    ClusterMember.objects.filter(article=articles[1]).update(is_duplicate=True, duplicate_of=articles[0])
    assert cluster_info_for_articles(article_ids=[articles[1].pk])[articles[1].pk].is_duplicate


@pytest.mark.parametrize("size", [10, 50])
def test_the_river_shows_also_in_with_one_query_per_page(client, db, size, django_assert_max_num_queries):
    reader = UserFactory()
    now = timezone.now()
    for i in range(size // 2):
        cluster, articles = story_with_members(n=2, published_at=now, title=f"Story {i}")
        SubscriptionFactory(user=reader, feed=articles[0].feed)
    client.force_login(reader)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("subscriptions:river"), {"show": "all"})
    assert response.content.decode().count("Also in 1 source") == min(size // 2, 30)
