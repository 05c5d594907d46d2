"""The Fever API: authentication, the sequence a Fever client runs (api-spec.md section 3 C), shapes, marks."""

from datetime import timedelta

import pytest

from compat.services import api_password_revoke
from subscriptions.models import ReadingListItem, ReadState
from subscriptions.selectors.reading import river_for_user
from tests.compat.conftest import API_PASSWORD, T0, fever_key, stories
from tests.compat.web import web_river

FEVER = "/api/fever/"
ITEM_KEYS = {"id", "feed_id", "title", "author", "html", "url", "is_saved", "is_read", "created_on_time"}
FEED_KEYS = {"id", "favicon_id", "title", "url", "site_url", "is_spark", "last_updated_on_time"}


def fever(client, query: str = "", key: str | None = None, **data):
    response = client.post(
        f"{FEVER}?api{'&' + query if query else ''}", {"api_key": key or fever_key("alice"), **data}
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def _read(user) -> set[int]:
    return set(ReadState.objects.filter(user=user).values_list("article_id", flat=True))


def _saved(user) -> set[int]:
    return set(
        ReadingListItem.objects.filter(reading_list__user=user, reading_list__is_default=True).values_list(
            "article_id", flat=True
        )
    )


# --- Authentication ---------------------------------------------------------------------------------


def test_the_key_is_md5_of_user_name_and_api_password(client, alice):
    answer = fever(client)
    assert answer["api_version"] == 3 and answer["auth"] == 1
    assert isinstance(answer["last_refreshed_on_time"], int)


def test_the_key_of_the_email_address_works_and_case_does_not_matter(client, alice):
    assert fever(client, key=fever_key("alice@example.org"))["auth"] == 1
    assert fever(client, key=fever_key("alice").upper())["auth"] == 1


@pytest.mark.parametrize(
    "key",
    [
        fever_key("alice", "wrong"),
        fever_key("alice", "correct horse battery staple"),  # the sign-in password
        fever_key("mallory"),
        "",
        "not-hex-at-all",
        "0" * 32,
    ],
)
def test_a_wrong_key_gets_auth_0_and_nothing_else(client, alice, key):
    response = client.post(f"{FEVER}?api&items&feeds&groups&unread_item_ids&saved_item_ids", {"api_key": key})
    assert response.status_code == 200  # the protocol's answer (FreshRSS and Miniflux alike)
    assert response.json() == {"api_version": 3, "auth": 0}


def test_no_key_at_all_gets_auth_0(client, alice):
    assert client.get(f"{FEVER}?api&items").json() == {"api_version": 3, "auth": 0}


def test_a_revoked_api_password_stops_the_key(client, alice):
    api_password_revoke(user=alice.user)
    assert fever(client)["auth"] == 0


def test_it_stops_checking_keys_after_ten_wrong_ones_from_an_address(client, alice):
    for _ in range(10):
        assert fever(client, key=fever_key("alice", "guess"))["auth"] == 0
    response = client.post(f"{FEVER}?api", {"api_key": fever_key("alice")})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json() == {"api_version": 3, "auth": 0}


def test_the_key_may_come_in_the_query_string_and_the_path_without_its_slash(client, alice):
    assert client.get(f"/api/fever?api&api_key={fever_key('alice')}").json()["auth"] == 1
    assert client.post("/api/fever.php?api", {"api_key": fever_key("alice")}).json()["auth"] == 1


# --- Reads ------------------------------------------------------------------------------------------


def test_groups_and_feeds_groups(client, alice):
    answer = fever(client, "groups")
    assert answer["groups"] == [{"id": alice.folders[0].pk, "title": "Tech"}]
    assert answer["feeds_groups"] == [
        {"group_id": alice.folders[0].pk, "feed_ids": f"{alice.feeds[0].pk},{alice.feeds[1].pk}"}
    ]


def test_feeds_have_the_fever_shape(client, alice):
    answer = fever(client, "feeds")
    assert {f["id"] for f in answer["feeds"]} == {f.pk for f in alice.feeds}
    feed = next(f for f in answer["feeds"] if f["id"] == alice.feeds[0].pk)
    assert set(feed) == FEED_KEYS
    assert feed["title"] == "Tech Daily" and feed["url"] == alice.feeds[0].url and feed["is_spark"] == 0
    assert "feeds_groups" in answer


def test_every_feed_points_at_a_favicon_that_exists(client, alice):
    answer = fever(client, "feeds&favicons")
    favicons = {f["id"]: f["data"] for f in answer["favicons"]}
    assert all(f["favicon_id"] in favicons for f in answer["feeds"])
    assert all(data.startswith("image/") and ";base64," in data for data in favicons.values())


def test_items_have_the_fever_shape_and_the_web_states(client, alice):
    answer = fever(client, "items")
    assert answer["total_items"] == 7
    items = {i["id"]: i for i in answer["items"]}
    assert set(items) == {a.pk for a in alice.articles}
    for item in items.values():
        assert set(item) == ITEM_KEYS
        assert isinstance(item["created_on_time"], int)
    client.force_login(alice.user)
    for pk, shown in web_river(client).items():
        assert (items[pk]["is_read"], items[pk]["is_saved"]) == (int(shown.is_read), int(shown.is_saved))
        assert items[pk]["title"] == shown.title


def test_first_sync_then_a_later_sync_by_since_id(client, alice):
    """Sequence C: auth, groups, feeds, favicons, items since_id from 0 until empty, unread and saved ids,
    a mark, then a later sync with since_id = the highest id seen."""
    stories(alice.feeds[2], 60, start=T0 - timedelta(days=5), prefix="Bulk")
    assert fever(client)["auth"] == 1
    fever(client, "groups")
    fever(client, "feeds")
    fever(client, "favicons")
    seen, since, calls = [], 0, 0
    while True:
        items = fever(client, f"items&since_id={since}")["items"]
        calls += 1
        if not items:
            break
        assert len(items) <= 50
        assert [i["id"] for i in items] == sorted(i["id"] for i in items)
        seen += [i["id"] for i in items]
        since = max(seen)
    assert calls == 3 and len(seen) == len(set(seen)) == 67
    unread = {int(x) for x in fever(client, "unread_item_ids")["unread_item_ids"].split(",")}
    saved = {int(x) for x in fever(client, "saved_item_ids")["saved_item_ids"].split(",")}
    assert unread == set(seen) - {alice.articles[1].pk}
    assert saved == {alice.articles[2].pk}

    fever(client, "", mark="item", id=str(alice.articles[0].pk), **{"as": "read"})
    new = stories(alice.feeds[1], 2, start=T0 + timedelta(hours=2), prefix="Later")
    later = fever(client, f"items&since_id={since}")["items"]
    assert [i["id"] for i in later] == sorted(a.pk for a in new)
    unread = {int(x) for x in fever(client, "unread_item_ids")["unread_item_ids"].split(",")}
    assert alice.articles[0].pk not in unread and {a.pk for a in new} <= unread


def test_max_id_pages_backwards_from_the_newest(client, alice):
    newest = fever(client, "items&max_id=0")["items"]
    assert [i["id"] for i in newest] == sorted((a.pk for a in alice.articles), reverse=True)
    below = fever(client, f"items&max_id={alice.articles[3].pk}")["items"]
    assert [i["id"] for i in below] == [a.pk for a in alice.articles[:3]][::-1]


def test_with_ids_gives_those_items(client, alice):
    wanted = [alice.articles[4].pk, alice.articles[1].pk]
    items = fever(client, f"items&with_ids={wanted[0]},{wanted[1]},junk,999999999")["items"]
    assert [i["id"] for i in items] == sorted(wanted)


def test_several_flags_get_one_merged_answer(client, alice):
    answer = fever(client, "groups&feeds&favicons&items&links&unread_item_ids&saved_item_ids")
    assert {"groups", "feeds", "feeds_groups", "favicons", "items", "total_items", "links"} <= set(answer)
    assert answer["links"] == []
    assert answer["saved_item_ids"] == str(alice.articles[2].pk)


def test_id_lists_are_comma_strings(client, alice):
    answer = fever(client, "unread_item_ids&saved_item_ids")
    assert isinstance(answer["unread_item_ids"], str) and isinstance(answer["saved_item_ids"], str)
    assert all(x.isdigit() for x in answer["unread_item_ids"].split(","))


# --- Writes -----------------------------------------------------------------------------------------


def test_mark_item_read_and_unread_echoes_the_unread_ids(client, alice):
    story = alice.articles[0]
    answer = fever(client, "", mark="item", id=str(story.pk), **{"as": "read"})
    assert story.pk in _read(alice.user)
    assert str(story.pk) not in answer["unread_item_ids"].split(",")
    fever(client, "", mark="item", id=str(story.pk), **{"as": "unread"})
    assert story.pk not in _read(alice.user)


def test_mark_item_saved_twice_stays_saved_then_unsaved(client, alice):
    # Miniflux toggles the star on both; we set it, as FreshRSS does.
    story = alice.articles[4]
    for _ in range(2):
        answer = fever(client, "", mark="item", id=str(story.pk), **{"as": "saved"})
        assert story.pk in _saved(alice.user)
    assert str(story.pk) in answer["saved_item_ids"].split(",")
    fever(client, "", mark="item", id=str(story.pk), **{"as": "unsaved"})
    fever(client, "", mark="item", id=str(story.pk), **{"as": "unsaved"})
    assert story.pk not in _saved(alice.user)


def test_the_web_river_shows_the_fever_marks(client, alice):
    story = alice.articles[5]
    fever(client, "", mark="item", id=str(story.pk), **{"as": "read"})
    fever(client, "", mark="item", id=str(story.pk), **{"as": "saved"})
    client.force_login(alice.user)
    shown = web_river(client)[story.pk]
    assert shown.is_read and shown.is_saved


def test_mark_feed_read_before_a_time(client, alice):
    feed = alice.feeds[0]
    before = int((alice.articles[1].published_at + timedelta(minutes=1)).timestamp())
    fever(client, "", mark="feed", id=str(feed.pk), before=str(before), **{"as": "read"})
    assert _read(alice.user) == {alice.articles[1].pk, alice.articles[2].pk}


def test_mark_group_read_and_group_0_means_everything(client, alice):
    fever(client, "", mark="group", id=str(alice.folders[0].pk), before="9999999999", **{"as": "read"})
    assert _read(alice.user) == {a.pk for a in alice.articles[:5]}
    fever(client, "", mark="group", id="0", before="9999999999", **{"as": "read"})
    assert _read(alice.user) == {a.pk for a in alice.articles}


def test_mark_sparks_group_or_garbage_changes_nothing(client, alice):
    fever(client, "", mark="group", id="-1", before="9999999999", **{"as": "read"})
    fever(client, "", mark="item", id="banana", **{"as": "read"})
    fever(client, "", mark="item", id=str(alice.articles[0].pk), **{"as": "starred-ish"})
    assert _read(alice.user) == {alice.articles[1].pk}


def test_fever_and_the_web_read_the_same_river(client, alice):
    answer = fever(client, "items")
    assert sorted(i["id"] for i in answer["items"]) == sorted(
        a.pk for a in river_for_user(user=alice.user, limit=None)
    )


def test_the_api_password_is_not_the_sign_in_password(client, alice):
    assert alice.user.check_password(API_PASSWORD) is False
