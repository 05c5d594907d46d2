"""Google Reader API, the protocol half: ids, stream names, parameters and response shapes.

Nothing here touches the database; the views (compat/views/greader.py) pass what these functions parse to
the same selectors and services as the web pages, and shape what comes back with them. The behaviour
follows FreshRSS (`p/api/greader.php`) and Miniflux (`internal/googlereader`) as described in
`../shared/clients/api-spec.md`, including what real clients send beyond the documentation.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

ITEM_PREFIX = "tag:google.com,2005:reader/item/"
STATE_PREFIX = "user/-/state/com.google/"
LABEL_PREFIX = "user/-/label/"
READING_LIST = STATE_PREFIX + "reading-list"
READ = STATE_PREFIX + "read"
STARRED = STATE_PREFIX + "starred"
KEPT_UNREAD = STATE_PREFIX + "kept-unread"

MAX_ITEM_ID = 2**63 - 1
MAX_IDS = 10_000  # ids in one request (items/contents, edit-tag) and itemRefs in one page
MAX_FIELDS = MAX_IDS + 100
MAX_CONTENTS = 1_000  # items in one page of stream/contents
STREAM_MAX = 2_100

_DIGITS = re.compile(r"[0-9]{1,19}")
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")
# `user/-/...`, and `user/<anything>/...` as Miniflux and FreshRSS also accept: every stream is read for
# the authenticated user whatever stands there, so the segment cannot name someone else's data.
_USER_STREAM = re.compile(r"user/[^/]*/(state/com\.google|label)/(.+)", re.S)


class BadRequest(ValueError):
    """A request we refuse with 400; str() says why."""


# --- Item ids ----------------------------------------------------------------------------------------


def item_id_long(pk: int) -> str:
    """The long form every item carries: `tag:google.com,2005:reader/item/` + 16 zero-padded hex digits."""
    return f"{ITEM_PREFIX}{pk:016x}"


def item_id_parse(value: str) -> int:
    """An item id in any spelling clients send, as our integer id.

    - long form with the prefix: hex, padded (RSS Guard, FreshRSS) or not (NetNewsWire);
    - exactly 16 hex digits: hex (Reeder);
    - ASCII digits otherwise: decimal (what items/ids answers; Liferea);
    - other bare hex: hex (older NetNewsWire).
    Miniflux's rule plus the last case. An unpadded hex id made only of digits reads as decimal: the
    same ambiguity as in both servers, and why items/ids answers in decimal.
    """
    text = (value or "").strip()
    if text.startswith(ITEM_PREFIX):
        digits = text[len(ITEM_PREFIX) :]
        pk = int(digits, 16) if _HEX.fullmatch(digits) else 0
    elif len(text) == 16 and _HEX.fullmatch(text):
        pk = int(text, 16)
    elif _DIGITS.fullmatch(text):
        pk = int(text)
    elif _HEX.fullmatch(text):
        pk = int(text, 16)
    else:
        pk = 0
    if not 0 < pk <= MAX_ITEM_ID:
        raise BadRequest(f"Not an item id: {text[:80]!r}")
    return pk


def item_ids_parse(values: list[str]) -> list[int]:
    if len(values) > MAX_IDS:
        raise BadRequest(f"At most {MAX_IDS} items at once.")
    return [item_id_parse(v) for v in values]


# --- Streams -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """What a stream id names. kind: reading-list, read, starred, kept-unread, label, feed, or unknown
    (a state we do not keep, such as `like` or `broadcast`: an empty stream)."""

    kind: str
    feed_id: int | None = None
    feed_url: str = ""
    label: str = ""


def stream_parse(value: str) -> Stream:
    text = (value or "").strip()
    if len(text) > STREAM_MAX:
        raise BadRequest("Stream id too long.")
    if not text:
        return Stream("reading-list")
    if text.startswith("feed/"):
        rest = text[len("feed/") :]
        if _DIGITS.fullmatch(rest):
            return Stream("feed", feed_id=int(rest))
        return Stream("feed", feed_url=rest)
    match = _USER_STREAM.fullmatch(text)
    if match is not None:
        if match[1] == "label":
            return Stream("label", label=match[2])
        if match[2] in ("reading-list", "read", "starred", "kept-unread"):
            return Stream(match[2])
    return Stream("unknown")


def label_of(value: str) -> str | None:
    """The folder name in `user/-/label/<name>` (or `user/<x>/label/<name>`), else None."""
    stream = stream_parse(value) if value else Stream("unknown")
    return stream.label if stream.kind == "label" else None


def label_id(name: str) -> str:
    return LABEL_PREFIX + name


# --- Parameters --------------------------------------------------------------------------------------


class Params:
    """A request's parameters, query string and form body together (FreshRSS reads $_REQUEST).

    The form body is parsed here rather than by Django, whose 1,000-field cap would refuse an
    items/contents or edit-tag request carrying a few thousand `i`.
    """

    def __init__(self, *, query: list[tuple[str, str]], body: list[tuple[str, str]]) -> None:
        self._pairs = query + body
        self._body = body

    @classmethod
    def from_request(cls, request) -> Params:
        query = [(k, v) for k, values in request.GET.lists() for v in values]
        body: list[tuple[str, str]] = []
        if request.method == "POST":
            content_type = request.content_type or ""
            try:
                if content_type == "multipart/form-data":
                    body = [(k, v) for k, values in request.POST.lists() for v in values]
                elif content_type in ("application/x-www-form-urlencoded", "", "text/plain"):
                    text = request.body.decode("utf-8", "replace")
                    body = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
            except (ValueError, TooManyFieldsSent, RequestDataTooBig) as exc:
                raise BadRequest(f"Too large a request: at most {MAX_IDS} items at once.") from exc
        return cls(query=query, body=body)

    def get(self, name: str, default: str = "") -> str:
        for key, value in self._pairs:
            if key == name:
                return value
        return default

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def body_get(self, name: str) -> str | None:
        for key, value in self._body:
            if key == name:
                return value
        return None


def count_param(value: str, *, default: int, cap: int) -> int:
    """`n`: how many items; garbage gives the default, anything above the cap the cap."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value):
        return default
    return max(1, min(int(value), cap))


