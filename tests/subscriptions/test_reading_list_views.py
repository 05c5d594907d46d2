"""Views of reading lists: index, a list's page, items, export, the private Atom feed, save-by-URL."""

import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscriptions.models import ReadingList, ReadingListItem
from subscriptions.selectors.reading import page_save_status_for_user
from subscriptions.services.reading import reading_list_save_url_complete
from subscriptions.tasks import reading_list_save_url as reading_list_save_url_task
from tests.factories import (
    ArticleFactory,
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
def weekend(reader):
    return ReadingListFactory(user=reader, name="Weekend")


def _item_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'id="item-(\d+)"', response.content.decode())]


# --- Index and lists ------------------------------------------------------------------------------


def test_it_shows_read_later_to_every_user(signed_in, reader):
    response = signed_in.get(reverse("subscriptions:reading-list-index"))
    assert response.status_code == 200
    assert b"Read later" in response.content
    assert ReadingList.objects.get(user=reader).is_default


def test_it_offers_a_bookmarklet_that_opens_the_save_form(signed_in):
    body = signed_in.get(reverse("subscriptions:reading-list-index")).content.decode()
    href = re.search(r'href="(javascript:[^"]+)"', body).group(1).replace("&quot;", '"')
    assert "http://testserver/lists/save?url=" in href and "encodeURIComponent(location.href)" in href


def test_it_creates_a_list(signed_in, reader):
    response = signed_in.post(reverse("subscriptions:reading-list-create"), {"name": "Long reads"})
    reading_list = ReadingList.objects.get(user=reader, name="Long reads")
    assert response["Location"] == reverse("subscriptions:reading-list-detail", args=[reading_list.pk])


def test_it_explains_a_refused_list_name(signed_in):
    response = signed_in.post(
        reverse("subscriptions:reading-list-create"), {"name": "Read later"}, follow=True
    )
    assert b"is the name of your default list" in response.content


def test_it_renames_and_deletes_a_list(signed_in, weekend):
    signed_in.post(reverse("subscriptions:reading-list-rename", args=[weekend.pk]), {"name": "Sunday"})
    weekend.refresh_from_db()
    assert weekend.name == "Sunday"
    response = signed_in.post(reverse("subscriptions:reading-list-delete", args=[weekend.pk]))
    assert response["Location"] == reverse("subscriptions:reading-list-index")
    assert not ReadingList.objects.filter(pk=weekend.pk).exists()


def test_it_shows_a_lists_items_with_read_and_archived_states(signed_in, reader, weekend):
    read = ReadingListItemFactory(reading_list=weekend, added_at=T0)
    unread = ReadingListItemFactory(reading_list=weekend, added_at=T0 + timedelta(hours=1))
    archived = ReadingListItemFactory(reading_list=weekend, archived=True)
    ReadStateFactory(user=reader, article=read.article)
    response = signed_in.get(reverse("subscriptions:reading-list-detail", args=[weekend.pk]))
    assert _item_ids(response) == [unread.pk, read.pk]
    body = response.content.decode()
    assert body.count('<span class="badge">Read</span>') == 1 and body.count(">Unread</span>") == 1
    response = signed_in.get(
        reverse("subscriptions:reading-list-detail", args=[weekend.pk]), {"archived": "1"}
    )
    assert _item_ids(response) == [archived.pk]


def test_it_pages_a_long_list(signed_in, weekend):
    items = [ReadingListItemFactory(reading_list=weekend, added_at=T0) for _ in range(55)]
    first = signed_in.get(reverse("subscriptions:reading-list-detail", args=[weekend.pk]))
    next_url = re.search(r'hx-get="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    more = signed_in.get(next_url, **HTMX)
    assert _item_ids(first) + _item_ids(more) == [i.pk for i in reversed(items)]


def _list_queries(client, reading_list) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("subscriptions:reading-list-detail", args=[reading_list.pk]))
    assert response.status_code == 200
    return len(queries)


def test_it_draws_a_list_in_a_fixed_number_of_queries(signed_in, reader, weekend):
    def add(n):
        for i in range(n):
            item = ReadingListItemFactory(reading_list=weekend)
            if i % 2:
                ReadStateFactory(user=reader, article=item.article)

    add(10)
    with_10 = _list_queries(signed_in, weekend)
    add(40)
    with_50 = _list_queries(signed_in, weekend)
    assert with_10 == with_50 <= 4  # session, user, the list, its items


def test_it_archives_restores_and_removes_items_without_a_reload(signed_in, weekend):
    item = ReadingListItemFactory(reading_list=weekend)
    response = signed_in.post(reverse("subscriptions:reading-list-item-archive", args=[item.pk]), **HTMX)
    assert response.status_code == 200 and response.content == b""
    item.refresh_from_db()
    assert item.archived
    signed_in.post(reverse("subscriptions:reading-list-item-restore", args=[item.pk]), **HTMX)
    item.refresh_from_db()
    assert not item.archived
    response = signed_in.post(reverse("subscriptions:reading-list-item-remove", args=[item.pk]))
    assert response["Location"] == reverse("subscriptions:reading-list-detail", args=[weekend.pk])
    assert not ReadingListItem.objects.filter(pk=item.pk).exists()


