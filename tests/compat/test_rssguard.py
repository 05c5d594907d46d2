"""The real client: Debian's RSS Guard 4.0.4 syncing with a live server, driven headless by
`../shared/clients/rssguard_sync.py` (or $NEWSREADER_SHARED_DIR/clients/rssguard_sync.py).

The server holds a reader with a folder, three feeds from the simulated publishers (fetched and extracted by
the real pipeline), stories read and saved through the web's services. What the client stores must be what
the web shows; what the client marks must reach the web; what the web marks must reach the client on its
next sync. Each test runs the client for about 80 seconds: it sends its writes on a 60-second timer.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from articles.models import Article, Feed
from articles.pipeline import article_extract, feed_refresh
from articles.services import feed_get_or_create
from compat import greader as gr
from compat.services import api_password_set
from subscriptions.models import Folder
from subscriptions.selectors.follows import subscriptions_for_user
from subscriptions.selectors.reading import reading_list_items_for_user
from subscriptions.services.follows import folder_get_or_create, subscription_create
from subscriptions.services.reading import (
    article_mark_read,
    reading_list_add,
    reading_list_get_or_create_default,
)
from tests.compat.web import WebStory, web_river
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("NEWSREADER_SHARED_DIR") or REPO_ROOT.parent / "shared")
SYNC = SHARED / "clients" / "rssguard_sync.py"
PASSWORD = "carols-app-password"
SITES = [("compat-rg-alpha", 4, "World"), ("compat-rg-beta", 3, "World"), ("compat-rg-gamma", 3, "")]
# The client's first launch may look for feeds to update before it has listed them (the driver's 2-second
# start-up timer races the account's first sign-in): then it stores none and the driver is run again.
ATTEMPTS = 3


def _driver():
    spec = importlib.util.spec_from_file_location("rssguard_sync", SYNC)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Seeded:
    user: object
    feeds: dict[str, Feed] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


def _ingest(feed: Feed) -> list[int]:
    """What a worker does: refresh the feed, then fetch each new story's full text."""
    outcome = feed_refresh(feed_id=feed.id)
    assert outcome.status == "fetched", outcome
    for article_id in outcome.new_article_ids:
        article_extract(article_id=article_id)
    return outcome.new_article_ids


def _publish_one_more(seeded: Seeded, publisher_server, name: str) -> Article:
    """The publisher puts out a new story; the server fetches it. It is unread and unsaved."""
    seeded.sizes[name] += 1
    publisher_server.site(name, seeded.sizes[name])
    new_ids = _ingest(seeded.feeds[name])
    assert len(new_ids) == 1
    return Article.objects.get(pk=new_ids[0])


@pytest.fixture
def seeded(transactional_db, publisher_server, settings) -> Seeded:
    # Fast hashing: the client's start-up timer gives the first sign-in about a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = UserFactory(username="carol", email="carol@example.org")
    api_password_set(user=user, password=PASSWORD)
    seeded = Seeded(user=user)
    for name, size, folder_name in SITES:
        site = publisher_server.site(name, size)
        feed, _ = feed_get_or_create(url=site.feed_url)
        folder = folder_get_or_create(user=user, name=folder_name) if folder_name else None
        subscription_create(user=user, feed=feed, folder=folder, refresh=False)
        assert len(_ingest(feed)) == size
        seeded.feeds[name], seeded.sizes[name] = feed, size
    alpha = list(Article.objects.filter(feed=seeded.feeds["compat-rg-alpha"]).order_by("id"))
    gamma = list(Article.objects.filter(feed=seeded.feeds["compat-rg-gamma"]).order_by("id"))
    article_mark_read(user=user, article_id=alpha[0].pk)
    article_mark_read(user=user, article_id=gamma[0].pk)
    reading_list_add(user=user, article_id=alpha[0].pk)  # read and saved
    reading_list_add(user=user, article_id=gamma[1].pk)  # saved, unread
    return seeded


