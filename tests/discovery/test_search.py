"""Full-text search: the same answers on Postgres (tsvector + GIN) and SQLite (FTS5)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from articles.models import Article
from discovery.search_schema import search_schema_repair
from discovery.selectors import SEARCH_CANDIDATES, article_search
from tests.factories import (
    ArticleFactory,
    PublisherFactory,
    ReadingListFactory,
    ReadingListItemFactory,
    SubscriptionFactory,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _titles(page):
    return [hit.article.title for hit in page.hits]


def test_it_ranks_a_title_match_above_a_text_match(reader):
    ArticleFactory(
        title="Markets wobble", text="The europa mission was mentioned in passing.", published_at=T0
    )
    ArticleFactory(
        title="Europa has plumes", text="Water vapour was seen.", published_at=T0 - timedelta(days=2)
    )
    assert _titles(article_search(user=reader, query="europa")) == ["Europa has plumes", "Markets wobble"]


def test_it_highlights_matches_in_escaped_snippets(reader):
    ArticleFactory(title="A <b>bold</b> plume", text="Before <script>alert(1)</script> the plume rose high.")
    hit = article_search(user=reader, query="plume").hits[0]
    assert "<mark>plume</mark>" in hit.title_html and "<b>" not in hit.title_html
    assert "<mark>plume</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html


def test_it_follows_the_query_syntax(reader):
    ArticleFactory(title="Water vapour above Europa", text="plumes")
    ArticleFactory(title="Vapour and water", text="Titan lakes")
    ArticleFactory(title="Geysers of Enceladus", text="water")
    assert _titles(article_search(user=reader, query='"water vapour"')) == ["Water vapour above Europa"]
    assert set(_titles(article_search(user=reader, query="water -titan"))) == {
        "Water vapour above Europa",
        "Geysers of Enceladus",
    }
    assert set(_titles(article_search(user=reader, query="water europa or enceladus"))) == {
        "Water vapour above Europa",
        "Geysers of Enceladus",
    }


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "(",
        "NEAR(",
        "a:b",
        "*",
        "AND",
        "OR",
        "-",
        "\x00",
        "\\",
        "'; DROP TABLE x; --",
        "ü" * 300,
        "%s %(x)s",
    ],
)
def test_it_never_fails_on_hostile_queries(reader, query):
    ArticleFactory(title="Something", text="anything")
    page = article_search(user=reader, query=query)
    assert page.hits == [] or page.hits


def test_it_explains_an_empty_query(reader):
    assert article_search(user=reader, query="  ").message
    assert article_search(user=reader, query="-alone").message


def test_it_keeps_the_index_in_step_with_updates_and_deletes(reader):
    article = ArticleFactory(title="Draft headline", text="body")
    Article.objects.filter(pk=article.pk).update(title="Final headline about comets")
    assert _titles(article_search(user=reader, query="comets")) == ["Final headline about comets"]
    assert _titles(article_search(user=reader, query="draft")) == []
    Article.objects.filter(pk=article.pk).delete()
    assert _titles(article_search(user=reader, query="comets")) == []


def test_it_searches_the_summary_when_there_is_no_text(reader):
    ArticleFactory(title="Feed only", text="", summary="A summary mentioning quasars")
    assert _titles(article_search(user=reader, query="quasars")) == ["Feed only"]


def test_it_never_shows_another_users_private_feed(reader):
    private = PublisherFactory(in_catalogue=False)
    ArticleFactory(title="Private comet notes", feed__publisher=private)
    assert _titles(article_search(user=reader, query="comet")) == []
    owner = SubscriptionFactory(feed__publisher=private).user
    SubscriptionFactory(user=owner, feed=Article.objects.get().feed)
    assert _titles(article_search(user=owner, query="comet")) == ["Private comet notes"]


def test_it_narrows_to_what_i_follow_or_saved(reader):
    followed = SubscriptionFactory(user=reader).feed
    ArticleFactory(title="Comet from a followed feed", feed=followed)
    saved = ArticleFactory(title="Comet I saved")
    ReadingListItemFactory(reading_list=ReadingListFactory(user=reader, is_default=True), article=saved)
    ArticleFactory(title="Comet from the catalogue")
    assert len(article_search(user=reader, query="comet", scope="all").hits) == 3
    assert set(_titles(article_search(user=reader, query="comet", scope="mine"))) == {
        "Comet from a followed feed",
        "Comet I saved",
    }


def test_it_searches_within_one_of_my_reading_lists_only(reader):
    mine = ReadingListFactory(user=reader, name="Space")
    ReadingListItemFactory(reading_list=mine, article=ArticleFactory(title="Comet in my list"))
    theirs = ReadingListItemFactory(article=ArticleFactory(title="Comet in their list")).reading_list
    assert _titles(article_search(user=reader, query="comet", reading_list_id=mine.pk)) == [
        "Comet in my list"
    ]
    assert _titles(article_search(user=reader, query="comet", reading_list_id=theirs.pk)) == []


def test_it_filters_by_publisher_and_date(reader):
    a = ArticleFactory(title="Comet early", published_at=T0 - timedelta(days=10))
    ArticleFactory(title="Comet late", published_at=T0)
    assert _titles(article_search(user=reader, query="comet", publisher_id=a.publisher_id)) == ["Comet early"]
    assert _titles(article_search(user=reader, query="comet", since=T0 - timedelta(days=1))) == ["Comet late"]
    assert _titles(article_search(user=reader, query="comet", until=T0 - timedelta(days=1))) == [
        "Comet early"
    ]


def test_it_pages_through_results(reader):
    for i in range(5):
        ArticleFactory(title=f"Comet {i}", published_at=T0 - timedelta(hours=i))
    first = article_search(user=reader, query="comet", limit=2)
    second = article_search(user=reader, query="comet", limit=2, page=2)
    last = article_search(user=reader, query="comet", limit=2, page=3)
    assert first.has_next and second.has_next and not last.has_next
    assert len({*_titles(first), *_titles(second), *_titles(last)}) == 5
    assert first.matches == 5 and not first.limited


def test_it_ranks_only_the_newest_matches_of_a_common_word(reader):
    feed = ArticleFactory(title="Oldest comet", published_at=T0 - timedelta(days=400)).feed
    Article.objects.bulk_create(
        [
            Article(
                feed=feed,
                publisher=feed.publisher,
                guid=f"g{i}",
                guid_hash=f"h{i}",
                title=f"Story {i}",
                text="the comet again",
                extraction_status=Article.Extraction.EXTRACTED,
                published_at=T0 - timedelta(minutes=i),
            )
            for i in range(SEARCH_CANDIDATES + 5)
        ]
    )
    page = article_search(user=reader, query="comet")
    assert page.limited and page.matches == SEARCH_CANDIDATES
    assert "Oldest comet" not in _titles(page)


def test_the_search_page_renders_results_and_filters(client, reader):
    SubscriptionFactory(user=reader, feed=ArticleFactory(title="Comet & co").feed)
    client.force_login(reader)
    response = client.get(reverse("discovery:search"), {"q": "comet", "scope": "mine", "since": "garbage"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Comet</mark> &amp; co" in body
    assert 'value="mine" checked' in body
    partial = client.get(reverse("discovery:search"), {"q": "comet"}, HTTP_HX_REQUEST="true")
    assert (
        "<mark>Comet</mark>" in partial.content.decode() and 'role="search"' not in partial.content.decode()
    )


def test_the_publisher_filter_lists_what_i_follow_and_marks_the_chosen_one(client, reader):
    followed = SubscriptionFactory(user=reader, feed__publisher__name="Tom & Jerry's <Times>").feed.publisher
    other = SubscriptionFactory(user=reader, feed__publisher__name="Other").feed.publisher
    client.force_login(reader)
    body = client.get(reverse("discovery:search"), {"q": "x", "publisher": other.pk}).content.decode()
    assert f'<option value="{followed.pk}">Tom &amp; Jerry&#x27;s &lt;Times&gt;</option>' in body
    assert f'<option value="{other.pk}" selected>Other</option>' in body


def test_a_user_who_can_see_nothing_finds_nothing(reader):
    ArticleFactory(title="Comet", feed__publisher__in_catalogue=False)
    assert article_search(user=reader, query="comet").hits == []
    assert article_search(user=reader, query="comet", scope="mine").hits == []


def test_the_search_page_needs_a_signed_in_user(client, db):
    assert client.get(reverse("discovery:search"), {"q": "x"}).status_code == 302


def _story_waiting_for_its_text():
    """As a refresh stores it: the feed's text, the full text still to come."""
    return ArticleFactory(
        title="Harbour report",
        summary="Tides rose overnight.",
        text="Tides rose overnight. A zeppelin moored at the pier.",
        extraction_status=Article.Extraction.PENDING,
    )


