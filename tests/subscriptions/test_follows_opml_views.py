from html import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.models import Article
from subscriptions.models import Folder, OpmlImport, OpmlImportItem, Subscription
from subscriptions.opml import parse_opml
from subscriptions.tasks import opml_import_run
from tests.factories import FeedFactory, FolderFactory, SubscriptionFactory, UserFactory


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


def _opml(outlines: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>My old reader</title></head>'
        f"<body>{outlines}</body></opml>"
    ).encode()


def _outline(title: str, url: str) -> str:
    return f'<outline type="rss" text="{escape(title)}" title="{escape(title)}" xmlUrl="{escape(url)}"/>'


def _upload(client, data: bytes, name: str = "subscriptions.opml"):
    return client.post(reverse("subscriptions:opml-import"), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.django_db
def test_it_imports_an_opml_file_end_to_end(
    client, alice, publisher_server, django_capture_on_commit_callbacks
):
    planet = publisher_server.site("daily-planet", n_items=3)
    gazette = publisher_server.site("gotham-gazette", n_items=2)
    already = SubscriptionFactory(
        user=alice, feed=FeedFactory(url=publisher_server.site("valley-voice").feed_url)
    )
    broken = publisher_server.url("/status/404")
    data = _opml(
        _outline("Daily Planet", planet.feed_url)
        + '<outline text="News"><outline text="World">'
        + _outline("Gotham Gazette", gazette.feed_url)
        + _outline("Broken Feed", broken)
        + "</outline></outline>"
        + _outline("Valley Voice", already.feed.url)
        + _outline("Not the web", "ftp://example.org/feed")
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, data)

    job = OpmlImport.objects.get(user=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:opml-import-detail", args=[job.pk])
    assert len(callbacks) == 1  # the worker's task, queued once the rows are committed
    assert job.total == 4 and job.skipped_in_file == 1
    waiting = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in waiting
    assert 'hx-trigger="every 1s"' in waiting

    opml_import_run(job.pk)  # what the worker runs, in-process

    job.refresh_from_db()
    assert job.status == "done" and job.processed == 4
    outcomes = {i.title: (i.outcome, i.message) for i in job.items.all()}
    assert outcomes["Daily Planet"] == ("added", "3 stories")
    assert outcomes["Gotham Gazette"] == ("added", "2 stories")
    assert outcomes["Broken Feed"][0] == "unreachable" and "404" in outcomes["Broken Feed"][1]
    assert outcomes["Valley Voice"] == ("duplicate", "You already follow this feed.")
    assert Subscription.objects.filter(user=alice).count() == 4
    assert Subscription.objects.get(user=alice, feed__url=gazette.feed_url).folder.name == "News / World"
    assert Article.objects.filter(feed__url=planet.feed_url).count() == 3

    page = client.get(
        reverse("subscriptions:opml-import-progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    assert "hx-trigger" not in html  # finished: the polling stops
    assert "2 followed" in html and "1 already followed" in html and "1 not reachable yet" in html
    assert "1 skipped in the file" in html
    assert "Gotham Gazette" in html and "News / World" in html


@pytest.mark.django_db
def test_it_does_nothing_when_the_task_runs_twice(client, alice, publisher_server):
    site = publisher_server.site("capital-chronicle", n_items=1)
    _upload(client, _opml(_outline("Chronicle", site.feed_url)))
    job = OpmlImport.objects.get(user=alice)
    opml_import_run(job.pk)
    requests_after_first = len(publisher_server.requests)

    opml_import_run(job.pk)

    assert len(publisher_server.requests) == requests_after_first
    assert Subscription.objects.filter(user=alice).count() == 1
    assert OpmlImportItem.objects.get().outcome == "added"


@pytest.mark.django_db
def test_it_reuses_folders_the_user_already_has(client, alice, publisher_server):
    FolderFactory(user=alice, name="Tech")
    site = publisher_server.site("coastal-times", n_items=1)
    _upload(client, _opml('<outline text="tech">' + _outline("Coastal", site.feed_url) + "</outline>"))
    opml_import_run(OpmlImport.objects.get().pk)
    assert list(Folder.objects.filter(user=alice).values_list("name", flat=True)) == ["Tech"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://example.org/f"/></body></opml>',
            "declare entities are not accepted",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00 not an opml file at all", "This is not an OPML file"),
        (_opml(""), "No feeds were found in this OPML file"),
    ],
    ids=["entity-bomb", "binary", "no-feeds"],
)
def test_it_refuses_a_hostile_or_useless_file_with_a_clear_message(client, alice, data, message):
    response = _upload(client, data)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert not OpmlImport.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_file_too_large(client, alice):
    response = _upload(client, b" " * (5 * 1024 * 1024 + 1))
    assert response.status_code == 422
    assert "too large" in response.content.decode()


@pytest.mark.django_db
def test_it_does_not_show_another_users_import(client, alice):
    bob = UserFactory(username="bob")
    job = OpmlImport.objects.create(user=bob, filename="bob.opml", total=0)
    assert client.get(reverse("subscriptions:opml-import-detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("subscriptions:opml-import-progress", args=[job.pk])).status_code == 404
    assert "bob.opml" not in client.get(reverse("subscriptions:opml-import")).content.decode()


@pytest.mark.django_db
def test_it_exports_the_subscriptions_with_their_folders(client, alice):
    folder = FolderFactory(user=alice, name="Local news")
    SubscriptionFactory(
        user=alice, folder=folder, title="My Paper", feed__url="https://paper.example.org/rss"
    )
    SubscriptionFactory(user=alice, feed__url="https://other.example.org/atom", feed__title="Other")
    SubscriptionFactory(feed__url="https://bob.example.org/feed")  # someone else's

    response = client.get(reverse("subscriptions:opml-export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-opml")
    assert "attachment" in response["Content-Disposition"]
    document = parse_opml(response.content)
    assert {(f.title, f.xml_url, f.folder) for f in document.feeds} == {
        ("My Paper", "https://paper.example.org/rss", "Local news"),
        ("Other", "https://other.example.org/atom", ""),
    }


@pytest.mark.django_db
def test_what_it_exports_imports_back_unchanged(client, alice, publisher_server):
    site = publisher_server.site("prairie-post", n_items=1)
    folder = FolderFactory(user=alice, name="UI / UX")
    SubscriptionFactory(user=alice, folder=folder, feed=FeedFactory(url=site.feed_url))
    exported = client.get(reverse("subscriptions:opml-export")).content

    bob = UserFactory(username="bob")
    client.force_login(bob)
    _upload(client, exported)
    opml_import_run(OpmlImport.objects.get(user=bob).pk)

    subscription = Subscription.objects.get(user=bob)
    assert subscription.feed.url == site.feed_url and subscription.folder.name == "UI / UX"
