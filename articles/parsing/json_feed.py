"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), which feedparser 6.0.x does not read."""

import html
import json
from datetime import datetime
from typing import Any

from .encoding import decode_document
from .errors import FeedParseError
from .normalise import (
    MAX_AUTHOR_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_ITEMS_READ,
    MAX_TITLE_CHARS,
    clean_categories,
    html_to_text,
    http_url,
    language_code,
    make_item,
    parse_date_string,
    plain_text,
    text_to_html,
)
from .results import ParsedFeed, ParsedItem

VERSIONS = {
    "https://jsonfeed.org/version/1": "json1",
    "https://jsonfeed.org/version/1.1": "json11",
}


def parse_json(content: bytes, *, url: str, now: datetime) -> ParsedFeed:
    # JSON is UTF-8 by RFC 8259, whatever charset the server claims; decode_document still honours a
    # BOM and rescues mislabelled bytes.
    text, _encoding, notes = decode_document(content, None)
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except RecursionError as exc:
        raise FeedParseError("The JSON document is nested too deeply to be a feed.") from exc
    except ValueError as exc:
        raise FeedParseError(f"The response is not valid JSON ({exc}).") from exc

    if not isinstance(document, dict):
        raise FeedParseError("The response is JSON but not a JSON Feed (no top-level object).")
    version = document.get("version")
    raw_items = document.get("items")
    if isinstance(version, str) and version.rstrip("/") in VERSIONS:
        feed_format = VERSIONS[version.rstrip("/")]
    elif isinstance(version, str) and "jsonfeed.org/version/" in version:
        feed_format = "json1"
        notes.append(f"unknown JSON Feed version {version[:80]!r}, read as 1.x")
    elif isinstance(raw_items, list):
        feed_format = "json1"
        notes.append("no JSON Feed version; read as 1.x because it has an items list")
    else:
        raise FeedParseError("The response is JSON but not a JSON Feed (no version and no items).")

    if raw_items is None:
        raw_items = []
        notes.append("the feed has no items list")
    elif not isinstance(raw_items, list):
        raw_items = []
        notes.append("items is not a list")
    if len(raw_items) > MAX_ITEMS_READ:
        raw_items = raw_items[:MAX_ITEMS_READ]
        notes.append(f"read only the start of the feed: it has more than {MAX_ITEMS_READ:,} items")

    feed_url = http_url(document.get("feed_url")) or http_url(url)
    feed_language = language_code(document.get("language"))
    feed_authors = _authors(document)
    items: list[ParsedItem] = []
    skipped = 0
    for raw in raw_items:
        if isinstance(raw, dict):
            items.append(
                _item(
                    raw,
                    feed_url=url or feed_url,
                    feed_language=feed_language,
                    feed_authors=feed_authors,
                    now=now,
                )
            )
        else:
            skipped += 1
    if skipped:
        notes.append(f"skipped {skipped} item(s) that are not objects")

    return ParsedFeed(
        title=_text(document.get("title"), MAX_TITLE_CHARS),
        link=http_url(document.get("home_page_url"), url),
        description=_text(document.get("description"), MAX_DESCRIPTION_CHARS),
        language=feed_language,
        ttl_seconds=None,
        image_url=http_url(document.get("icon"), url) or http_url(document.get("favicon"), url),
        items=items,
        bozo=bool(notes),
        bozo_message="; ".join(notes),
        format=feed_format,
    )


def _text(value: object, limit: int) -> str:
    """JSON Feed text fields are plain text, but publishers often leave entities escaped in them."""
    if not isinstance(value, str):
        return ""
    return plain_text(html.unescape(value[: limit * 4 + 1000]), limit)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _authors(obj: dict[str, Any]) -> list[str]:
    people = obj.get("authors")
    if not isinstance(people, list):
        people = [obj.get("author")]
    names = [p.get("name") for p in people if isinstance(p, dict)]
    return [n for n in names if isinstance(n, str) and n.strip()]


def _item(
    raw: dict[str, Any], *, feed_url: str, feed_language: str, feed_authors: list[str], now: datetime
) -> ParsedItem:
    link = http_url(raw.get("url"), feed_url) or http_url(raw.get("external_url"), feed_url)
    content_html = _string(raw.get("content_html")) or text_to_html(_string(raw.get("content_text")))
    summary = _string(raw.get("summary"))
    date_raw = _string(raw.get("date_published")) or _string(raw.get("date_modified"))
    published = parse_date_string(raw.get("date_published")) or parse_date_string(raw.get("date_modified"))
    image = http_url(raw.get("image"), link or feed_url) or http_url(
        raw.get("banner_image"), link or feed_url
    )
    if not image:
        for attachment in raw.get("attachments") or []:
            if isinstance(attachment, dict) and _string(attachment.get("mime_type")).lower().startswith(
                "image/"
            ):
                image = http_url(attachment.get("url"), link or feed_url)
                if image:
                    break
    tags = raw.get("tags")
    authors = _authors(raw) or feed_authors
    return make_item(
        raw_id=raw.get("id"),
        url=link,
        title=_text(raw.get("title"), MAX_TITLE_CHARS),
        author=html_to_text(", ".join(authors), MAX_AUTHOR_CHARS),
        published_at=published,
        updated_at=parse_date_string(raw.get("date_modified")),
        date_raw=date_raw,
        summary_html=text_to_html(summary),
        content_html=content_html,
        # Relative URLs in an item's HTML were written on the item's page (as for XML without xml:base).
        base_url=link or http_url(feed_url),
        image_url=image,
        language=language_code(raw.get("language")) or feed_language,
        categories=clean_categories(tags if isinstance(tags, list) else []),
        now=now,
    )