def test_a_story_waiting_for_its_full_text_is_found_by_its_title_and_summary_only(reader):
    """Its text is the feed's until extraction replaces it: indexing that first cost most of an insert."""
    story = _story_waiting_for_its_text()
    assert _titles(article_search(user=reader, query="harbour")) == ["Harbour report"]
    assert _titles(article_search(user=reader, query="tides")) == ["Harbour report"]
    assert article_search(user=reader, query="zeppelin").hits == []

    # A title edited by the feed is indexed at once, the story still waiting.
    Article.objects.filter(pk=story.pk).update(title="Harbour bulletin")
    assert _titles(article_search(user=reader, query="bulletin")) == ["Harbour bulletin"]
    assert article_search(user=reader, query="zeppelin").hits == []

    # The page's text is in: the body is the text now.
    Article.objects.filter(pk=story.pk).update(
        text="The airship docked at dawn.", extraction_status=Article.Extraction.EXTRACTED
    )
    assert _titles(article_search(user=reader, query="airship")) == ["Harbour bulletin"]
    assert article_search(user=reader, query="tides").hits == []


def test_a_story_whose_page_could_not_be_read_is_found_by_the_feeds_text(reader):
    story = _story_waiting_for_its_text()
    assert article_search(user=reader, query="zeppelin").hits == []
    # What the extraction writes when the page fails: the status alone (the feed's text stays).
    Article.objects.filter(pk=story.pk).update(extraction_status=Article.Extraction.FEED)
    assert _titles(article_search(user=reader, query="zeppelin")) == ["Harbour report"]
    # Writing other columns leaves the index as it is.
    Article.objects.filter(pk=story.pk).update(word_count=11, reading_time=1)
    assert _titles(article_search(user=reader, query="zeppelin")) == ["Harbour report"]


