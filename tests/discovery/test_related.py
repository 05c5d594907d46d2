"""Related stories on the article page: the story's other coverage first, then similar recent articles."""

import pytest
from django.urls import reverse
from django.utils import timezone

from discovery.selectors import related_for_article
from discovery.services import article_cluster
from tests.discovery.helpers import story_with_members
from tests.factories import ArticleFactory, PublisherFactory


def test_it_lists_the_other_coverage_of_the_story_newest_first(reader):
    cluster, articles = story_with_members(n=3, published_at=timezone.now())
    related = related_for_article(user=reader, article=articles[0])
    assert {r.article.pk for r in related} == {a.pk for a in articles[1:]}
    assert all(r.same_story for r in related)


def test_it_hides_coverage_the_reader_may_not_open(reader):
    cluster, articles = story_with_members(n=2, published_at=timezone.now())
    articles[1].publisher.in_catalogue = False
    articles[1].publisher.save()
    assert related_for_article(user=reader, article=articles[0]) == []


def test_it_adds_similar_recent_articles_after_the_story(reader):
    now = timezone.now()
    words = "volcano eruption island lava evacuation residents ash airport flights cancelled"
    a = ArticleFactory(title="Volcano erupts on island", text=words, published_at=now)
    b = ArticleFactory(title="Ash cloud cancels flights", text=words + " tourism losses", published_at=now)
    ArticleFactory(title="Unrelated", text="football match result goals", published_at=now)
    for article in (a, b):
        article_cluster(article_id=article.pk)
    related = related_for_article(user=reader, article=a)
    assert [r.article.pk for r in related] == [b.pk]


@pytest.mark.parametrize("size", [10, 50])
def test_the_article_page_shows_related_stories_in_a_fixed_number_of_queries(
    client, reader, size, django_assert_max_num_queries
):
    cluster, articles = story_with_members(n=size, published_at=timezone.now(), title="Eclipse")
    client.force_login(reader)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("subscriptions:article-detail", args=[articles[0].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "More on this story" in body
    assert body.count('class="related__item"') == 6


def test_the_article_page_has_no_related_block_for_a_lone_article(client, reader):
    article = ArticleFactory(publisher=PublisherFactory())
    client.force_login(reader)
    body = client.get(reverse("subscriptions:article-detail", args=[article.pk])).content.decode()
    assert "Related stories" not in body and "More on this story" not in body