# --- Export -----------------------------------------------------------------------------------------


@pytest.fixture
def exported(weekend, reader):
    good = ReadingListItemFactory(
        reading_list=weekend,
        article=ArticleFactory(
            title="Cats [and] *dogs* <b>", url="https://news.example.org/a?b=1&c=(2)", author="Ann"
        ),
        added_at=T0,
    )
    evil = ReadingListItemFactory(
        reading_list=weekend, article=ArticleFactory(title="Evil", url="javascript:alert(1)"), archived=True
    )
    ReadStateFactory(user=reader, article=good.article)
    return good, evil


def test_it_exports_json(signed_in, weekend, exported):
    response = signed_in.get(reverse("subscriptions:reading-list-export", args=[weekend.pk, "json"]))
    assert response["Content-Type"].startswith("application/json")
    assert 'attachment; filename="weekend.json"' == response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["list"] == "Weekend"
    by_title = {item["title"]: item for item in data["items"]}
    assert by_title["Cats [and] *dogs* <b>"]["read"] is True
    assert by_title["Cats [and] *dogs* <b>"]["url"] == "https://news.example.org/a?b=1&c=(2)"
    assert by_title["Evil"] == by_title["Evil"] | {"url": "", "archived": True, "read": False}


def test_it_exports_markdown(signed_in, weekend, exported):
    response = signed_in.get(reverse("subscriptions:reading-list-export", args=[weekend.pk, "md"]))
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/markdown")
    assert text.startswith("# Weekend\n")
    assert r"- [Cats \[and\] \*dogs\* \<b\>](<https://news.example.org/a?b=1&c=(2)>) — " in text
    assert "(read)" in text and "javascript:" not in text and "Evil" in text


def test_it_exports_html(signed_in, weekend, exported):
    response = signed_in.get(reverse("subscriptions:reading-list-export", args=[weekend.pk, "html"]))
    body = response.content.decode()
    assert response["Content-Disposition"] == 'attachment; filename="weekend.html"'
    assert '<a href="https://news.example.org/a?b=1&amp;c=(2)">Cats [and] *dogs* &lt;b&gt;</a>' in body
    assert "javascript:" not in body and "<li>Evil" in body


def test_it_refuses_an_unknown_export_format(signed_in, weekend):
    assert (
        signed_in.get(reverse("subscriptions:reading-list-export", args=[weekend.pk, "exe"])).status_code
        == 404
    )


# --- The private Atom feed ---------------------------------------------------------------------------


