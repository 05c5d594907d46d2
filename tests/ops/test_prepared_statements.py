"""Compiled queries run through statements prepared once per connection on Postgres (newsreader/db.py)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsreader.db import execute_prepared
from subscriptions.selectors.reading import river_page_for_user, unread_count_for_user
from tests.factories import ArticleFactory, ReadStateFactory, SubscriptionFactory, UserFactory

ON_POSTGRES = connection.vendor == "postgresql"


def _river(user) -> tuple[list[int], list[str]]:  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        ids = [story.pk for story in river_page_for_user(user=user, unread_only=True)]
    return ids, [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_river_runs_a_prepared_statement_with_the_same_result():
    reader = UserFactory()
    feed = SubscriptionFactory(user=reader).feed
    now = timezone.now()
    stories = [ArticleFactory(feed=feed, published_at=now - timedelta(minutes=i)) for i in range(4)]
    ReadStateFactory(user=reader, article=stories[1])
    ArticleFactory()  # a feed the reader does not follow

    first, _ = _river(reader)
    again, sql = _river(reader)
    expected = [stories[0].pk, stories[2].pk, stories[3].pk]
    assert first == again == expected
    assert len(sql) == 1
    assert sql[0].startswith("EXECUTE ") == ON_POSTGRES
    # Another reader's river through the same statement: their own stories only.
    other = UserFactory()
    SubscriptionFactory(user=other, feed=feed)
    assert _river(other)[0] == [s.pk for s in stories]
    assert unread_count_for_user(user=reader) == 3


@pytest.mark.django_db(transaction=True)
def test_a_query_postgres_cannot_prepare_runs_as_it_is():
    with connection.cursor() as cursor:
        for _ in range(2):
            execute_prepared(cursor, "SELECT %s", ["a parameter of no known type"])
            assert cursor.fetchone() == ("a parameter of no known type",)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_prepared_inside_a_transaction():
    reader = UserFactory()
    ArticleFactory(feed=SubscriptionFactory(user=reader).feed)
    connection.ensure_connection()
    connection.__dict__.pop("_newsreader_prepared", None)
    with transaction.atomic():
        _, sql = _river(reader)
    assert not sql[0].startswith("EXECUTE ")
