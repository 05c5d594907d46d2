"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and CDF through feedparser, mapped onto ParsedFeed/ParsedItem."""

import io
from datetime import datetime
from typing import Any

import feedparser

from .errors import FeedParseError
from .fast_xml import read_fast
from .normalise import (
    MAX_AUTHOR_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    clean_categories,
    datetime_from_struct,
    html_to_text,
    http_url,
    language_code,
    looks_like_image_url,
    make_item,
    plain_text,
    text_to_html,
)
from .prepare import FEED_ROOTS, PreparedXML
from .results import ParsedFeed, ParsedItem

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_SY_PERIODS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 30 * 86400


def parse_xml(prepared: PreparedXML, *, url: str, now: datetime) -> ParsedFeed:
    fast = read_fast(prepared.data)
    if fast is not None:
        version, feed, entries = fast
        return _parsed_feed(prepared, version, feed, entries, url=url, now=now, bozo=None)
    return parse_xml_with_feedparser(prepared, url=url, now=now)


def parse_xml_with_feedparser(prepared: PreparedXML, *, url: str, now: datetime) -> ParsedFeed:
    # No Content-Location: feedparser would resolve guids against it as well as links, and a guid
    # must not change when the feed moves to a new URL. Links are resolved here instead, after
    # feedparser has applied any xml:base.
    headers = {"content-type": "application/xml; charset=utf-8"}
    try:
        # A file object, never bytes or str: given those, feedparser.parse tries them as a path
        # or URL to open before treating them as the document.
        result = feedparser.parse(
            io.BytesIO(prepared.data),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except RecursionError as exc:
        raise FeedParseError("The feed is nested too deeply to read.") from exc
    except Exception as exc:  # feedparser is not hardened against every hostile byte sequence
        raise FeedParseError(f"The feed could not be read ({type(exc).__name__}).") from exc

    bozo = (result.get("bozo_exception"),) if result.get("bozo") else None
    version = result.get("version") or ""
    return _parsed_feed(
        prepared, version, result.get("feed") or {}, result.get("entries") or [], url=url, now=now, bozo=bozo
    )


def _parsed_feed(
    prepared: PreparedXML,
    version: str,
    feed: Any,
    entries: list[Any],
    *,
    url: str,
    now: datetime,
    bozo: tuple[object] | None,
) -> ParsedFeed:
    """feedparser's feed and entries (or the fast reader's dictionaries of the same shape) -> ParsedFeed.
    `bozo` holds feedparser's bozo exception when it reported one."""
    if not version and not entries and prepared.root not in FEED_ROOTS:
        what = f"<{prepared.root}>" if prepared.root else "no XML elements"
        raise FeedParseError(f"This is not a feed: the document has {what} where a feed has <rss> or <feed>.")
    if prepared.netscape_doctype and version == "rss091u":
        version = "rss091n"
    if not version and prepared.root == "channel":
        version = "cdf"  # feedparser reads Microsoft's CDF but leaves its version blank

    notes = list(prepared.notes)
    if bozo is not None:
        notes.append(_bozo_text(bozo[0]))

    items = [_item(entry, feed_url=url, feed_language=feed.get("language"), now=now) for entry in entries]
    return ParsedFeed(
        title=_text_field(feed, "title", MAX_TITLE_CHARS),
        link=http_url(feed.get("link"), url),
        description=_text_field(feed, "subtitle", MAX_DESCRIPTION_CHARS),
        language=language_code(feed.get("language"))
        or language_code((feed.get("title_detail") or {}).get("language")),
        ttl_seconds=_ttl_seconds(feed),
        image_url=_feed_image(feed, url),
        items=items,
        bozo=bool(notes),
        bozo_message="; ".join(n for n in notes if n),
        format=version or "unknown",
    )


def _bozo_text(exc: object) -> str:
    if exc is None:
        return "the feed is not well-formed"
    # Positions would point into the text as we rewrote it (declaration replaced, DOCTYPE dropped).
    get_message = getattr(exc, "getMessage", None)
    message = get_message() if callable(get_message) else str(exc)
    return f"not well-formed XML, read leniently ({message})"[:500]


def _text_field(container: Any, key: str, limit: int) -> str:
    """A title-like field as plain text, honouring the content type feedparser detected."""
    value = container.get(key)
    if not isinstance(value, str):
        return ""
    detail = container.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return plain_text(value, limit)
    return html_to_text(value, limit)


def _html_field(detail: Any) -> str:
    if not detail:
        return ""
    value = detail.get("value")
    if not isinstance(value, str):
        return ""
    if detail.get("type") in _HTML_TYPES:
        return value
    return text_to_html(value)


def _content_html(entry: Any) -> str:
    contents = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str) and c.get("value")]
    for content in contents:
        if content.get("type") in _HTML_TYPES:
            return content["value"]
    return _html_field(contents[0]) if contents else ""


