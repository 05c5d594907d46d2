"""Screenshots of the river, an article, the directory, Read later, top stories, search and For you: light and
dark, laptop and phone.

Every run checks that each page renders without horizontal overflow at 375 px; with UPDATE_SCREENSHOTS=1 the
pictures are written to docs/screenshots/ (committed, shown in the README), else to a temporary folder.
"""

import os
from pathlib import Path

import pytest

from articles.models import Article
from articles.pipeline import article_extract, feed_claim, feeds_refresh
from subscriptions.services.follows import folder_get_or_create, subscription_create
from subscriptions.services.reading import (
    article_mark_read,
    reading_list_add,
    reading_list_get_or_create_default,
)
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import FeedFactory, PublisherFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SITES = [
    ("daily-planet", "General", "United States", ""),
    ("gotham-gazette", "General", "United States", ""),
    ("metropolis-ledger", "Business", "United States", "Business"),
    ("riverside-courier", "General", "Canada", ""),
    ("northern-star", "Science", "United Kingdom", "Science"),
    ("harbour-herald", "Travel", "Australia", ""),
    ("valley-voice", "Culture", "Ireland", ""),
    ("capital-chronicle", "Politics", "United Kingdom", ""),
]
OTHERS = [
    (
        "The Morning Almanac",
        "General",
        "United Kingdom",
        "Daily news and long reads, edited for the morning.",
    ),
    ("Circuit Weekly", "Technology", "Canada", "Hardware, software and the people who make them."),
    ("Field Notes", "Science", "Australia", "Reporting from the places where science happens."),
    ("Ledger & Quill", "Business", "Ireland", "Markets, companies and the economy, explained."),
    ("The Long Table", "Food", "France", "Recipes, restaurants and the politics of what we eat."),
    ("Open Road", "Travel", "Canada", "Journeys near and far, by train, bike and foot."),
    ("Stagecraft", "Culture", "United Kingdom", "Theatre, film, books and music reviews."),
]


def _reader_with_a_full_river(publisher_server):
    user = UserFactory(username="reader")
    feeds = []
    for name, category, country, folder in SITES:
        site = publisher_server.site(name, n_items=6)
        title = name.replace("-", " ").title()
        feed = FeedFactory(
            url=site.feed_url, title=title,
            publisher=PublisherFactory(
                name=title, slug=name, category=category, country=country,
                description=f"Independent {category.lower()} reporting from {country}.",
            ),
        )  # fmt: skip
        subscription_create(
            user=user, feed=feed, refresh=False,
            folder=folder_get_or_create(user=user, name=folder) if folder else None,
        )  # fmt: skip
        feeds.append(feed)
    for name, category, country, description in OTHERS:
        FeedFactory(
            publisher=PublisherFactory(name=name, category=category, country=country, description=description)
        )
    feeds_refresh(feed_ids=[f.id for f in feeds if feed_claim(feed_id=f.id)])
    for article_id in Article.objects.values_list("id", flat=True):
        article_extract(article_id=article_id)
    stories = list(Article.objects.order_by("-published_at", "-id").values_list("id", flat=True))
    for article_id in stories[4:9]:
        article_mark_read(user=user, article_id=article_id)
    for article_id in (stories[1], stories[3], stories[6], stories[10]):
        reading_list_add(user=user, article_id=article_id)
    return user, stories[1], reading_list_get_or_create_default(user=user)


def _sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_screenshots(live_server, publisher_server, new_page, fast_passwords, tmp_path):
    _, article_id, read_later = _reader_with_a_full_river(publisher_server)
    out = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    pages = {
        "river": "/",
        "article": f"/articles/{article_id}/",
        "directory": "/publishers/",
        "read-later": f"/lists/{read_later.pk}/",
    }
    _shoot_each(pages, live_server=live_server, new_page=new_page, out=out)


def _shoot_each(pages, *, live_server, new_page, out, images_from: str | None = None):
    """Each page in light and dark, on a laptop and a phone: no horizontal overflow, no script error, a
    picture. `images_from`: a host whose pictures may fail to load (the simulated publishers serve their
    pages but not the images those pages name). Returns the last page used."""
    for scheme in ("light", "dark"):
        for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = new_page(viewport=viewport, color_scheme=scheme)
            failed: list[str] = []
            page.on("response", lambda r, failed=failed: failed.append(r.url) if r.status >= 400 else None)
            _sign_in(page, live_server)
            for name, path in pages.items():
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} is {overflow}px wider than a {viewport['width']}px screen"
                page.screenshot(path=str(out / f"{name}-{scheme}-{width_name}.png"))
            errors = page.js_errors
            if images_from is not None:
                assert all(url.startswith(images_from) for url in failed), failed
                errors = [e for e in errors if not e.startswith("Failed to load resource")]
            assert not errors, errors
    return page


def _stories_covered_by_several_publishers(stories):
    """Four stories as the clustering makes them: the i-th newest article of each of 6 - i sites, one of
    them a syndicated copy, published in the last hours (the top stories' window)."""
    from datetime import timedelta

    from django.utils import timezone

    from discovery.models import ClusterMember, StoryCluster
    from discovery.services import _cluster_refresh

    by_feed: dict[int, list[Article]] = {}
    for article in Article.objects.filter(pk__in=stories).order_by("-published_at", "-id"):
        by_feed.setdefault(article.feed_id, []).append(article)
    feeds = sorted(by_feed)
    now = timezone.now()
    for i in range(4):
        members = [by_feed[f][i] for f in feeds[: 6 - i]]
        cluster = StoryCluster.objects.create()
        for position, article in enumerate(members):
            Article.objects.filter(pk=article.pk).update(
                published_at=now - timedelta(hours=3 * i + position / 4)
            )
            ClusterMember.objects.create(
                article=article, cluster=cluster, similarity=1.0 if position == 0 else 0.5,
                is_duplicate=(i, position) == (0, 1), duplicate_of=members[0] if (i, position) == (0, 1) else None,
            )  # fmt: skip
        _cluster_refresh(cluster.pk)


def test_discovery_screenshots(live_server, publisher_server, new_page, fast_passwords, tmp_path):
    """Top stories, search and For you: the same checks and pictures as above."""
    from discovery.selectors.top import top_stories_invalidate

    _reader_with_a_full_river(publisher_server)
    stories = list(Article.objects.order_by("-published_at", "-id").values_list("id", flat=True))
    _stories_covered_by_several_publishers(stories)
    top_stories_invalidate()  # the first request ranks them, as it does when no worker has yet
    word = next(w for w in Article.objects.get(pk=stories[0]).title.split() if len(w) > 4 and w.isalpha())
    out = DOCS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    pages = {"top": "/top/", "search": f"/search/?q={word}", "for-you": "/for-you/"}
    page = _shoot_each(
        pages, live_server=live_server, new_page=new_page, out=out, images_from=publisher_server.url("/")
    )
    page.goto(live_server.url + "/top/")
    assert page.locator("li.top-story").count() == 4
    assert page.locator("li.top-story .badge").first.inner_text() == "6 publishers"
