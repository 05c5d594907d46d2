"""Reading through the Google Reader API: lists, streams and their parameters, items and their shape."""

from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.utils import timezone

from compat import greader as gr
from subscriptions.selectors.reading import river_for_user
from tests.compat.conftest import T0, save, stories
from tests.factories import ArticleFactory, FolderFactory, PublisherFactory, SubscriptionFactory

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def _ids(greader, **params) -> list[int]:
    return [int(ref["id"]) for ref in greader.json("stream/items/ids", params)["itemRefs"]]


def _web_river(user) -> list[int]:
    return [a.pk for a in river_for_user(user=user, limit=None)]


def test_user_info_names_the_user(greader, alice):
    info = greader.json("user-info")
    assert info["userName"] == "alice" and info["userEmail"] == "alice@example.org"
    assert info["userId"] == str(alice.user.pk) == info["userProfileId"]


def test_subscription_list_has_the_shape_clients_read(greader, alice):
    subscriptions = greader.json("subscription/list", {"output": "json"})["subscriptions"]
    assert {s["id"] for s in subscriptions} == {f"feed/{f.pk}" for f in alice.feeds}
    by_id = {s["id"]: s for s in subscriptions}
    tech = by_id[f"feed/{alice.feeds[0].pk}"]
    assert tech["title"] == "Tech Daily"
    assert tech["categories"] == [{"id": "user/-/label/Tech", "label": "Tech", "type": "folder"}]
    assert tech["url"] == alice.feeds[0].url
    assert tech["htmlUrl"] == alice.feeds[0].publisher.site_url
    assert {"iconUrl", "sortid", "firstitemmsec"} <= set(tech)
    assert by_id[f"feed/{alice.feeds[2].pk}"]["categories"] == []  # no folder
    assert [s["title"] for s in subscriptions] == sorted(s["title"] for s in subscriptions)


def test_subscription_list_shows_the_users_own_title(greader, alice):
    alice.user.subscriptions.filter(feed=alice.feeds[2]).update(title="My world")
    subscriptions = greader.json("subscription/list")["subscriptions"]
    assert "My world" in {s["title"] for s in subscriptions}


def test_tag_list_has_starred_and_the_folders(greader, alice):
    FolderFactory(user=alice.user, name="Empty one")
    tags = greader.json("tag/list", {"output": "json"})["tags"]
    assert tags[0] == {"id": STARRED}
    assert {"id": "user/-/label/Tech", "label": "Tech", "type": "folder"} in tags
    assert {"id": "user/-/label/Empty one", "label": "Empty one", "type": "folder"} in tags


def test_unread_count_counts_per_feed_folder_and_all(greader, alice):
    answer = greader.json("unread-count", {"output": "json"})
    counts = {row["id"]: row["count"] for row in answer["unreadcounts"]}
    feeds = alice.feeds
    assert counts == {
        f"feed/{feeds[0].pk}": 2,  # one of three is read
        f"feed/{feeds[1].pk}": 2,
        f"feed/{feeds[2].pk}": 2,
        "user/-/label/Tech": 4,
        READING_LIST: 6,
    }
    assert answer["max"] >= 6
    for row in answer["unreadcounts"]:
        assert row["newestItemTimestampUsec"].isdigit() and len(row["newestItemTimestampUsec"]) == 16


def test_items_ids_answers_decimal_ids_newest_first_like_the_web_river(greader, alice):
    refs = greader.json("stream/items/ids", {"s": READING_LIST, "n": "1000"})["itemRefs"]
    assert all(set(ref) == {"id"} and ref["id"].isdigit() for ref in refs)
    assert [int(ref["id"]) for ref in refs] == _web_river(alice.user)


def test_r_o_gives_oldest_first(greader, alice):
    assert _ids(greader, s=READING_LIST, n="100", r="o") == _web_river(alice.user)[::-1]


