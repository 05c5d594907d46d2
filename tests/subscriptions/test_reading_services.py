"""Services of reading: read state, mark all as read and undo, reading lists, save-by-URL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from articles.models import Article
from subscriptions.models import ReadingList, ReadingListItem, ReadState
from subscriptions.selectors.reading import page_save_status_for_user
from subscriptions.services.reading import (
    MAX_LISTS_PER_USER,
    article_mark_read,
    article_mark_unread,
    articles_mark_all_read,
    articles_mark_all_read_undo,
    articles_mark_read,
    articles_mark_unread,
    reading_list_add,
    reading_list_create,
    reading_list_delete,
    reading_list_get_or_create_default,
    reading_list_item_archive,
    reading_list_item_delete,
    reading_list_remove,
    reading_list_rename,
    reading_list_rotate_secret,
    reading_list_save_url,
    reading_list_save_url_complete,
)
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


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def followed(reader):
    return SubscriptionFactory(user=reader).feed


def _private_article() -> Article:
    return ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False))


def _read_ids(user) -> set[int]:
    return set(ReadState.objects.filter(user=user).values_list("article_id", flat=True))


# --- Read state -----------------------------------------------------------------------------------


def test_it_marks_an_article_read_once(reader, followed):
    article = ArticleFactory(feed=followed)
    assert article_mark_read(user=reader, article_id=article.pk) is True
    assert article_mark_read(user=reader, article_id=article.pk) is False
    assert ReadState.objects.filter(user=reader, article=article).count() == 1


def test_it_marks_an_article_unread(reader, followed):
    article = ArticleFactory(feed=followed)
    ReadStateFactory(user=reader, article=article)
    assert article_mark_unread(user=reader, article_id=article.pk) is True
    assert article_mark_unread(user=reader, article_id=article.pk) is False
    assert not ReadState.objects.filter(user=reader).exists()


def test_it_refuses_read_state_on_articles_the_user_cannot_see(reader):
    private = _private_article()
    with pytest.raises(Http404):
        article_mark_read(user=reader, article_id=private.pk)
    with pytest.raises(Http404):
        article_mark_unread(user=reader, article_id=private.pk)
    assert not ReadState.objects.exists()


def test_it_leaves_another_users_read_state_alone(reader, followed):
    article = ArticleFactory(feed=followed)
    stranger = UserFactory()
    ReadStateFactory(user=stranger, article=article)
    article_mark_read(user=reader, article_id=article.pk)
    article_mark_unread(user=reader, article_id=article.pk)
    assert _read_ids(stranger) == {article.pk}


def test_it_marks_many_read_and_skips_what_the_user_cannot_see(reader, followed):
    a, b = ArticleFactory(feed=followed), ArticleFactory(feed=followed)
    private = _private_article()
    assert articles_mark_read(user=reader, article_ids=[a.pk, b.pk, private.pk, a.pk]) == 2
    assert articles_mark_read(user=reader, article_ids=[a.pk]) == 0
    assert _read_ids(reader) == {a.pk, b.pk}
    assert articles_mark_unread(user=reader, article_ids=[a.pk, private.pk]) == 1
    assert _read_ids(reader) == {b.pk}
    assert articles_mark_read(user=reader, article_ids=[]) == 0


# --- Mark all as read, and undo -------------------------------------------------------------------


def test_it_marks_the_whole_river_read(reader, followed):
    stories = [ArticleFactory(feed=followed) for _ in range(5)]
    ReadStateFactory(user=reader, article=stories[0])
    unfollowed = ArticleFactory()
    assert articles_mark_all_read(user=reader) == 4
    assert _read_ids(reader) == {s.pk for s in stories}
    assert unfollowed.pk not in _read_ids(reader)
    assert articles_mark_all_read(user=reader) == 0


def test_it_marks_one_folder_or_feed_read(reader):
    folder = FolderFactory(user=reader)
    in_folder = SubscriptionFactory(user=reader, folder=folder).feed
    loose = SubscriptionFactory(user=reader).feed
    a, b = ArticleFactory(feed=in_folder), ArticleFactory(feed=loose)
    assert articles_mark_all_read(user=reader, folder_id=folder.pk) == 1
    assert _read_ids(reader) == {a.pk}
    assert articles_mark_all_read(user=reader, feed_id=loose.pk) == 1
    assert _read_ids(reader) == {a.pk, b.pk}


def test_it_keeps_stories_that_arrived_after_the_page_was_drawn_unread(reader, followed):
    shown = [ArticleFactory(feed=followed, published_at=T0 - timedelta(hours=i)) for i in range(3)]
    high_water = max(s.pk for s in shown)
    # Arrives while the user looks at the page; published earlier than everything shown.
    late = ArticleFactory(feed=followed, published_at=T0 - timedelta(days=1))
    assert articles_mark_all_read(user=reader, before_id=high_water) == 3
    assert late.pk not in _read_ids(reader)


def test_it_marks_read_only_stories_older_than_a_time(reader, followed):
    old = ArticleFactory(feed=followed, published_at=T0 - timedelta(days=2))
    ArticleFactory(feed=followed, published_at=T0)
    assert articles_mark_all_read(user=reader, older_than=T0 - timedelta(days=1)) == 1
    assert _read_ids(reader) == {old.pk}


def test_it_undoes_mark_all_read_without_touching_earlier_reads(reader, followed):
    earlier = ArticleFactory(feed=followed)
    ReadStateFactory(user=reader, article=earlier, read_at=T0)
    rest = [ArticleFactory(feed=followed) for _ in range(3)]
    read_at = T0 + timedelta(hours=1, microseconds=123457)
    assert articles_mark_all_read(user=reader, read_at=read_at) == 3
    stranger = UserFactory()
    ReadStateFactory(user=stranger, article=rest[0], read_at=read_at)  # the same instant, someone else
    assert articles_mark_all_read_undo(user=reader, read_at=read_at) == 3
    assert _read_ids(reader) == {earlier.pk}
    assert _read_ids(stranger) == {rest[0].pk}


def test_it_marks_thousands_read_in_one_statement(reader, followed, django_assert_max_num_queries):
    Article.objects.bulk_create(
        ArticleFactory.build(feed=followed, guid=f"bulk-{i}", guid_hash=f"{i:064d}") for i in range(2000)
    )
    with django_assert_max_num_queries(4):  # the INSERT ... SELECT, inside a transaction (+ savepoints)
        assert articles_mark_all_read(user=reader) == 2000


# --- Reading lists --------------------------------------------------------------------------------


def test_it_creates_read_later_once(reader):
    first = reading_list_get_or_create_default(user=reader)
    assert first.is_default and first.name == "Read later"
    assert reading_list_get_or_create_default(user=reader) == first
    assert ReadingList.objects.filter(user=reader).count() == 1


def test_it_creates_renames_and_deletes_a_named_list(reader):
    reading_list = reading_list_create(user=reader, name="  Weekend   reads ")
    assert reading_list.name == "Weekend reads"
    assert (
        reading_list_rename(user=reader, reading_list_id=reading_list.pk, name="Long reads").name
        == "Long reads"
    )
    reading_list_delete(user=reader, reading_list_id=reading_list.pk)
    assert not ReadingList.objects.filter(pk=reading_list.pk).exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "read LATER"])
def test_it_refuses_bad_list_names(reader, name):
    with pytest.raises(ValidationError):
        reading_list_create(user=reader, name=name)


def test_it_refuses_a_duplicate_list_name(reader):
    reading_list_create(user=reader, name="Tech")
    with pytest.raises(ValidationError):
        reading_list_create(user=reader, name="tech")
    other = reading_list_create(user=reader, name="Sport")
    with pytest.raises(ValidationError):
        reading_list_rename(user=reader, reading_list_id=other.pk, name="TECH")
    # Another user may use the same name.
    assert reading_list_create(user=UserFactory(), name="Tech").name == "Tech"


def test_it_caps_the_number_of_lists(reader):
    ReadingList.objects.bulk_create(
        ReadingList(user=reader, name=f"L{i}", feed_secret=f"s{i}") for i in range(MAX_LISTS_PER_USER)
    )
    with pytest.raises(ValidationError):
        reading_list_create(user=reader, name="One more")


def test_it_keeps_read_later_named_and_in_place(reader):
    default = reading_list_get_or_create_default(user=reader)
    with pytest.raises(ValidationError):
        reading_list_rename(user=reader, reading_list_id=default.pk, name="Other")
    with pytest.raises(ValidationError):
        reading_list_delete(user=reader, reading_list_id=default.pk)
    assert ReadingList.objects.get(pk=default.pk).name == "Read later"


def test_it_refuses_to_touch_another_users_list(reader):
    theirs = ReadingListFactory()
    item = ReadingListItemFactory(reading_list=theirs)
    article = ArticleFactory()  # in the catalogue: the reader may see it
    for call in (
        lambda: reading_list_rename(user=reader, reading_list_id=theirs.pk, name="Mine"),
        lambda: reading_list_delete(user=reader, reading_list_id=theirs.pk),
        lambda: reading_list_rotate_secret(user=reader, reading_list_id=theirs.pk),
        lambda: reading_list_add(user=reader, article_id=article.pk, reading_list_id=theirs.pk),
        lambda: reading_list_remove(user=reader, article_id=item.article_id, reading_list_id=theirs.pk),
        lambda: reading_list_item_archive(user=reader, item_id=item.pk),
        lambda: reading_list_item_delete(user=reader, item_id=item.pk),
        lambda: reading_list_save_url(user=reader, url="https://example.org/", reading_list_id=theirs.pk),
    ):
        with pytest.raises(Http404):
            call()
    theirs.refresh_from_db()
    item.refresh_from_db()
    assert theirs.name != "Mine" and not item.archived
    assert list(theirs.items.values_list("article_id", flat=True)) == [item.article_id]


def test_it_saves_to_read_later_and_unsaves(reader, followed):
    article = ArticleFactory(feed=followed)
    item = reading_list_add(user=reader, article_id=article.pk)
    assert item.reading_list.is_default
    assert reading_list_add(user=reader, article_id=article.pk) == item
    assert reading_list_remove(user=reader, article_id=article.pk) is True
    assert reading_list_remove(user=reader, article_id=article.pk) is False


def test_it_brings_an_archived_item_back_when_saved_again(reader, followed):
    article = ArticleFactory(feed=followed)
    item = reading_list_add(user=reader, article_id=article.pk)
    reading_list_item_archive(user=reader, item_id=item.pk)
    assert reading_list_add(user=reader, article_id=article.pk).archived is False


def test_it_refuses_to_save_an_article_the_user_cannot_see(reader):
    with pytest.raises(Http404):
        reading_list_add(user=reader, article_id=_private_article().pk)
    assert not ReadingListItem.objects.exists()


def test_it_archives_restores_and_deletes_an_item(reader):
    item = ReadingListItemFactory(reading_list=ReadingListFactory(user=reader))
    assert reading_list_item_archive(user=reader, item_id=item.pk).archived is True
    assert reading_list_item_archive(user=reader, item_id=item.pk, archived=False).archived is False
    reading_list_item_delete(user=reader, item_id=item.pk)
    assert not ReadingListItem.objects.filter(pk=item.pk).exists()


def test_it_rotates_the_feed_secret(reader):
    reading_list = ReadingListFactory(user=reader)
    old = reading_list.feed_secret
    assert reading_list_rotate_secret(user=reader, reading_list_id=reading_list.pk).feed_secret != old
    reading_list.refresh_from_db()
    assert reading_list.feed_secret != old and len(reading_list.feed_secret) >= 32


# --- Save any page by URL -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "ftp://example.org/file",
        "javascript:alert(1)",
        "https://",
        "http://exa mple.org/",
        "x" * 3000,
    ],
)
def test_it_refuses_addresses_that_are_not_web_pages(reader, url):
    with pytest.raises(ValidationError):
        reading_list_save_url(user=reader, url=url)


def test_it_records_a_pending_save_and_enqueues_the_worker(reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        status = reading_list_save_url(user=reader, url="example.org/story")
    assert status.url == "https://example.org/story" and status.state == "pending"
    assert len(callbacks) == 1
    assert page_save_status_for_user(user=reader, token=status.token).state == "pending"


def test_it_saves_a_page_from_a_publisher(reader, publisher_server):
    site = publisher_server.site("reading-save", n_items=1)
    page_url = site.articles[0][0]
    status = reading_list_save_url(user=reader, url=page_url)
    done = reading_list_save_url_complete(token=status.token)
    assert done.state == "done", done.error
    item = ReadingListItem.objects.select_related("article", "reading_list").get(pk=done.item_id)
    assert item.reading_list.user == reader and item.reading_list.is_default
    assert item.article.url == page_url and item.article.title and item.article.content_html
    assert page_save_status_for_user(user=reader, token=status.token).item_id == item.pk
    # The worker running the task a second time does nothing more.
    assert reading_list_save_url_complete(token=status.token) is None
    assert ReadingListItem.objects.count() == 1


def test_it_records_a_clear_error_when_the_page_cannot_be_fetched(reader, publisher_server):
    status = reading_list_save_url(user=reader, url=publisher_server.url("/status/404"))
    failed = reading_list_save_url_complete(token=status.token)
    assert failed.state == "failed"
    assert failed.error and "Traceback" not in failed.error
    assert not ReadingListItem.objects.exists()


def test_it_refuses_a_private_address_unless_allowed(reader, publisher_server, settings):
    settings.FETCH_ALLOW_PRIVATE = False
    status = reading_list_save_url(user=reader, url=publisher_server.url("/"))
    failed = reading_list_save_url_complete(token=status.token)
    assert failed.state == "failed" and failed.error
    assert not Article.objects.exists()


def test_it_fails_the_save_when_the_list_went_away(reader, publisher_server):
    reading_list = reading_list_create(user=reader, name="Soon gone")
    site = publisher_server.site("reading-gone", n_items=1)
    status = reading_list_save_url(user=reader, url=site.articles[0][0], reading_list_id=reading_list.pk)
    reading_list_delete(user=reader, reading_list_id=reading_list.pk)
    assert reading_list_save_url_complete(token=status.token).state == "failed"