def test_it_serves_a_valid_atom_feed_without_sign_in(client, weekend):
    item = ReadingListItemFactory(
        reading_list=weekend,
        article=ArticleFactory(
            title="Saved story", content_html="<p>Full <em>text</em></p>", url="https://n.example.org/s"
        ),
    )
    ReadingListItemFactory(reading_list=weekend, archived=True, article=ArticleFactory(title="Done with"))
    response = client.get(reverse("subscriptions:reading-list-feed", args=[weekend.feed_secret]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "private" in response["Cache-Control"]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("Weekend")
    assert [e.title for e in parsed.entries] == ["Saved story"]
    entry = parsed.entries[0]
    assert entry.link == "https://n.example.org/s"
    assert entry.id == f"tag:newsreader,2024:reading-list-item:{item.pk}"
    assert "<em>text</em>" in entry.content[0].value


def test_it_forgets_the_old_feed_address_when_rotated(signed_in, weekend):
    old = reverse("subscriptions:reading-list-feed", args=[weekend.feed_secret])
    signed_in.post(reverse("subscriptions:reading-list-rotate-secret", args=[weekend.pk]))
    weekend.refresh_from_db()
    assert signed_in.get(old).status_code == 404
    assert (
        signed_in.get(reverse("subscriptions:reading-list-feed", args=[weekend.feed_secret])).status_code
        == 200
    )


def test_it_answers_404_for_an_unknown_feed_secret(client, db):
    assert client.get(reverse("subscriptions:reading-list-feed", args=["nope"])).status_code == 404


# --- Save any page by URL ---------------------------------------------------------------------------


def test_it_shows_the_save_form_prefilled_from_the_bookmarklet(signed_in):
    response = signed_in.get(
        reverse("subscriptions:reading-list-save-url"), {"url": "https://example.org/x?a=1"}
    )
    assert b'value="https://example.org/x?a=1"' in response.content
    assert not ReadingListItem.objects.exists()  # a GET never saves


def test_it_starts_a_save_and_shows_it_pending(signed_in, reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = signed_in.post(
            reverse("subscriptions:reading-list-save-url"), {"url": "https://example.org/x"}, **HTMX
        )
    assert len(callbacks) == 1
    body = response.content.decode()
    assert 'data-state="pending"' in body and 'hx-trigger="every 1s"' in body
    token = re.search(r'id="save-([^"]+)"', body).group(1)
    poll = signed_in.get(reverse("subscriptions:reading-list-save-status", args=[token]), **HTMX)
    assert b'data-state="pending"' in poll.content


def test_it_gives_the_form_back_with_a_message_for_a_bad_address(signed_in):
    response = signed_in.post(reverse("subscriptions:reading-list-save-url"), {"url": "ftp://x"}, **HTMX)
    assert response["HX-Retarget"] == "#save-form" and response["HX-Reswap"] == "outerHTML"
    assert b"Only web addresses" in response.content


def test_it_saves_a_page_end_to_end(signed_in, reader, publisher_server, django_capture_on_commit_callbacks):
    page_url = publisher_server.site("reading-views", n_items=1).articles[0][0]
    with django_capture_on_commit_callbacks() as callbacks:
        response = signed_in.post(reverse("subscriptions:reading-list-save-url"), {"url": page_url})
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert len(callbacks) == 1
    reading_list_save_url_task(token)  # what the worker runs, in this process
    status = page_save_status_for_user(user=reader, token=token)
    assert status.state == "done", status.error
    poll = signed_in.get(reverse("subscriptions:reading-list-save-status", args=[token]), **HTMX)
    body = poll.content.decode()
    assert 'data-state="done"' in body and "hx-trigger" not in body
    item = ReadingListItem.objects.get(pk=status.item_id)
    assert reverse("subscriptions:article-detail", args=[item.article_id]) in body
    # The saved page opens for its owner, even though nobody follows its site.
    assert signed_in.get(reverse("subscriptions:article-detail", args=[item.article_id])).status_code == 200


def test_it_shows_a_clear_error_when_a_page_cannot_be_saved(signed_in, reader, publisher_server):
    response = signed_in.post(
        reverse("subscriptions:reading-list-save-url"), {"url": publisher_server.url("/status/500")}
    )
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    reading_list_save_url_complete(token=token)
    page = signed_in.get(response["Location"])
    assert b'data-state="failed"' in page.content and b"Could not save" in page.content


# --- Permissions: a second user probes every URL with the first user's ids ---------------------------


def test_a_second_user_cannot_read_change_or_delete_another_users_lists(client, reader, weekend):
    item = ReadingListItemFactory(
        reading_list=weekend, article=ArticleFactory(feed=SubscriptionFactory(user=reader).feed)
    )
    secret = weekend.feed_secret
    client.force_login(UserFactory())
    gets = [
        reverse("subscriptions:reading-list-detail", args=[weekend.pk]),
        reverse("subscriptions:reading-list-detail", args=[weekend.pk]) + "?archived=1",
        *(
            reverse("subscriptions:reading-list-export", args=[weekend.pk, fmt])
            for fmt in ("html", "md", "json")
        ),
    ]
    posts = [
        (reverse("subscriptions:reading-list-rename", args=[weekend.pk]), {"name": "Pwned"}),
        (reverse("subscriptions:reading-list-delete", args=[weekend.pk]), {}),
        (reverse("subscriptions:reading-list-rotate-secret", args=[weekend.pk]), {}),
        (reverse("subscriptions:reading-list-item-archive", args=[item.pk]), {}),
        (reverse("subscriptions:reading-list-item-restore", args=[item.pk]), {}),
        (reverse("subscriptions:reading-list-item-remove", args=[item.pk]), {}),
        (reverse("subscriptions:article-save", args=[item.article_id]), {"list": weekend.pk}),
        (reverse("subscriptions:article-unsave", args=[item.article_id]), {"list": weekend.pk}),
        (reverse("subscriptions:reading-list-save-url"), {"url": "https://example.org/", "list": weekend.pk}),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
        assert client.get(url, **HTMX).status_code == 404, url
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
        assert client.post(url, data, **HTMX).status_code == 404, url
    weekend.refresh_from_db()
    item.refresh_from_db()
    assert (weekend.name, weekend.feed_secret, item.archived) == ("Weekend", secret, False)
    assert list(weekend.items.all()) == [item]


def test_a_second_user_cannot_see_another_users_save_in_progress(client, reader):
    client.force_login(reader)
    response = client.post(reverse("subscriptions:reading-list-save-url"), {"url": "https://example.org/"})
    client.force_login(UserFactory())
    assert client.get(response["Location"]).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(client, weekend):
    for url in (
        reverse("subscriptions:reading-list-index"),
        reverse("subscriptions:reading-list-detail", args=[weekend.pk]),
        reverse("subscriptions:reading-list-export", args=[weekend.pk, "json"]),
        reverse("subscriptions:reading-list-save-url"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url
