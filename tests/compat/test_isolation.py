"""A user never sees nor changes another user's feeds, folders or items through either API.

alice probes with bob's ids: his private feed (not in the catalogue), his folder's name and id, his stories.
"""

import json

import pytest

from compat import greader as gr
from subscriptions.models import Folder, ReadingListItem, ReadState, Subscription
from tests.compat.conftest import fever_key


@pytest.fixture
def bob_state(bob):
    def snapshot():
        return {
            "read": set(ReadState.objects.filter(user=bob.user).values_list("article_id", flat=True)),
            "saved": set(
                ReadingListItem.objects.filter(reading_list__user=bob.user).values_list(
                    "article_id", flat=True
                )
            ),
            "subscriptions": list(
                Subscription.objects.filter(user=bob.user).values_list("feed_id", "folder_id", "title")
            ),
            "folders": list(Folder.objects.filter(user=bob.user).values_list("id", "name")),
        }

    return snapshot


def _mentions_bob(bob, payload) -> bool:
    text = json.dumps(payload)
    return any(
        needle in text
        for needle in [
            "Secret",
            "Bob's Diary",
            bob.feeds[0].url,
            *(f'"feed/{f.pk}"' for f in bob.feeds),
            *(gr.item_id_long(a.pk) for a in bob.articles),
        ]
    )


def test_greader_lists_show_nothing_of_another_user(greader, alice, bob):
    for path in ["subscription/list", "tag/list", "unread-count", "user-info"]:
        assert not _mentions_bob(bob, greader.json(path)), path
    refs = greader.json("stream/items/ids", {"s": "user/-/state/com.google/reading-list", "n": "1000"})
    assert not {str(a.pk) for a in bob.articles} & {r["id"] for r in refs["itemRefs"]}


@pytest.mark.parametrize(
    "stream",
    [
        "feed/{feed}",
        "feed/{url}",
        "user/-/label/Secret",
        "user/{bob_id}/label/Secret",
        "user/{bob_id}/state/com.google/starred",
    ],
)
def test_greader_streams_named_by_another_users_ids_are_empty_or_the_users_own(greader, alice, bob, stream):
    stream = stream.format(feed=bob.feeds[0].pk, url=bob.feeds[0].url, bob_id=bob.user.pk)
    refs = greader.json("stream/items/ids", {"s": stream, "n": "1000"})["itemRefs"]
    assert not {str(a.pk) for a in bob.articles} & {r["id"] for r in refs}
    page = greader.json("stream/contents/" + stream.replace("/", "%2F"))
    assert not _mentions_bob(bob, page["items"])


def test_greader_items_contents_with_another_users_ids_gives_nothing(greader, bob):
    ids = [gr.item_id_long(a.pk) for a in bob.articles] + [str(a.pk) for a in bob.articles]
    assert greader.json("stream/items/contents", {"i": ids}, method="post")["items"] == []


def test_greader_writes_with_another_users_ids_change_nothing_of_theirs_nor_give_them_away(
    greader, alice, bob, bob_state
):
    before = bob_state()
    ids = [str(a.pk) for a in bob.articles]
    assert (
        greader.post(
            "edit-tag", {"i": ids, "a": ["user/-/state/com.google/read", "user/-/state/com.google/starred"]}
        ).status_code
        == 200
    )
    assert (
        greader.post(
            "edit-tag", {"i": ids, "r": ["user/-/state/com.google/read", "user/-/state/com.google/starred"]}
        ).status_code
        == 200
    )
    assert greader.post("mark-all-as-read", {"s": f"feed/{bob.feeds[0].pk}"}).status_code == 200
    assert greader.post("mark-all-as-read", {"s": "user/-/label/Secret"}).status_code == 200
    for action in ("edit", "unsubscribe"):
        response = greader.post(
            "subscription/edit",
            {"ac": action, "s": f"feed/{bob.feeds[0].pk}", "t": "Mine now", "a": "user/-/label/Stolen"},
        )
        assert response.status_code == 404
    assert (
        greader.post("rename-tag", {"s": "user/-/label/Secret", "dest": "user/-/label/Open"}).status_code
        == 404
    )
    assert greader.post("disable-tag", {"s": "user/-/label/Secret"}).status_code == 200
    assert bob_state() == before
    # ... and alice got no read state or save of bob's private stories either.
    assert not ReadState.objects.filter(user=alice.user, article__in=bob.articles).exists()
    assert not ReadingListItem.objects.filter(
        reading_list__user=alice.user, article__in=bob.articles
    ).exists()


def _fever(client, query: str, login: str = "alice", **data):
    response = client.post(f"/api/fever/?api&{query}", {"api_key": fever_key(login), **data})
    assert response.status_code == 200
    return response.json()


def test_fever_lists_show_nothing_of_another_user(client, alice, bob):
    answer = _fever(client, "groups&feeds&items&unread_item_ids&saved_item_ids")
    assert "Secret" not in json.dumps(answer) and "Bob's Diary" not in json.dumps(answer)
    assert bob.feeds[0].pk not in {f["id"] for f in answer["feeds"]}
    bob_ids = {a.pk for a in bob.articles}
    assert not bob_ids & {i["id"] for i in answer["items"]}
    for key in ("unread_item_ids", "saved_item_ids"):
        assert not bob_ids & {int(x) for x in answer[key].split(",") if x}


def test_fever_items_with_another_users_ids_gives_nothing(client, alice, bob):
    ids = ",".join(str(a.pk) for a in bob.articles)
    assert _fever(client, f"items&with_ids={ids}")["items"] == []


def test_fever_marks_with_another_users_ids_change_nothing(client, alice, bob, bob_state):
    before = bob_state()
    for article in bob.articles:
        for state in ("read", "saved", "unread", "unsaved"):
            _fever(client, "", mark="item", id=str(article.pk), **{"as": state})
    _fever(client, "", mark="feed", id=str(bob.feeds[0].pk), before="9999999999", **{"as": "read"})
    _fever(client, "", mark="group", id=str(bob.folders[0].pk), before="9999999999", **{"as": "read"})
    assert bob_state() == before
    assert not ReadState.objects.filter(user=alice.user, article__in=bob.articles).exists()
    assert not ReadingListItem.objects.filter(
        reading_list__user=alice.user, article__in=bob.articles
    ).exists()


def test_each_user_sees_their_own_world(client, alice, bob, bob_greader):
    answer = bob_greader.json("subscription/list")
    assert [s["id"] for s in answer["subscriptions"]] == [f"feed/{bob.feeds[0].pk}"]
    assert _fever(client, "feeds", login="bob") == {
        "api_version": 3,
        "auth": 0,
    }  # alice's password, bob's name


def test_bobs_key_gives_bobs_feeds(client, bob):
    response = client.post("/api/fever/?api&feeds", {"api_key": fever_key("bob", "bobs-own-api-pass")})
    assert [f["id"] for f in response.json()["feeds"]] == [bob.feeds[0].pk]
