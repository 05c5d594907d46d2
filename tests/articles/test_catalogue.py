"""Loading the shipped publisher catalogue: idempotent upserts, few queries, feeds' polling state left alone."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.catalogue import (
    CATALOGUE_PATH,
    CatalogueError,
    CatalogueLoadResult,
    catalogue_read,
    publishers_load_catalogue,
)
from articles.models import Feed, Publisher
from tests.factories import FeedFactory, PublisherFactory

pytestmark = pytest.mark.django_db

SHIPPED = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
SHIPPED_FEEDS = sum(len(p["feeds"]) for p in SHIPPED)
BBC_HOME = "http://feeds.bbci.co.uk/news/rss.xml"


def entry(slug, *feeds, **fields):
    return {
        "name": fields.pop("name", slug.title()),
        "slug": slug,
        "site_url": f"https://{slug}.example/",
        "category": "News",
        "country": "France",
        "language": "fr",
        "feeds": list(feeds),
        "feed_titles": {url: f"{slug} feed" for url in feeds},
        **fields,
    }


@pytest.fixture
def write_catalogue(tmp_path):
    def write(*entries):
        path = tmp_path / "publishers.json"
        path.write_text(json.dumps(list(entries)), encoding="utf-8")
        return path

    return write


def test_it_loads_the_shipped_catalogue():
    result = publishers_load_catalogue()

    assert result == CatalogueLoadResult(publishers_created=len(SHIPPED), feeds_created=SHIPPED_FEEDS)
    assert len(SHIPPED) >= 150
    assert Publisher.objects.filter(in_catalogue=True).count() == len(SHIPPED) == 710
    assert Feed.objects.count() == SHIPPED_FEEDS == 781
    bbc = Publisher.objects.get(slug="bbc")
    assert (bbc.name, bbc.site_url, bbc.category, bbc.country, bbc.language) == (
        "BBC",
        "https://www.bbc.co.uk/",
        "News",
        "United Kingdom",
        "en",
    )
    assert bbc.feeds.count() == 12
    assert Feed.objects.get(url=BBC_HOME).title == "BBC News - Home"


def test_it_writes_nothing_on_a_second_load():
    publishers_load_catalogue()
    before = list(Publisher.objects.order_by("id").values()), list(Feed.objects.order_by("id").values())

    result = publishers_load_catalogue()

    assert result == CatalogueLoadResult(publishers_unchanged=len(SHIPPED), feeds_unchanged=SHIPPED_FEEDS)
    assert not result.changed
    assert (
        list(Publisher.objects.order_by("id").values()),
        list(Feed.objects.order_by("id").values()),
    ) == before


def test_it_needs_few_queries_and_the_same_number_on_every_later_load():
    with CaptureQueriesContext(connection) as first:
        publishers_load_catalogue()
    with CaptureQueriesContext(connection) as second:
        publishers_load_catalogue()
    with CaptureQueriesContext(connection) as third:
        publishers_load_catalogue()

    # savepoint, publishers, feeds, release: nothing grows with the 710 publishers.
    assert len(second) == len(third) <= 5
    assert not [
        q["sql"] for q in second if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    # The first load inserts in batches; SQLite allows 999 parameters a statement, so it needs more of them.
    assert len(first) <= (10 if connection.vendor == "postgresql" else 40)


def test_it_never_resets_the_polling_state_of_a_known_feed():
    publishers_load_catalogue()
    later = timezone.now() + timedelta(hours=5)
    Feed.objects.filter(url=BBC_HOME).update(
        etag='"abc"',
        last_modified="Tue, 01 Jan 2030 00:00:00 GMT",
        error_count=3,
        last_error="timed out",
        last_status=503,
        next_check_at=later,
        title="BBC News",
    )

    publishers_load_catalogue()

    feed = Feed.objects.get(url=BBC_HOME)
    assert (feed.etag, feed.last_modified, feed.error_count, feed.last_error, feed.last_status) == (
        '"abc"',
        "Tue, 01 Jan 2030 00:00:00 GMT",
        3,
        "timed out",
        503,
    )
    assert feed.next_check_at == later
    assert feed.title == "BBC News"


def test_it_fills_in_only_a_blank_feed_title():
    publishers_load_catalogue()
    Feed.objects.filter(url=BBC_HOME).update(title="", error_count=2)

    result = publishers_load_catalogue()

    assert result.feeds_updated == 1
    feed = Feed.objects.get(url=BBC_HOME)
    assert (feed.title, feed.error_count) == ("BBC News - Home", 2)


def test_it_leaves_a_feed_a_user_added_first_with_its_publisher():
    mine = FeedFactory(url=BBC_HOME, publisher__slug="my-bbc", publisher__in_catalogue=False, etag='"x"')

    result = publishers_load_catalogue()

    assert result.feeds_elsewhere == 1
    assert result.feeds_created == SHIPPED_FEEDS - 1
    feed = Feed.objects.get(url=BBC_HOME)
    assert (feed.id, feed.publisher_id, feed.etag) == (mine.id, mine.publisher_id, '"x"')
    assert Publisher.objects.get(slug="bbc").feeds.count() == 11


def test_it_updates_publishers_whose_entry_changed(write_catalogue):
    publishers_load_catalogue(
        path=write_catalogue(entry("alpha", "https://a.example/f"), entry("beta", "https://b.example/f"))
    )

    result = publishers_load_catalogue(
        path=write_catalogue(
            entry("alpha", "https://a.example/f", name="Alpha Daily", category="Science"),
            entry("beta", "https://b.example/f"),
        )
    )

    assert (result.publishers_updated, result.publishers_unchanged) == (1, 1)
    alpha = Publisher.objects.get(slug="alpha")
    assert (alpha.name, alpha.category) == ("Alpha Daily", "Science")


def test_it_adds_new_feeds_to_a_known_publisher(write_catalogue):
    publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f")))

    result = publishers_load_catalogue(
        path=write_catalogue(entry("alpha", "https://a.example/f", "https://a.example/g"))
    )

    assert (result.feeds_created, result.feeds_unchanged, result.publishers_unchanged) == (1, 1, 1)
    assert set(Publisher.objects.get(slug="alpha").feeds.values_list("url", flat=True)) == {
        "https://a.example/f",
        "https://a.example/g",
    }


def test_it_retires_publishers_that_left_the_catalogue_but_keeps_them(write_catalogue):
    publishers_load_catalogue(
        path=write_catalogue(entry("alpha", "https://a.example/f"), entry("beta", "https://b.example/f"))
    )

    result = publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f")))

    assert result.publishers_retired == 1
    beta = Publisher.objects.get(slug="beta")
    assert beta.in_catalogue is False
    assert beta.feeds.count() == 1
    assert (
        publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f"))).changed
        is False
    )


def test_it_adopts_a_publisher_with_the_same_slug(write_catalogue):
    PublisherFactory(slug="alpha", name="alpha", in_catalogue=False)

    result = publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f")))

    assert (result.publishers_created, result.publishers_updated) == (0, 1)
    alpha = Publisher.objects.get(slug="alpha")
    assert (alpha.name, alpha.in_catalogue) == ("Alpha", True)


def test_a_namesake_made_for_someones_own_feed_stays_private(write_catalogue):
    private = FeedFactory(
        url="https://private.example/feed", publisher__slug="alpha", publisher__in_catalogue=False
    ).publisher

    result = publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f")))

    assert (result.publishers_created, result.publishers_updated) == (1, 0)
    private.refresh_from_db()
    assert (private.in_catalogue, private.slug) == (False, "alpha-own")
    assert list(private.feeds.values_list("url", flat=True)) == ["https://private.example/feed"]
    alpha = Publisher.objects.get(slug="alpha")
    assert alpha.pk != private.pk and alpha.in_catalogue
    assert list(alpha.feeds.values_list("url", flat=True)) == ["https://a.example/f"]
    # Loading again changes nothing: the catalogue's alpha is now the catalogue's.
    assert (
        publishers_load_catalogue(path=write_catalogue(entry("alpha", "https://a.example/f"))).changed
        is False
    )


def test_a_namesake_moves_to_a_slug_the_catalogue_does_not_use(write_catalogue):
    FeedFactory(url="https://private.example/feed", publisher__slug="alpha", publisher__in_catalogue=False)
    PublisherFactory(slug="alpha-own-2", in_catalogue=False)

    publishers_load_catalogue(
        path=write_catalogue(entry("alpha", "https://a.example/f"), entry("alpha-own", "https://b.example/f"))
    )

    assert Feed.objects.get(url="https://private.example/feed").publisher.slug == "alpha-own-3"
    assert Publisher.objects.get(slug="alpha-own").feeds.get().url == "https://b.example/f"
    assert set(Publisher.objects.filter(in_catalogue=True).values_list("slug", flat=True)) == {
        "alpha",
        "alpha-own",
    }


def test_a_retired_publisher_coming_back_is_the_same_row(write_catalogue):
    both = (entry("alpha", "https://a.example/f"), entry("beta", "https://b.example/f"))
    publishers_load_catalogue(path=write_catalogue(*both))
    beta = Publisher.objects.get(slug="beta")
    publishers_load_catalogue(path=write_catalogue(both[0]))

    result = publishers_load_catalogue(path=write_catalogue(*both))

    assert (result.publishers_created, result.publishers_updated) == (0, 1)
    assert Publisher.objects.get(slug="beta").pk == beta.pk
    assert Publisher.objects.get(slug="beta").in_catalogue


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ('{"a": 1}', "list of publishers"),
        ("[1]", "must be an object"),
        (json.dumps([entry("a", "https://a.example/f"), entry("a", "https://b.example/f")]), "not unique"),
        (json.dumps([entry("a", "https://a.example/f"), entry("b", "https://a.example/f")]), "listed twice"),
        (json.dumps([entry("a", "javascript:alert(1)")]), "not an http"),
        (json.dumps([entry("a", "https://a.example/f", site_url="file:///etc/passwd")]), "not an http"),
        (json.dumps([entry("a b", "https://a.example/f")]), "malformed"),
        (json.dumps([entry("a", "https://a.example/f", name="")]), "'name' is missing"),
        (json.dumps([entry("a")]), "must list its feeds"),
        (json.dumps([entry("a", "https://a.example/f", category=["x"])]), "must be a string"),
        (json.dumps([entry("a", "https://a.example/f", name="x" * 201)]), "longer than 200"),
    ],
)
def test_it_refuses_a_malformed_catalogue_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "publishers.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CatalogueError, match=message):
        publishers_load_catalogue(path=path)
    assert not Publisher.objects.exists()


def test_it_refuses_a_missing_catalogue(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        catalogue_read(tmp_path / "nowhere.json")


def test_the_command_prints_the_counts(capsys):
    call_command("load_publishers")
    call_command("load_publishers")

    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(
        "publishers: 710 created, 0 updated, 0 unchanged, 0 retired; feeds: 781 created, 0 updated, 0 unchanged, 0 under another publisher"
    )
    assert "publishers: 0 created, 0 updated, 710 unchanged" in out[1]


def test_the_command_reports_a_bad_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_publishers", path=str(tmp_path / "nowhere.json"))
