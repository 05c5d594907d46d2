"""Views of the river, the article page and read state."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discovery.models import ClusterMember, StoryCluster
from subscriptions.models import ReadingListItem, ReadState
from tests.factories import (
    ArticleFactory,
    FolderFactory,
    PublisherFactory,
    ReadingListFactory,
    ReadingListItemFactory,
    ReadStateFactory,
    SubscriptionFactory,
    UserFactory,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def followed(reader):
    return SubscriptionFactory(user=reader).feed


def _story_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-story data-article-id="(\d+)"', response.content.decode())]


def _private_article():
    return ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))


# --- The river ------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("subscriptions:river"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_it_shows_the_river_newest_first(signed_in, followed):
    old = ArticleFactory(feed=followed, published_at=T0, title="Older <b>story</b>")
    new = ArticleFactory(
        feed=followed, published_at=T0 + timedelta(hours=1), lead_image_url="https://img.example.org/a.jpg"
    )
    ArticleFactory(published_at=T0 + timedelta(hours=2))  # not followed
    response = signed_in.get(reverse("subscriptions:river"))
    assert response.status_code == 200
    assert _story_ids(response) == [new.pk, old.pk]
    assert b"2 unread from what you follow" in response.content
    body = response.content.decode()
    assert "Older &lt;b&gt;story&lt;/b&gt;" in body  # titles are escaped
    assert 'src="https://img.example.org/a.jpg"' in body
    assert followed.publisher.name in body and "1 min read" in body
    assert "{#" not in body and "{%" not in body  # no template source leaks into the page


def test_it_never_renders_a_javascript_image_address(signed_in, followed):
    ArticleFactory(feed=followed, lead_image_url="javascript:alert(1)")
    assert b"javascript:" not in signed_in.get(reverse("subscriptions:river")).content


def test_it_shows_unread_by_default_and_all_on_request(signed_in, reader, followed):
    read, unread = (
        ArticleFactory(feed=followed, published_at=T0),
        ArticleFactory(feed=followed, published_at=T0),
    )
    ReadStateFactory(user=reader, article=read)
    assert _story_ids(signed_in.get(reverse("subscriptions:river"))) == [unread.pk]
    assert _story_ids(signed_in.get(reverse("subscriptions:river"), {"show": "all"})) == [unread.pk, read.pk]


def test_it_narrows_the_river_by_folder_feed_and_publisher(signed_in, reader):
    folder = FolderFactory(user=reader, name="Science")
    in_folder = SubscriptionFactory(user=reader, folder=folder).feed
    loose = SubscriptionFactory(user=reader).feed
    a, b = ArticleFactory(feed=in_folder), ArticleFactory(feed=loose)
    url = reverse("subscriptions:river")
    response = signed_in.get(url, {"folder": folder.pk})
    assert _story_ids(response) == [a.pk] and b"<h1>Science</h1>" in response.content
    assert _story_ids(signed_in.get(url, {"source": f"feed:{loose.pk}"})) == [b.pk]
    assert _story_ids(signed_in.get(url, {"publisher": loose.publisher_id})) == [b.pk]
    # Nonsense filters are ignored rather than failing.
    assert sorted(_story_ids(signed_in.get(url, {"folder": "x", "feed": "-1", "source": "zz:9"}))) == sorted(
        [a.pk, b.pk]
    )


def test_it_welcomes_a_new_user_with_a_way_to_the_directory(signed_in):
    response = signed_in.get(reverse("subscriptions:river"))
    assert b"Your river is empty" in response.content
    assert reverse("articles:publisher-directory").encode() in response.content


def test_it_says_when_everything_is_read(signed_in, reader, followed):
    ReadStateFactory(user=reader, article=ArticleFactory(feed=followed))
    response = signed_in.get(reverse("subscriptions:river"))
    assert b"all caught up" in response.content and b"show=all" in response.content


def test_it_loads_the_next_page_as_a_fragment(signed_in, followed):
    stories = [ArticleFactory(feed=followed, published_at=T0) for _ in range(35)]  # equal times: ids decide
    first = signed_in.get(reverse("subscriptions:river"))
    expected = [s.pk for s in reversed(stories)]
    assert _story_ids(first) == expected[:30]
    next_url = re.search(r'hx-get="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    more = signed_in.get(next_url, **HTMX)
    assert _story_ids(more) == expected[30:]
    assert b"<html" not in more.content and b"data-load-more" not in more.content
    # Without htmx the same link is a whole page (no-JS "load more").
    assert b"Back to the newest stories" in signed_in.get(next_url).content


def test_it_ignores_a_malformed_cursor(signed_in, followed):
    story = ArticleFactory(feed=followed)
    assert _story_ids(signed_in.get(reverse("subscriptions:river"), {"before": "'; drop table"})) == [
        story.pk
    ]


def _river_queries(client) -> int:
    client.get(reverse("subscriptions:river"), {"show": "all"})  # warm: what is cached for everyone
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("subscriptions:river"), {"show": "all"})
    assert response.status_code == 200
    return len(queries)


def test_it_draws_the_river_in_a_fixed_number_of_queries(signed_in, reader):
    folder = FolderFactory(user=reader)
    feeds = [SubscriptionFactory(user=reader, folder=folder if i % 2 else None).feed for i in range(3)]
    read_later = ReadingListFactory(user=reader, is_default=True, name="Read later")

    def add_stories(n: int, start: int) -> None:
        for i in range(start, start + n):
            article = ArticleFactory(feed=feeds[i % 3], published_at=T0 - timedelta(minutes=i))
            if i % 4 == 0:
                ReadingListItemFactory(reading_list=read_later, article=article)
            if i % 3 == 0:
                ReadStateFactory(user=reader, article=article)

    add_stories(10, 0)
    with_10 = _river_queries(signed_in)
    add_stories(40, 10)
    with_50 = _river_queries(signed_in)
    # user, river, its clusters, unread count, newest id; once warm, the session, the sources
    # (subscriptions/reader_cache.py) and whether any pick is active come from the cache
    assert with_10 == with_50 <= 8


# --- Mark all as read, and undo -------------------------------------------------------------------


def test_it_marks_all_read_then_undoes_it(signed_in, reader, followed):
    earlier = ArticleFactory(feed=followed)
    ReadStateFactory(user=reader, article=earlier)
    stories = [ArticleFactory(feed=followed) for _ in range(3)]
    page = signed_in.get(reverse("subscriptions:river"))
    before_id = re.search(r'name="before_id" value="(\d+)"', page.content.decode()).group(1)
    late = ArticleFactory(feed=followed)  # arrives after the page was drawn
    response = signed_in.post(reverse("subscriptions:river-mark-all-read"), {"before_id": before_id})
    assert response.status_code == 302
    assert set(ReadState.objects.filter(user=reader).values_list("article_id", flat=True)) == {
        earlier.pk,
        *(s.pk for s in stories),
    }
    landing = signed_in.get(response["Location"])
    assert b"3 stories marked as read" in landing.content
    assert _story_ids(landing) == [late.pk]
    undo = re.search(r'name="undo" value="([^"]+)"', landing.content.decode()).group(1)
    response = signed_in.post(reverse("subscriptions:river-mark-all-read-undo"), {"undo": undo}, follow=True)
    assert b"3 stories marked unread again" in response.content
    assert set(ReadState.objects.filter(user=reader).values_list("article_id", flat=True)) == {earlier.pk}


def test_it_marks_only_the_folder_shown_read(signed_in, reader):
    folder = FolderFactory(user=reader)
    in_folder = ArticleFactory(feed=SubscriptionFactory(user=reader, folder=folder).feed)
    elsewhere = ArticleFactory(feed=SubscriptionFactory(user=reader).feed)
    signed_in.post(reverse("subscriptions:river-mark-all-read"), {"folder": folder.pk})
    assert ReadState.objects.filter(user=reader, article=in_folder).exists()
    assert not ReadState.objects.filter(user=reader, article=elsewhere).exists()


def test_it_cannot_undo_another_users_mark_all_read(client, reader, followed):
    ArticleFactory(feed=followed)
    client.force_login(reader)
    response = client.post(reverse("subscriptions:river-mark-all-read"))
    undo = re.search(r"undo=([^&]+)", response["Location"]).group(1)
    client.force_login(UserFactory())
    client.post(reverse("subscriptions:river-mark-all-read-undo"), {"undo": undo})
    assert ReadState.objects.filter(user=reader).count() == 1


def test_it_refuses_get_on_changes(signed_in, followed):
    article = ArticleFactory(feed=followed)
    for name, args in (
        ("subscriptions:river-mark-all-read", []),
        ("subscriptions:article-mark-read", [article.pk]),
        ("subscriptions:article-save", [article.pk]),
    ):
        assert signed_in.get(reverse(name, args=args)).status_code == 405


# --- The article ----------------------------------------------------------------------------------


def test_it_shows_the_article_and_marks_it_read(signed_in, reader, followed):
    article = ArticleFactory(
        feed=followed,
        title="The story",
        author="Jane Doe",
        content_html="<p>Sanitized <em>body</em>.</p>",
        url="https://news.example.org/the-story",
        reading_time=4,
    )
    response = signed_in.get(reverse("subscriptions:article-detail", args=[article.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<p>Sanitized <em>body</em>.</p>" in body
    assert "Jane Doe" in body and "4 min read" in body and followed.publisher.name in body
    assert 'href="https://news.example.org/the-story"' in body and 'rel="noopener noreferrer"' in body
    assert ReadState.objects.filter(user=reader, article=article).exists()


def test_it_links_next_and_previous_within_the_river_it_came_from(signed_in, reader):
    folder = FolderFactory(user=reader)
    feed = SubscriptionFactory(user=reader, folder=folder).feed
    newer = ArticleFactory(feed=feed, published_at=T0 + timedelta(hours=2))
    ArticleFactory(feed=SubscriptionFactory(user=reader).feed, published_at=T0 + timedelta(hours=1))
    current = ArticleFactory(feed=feed, published_at=T0)
    older = ArticleFactory(feed=feed, published_at=T0 - timedelta(hours=1))
    response = signed_in.get(
        reverse("subscriptions:article-detail", args=[current.pk]), {"folder": folder.pk}
    )
    body = response.content.decode()
    prev = re.search(r'href="([^"]+)" rel="prev"', body).group(1)
    nxt = re.search(r'href="([^"]+)" rel="next"', body).group(1)
    assert prev == f"{reverse('subscriptions:article-detail', args=[newer.pk])}?folder={folder.pk}"
    assert nxt == f"{reverse('subscriptions:article-detail', args=[older.pk])}?folder={folder.pk}"


def test_it_shows_no_next_or_previous_for_a_story_outside_the_river(signed_in, followed):
    ArticleFactory(feed=followed, published_at=T0 + timedelta(hours=1))
    ArticleFactory(feed=followed, published_at=T0 - timedelta(hours=1))
    catalogue = ArticleFactory(published_at=T0)  # a catalogue publisher the reader does not follow
    body = signed_in.get(reverse("subscriptions:article-detail", args=[catalogue.pk])).content.decode()
    assert 'rel="next"' not in body and 'rel="prev"' not in body and "Back to the river" in body


def test_it_shows_the_summary_when_there_is_no_text(signed_in, followed):
    article = ArticleFactory(feed=followed, content_html="", summary="Just the summary.")
    assert (
        b"Just the summary."
        in signed_in.get(reverse("subscriptions:article-detail", args=[article.pk])).content
    )


def test_it_hides_another_users_private_article(signed_in):
    private = _private_article()
    ReadingListItemFactory(reading_list=ReadingListFactory(), article=private)
    response = signed_in.get(reverse("subscriptions:article-detail", args=[private.pk]))
    assert response.status_code == 404
    assert not ReadState.objects.filter(article=private).exists()


def test_it_draws_an_article_in_a_fixed_number_of_queries(signed_in, reader, followed):
    articles = [ArticleFactory(feed=followed, published_at=T0 - timedelta(minutes=i)) for i in range(6)]
    counts = []
    for n_lists, article in ((1, articles[1]), (12, articles[4])):
        for i in range(n_lists):
            ReadingListFactory(user=reader, name=f"List {n_lists}-{i}")
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(reverse("subscriptions:article-detail", args=[article.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


# --- Read state and saving from the river and the article -----------------------------------------


def test_it_toggles_read_state_of_a_river_card_with_htmx(signed_in, reader, followed):
    article = ArticleFactory(feed=followed)
    url = reverse("subscriptions:article-mark-read", args=[article.pk])
    response = signed_in.post(url, {"fragment": "card", "article_query": "?show=all&x=<script>"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="story is-read"' in body and "Mark unread" in body
    assert f'{reverse("subscriptions:article-detail", args=[article.pk])}?show=all"' in body
    assert "<script>" not in body
    assert "announce" in response["HX-Trigger"]
    response = signed_in.post(
        reverse("subscriptions:article-mark-unread", args=[article.pk]), {"fragment": "read"}, **HTMX
    )
    assert "Mark read" in response.content.decode() and "<li" not in response.content.decode()
    assert not ReadState.objects.filter(user=reader).exists()


def test_it_saves_and_unsaves_without_a_reload(signed_in, reader, followed):
    article = ArticleFactory(feed=followed)
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]), {"fragment": "save"}, **HTMX
    )
    assert 'aria-pressed="true"' in response.content.decode()
    assert reverse("subscriptions:article-unsave", args=[article.pk]) in response.content.decode()
    assert (
        ReadingListItem.objects.filter(reading_list__user=reader, reading_list__is_default=True).count() == 1
    )
    response = signed_in.post(
        reverse("subscriptions:article-unsave", args=[article.pk]), {"fragment": "save"}, **HTMX
    )
    assert 'aria-pressed="false"' in response.content.decode()
    assert not ReadingListItem.objects.exists()


def test_it_adds_to_a_named_list_from_the_article(signed_in, reader, followed):
    article = ArticleFactory(feed=followed)
    named = ReadingListFactory(user=reader, name="Weekend")
    page = signed_in.get(reverse("subscriptions:article-detail", args=[article.pk]))
    assert b"Weekend" in page.content
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]),
        {"fragment": "list", "list": named.pk},
        **HTMX,
    )
    assert 'aria-pressed="true"' in response.content.decode() and "Weekend" in response.content.decode()
    assert ReadingListItem.objects.filter(reading_list=named, article=article).exists()


def test_it_falls_back_to_redirects_without_javascript(signed_in, reader, followed):
    article = ArticleFactory(feed=followed)
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]), {"next": "/?show=all"}
    )
    assert response.status_code == 302 and response["Location"] == "/?show=all"
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("subscriptions:article-detail", args=[article.pk])
    response = signed_in.post(reverse("subscriptions:article-mark-unread", args=[article.pk]))
    assert response["Location"] == reverse("subscriptions:river")
    # Without a `next`, back to the page the button was on.
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]), HTTP_REFERER="http://testserver/?show=all"
    )
    assert response["Location"] == "http://testserver/?show=all"
    response = signed_in.post(
        reverse("subscriptions:article-save", args=[article.pk]), HTTP_REFERER="https://evil.example/"
    )
    assert response["Location"] == reverse("subscriptions:article-detail", args=[article.pk])


def test_a_second_user_cannot_touch_read_state_or_saves_by_guessing_ids(client, reader):
    private = _private_article()
    ReadingListItemFactory(reading_list=ReadingListFactory(user=reader), article=private)
    ReadStateFactory(user=reader, article=private)
    client.force_login(UserFactory())
    for name in ("article-detail",):
        assert client.get(reverse(f"subscriptions:{name}", args=[private.pk])).status_code == 404
    for name in ("article-mark-read", "article-mark-unread", "article-save", "article-unsave"):
        for headers in ({}, HTMX):
            response = client.post(
                reverse(f"subscriptions:{name}", args=[private.pk]), {"fragment": "card"}, **headers
            )
            assert response.status_code == 404, name
    assert ReadState.objects.filter(article=private).count() == 1
    assert ReadingListItem.objects.filter(article=private).count() == 1


# --- A wire story once ----------------------------------------------------------------------------


def test_the_river_shows_a_wire_story_once_with_its_other_sources(signed_in, reader):
    feeds = [SubscriptionFactory(user=reader).feed for _ in range(3)]
    cluster = StoryCluster.objects.create(first_published_at=T0, last_published_at=T0)
    original = ArticleFactory(feed=feeds[0], published_at=T0, title="Wire story")
    ClusterMember.objects.create(article=original, cluster=cluster)
    copies = []
    for i, feed in enumerate(feeds[1:]):
        copy = ArticleFactory(feed=feed, published_at=T0 + timedelta(minutes=i + 1), title="Wire story")
        ClusterMember.objects.create(article=copy, cluster=cluster, is_duplicate=True, duplicate_of=original)
        copies.append(copy)
    response = signed_in.get(reverse("subscriptions:river"))
    assert _story_ids(response) == [original.pk]
    body = response.content.decode()
    assert "Also in 2 sources" in body
    for copy in copies:
        assert copy.publisher.name in body  # named in the "also in" title
    assert "1 unread from what you follow" in body  # the copies are not counted


def test_the_river_with_wire_stories_takes_a_fixed_number_of_queries(signed_in, reader):
    feeds = [SubscriptionFactory(user=reader).feed for _ in range(2)]

    def add_stories(n: int, start: int) -> None:
        for i in range(start, start + n):
            at = T0 - timedelta(minutes=i)
            cluster = StoryCluster.objects.create(first_published_at=at, last_published_at=at)
            original = ArticleFactory(feed=feeds[0], published_at=at)
            ClusterMember.objects.create(article=original, cluster=cluster)
            copy = ArticleFactory(feed=feeds[1], published_at=at)
            ClusterMember.objects.create(
                article=copy, cluster=cluster, is_duplicate=True, duplicate_of=original
            )

    add_stories(5, 0)
    with_5 = _river_queries(signed_in)
    add_stories(40, 5)
    with_45 = _river_queries(signed_in)
    assert with_5 == with_45 <= 8
