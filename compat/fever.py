"""Fever API, the protocol half: parameter names, id lists and response shapes.

As FreshRSS (`p/api/fever.php`) and Miniflux (`internal/fever`) speak it (see
`../shared/clients/api-spec.md`): one endpoint, `api_key` = md5("login:password") in the form, operations
chosen by flags in the query (`?api&items&since_id=0`). Like FreshRSS, several flags in one request get
one merged answer. Nothing here touches the database.
"""

from __future__ import annotations

import re
from datetime import datetime

API_VERSION = 3
ITEMS_PER_PAGE = 50
MAX_ITEM_ID = 2**63 - 1
# Fever needs a favicon for every feed; we keep none, so every feed points at this one transparent GIF.
FAVICON_ID = 1
FAVICON_DATA = "image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

_ID = re.compile(r"[0-9]{1,19}")
_SIGNED_ID = re.compile(r"-?[0-9]{1,19}")


def base(*, auth: bool, now: datetime | None = None) -> dict:
    """What every answer carries; `last_refreshed_on_time` only when signed in."""
    answer: dict = {"api_version": API_VERSION, "auth": 1 if auth else 0}
    if auth and now is not None:
        answer["last_refreshed_on_time"] = int(now.timestamp())
    return answer


def id_param(value: str | None) -> int | None:
    """A non-negative item, feed or group id; None for garbage."""
    value = (value or "").strip()
    if not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ITEM_ID else None


def signed_id_param(value: str | None) -> int | None:
    """A group id, which may be -1 (Fever's "Sparks" group)."""
    value = (value or "").strip()
    if not _SIGNED_ID.fullmatch(value):
        return None
    number = int(value)
    return number if abs(number) <= MAX_ITEM_ID else None


def ids_param(value: str | None, *, limit: int = ITEMS_PER_PAGE) -> list[int]:
    """`with_ids=1,2,3`: at most `limit` ids (Fever's page), garbage entries skipped."""
    ids = []
    for part in (value or "").split(",")[: limit * 4]:
        number = id_param(part)
        if number is not None and number > 0:
            ids.append(number)
        if len(ids) == limit:
            break
    return ids


def time_param(value: str | None) -> int | None:
    """`before=<unix seconds>`; None for garbage."""
    value = (value or "").strip()
    return int(value) if _ID.fullmatch(value) else None


def id_list(ids) -> str:
    """Fever sends id lists as one comma-separated string."""
    return ",".join(str(pk) for pk in ids)


def group_json(folder) -> dict:
    return {"id": folder.pk, "title": folder.name}


def feeds_groups_json(subscriptions) -> list[dict]:
    by_folder: dict[int, list[int]] = {}
    for subscription in subscriptions:
        if subscription.folder_id is not None:
            by_folder.setdefault(subscription.folder_id, []).append(subscription.feed_id)
    return [{"group_id": gid, "feed_ids": id_list(sorted(fids))} for gid, fids in sorted(by_folder.items())]


def feed_json(subscription) -> dict:
    feed = subscription.feed
    checked = feed.last_checked_at
    return {
        "id": feed.id,
        "favicon_id": FAVICON_ID,
        "title": subscription.display_title,
        "url": feed.url,
        "site_url": feed.site_url or feed.url,
        "is_spark": 0,
        "last_updated_on_time": int(checked.timestamp()) if checked else 0,
    }


def favicons_json() -> list[dict]:
    return [{"id": FAVICON_ID, "data": FAVICON_DATA}]


def item_json(article, html: str) -> dict:
    return {
        "id": article.pk,
        "feed_id": article.feed_id or 0,
        "title": article.title,
        "author": article.author,
        "html": html,
        "url": article.url,
        "is_saved": 1 if article.is_saved else 0,
        "is_read": 1 if article.is_read else 0,
        "created_on_time": int(article.published_at.timestamp()),
    }
