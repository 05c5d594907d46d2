"""Writing through the Google Reader API: read and starred, mark all as read, subscriptions and folders.

Every write goes through the same services as the web pages, so the web river shows it at once.
"""

from datetime import timedelta

import pytest

from compat import greader as gr
from subscriptions.models import Folder, ReadingList, ReadingListItem, ReadState, Subscription
from subscriptions.selectors.reading import river_for_user
from tests.compat.web import web_river
from tests.factories import ArticleFactory, FeedFactory

READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def _read(user) -> set[int]:
    return set(ReadState.objects.filter(user=user).values_list("article_id", flat=True))


def _read_later(user) -> set[int]:
    return set(
        ReadingListItem.objects.filter(reading_list__user=user, reading_list__is_default=True).values_list(
            "article_id", flat=True
        )
    )


def _ok(response) -> None:
    assert response.status_code == 200, response.content
    assert response.content == b"OK"


def test_edit_tag_marks_several_items_read_and_unread(greader, alice):
    ids = [a.pk for a in alice.articles[:4]]
    _ok(greader.post("edit-tag", {"i": [gr.item_id_long(pk) for pk in ids], "a": READ}))
    assert _read(alice.user) == set(ids)
    _ok(greader.post("edit-tag", {"i": [str(pk) for pk in ids[:2]], "r": READ}))
    assert _read(alice.user) == set(ids[2:])


def test_edit_tag_stars_into_read_later_and_unstars(greader, alice):
    ids = [a.pk for a in alice.articles[3:6]]
    _ok(greader.post("edit-tag", {"i": [f"{pk:016x}" for pk in ids], "a": STARRED}))
    assert _read_later(alice.user) == {alice.articles[2].pk, *ids}
    _ok(greader.post("edit-tag", {"i": [gr.item_id_long(alice.articles[2].pk)], "r": STARRED}))
    assert _read_later(alice.user) == set(ids)
    assert ReadingList.objects.filter(user=alice.user, is_default=True).count() == 1


def test_the_web_river_shows_what_the_client_wrote(client, greader, alice):
    story = alice.articles[0]
    _ok(greader.post("edit-tag", {"i": str(story.pk), "a": READ}))
    _ok(greader.post("edit-tag", {"i": str(story.pk), "a": STARRED}))
    web = {a.pk: (a.is_read, a.is_saved) for a in river_for_user(user=alice.user, limit=None)}
    assert web[story.pk] == (True, True)
    client.force_login(alice.user)
    shown = web_river(client)[story.pk]
    assert shown.is_read and shown.is_saved


def test_edit_tag_adds_read_and_starred_in_one_call_and_ignores_other_tags(greader, alice):
    story = alice.articles[6]
    _ok(
        greader.post(
            "edit-tag",
            {
                "i": str(story.pk),
                "a": [READ, STARRED, "user/-/state/com.google/like", "user/-/label/Whatever"],
            },
        )
    )
    assert story.pk in _read(alice.user) and story.pk in _read_later(alice.user)
    assert not Folder.objects.filter(user=alice.user, name="Whatever").exists()


def test_kept_unread_marks_unread(greader, alice):
    _ok(
        greader.post("edit-tag", {"i": str(alice.articles[1].pk), "a": "user/-/state/com.google/kept-unread"})
    )
    assert _read(alice.user) == set()


def test_edit_tag_is_safe_to_repeat(greader, alice):
    for _ in range(2):
        _ok(greader.post("edit-tag", {"i": str(alice.articles[0].pk), "a": [READ, STARRED]}))
    assert ReadState.objects.filter(user=alice.user, article=alice.articles[0]).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"a": READ},  # no item
        {"i": "bogus", "a": READ},
        {"i": "1", "a": READ, "r": READ},  # contradiction
    ],
)
def test_edit_tag_refuses_what_makes_no_sense_with_400(greader, alice, data):
    response = greader.post("edit-tag", data)
    assert response.status_code == 400
    assert _read(alice.user) == {alice.articles[1].pk}


def test_edit_tag_is_post_only(greader, alice):
    assert greader.get("edit-tag", {"i": "1", "a": READ}).status_code == 405


def test_mark_all_as_read_marks_a_feed_up_to_ts(greader, alice):
    feed = alice.feeds[0]
    older, newer = alice.articles[2], alice.articles[0]
    ts = int((older.published_at + timedelta(minutes=1)).timestamp() * 1_000_000)  # microseconds
    _ok(greader.post("mark-all-as-read", {"s": f"feed/{feed.pk}", "ts": str(ts)}))
    read = _read(alice.user)
    assert older.pk in read and newer.pk not in read
    assert not read & {a.pk for a in alice.articles[3:]}


def test_mark_all_as_read_takes_seconds_too_and_a_folder(greader, alice):
    ts = int((alice.articles[0].published_at + timedelta(hours=1)).timestamp())
    _ok(greader.post("mark-all-as-read", {"s": "user/-/label/Tech", "ts": str(ts)}))
    assert _read(alice.user) == {a.pk for a in alice.articles[:5]}


def test_mark_all_as_read_without_ts_marks_the_whole_reading_list(greader, alice):
    _ok(greader.post("mark-all-as-read", {"s": "user/-/state/com.google/reading-list"}))
    assert _read(alice.user) == {a.pk for a in alice.articles}