@pytest.mark.parametrize("order", ["", "o"])
def test_continuation_pages_through_everything_once(greader, alice, order):
    seen, continuation, pages = [], None, 0
    while True:
        params = {"s": READING_LIST, "n": "2", "r": order}
        if continuation:
            params["c"] = continuation
        page = greader.json("stream/items/ids", params)
        seen += [int(ref["id"]) for ref in page["itemRefs"]]
        pages += 1
        continuation = page.get("continuation")
        if not continuation:
            break
    expected = _web_river(alice.user)
    assert seen == (expected if not order else expected[::-1])
    assert pages == 4  # 7 items, 2 a page: the last page is short and has no continuation


def test_a_story_arriving_between_pages_shifts_nothing(greader, alice):
    first = greader.json("stream/items/ids", {"s": READING_LIST, "n": "3"})
    ArticleFactory(feed=alice.feeds[0], published_at=T0 + timedelta(hours=1))  # newer than all
    second = greader.json("stream/items/ids", {"s": READING_LIST, "n": "3", "c": first["continuation"]})
    pages = [int(r["id"]) for r in first["itemRefs"] + second["itemRefs"]]
    assert pages == _web_river(alice.user)[1:7]


def test_a_garbage_continuation_starts_from_the_top(greader, alice):
    assert _ids(greader, s=READING_LIST, n="3", c="garbage") == _web_river(alice.user)[:3]


def test_xt_read_gives_unread_and_it_or_s_read_gives_read(greader, alice):
    unread = _ids(greader, s=READING_LIST, xt=READ, n="100")
    assert alice.articles[1].pk not in unread and len(unread) == 6
    assert _ids(greader, s=READ, n="100") == [alice.articles[1].pk]
    assert _ids(greader, s=READING_LIST, it=READ, n="100") == [alice.articles[1].pk]
    assert _ids(greader, s=READ, xt=READ) == []


def test_the_starred_stream_is_the_read_later_list(greader, alice):
    assert _ids(greader, s=STARRED, n="100") == [alice.articles[2].pk]
    assert _ids(greader, s=READING_LIST, xt=STARRED, n="100") == [
        pk for pk in _web_river(alice.user) if pk != alice.articles[2].pk
    ]


def test_the_starred_stream_includes_a_saved_page_from_no_followed_feed(greader, alice):
    page = ArticleFactory(feed=None, publisher=PublisherFactory(in_catalogue=False, name="Saved site"))
    save(alice.user, page)
    items = greader.json("stream/contents/user%2F-%2Fstate%2Fcom.google%2Fstarred")["items"]
    saved = next(i for i in items if i["id"] == gr.item_id_long(page.pk))
    assert saved["origin"]["title"] == "Saved site"
    assert STARRED in saved["categories"]


def test_label_and_feed_streams(greader, alice):
    tech = {a.pk for a in alice.articles[:5]}
    assert set(_ids(greader, s="user/-/label/Tech", n="100")) == tech
    assert set(_ids(greader, s=f"feed/{alice.feeds[2].pk}", n="100")) == {a.pk for a in alice.articles[5:]}
    assert set(_ids(greader, s=f"feed/{alice.feeds[2].url}", n="100")) == {a.pk for a in alice.articles[5:]}


@pytest.mark.parametrize(
    "stream",
    ["user/-/label/Nope", "feed/999999", "feed/https://nowhere.example/", "user/-/state/com.google/like"],
)
def test_a_stream_the_user_does_not_have_is_empty(greader, alice, stream):
    assert _ids(greader, s=stream) == []
    assert greader.json("stream/contents", {"s": stream})["items"] == []


def test_ot_and_nt_bound_the_time_a_story_was_stored(greader, alice):
    newest_stored = alice.articles[0].created_at
    ot = int((newest_stored - timedelta(minutes=1)).timestamp())
    assert set(_ids(greader, s=READING_LIST, ot=str(ot), n="100")) == {
        alice.articles[0].pk,
        alice.articles[5].pk,
    }
    nt = int((newest_stored - timedelta(minutes=1)).timestamp())
    assert len(_ids(greader, s=READING_LIST, nt=str(nt), n="100")) == 5


