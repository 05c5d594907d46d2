"""Every API response costs a fixed number of queries, whatever the number of items: the same with 5 as
with 50 feeds, folders and stories (read, unread, saved), and within a small bound."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compat.services import api_password_set
from subscriptions.models import ReadState
from tests.compat.conftest import API_PASSWORD, T0, GReader, fever_key, login, save
from tests.factories import (
    ArticleFactory,
    FeedFactory,
    FolderFactory,
    PublisherFactory,
    SubscriptionFactory,
    UserFactory,
)

READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"
MAX_QUERIES = 10  # savepoints count: saving one item (the web's service) takes 10


def _world(n: int):
    """A reader with n feeds (a fifth of them in each of n/5 folders), n stories, a third read, a quarter saved."""
    user = UserFactory(username=f"reader-{n}")
    api_password_set(user=user, password=API_PASSWORD)
    folders = [FolderFactory(user=user, name=f"Folder {i}") for i in range(n // 5)]
    articles = []
    for i in range(n):
        feed = FeedFactory(publisher=PublisherFactory(name=f"Source {n}-{i}"))
        SubscriptionFactory(user=user, feed=feed, folder=folders[i % len(folders)] if i % 2 else None)
        article = ArticleFactory(feed=feed, published_at=T0 - timedelta(minutes=i))
        articles.append(article)
        if i % 3 == 0:
            ReadState.objects.create(user=user, article=article)
        if i % 4 == 0:
            save(user, article)
    return user, folders, articles


def _greader_calls(world):
    user, folders, articles = world
    ids = [str(a.pk) for a in articles]
    feed_id = articles[0].feed_id
    return [
        ("get", "user-info", {}),
        ("get", "subscription/list", {"output": "json"}),
        ("get", "tag/list", {"output": "json"}),
        ("get", "unread-count", {"output": "json"}),
        ("get", "stream/items/ids", {"s": READING_LIST, "n": "200000", "ot": "1764028800"}),
        ("get", "stream/items/ids", {"s": READING_LIST, "xt": READ, "n": "200000"}),
        ("get", "stream/items/ids", {"s": STARRED, "n": "200000"}),
        ("get", "stream/items/ids", {"s": "user/-/label/Folder 0", "n": "200000"}),
        ("get", "stream/contents/user%2F-%2Fstate%2Fcom.google%2Freading-list", {"n": "1000"}),
        ("get", "stream/contents/user%2F-%2Flabel%2FFolder%200", {"n": "1000"}),
        ("get", f"stream/contents/feed%2F{feed_id}", {"n": "100"}),
        ("post", "stream/items/contents", {"i": ids}),
        ("post", "edit-tag", {"i": ids, "a": READ}),
        ("post", "edit-tag", {"i": ids, "r": READ}),
        ("post", "edit-tag", {"i": ids, "a": STARRED}),
        ("post", "edit-tag", {"i": ids, "r": STARRED}),
        ("post", "mark-all-as-read", {"s": "user/-/label/Folder 0"}),
        ("post", "mark-all-as-read", {"s": READING_LIST}),
    ]


def _fever_calls(world):
    user, folders, articles = world
    return [
        ("groups", {}),
        ("feeds", {}),
        ("favicons", {}),
        ("items&since_id=0", {}),
        ("items&max_id=0", {}),
        ("items&with_ids=" + ",".join(str(a.pk) for a in articles[:50]), {}),
        ("unread_item_ids", {}),
        ("saved_item_ids", {}),
        ("", {"mark": "item", "as": "read", "id": str(articles[1].pk)}),
        ("", {"mark": "item", "as": "saved", "id": str(articles[1].pk)}),
        ("", {"mark": "group", "as": "read", "id": str(folders[0].pk), "before": "9999999999"}),
        ("", {"mark": "feed", "as": "read", "id": str(articles[2].feed_id), "before": "9999999999"}),
    ]


def _counts(client, world, django_assert_max_num_queries) -> list[tuple[str, int]]:
    user = world[0]
    reader = GReader(client, login(client, user.username))
    counts = []
    for method, path, params in _greader_calls(world):
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(MAX_QUERIES):
            response = getattr(reader, method)(path, params)
        assert response.status_code == 200, (path, response.content[:200])
        counts.append((f"greader {method} {path.split('%2F')[0]} {sorted(params)}", len(queries)))
    for query, data in _fever_calls(world):
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(MAX_QUERIES):
            response = client.post(f"/api/fever/?api&{query}", {"api_key": fever_key(user.username), **data})
        assert response.json()["auth"] == 1
        counts.append((f"fever {query.split('=')[0]} {sorted(data)}", len(queries)))
    return counts


@pytest.mark.django_db
def test_each_response_costs_the_same_queries_for_5_and_for_50_items(client, django_assert_max_num_queries):
    small = _counts(client, _world(5), django_assert_max_num_queries)
    large = _counts(client, _world(50), django_assert_max_num_queries)
    assert [name for name, _ in small] == [name for name, _ in large]
    assert small == large


@pytest.mark.django_db
def test_client_login_costs_a_fixed_few_queries(client, django_assert_max_num_queries):
    _world(5)
    with django_assert_max_num_queries(2):
        login(client, "reader-5")