def time_param(value: str) -> datetime | None:
    """A unix time as clients send it: seconds (`ot`, `nt`), or milli/microseconds for long values
    (`ts` of mark-all-as-read). Garbage or out-of-range gives None (the parameter is ignored)."""
    value = (value or "").strip()
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    if len(value) >= 16:
        seconds = number / 1_000_000
    elif len(value) >= 13:
        seconds = number / 1_000
    else:
        seconds = float(number)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- Response shapes ---------------------------------------------------------------------------------


def usec(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000))


def msec(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000))


def login_text(token: str) -> str:
    """ClientLogin's plain-text answer: `key=value` lines (NetNewsWire splits them on `=`)."""
    return f"SID={token}\nLSID={token}\nAuth={token}\n"


def user_info_json(user) -> dict:
    return {
        "userId": str(user.pk),
        "userName": user.get_username(),
        "userProfileId": str(user.pk),
        "userEmail": user.email or "",
        "isBloggerUser": False,
        "signupTimeSec": int(user.date_joined.timestamp()) if getattr(user, "date_joined", None) else 0,
        "isMultiLoginEnabled": False,
    }


def subscription_json(subscription) -> dict:
    """One entry of subscription/list. Every one carries `categories` (its folder, or none)."""
    feed = subscription.feed
    categories = []
    if subscription.folder_id is not None and subscription.folder is not None:
        name = subscription.folder.name
        categories.append({"id": label_id(name), "label": name, "type": "folder"})
    html_url = feed.site_url or feed.url  # the site, as the feed names it
    return {
        "id": f"feed/{feed.id}",
        "title": subscription.display_title,
        "categories": categories,
        "sortid": f"{feed.id:08X}",
        "firstitemmsec": msec(subscription.created_at),
        "url": feed.url,
        "htmlUrl": html_url,
        "iconUrl": feed.publisher.logo_url or "",
    }


def tag_list_json(folders) -> dict:
    tags: list[dict] = [{"id": STARRED}]
    tags += [{"id": label_id(f.name), "label": f.name, "type": "folder"} for f in folders]
    return {"tags": tags}


def item_html(article) -> str:
    if article.content_html:
        return article.content_html
    if article.summary:
        return f"<p>{html.escape(article.summary)}</p>"
    return ""


def item_json(article, subscription=None) -> dict:
    """One item as stream/contents and items/contents send it. Read and starred travel only as
    categories (unread = no `read` category); `timestampUsec` and `crawlTimeMsec` are strings."""
    categories = [READING_LIST]
    if subscription is not None and subscription.folder is not None:
        categories.append(label_id(subscription.folder.name))
    if article.is_read:
        categories.append(READ)
    if article.is_saved:
        categories.append(STARRED)
    publisher = article.publisher
    if subscription is not None:
        origin = {
            "streamId": f"feed/{subscription.feed_id}",
            "title": subscription.display_title,
            "htmlUrl": subscription.feed.site_url or publisher.site_url,
        }
    else:  # saved from a source the user does not follow (a page saved by its address)
        origin = {
            "streamId": f"feed/{article.feed_id}" if article.feed_id else STARRED,
            "title": publisher.name,
            "htmlUrl": publisher.site_url,
        }
    content = item_html(article)
    link = article.url or publisher.site_url
    return {
        "id": item_id_long(article.pk),
        "crawlTimeMsec": msec(article.created_at),
        "timestampUsec": usec(article.published_at),
        "published": int(article.published_at.timestamp()),
        "updated": int(max(article.updated_at, article.published_at).timestamp()),
        "title": article.title,
        "author": article.author,
        "canonical": [{"href": link}],
        "alternate": [{"href": link, "type": "text/html"}],
        "categories": categories,
        "origin": origin,
        "summary": {"direction": "ltr", "content": content},
        "content": {"direction": "ltr", "content": content},
    }


def items_page_json(*, stream_id: str, items: list[dict], continuation: str, now: datetime) -> dict:
    page: dict = {"direction": "ltr", "id": stream_id, "updated": int(now.timestamp()), "items": items}
    if continuation:
        page["continuation"] = continuation
    return page


def item_refs_json(ids: list[int], continuation: str) -> dict:
    page: dict = {"itemRefs": [{"id": str(pk)} for pk in ids]}
    if continuation:
        page["continuation"] = continuation
    return page