def _item(entry: Any, *, feed_url: str, feed_language: object, now: datetime) -> ParsedItem:
    # A plain dict: FeedParserDict.get goes through a key-alias lookup that costs more than the rest.
    entry = dict(entry)
    contents = entry.get("content") or []
    first_content = contents[0] if contents else {}
    summary_detail = entry.get("summary_detail") or {}
    title_detail = entry.get("title_detail") or {}

    # The base feedparser reports is the xml:base in scope (possibly relative), "" without one; the
    # link has already been resolved against it.
    xml_base = first_content.get("base") or summary_detail.get("base") or title_detail.get("base") or ""
    xml_base = http_url(xml_base, feed_url) if xml_base else ""
    link = entry.get("link")
    if entry.get("guidislink") and not http_url(link):
        link = ""  # a permalink guid that is not a URL ("12345") would resolve to a page that isn't there
    link = http_url(link, feed_url)
    # Relative URLs inside an item's HTML were written on the item's own page, so without an explicit
    # xml:base that page is a better base than the feed (miniflux does the same).
    base_url = xml_base or link or http_url(feed_url)

    published_raw = entry.get("published") or entry.get("updated") or ""
    published = datetime_from_struct(entry.get("published_parsed")) or datetime_from_struct(
        entry.get("updated_parsed")
    )
    updated = datetime_from_struct(entry.get("updated_parsed"))

    language = (
        language_code(first_content.get("language"))
        or language_code(summary_detail.get("language"))
        or language_code(title_detail.get("language"))
        or language_code(feed_language)
    )
    summary_html = _html_field(summary_detail)
    content_html = _content_html(entry)
    return make_item(
        raw_id=entry.get("id"),
        url=link,
        title=_text_field(entry, "title", MAX_TITLE_CHARS),
        author=_author(entry),
        published_at=published,
        updated_at=updated,
        date_raw=published_raw if isinstance(published_raw, str) else "",
        summary_html=summary_html,
        content_html=content_html,
        base_url=base_url,
        image_url=_item_image(entry, xml_base or http_url(feed_url)),
        language=language,
        categories=clean_categories(t.get("label") or t.get("term") for t in entry.get("tags") or []),
        now=now,
    )


def _author(entry: Any) -> str:
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author") or ""
    if not name:
        names = [a.get("name") for a in entry.get("authors") or [] if a.get("name")]
        name = ", ".join(n for n in names if isinstance(n, str))
    if not isinstance(name, str):
        return ""
    return html_to_text(name, MAX_AUTHOR_CHARS)


def _item_image(entry: Any, base: str) -> str:
    for media in entry.get("media_content") or []:
        url = http_url(media.get("url"), base)
        medium = (media.get("medium") or "").lower()
        mime = (media.get("type") or "").lower()
        if url and (
            medium == "image"
            or mime.startswith("image/")
            or (not medium and not mime and looks_like_image_url(url))
        ):
            return url
    for thumb in entry.get("media_thumbnail") or []:
        url = http_url(thumb.get("url"), base)
        if url:
            return url
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").lower().startswith("image/"):
            url = http_url(link.get("href"), base)
            if url:
                return url
    image = entry.get("image")
    if isinstance(image, dict):
        url = http_url(image.get("href"), base)
        if url:
            return url
    return ""


def _feed_image(feed: Any, base: str) -> str:
    image = feed.get("image")
    candidates = [image.get("href") or image.get("url") if isinstance(image, dict) else None]
    candidates += [feed.get("logo"), feed.get("icon")]
    for candidate in candidates:
        url = http_url(candidate, base)
        if url:
            return url
    return ""


def _ttl_seconds(feed: Any) -> int | None:
    """RSS <ttl> (minutes), else the syndication module's updatePeriod/updateFrequency."""
    seconds: int | None = None
    ttl = _positive_int(feed.get("ttl"))
    if ttl is not None:
        seconds = ttl * 60
    else:
        period = _SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
        if period:
            frequency = _positive_int(feed.get("sy_updatefrequency")) or 1
            seconds = period // frequency
    if seconds is None:
        return None
    return max(MIN_TTL_SECONDS, min(seconds, MAX_TTL_SECONDS))


def _positive_int(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    number = int(value)
    return number if number > 0 else None