def test_mark_all_as_read_of_a_folder_or_feed_the_user_lacks_marks_nothing(greader, alice):
    _ok(greader.post("mark-all-as-read", {"s": "user/-/label/Nope"}))
    _ok(greader.post("mark-all-as-read", {"s": "feed/987654"}))
    assert _read(alice.user) == {alice.articles[1].pk}
    assert greader.post("mark-all-as-read", {"s": "user/-/state/com.google/like"}).status_code == 400


def test_subscribe_by_feed_url_with_a_title_and_folder(greader, alice, publisher_server):
    site = publisher_server.site("compat-subscribe", 2)
    _ok(
        greader.post(
            "subscription/edit",
            {
                "ac": "subscribe",
                "s": f"feed/{site.feed_url}",
                "a": "user/-/label/New folder",
                "t": "Subscribed",
            },
        )
    )
    subscription = Subscription.objects.get(user=alice.user, feed__url=site.feed_url)
    assert subscription.title == "Subscribed" and subscription.folder.name == "New folder"
    listed = greader.json("subscription/list")["subscriptions"]
    assert {"id": "user/-/label/New folder", "label": "New folder", "type": "folder"} in next(
        s["categories"] for s in listed if s["url"] == site.feed_url
    )


def test_subscribe_to_something_that_is_not_a_feed_is_400(greader, alice, publisher_server):
    publisher_server.route("/compat-not-a-feed", body=b"plain words", headers={"Content-Type": "text/plain"})
    response = greader.post(
        "subscription/edit", {"ac": "subscribe", "s": "feed/" + publisher_server.url("/compat-not-a-feed")}
    )
    assert response.status_code == 400 and response.content


def test_edit_renames_and_moves_between_folders(greader, alice):
    feed = alice.feeds[2]
    _ok(greader.post("subscription/edit", {"ac": "edit", "s": f"feed/{feed.pk}", "t": "Renamed"}))
    _ok(greader.post("subscription/edit", {"ac": "edit", "s": f"feed/{feed.pk}", "a": "user/-/label/Tech"}))
    subscription = Subscription.objects.get(user=alice.user, feed=feed)
    assert subscription.title == "Renamed" and subscription.folder.name == "Tech"
    _ok(greader.post("subscription/edit", {"ac": "edit", "s": f"feed/{feed.pk}", "r": "user/-/label/Tech"}))
    subscription.refresh_from_db()
    assert subscription.folder is None


def test_unsubscribe_keeps_the_feed_and_its_stories(greader, alice):
    feed = alice.feeds[1]
    _ok(greader.post("subscription/edit", {"ac": "unsubscribe", "s": f"feed/{feed.pk}"}))
    assert not Subscription.objects.filter(user=alice.user, feed=feed).exists()
    assert feed.articles.count() == 2


def test_edit_of_a_feed_the_user_does_not_follow_is_404(greader, alice):
    other = FeedFactory()
    response = greader.post("subscription/edit", {"ac": "unsubscribe", "s": f"feed/{other.pk}"})
    assert response.status_code == 404


def test_subscription_edit_needs_an_action_and_a_stream(greader):
    assert greader.post("subscription/edit", {"ac": "explode", "s": "feed/1"}).status_code == 400
    assert greader.post("subscription/edit", {"ac": "edit"}).status_code == 400


def test_quickadd_answers_the_new_stream(greader, alice, publisher_server):
    site = publisher_server.site("compat-quickadd", 2)
    answer = greader.json("subscription/quickadd", {"quickadd": f"feed/{site.feed_url}"}, method="post")
    subscription = Subscription.objects.get(user=alice.user, feed__url=site.feed_url)
    assert answer == {
        "numResults": 1,
        "query": site.feed_url,
        "streamId": f"feed/{subscription.feed_id}",
        "streamName": subscription.feed.title or site.feed_url,
    }


def test_quickadd_of_an_address_that_fails_answers_no_results(greader, publisher_server):
    answer = greader.json(
        "subscription/quickadd", {"quickadd": publisher_server.url("/status/404")}, method="post"
    )
    assert answer["numResults"] == 0 and answer["error"]


def test_rename_tag_renames_the_folder(greader, alice):
    _ok(greader.post("rename-tag", {"s": "user/-/label/Tech", "dest": "user/-/label/Technology"}))
    assert list(Folder.objects.filter(user=alice.user).values_list("name", flat=True)) == ["Technology"]
    assert greader.post("rename-tag", {"s": "user/-/label/Nope", "dest": "user/-/label/X"}).status_code == 404
    assert greader.post("rename-tag", {"s": "user/-/label/Technology"}).status_code == 400


def test_disable_tag_deletes_the_folder_and_keeps_its_feeds(greader, alice):
    _ok(greader.post("disable-tag", {"s": ["user/-/label/Tech", "user/-/label/Already gone"]}))
    assert not Folder.objects.filter(user=alice.user).exists()
    assert Subscription.objects.filter(user=alice.user).count() == 3


def test_a_new_story_written_by_the_web_reaches_the_client_as_unread(greader, alice):
    story = ArticleFactory(feed=alice.feeds[1])
    refs = greader.json("stream/items/ids", {"s": "user/-/state/com.google/reading-list", "xt": READ})
    assert str(story.pk) in {r["id"] for r in refs["itemRefs"]}