def test_a_story_published_long_ago_but_fetched_today_is_within_a_year(greader, alice):
    # RSS Guard asks for `ot` one year back; it must still get an old story we stored just now.
    old = ArticleFactory(
        feed=alice.feeds[0], published_at=T0 - timedelta(days=900), created_at=timezone.now()
    )
    year_ago = int((timezone.now() - timedelta(days=365)).timestamp())
    assert old.pk in _ids(greader, s=READING_LIST, ot=str(year_ago), n="200000")


def test_stream_contents_takes_the_stream_percent_encoded_in_the_path(greader, alice):
    feed = alice.feeds[0]
    page = greader.json(
        f"stream/contents/feed%2F{feed.pk}", {"output": "json", "n": "100", "ot": "1764028800"}
    )
    assert page["id"] == f"feed/{feed.pk}"
    assert [i["id"] for i in page["items"]] == [gr.item_id_long(a.pk) for a in alice.articles[:3]]
    assert isinstance(page["updated"], int) and "continuation" not in page


def test_stream_contents_of_a_label_with_a_space_and_of_the_reading_list(greader, alice):
    FolderFactory(user=alice.user, name="Tech News")
    alice.user.subscriptions.filter(feed=alice.feeds[2]).update(
        folder=alice.user.folders.get(name="Tech News")
    )
    page = greader.json("stream/contents/user%2F-%2Flabel%2FTech%20News")
    assert {i["origin"]["streamId"] for i in page["items"]} == {f"feed/{alice.feeds[2].pk}"}
    assert all("user/-/label/Tech News" in i["categories"] for i in page["items"])
    everything = greader.json("stream/contents/user/-/state/com.google/reading-list", {"n": "100"})
    assert len(everything["items"]) == 7


def test_stream_contents_pages_with_continuation(greader, alice):
    first = greader.json("stream/contents/user%2F-%2Fstate%2Fcom.google%2Freading-list", {"n": "4"})
    second = greader.json(
        "stream/contents/user%2F-%2Fstate%2Fcom.google%2Freading-list", {"n": "4", "c": first["continuation"]}
    )
    ids = [gr.item_id_parse(i["id"]) for i in first["items"] + second["items"]]
    assert ids == _web_river(alice.user) and "continuation" not in second


def test_stream_contents_takes_a_feed_by_its_url_escaped_address(greader, alice):
    feed = alice.feeds[1]
    page = greader.json("stream/contents/" + quote(f"feed/{feed.url}", safe=""))
    assert page["id"] == f"feed/{feed.url}"
    assert {gr.item_id_parse(i["id"]) for i in page["items"]} == {a.pk for a in alice.articles[3:5]}


def test_stream_contents_also_takes_the_stream_as_s(greader, alice):
    page = greader.json("stream/contents", {"s": f"feed/{alice.feeds[1].pk}"})
    assert len(page["items"]) == 2


def test_an_item_has_the_shape_freshrss_and_miniflux_send(greader, alice):
    article = alice.articles[2]  # saved, unread, in folder Tech
    article.author = "Ada"
    article.save()
    item = greader.json("stream/items/contents", {"i": str(article.pk)}, method="post")["items"][0]
    assert item["id"] == gr.item_id_long(article.pk)
    assert item["title"] == article.title and item["author"] == "Ada"
    assert item["published"] == int(article.published_at.timestamp())
    assert isinstance(item["updated"], int)
    assert item["timestampUsec"] == str(int(article.published_at.timestamp() * 1_000_000))
    assert item["crawlTimeMsec"] == str(int(article.created_at.timestamp() * 1000))
    assert item["canonical"] == [{"href": article.url}]
    assert item["alternate"] == [{"href": article.url, "type": "text/html"}]
    assert item["categories"] == [READING_LIST, "user/-/label/Tech", STARRED]
    assert item["origin"] == {
        "streamId": f"feed/{alice.feeds[0].pk}",
        "title": "Tech Daily",
        "htmlUrl": alice.feeds[0].publisher.site_url,
    }
    assert item["summary"]["content"] == item["content"]["content"] == article.content_html