@pytest.fixture
def greader_base(live_server) -> str:
    """The address to paste into the client; the server has answered once (its first answer is slow)."""
    base = f"http://127.0.0.1:{live_server.thread.port}/api/greader"
    body = urlencode({"Email": "nobody", "Passwd": "x"}).encode()
    try:
        urllib.request.urlopen(f"{base}/accounts/ClientLogin", data=body, timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
    return base


def _sync(base: str, workdir: Path, *extra: str) -> dict:
    """Run the driver: a fresh client profile in workdir, its first sync, and what it stored."""
    completed = subprocess.run(
        [sys.executable, str(SYNC), "--base", base, "--service", "1024", "--user", "carol",
         "--password", PASSWORD, "--workdir", str(workdir), *extra],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    print(completed.stderr)
    return json.loads(completed.stdout[: completed.stdout.rindex("}") + 1])


def _sync_until_stored(base: str, workdir: Path, *extra: str) -> dict:
    for attempt in range(1, ATTEMPTS + 1):
        dump = _sync(base, workdir, *extra)
        if dump["Messages"]:
            return dump
        print(f"attempt {attempt}: the client stored no article (start-up race), running it again")
    pytest.fail(f"RSS Guard stored no article in {ATTEMPTS} runs")


def _client_messages(dump: dict) -> dict[int, tuple]:
    """What the client stored, by our article id: (title, url, read, starred, feed stream)."""
    return {
        gr.item_id_parse(m["custom_id"]): (
            m["title"],
            m["url"],
            bool(m["is_read"]),
            bool(m["is_important"]),
            m["feed"],
        )
        for m in dump["Messages"]
        if not m["is_deleted"]
    }


def _assert_client_matches_the_web(dump: dict, user, shown: dict) -> None:
    """The client's folders, feeds and articles with read and starred states are those of the web: the
    subscriptions the web lists, and `shown`, what the river page showed when the client synced."""
    # Folders and feeds, as the subscriptions page lists them.
    assert {c["title"]: c["custom_id"] for c in dump["Categories"]} == {
        f.name: f"user/-/label/{f.name}" for f in Folder.objects.filter(user=user)
    }
    category_titles = {c["id"]: c["title"] for c in dump["Categories"]}
    client_feeds = {f["custom_id"]: (f["title"], category_titles.get(f["category"])) for f in dump["Feeds"]}
    web_feeds = {
        f"feed/{s.feed_id}": (s.display_title, s.folder.name if s.folder else None)
        for s in subscriptions_for_user(user=user)
    }
    assert client_feeds == web_feeds
    # Articles with their read and starred states, as the river page showed them.
    stored = _client_messages(dump)
    assert set(stored) == set(shown)
    urls = dict(Article.objects.filter(pk__in=shown).values_list("pk", "url"))
    feeds = dict(Article.objects.filter(pk__in=shown).values_list("pk", "feed_id"))
    for pk, story in shown.items():
        assert stored[pk] == (story.title, urls[pk], story.is_read, story.is_saved, f"feed/{feeds[pk]}"), pk


def _read_later_ids(user) -> set[int]:
    """The stories in the user's Read later list, as its page lists them."""
    read_later = reading_list_get_or_create_default(user=user)
    return {
        i.article_id
        for i in reading_list_items_for_user(user=user, reading_list_id=read_later.pk, limit=None)
    }


def test_rssguard_stores_what_the_web_shows_then_marks_a_new_story_read_and_starred(
    seeded, greader_base, publisher_server, client, tmp_path
):
    new = _publish_one_more(seeded, publisher_server, "compat-rg-beta")
    client.force_login(seeded.user)
    shown = web_river(client)
    assert shown[new.pk] == WebStory(title=new.title, is_read=False, is_saved=False)
    saved_before = _read_later_ids(seeded.user)
    assert {pk for pk, story in shown.items() if story.is_saved} == saved_before

    workdir = tmp_path / "rssguard"
    dump = _sync_until_stored(greader_base, workdir, "--mark-title", new.title)

    # The first sync: the client holds the folders, feeds, articles and states the web showed.
    _assert_client_matches_the_web(dump, seeded.user, shown)
    # Then the client marked the new story read and starred: the server has it read and in Read later,
    # and the web shows it so.
    assert _read_later_ids(seeded.user) == saved_before | {new.pk}
    after = web_river(client)
    assert after[new.pk].is_read and after[new.pk].is_saved
    holds = _driver().q(str(workdir), "select title, is_read, is_important from Messages")
    assert (new.title, 1, 1) in holds
    # Nothing else changed.
    assert {pk: s for pk, s in after.items() if pk != new.pk} == {
        pk: s for pk, s in shown.items() if pk != new.pk
    }


def _web_post(client, route: str, article: Article) -> None:
    response = client.post(reverse(f"subscriptions:{route}", args=[article.pk]))
    assert response.status_code == 302, response.content[:300]


def test_reading_in_the_web_and_in_rssguard_stays_in_step(
    seeded, greader_base, publisher_server, client, tmp_path
):
    """One client profile, two syncs ("intelligent" sync: items/ids then items/contents). Between them
    the reader works in the web, and the publisher puts out a story that the client then marks."""
    driver, workdir = _driver(), tmp_path / "rssguard"
    client.force_login(seeded.user)
    first = _sync_until_stored(greader_base, workdir, "--intelligent")
    _assert_client_matches_the_web(first, seeded.user, web_river(client))

    # In the web: read an unread story, unread a read one, save one, unsave one.
    stories = {pk: m for pk, m in _client_messages(first).items()}
    unread = next(Article.objects.get(pk=pk) for pk, m in stories.items() if not m[2] and not m[3])
    was_read = next(Article.objects.get(pk=pk) for pk, m in stories.items() if m[2] and not m[3])
    to_save = next(Article.objects.get(pk=pk) for pk, m in stories.items() if not m[3] and pk != unread.pk)
    to_unsave = next(Article.objects.get(pk=pk) for pk, m in stories.items() if m[3])
    _web_post(client, "article-mark-read", unread)
    _web_post(client, "article-mark-unread", was_read)
    _web_post(client, "article-save", to_save)
    _web_post(client, "article-unsave", to_unsave)
    new = _publish_one_more(seeded, publisher_server, "compat-rg-gamma")
    shown = web_river(client)

    # The client's next sync, in which it marks the new story read and starred (sent on its 60 s timer).
    driver.mark_phase(argparse.Namespace(mark_title=new.title, write_wait=75), str(workdir))
    held = {
        gr.item_id_parse(custom_id): (bool(is_read), bool(is_important))
        for custom_id, is_read, is_important in driver.q(
            str(workdir), "select custom_id, is_read, is_important from Messages where is_deleted = 0"
        )
    }
    # Web -> client: the client now holds what the web showed after the reader's changes ...
    for pk, story in shown.items():
        if pk != new.pk:
            assert held[pk] == (story.is_read, story.is_saved), (pk, story)
    assert held[unread.pk][0] and not held[was_read.pk][0]
    assert held[to_save.pk][1] and not held[to_unsave.pk][1]
    # ... client -> web: and the story the client marked is read and saved in the web.
    assert held[new.pk] == (True, True)
    after = web_river(client)
    assert after[new.pk].is_read and after[new.pk].is_saved
    assert new.pk in _read_later_ids(seeded.user)
