"""parse_feed: bytes of RSS, Atom, RDF, CDF or JSON Feed in, one ParsedFeed out."""

from datetime import UTC, datetime

from .json_feed import parse_json
from .prepare import check_size_and_kind, prepare_xml
from .results import ParsedFeed, ParsedItem
from .xml_feed import parse_xml


def parse_feed(
    content: bytes, *, url: str, content_type: str | None = None, max_items: int | None = None
) -> ParsedFeed:
    """Parse a feed document. Pure: no network, no files, no database.

    `url` is where the bytes came from; relative links resolve against it (or the feed's xml:base).
    `content_type` is the HTTP Content-Type, used for its charset. Items sharing a guid are kept
    once (the first), so that a batch upsert never meets the same key twice. With `max_items`, the
    newest items by date are kept (document order when no item has a date), in document order.

    Raises FeedParseError when the bytes are not a feed at all. A feed that is broken but readable
    comes back with `bozo=True` and the reason in `bozo_message`.
    """
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"parse_feed takes bytes, not {type(content).__name__}")
    content = bytes(content)
    now = datetime.now(UTC)
    if check_size_and_kind(content, content_type) == "json":
        feed = parse_json(content, url=url, now=now)
    else:
        feed = parse_xml(prepare_xml(content, content_type), url=url, now=now)
    feed.items = _limit(_unique(feed.items), max_items)
    return feed


def _unique(items: list[ParsedItem]) -> list[ParsedItem]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.guid not in seen:
            seen.add(item.guid)
            unique.append(item)
    return unique


def _limit(items: list[ParsedItem], max_items: int | None) -> list[ParsedItem]:
    if max_items is None or len(items) <= max_items:
        return items
    if max_items <= 0:
        return []
    oldest = datetime.min.replace(tzinfo=UTC)
    if any(item.published_at or item.updated_at for item in items):
        # Undated items rank below dated ones; sorted() is stable, so ties keep document order.
        ranked = sorted(
            range(len(items)),
            key=lambda i: items[i].published_at or items[i].updated_at or oldest,
            reverse=True,
        )
        keep = set(ranked[:max_items])
    else:
        keep = set(range(max_items))
    return [item for i, item in enumerate(items) if i in keep]