def test_read_state_travels_only_as_a_category(greader, alice):
    items = greader.json("stream/items/contents", {"i": [str(a.pk) for a in alice.articles]}, method="post")
    read = {gr.item_id_parse(i["id"]) for i in items["items"] if READ in i["categories"]}
    assert read == {alice.articles[1].pk}


def test_a_story_without_html_sends_its_summary_escaped(greader, alice):
    story = ArticleFactory(feed=alice.feeds[0], content_html="", summary="Fish & <chips>")
    item = greader.json("stream/items/contents", {"i": str(story.pk)}, method="post")["items"][0]
    assert item["content"]["content"] == "<p>Fish &amp; &lt;chips&gt;</p>"


def test_items_contents_takes_ids_in_every_form_and_ignores_unknown_parameters(greader, alice):
    a, b, c, d = alice.articles[:4]
    response = greader.post(
        "stream/items/contents?output=json&n=200000&ck=1700000000",
        {
            "i": [
                gr.item_id_long(a.pk),  # RSS Guard
                f"tag:google.com,2005:reader/item/{b.pk:x}",  # NetNewsWire
                f"{c.pk:016x}",  # Reeder
                str(d.pk),  # Liferea
            ],
            "mediaRss": "true",
            "merge": "true",
            "client": "liferea",
        },
    )
    assert response.status_code == 200
    page = response.json()
    assert page["id"] == READING_LIST
    assert {gr.item_id_parse(i["id"]) for i in page["items"]} == {a.pk, b.pk, c.pk, d.pk}


def test_items_contents_refuses_a_garbage_id_with_400(greader):
    response = greader.post("stream/items/contents", {"i": ["1", "not-an-id"]})
    assert response.status_code == 400


def test_items_contents_takes_thousands_of_ids_in_one_request(greader, alice):
    # Django's form parser stops at 1,000 fields; an app sends all its ids at once.
    ids = [str(a.pk) for a in alice.articles] + [str(10**9 + n) for n in range(3000)]
    body = urlencode({"i": ids}, doseq=True)
    response = greader.post("stream/items/contents", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and len(response.json()["items"]) == 7


def test_more_ids_than_allowed_get_400(greader, alice):
    body = urlencode({"i": [str(n) for n in range(1, gr.MAX_IDS + 2)]}, doseq=True)
    response = greader.post("stream/items/contents", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_unknown_endpoints_answer_an_empty_list(greader):
    response = greader.get("preference/stream/list", {"output": "json"})
    assert response.status_code == 200 and response.json() == []


def test_a_trailing_slash_is_tolerated(greader):
    assert greader.get("tag/list/").status_code == 200


def test_items_ids_accepts_the_rssguard_and_liferea_parameters(greader, alice):
    feed_ids = _ids(
        greader, s=f"feed/{alice.feeds[0].pk}", client="liferea", n="50", output="json", merge="true"
    )
    assert len(feed_ids) == 3


def test_many_stories_reach_the_client_in_pages_capped_by_n(greader, alice):
    stories(alice.feeds[2], 30, start=T0 - timedelta(days=3), prefix="Bulk")
    assert len(_ids(greader, s=READING_LIST, n="200000")) == 37
    assert len(greader.json("stream/contents/feed%2F" + str(alice.feeds[2].pk), {"n": "10"})["items"]) == 10


def test_another_folder_named_alike_by_someone_else_changes_nothing(greader, alice, bob):
    other = SubscriptionFactory(user=bob.user, folder=FolderFactory(user=bob.user, name="Tech"))
    ArticleFactory(feed=other.feed)
    assert len(_ids(greader, s="user/-/label/Tech", n="100")) == 5