def test_the_index_survives_a_table_rebuild(reader):
    """SQLite: Django rebuilds a table to alter it, dropping our triggers; the repair puts them back."""
    ArticleFactory(title="Before the rebuild")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER discovery_fts_after_insert")
        assert search_schema_repair() is True
        assert search_schema_repair() is False
    else:
        assert search_schema_repair() is False  # Postgres keeps a table's triggers through ALTER TABLE
    ArticleFactory(title="After the rebuild")
    assert set(_titles(article_search(user=reader, query="rebuild"))) == {
        "Before the rebuild",
        "After the rebuild",
    }


@pytest.mark.parametrize(
    "moment",
    [datetime(2024, 3, 5, 7, 4, tzinfo=UTC), datetime(2023, 12, 31, 23, 59, 59, 123456, tzinfo=UTC)],
)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_a_hit_shows_its_date_as_the_date_filter_would(settings, moment, zone):
    from django.template import Context, Template
    from django.utils import timezone

    settings.TIME_ZONE = zone
    with timezone.override(zone):
        filters = Template(
            """<time datetime="{{ t|date:'c' }}" title="{{ t|date:'j F Y, H:i' }}">{{ t|date:"j M Y" }}</time>"""
        ).render(Context({"t": moment}))
        tag = Template("{% load discovery_tags %}{% story_time t %}").render(Context({"t": moment}))
    assert tag == filters
