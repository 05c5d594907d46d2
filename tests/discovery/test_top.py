"""Top stories: publishers covering a story, decaying with age, lifted by reads and saves; cached."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from discovery import tasks as top_stories_tasks
from discovery.selectors import top_stories, top_stories_compute
from discovery.selectors.top import TOP_STALE_SECONDS, story_score
from discovery.services import top_stories_refresh
from tests.discovery.helpers import story_with_members
from tests.factories import ReadingListItemFactory, ReadStateFactory, UserFactory


def test_the_score_rises_with_publishers_and_signals_and_decays_with_age():
    assert story_score(publishers=5, reads=0, saves=0, age_hours=1) > story_score(
        publishers=3, reads=0, saves=0, age_hours=1
    )
    assert story_score(publishers=3, reads=0, saves=0, age_hours=1) > story_score(
        publishers=3, reads=0, saves=0, age_hours=20
    )
    assert story_score(publishers=3, reads=10, saves=3, age_hours=1) > story_score(
        publishers=3, reads=0, saves=0, age_hours=1
    )


def test_it_ranks_wide_fresh_stories_first(db):
    now = timezone.now()
    wide, _ = story_with_members(n=5, published_at=now - timedelta(hours=1), title="Wide")
    narrow, _ = story_with_members(n=2, published_at=now - timedelta(hours=1), title="Narrow")
    old, _ = story_with_members(n=5, published_at=now - timedelta(hours=48), title="Old")
    story_with_members(n=5, published_at=now - timedelta(days=5), title="Too old")
    assert [s.cluster_id for s in top_stories_compute(now=now)] == [wide.pk, narrow.pk, old.pk]


def test_reads_and_saves_lift_a_story_without_saying_who(db):
    now = timezone.now()
    a, a_articles = story_with_members(n=2, published_at=now - timedelta(hours=2), title="Quiet")
    b, b_articles = story_with_members(n=2, published_at=now - timedelta(hours=2), title="Popular")
    for _ in range(5):
        ReadStateFactory(article=b_articles[0])
        ReadingListItemFactory(article=b_articles[1])
    stories = top_stories_compute(now=now)
    assert [s.cluster_id for s in stories] == [b.pk, a.pk]
    assert (stories[0].reads, stories[0].saves) == (5, 5)


def test_it_shows_only_catalogue_publishers(db):
    now = timezone.now()
    cluster, articles = story_with_members(n=2, published_at=now)
    articles[1].publisher.in_catalogue = False
    articles[1].publisher.save()
    assert top_stories_compute(now=now) == []


def test_it_filters_by_category_and_lists_the_categories(db):
    now = timezone.now()
    tech, _ = story_with_members(n=2, published_at=now, category="Technology")
    news, _ = story_with_members(n=3, published_at=now, category="News")
    top = top_stories(category="Technology")
    assert [s.cluster_id for s in top.stories] == [tech.pk]
    assert top.categories == ["News", "Technology"]


def test_pages_read_the_ranking_the_worker_stored(db, django_assert_num_queries):
    now = timezone.now()
    story_with_members(n=2, published_at=now)
    assert top_stories_refresh(now=now) == 1
    story_with_members(n=2, published_at=now)
    # A request never recomputes a ranking the worker keeps fresh, however many seconds old it is.
    with django_assert_num_queries(0):
        assert len(top_stories(now=now + timedelta(seconds=TOP_STALE_SECONDS - 1)).stories) == 1
    # The worker's next run (beat, every minute) replaces it.
    top_stories_tasks.top_stories_refresh.apply()
    with django_assert_num_queries(0):
        assert len(top_stories().stories) == 2


def test_without_a_worker_a_request_computes_a_missing_or_stale_ranking(db, django_assert_num_queries):
    now = timezone.now()
    story_with_members(n=2, published_at=now)
    with django_assert_num_queries(4):  # nothing stored yet: the ranking's four queries
        assert len(top_stories(now=now).stories) == 1
    story_with_members(n=2, published_at=now)
    with django_assert_num_queries(0):
        assert len(top_stories(now=now + timedelta(seconds=30)).stories) == 1
    with django_assert_num_queries(4):  # the worker has not refreshed it for too long
        assert len(top_stories(now=now + timedelta(seconds=TOP_STALE_SECONDS)).stories) == 2


@pytest.mark.parametrize("size", [10, 50])
def test_the_top_page_takes_a_fixed_number_of_queries(client, db, size, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(size // 2):
        story_with_members(n=2, published_at=now - timedelta(hours=i), title=f"Story {i}")
    client.force_login(UserFactory())
    with django_assert_max_num_queries(6):  # session, user, and the four of a ranking (cold cache)
        response = client.get(reverse("discovery:top-stories"))
    assert response.status_code == 200
    assert response.content.decode().count('class="story top-story"') == min(size // 2, 30)
    with django_assert_max_num_queries(2):  # warm: the ranking comes from the cache
        client.get(reverse("discovery:top-stories"), {"category": "News"})


def test_the_ranking_age_is_the_age_now_while_the_list_comes_from_the_cache(client, db, time_machine):
    time_machine.move_to("2026-01-01 12:00:00+00:00", tick=False)
    story_with_members(n=2, published_at=timezone.now())
    top_stories_refresh(now=timezone.now())
    client.force_login(UserFactory())
    assert "Ranked 0\xa0minutes ago" in client.get(reverse("discovery:top-stories")).content.decode()
    time_machine.shift(timedelta(seconds=100))  # the list's cache block lasts 120 s
    page = client.get(reverse("discovery:top-stories")).content.decode()
    assert "Ranked 1\xa0minute ago" in page
    assert page.count('class="story top-story"') == 1
