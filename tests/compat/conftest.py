"""Fixtures for the client APIs: two readers with API passwords, folders, feeds and stories.

alice follows two feeds in folder "Tech" and one outside any folder; bob follows a private feed of his own
(not in the catalogue) in his folder "Secret", so probing with bob's ids from alice's account must find
nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from articles.models import Article, Feed
from compat.services import api_password_set
from subscriptions.models import Folder, ReadingList, ReadingListItem, ReadState
from tests.factories import (
    ArticleFactory,
    FeedFactory,
    FolderFactory,
    PublisherFactory,
    SubscriptionFactory,
    UserFactory,
)

API_PASSWORD = "app-password-1234"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
GREADER = "/api/greader"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Failed-login counts live in the cache; with the file cache other test processes share, a test that
    counts failures would see theirs. A private in-memory cache per test keeps the counts ours."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "compat"}
    }
    cache.clear()
    yield
    cache.clear()


def fever_key(login: str, password: str = API_PASSWORD) -> str:
    return hashlib.md5(f"{login}:{password}".encode()).hexdigest()


@dataclass
class Reader:
    user: object
    feeds: list[Feed] = field(default_factory=list)
    folders: list[Folder] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)


def stories(feed: Feed, n: int, *, start: datetime = T0, prefix: str = "") -> list[Article]:
    """n stories of a feed, the newest first, one hour apart."""
    return [
        ArticleFactory(
            feed=feed,
            title=f"{prefix or feed.title} story {i}",
            published_at=start - timedelta(hours=i),
            created_at=start - timedelta(hours=i) + timedelta(minutes=5),
        )
        for i in range(n)
    ]


def save(user, article: Article) -> None:
    reading_list = ReadingList.objects.filter(
        user=user, is_default=True
    ).first() or ReadingList.objects.create(user=user, name=ReadingList.READ_LATER, is_default=True)
    ReadingListItem.objects.get_or_create(reading_list=reading_list, article=article)


@pytest.fixture
def alice(db) -> Reader:
    user = UserFactory(username="alice", email="alice@example.org")
    api_password_set(user=user, password=API_PASSWORD)
    tech = FolderFactory(user=user, name="Tech")
    feeds = [
        FeedFactory(title=name, publisher=publisher, site_url=publisher.site_url)
        for name in ("Tech Daily", "Gadget Weekly", "World News")
        for publisher in [PublisherFactory(name=name)]
    ]
    SubscriptionFactory(user=user, feed=feeds[0], folder=tech)
    SubscriptionFactory(user=user, feed=feeds[1], folder=tech)
    SubscriptionFactory(user=user, feed=feeds[2])
    articles = (
        stories(feeds[0], 3) + stories(feeds[1], 2, start=T0 - timedelta(minutes=30)) + stories(feeds[2], 2)
    )
    ReadState.objects.create(user=user, article=articles[1])
    save(user, articles[2])
    return Reader(user=user, feeds=feeds, folders=[tech], articles=articles)


@pytest.fixture
def bob(db) -> Reader:
    user = UserFactory(username="bob", email="bob@example.org")
    api_password_set(user=user, password="bobs-own-api-pass")
    secret = FolderFactory(user=user, name="Secret")
    feed = FeedFactory(
        title="Bob's Diary", publisher=PublisherFactory(name="Bob's Diary", in_catalogue=False)
    )
    SubscriptionFactory(user=user, feed=feed, folder=secret)
    articles = stories(feed, 3)
    save(user, articles[0])
    return Reader(user=user, feeds=[feed], folders=[secret], articles=articles)


def login(client, username: str = "alice", password: str = API_PASSWORD) -> str:
    response = client.post(f"{GREADER}/accounts/ClientLogin", {"Email": username, "Passwd": password})
    assert response.status_code == 200, response.content
    lines = dict(line.split("=", 1) for line in response.content.decode().splitlines())
    return lines["Auth"]


class GReader:
    """A Google Reader client on Django's test client: the header on every call, like RSS Guard."""

    def __init__(self, client, token: str, base: str = GREADER) -> None:
        self.client, self.token, self.base = client, token, base

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={self.token}"}

    def get(self, path: str, params=None, **extra):
        return self.client.get(f"{self.base}/reader/api/0/{path}", params or {}, **self._headers(), **extra)

    def post(self, path: str, data=None, **extra):
        return self.client.post(f"{self.base}/reader/api/0/{path}", data or {}, **self._headers(), **extra)

    def json(self, path: str, params=None, method: str = "get"):
        response = getattr(self, method)(path, params)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        return response.json()


@pytest.fixture
def greader(client, alice) -> GReader:
    return GReader(client, login(client))


@pytest.fixture
def bob_greader(client, bob) -> GReader:
    return GReader(client, login(client, "bob", "bobs-own-api-pass"))
