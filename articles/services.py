"""Writes about publishers and feeds, and the lookup a user runs before following a new source."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from articles.discovery import candidate_feed_urls, discover_feed_urls
from articles.fetching import BlockedAddressError, FetchError, FetchResult, fetch
from articles.models import Feed, Publisher
from articles.parsing import FeedParseError, ParsedFeed, ParsedItem, parse_feed

logger = logging.getLogger(__name__)

FEED_CONTENT_TYPES = ("xml", "rss", "atom", "json")


class FeedLookupError(Exception):
    """The address given by a user is not a feed we can follow; str() is the message to show."""


@dataclass
class FeedPreview:
    feed_url: str
    title: str
    site_url: str
    description: str
    items: list[ParsedItem] = field(default_factory=list)


def _looks_like_html(result: FetchResult) -> bool:
    if "html" in result.content_type.lower():
        return True
    head = result.content[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _try_parse(result: FetchResult) -> ParsedFeed | None:
    try:
        return parse_feed(result.content, url=result.url, content_type=result.content_type)
    except FeedParseError:
        return None


def _fetch_for_lookup(url: str) -> FetchResult:
    try:
        return fetch(url)
    except BlockedAddressError as exc:
        raise FeedLookupError(f"{url} points to a private or local address, which is not allowed.") from exc
    except FetchError as exc:
        raise FeedLookupError(f"{url} could not be reached: {exc}") from exc


def feed_preview(*, url: str) -> FeedPreview:
    """Find the feed behind a site's or a feed's address and parse it, without writing anything.

    Tries the address itself, then the feeds its page announces (<link rel="alternate">), then the common
    feed paths of its site. Raises FeedLookupError with a message for the user.
    """
    url = url.strip()
    if not urlsplit(url).scheme:
        url = "https://" + url
    if urlsplit(url).scheme not in ("http", "https"):
        raise FeedLookupError("Only http and https addresses can be followed.")

    first = _fetch_for_lookup(url)
    candidates: list[str] = []
    parsed = None if _looks_like_html(first) else _try_parse(first)
    if parsed is not None:
        return _preview(first.url, parsed)
    if _looks_like_html(first):
        candidates = discover_feed_urls(first.content, base_url=first.url)
    candidates += [c for c in candidate_feed_urls(first.url) if c not in candidates]

    for candidate in candidates[:12]:
        try:
            result = fetch(candidate)
        except FetchError:
            continue
        if _looks_like_html(result):
            continue
        parsed = _try_parse(result)
        if parsed is not None:
            return _preview(result.url, parsed)
    raise FeedLookupError(f"No feed was found at {url}. Try the address of the site's RSS or Atom feed.")


def _preview(feed_url: str, parsed: ParsedFeed) -> FeedPreview:
    newest = sorted(
        parsed.items, key=lambda i: i.published_at or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    return FeedPreview(
        feed_url=feed_url,
        title=parsed.title or urlsplit(feed_url).hostname or feed_url,
        site_url=parsed.link,
        description=parsed.description,
        items=newest[:10],
    )


def publisher_free_slug(base: str, *, taken: Collection[str] = ()) -> str:
    """A publisher slug made from `base` that no publisher has, nor any of `taken`."""
    base = (slugify(base)[:200] or "publisher").strip("-") or "publisher"
    slug, n = base, 2
    while slug in taken or Publisher.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def publisher_create(
    *, name: str, site_url: str = "", in_catalogue: bool = False, **fields: str
) -> Publisher:
    """Create a publisher with a unique slug. Not idempotent: callers look up first."""
    for _ in range(5):
        try:
            with transaction.atomic():
                return Publisher.objects.create(
                    name=name[:200] or site_url or "Untitled",
                    slug=publisher_free_slug(name or urlsplit(site_url).hostname or "publisher"),
                    site_url=site_url,
                    in_catalogue=in_catalogue,
                    **fields,
                )
        except IntegrityError:
            continue  # another worker took the slug between our check and insert
    raise IntegrityError(f"could not find a free slug for publisher {name!r}")


def site_key(url: str) -> str:
    """A site's identity: host (without www., with its port) and path, so that publishers who share a
    host (a blog platform, a video site, one address on a test machine) stay apart."""
    parts = urlsplit(url)
    return parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")


def publisher_for_site(*, site_url: str, name: str = "") -> Publisher:
    """The publisher whose site is this one, else a new one. Safe to repeat."""
    key = site_key(site_url)
    host = (urlsplit(site_url).hostname or "").removeprefix("www.")
    if host:
        for publisher in Publisher.objects.filter(site_url__icontains=host).only("id", "site_url", "name"):
            if site_key(publisher.site_url) == key:
                return publisher
    return publisher_create(name=name or host or site_url, site_url=site_url)


def feed_get_or_create(*, url: str, title: str = "", site_url: str = "") -> tuple[Feed, bool]:
    """The feed at this URL, created (with its publisher) when new. Does not fetch. Safe to repeat."""
    existing = Feed.objects.filter(url=url).select_related("publisher").first()
    if existing is not None:
        return existing, False
    publisher = publisher_for_site(site_url=site_url or url, name=title)
    try:
        with transaction.atomic():
            feed = Feed.objects.create(
                url=url,
                publisher=publisher,
                title=title[:300],
                site_url=site_url,
                next_check_at=timezone.now(),
            )
    except IntegrityError:
        return Feed.objects.select_related("publisher").get(url=url), False  # another request got there first
    return feed, True


def feed_schedule_next_check(
    *,
    feed: Feed,
    now: datetime,
    item_dates: list[datetime],
    ttl_seconds: int | None = None,
    max_age: int | None = None,
) -> int:
    """The seconds until the next check, adapted to how often the feed publishes.

    The average gap between the stories of the last week sets the pace, slowed down for a feed that has
    been quiet for a while (half the time since its newest story); never more often than its ttl or
    Cache-Control max-age ask, always within FEED_MIN_INTERVAL and FEED_MAX_INTERVAL. Pure.
    """
    week = timedelta(days=7)
    recent = sorted(d for d in item_dates if d and now - week <= d <= now)
    if len(recent) >= 2:
        gap = (recent[-1] - recent[0]) / (len(recent) - 1)
        interval = max(gap, (now - recent[-1]) / 2).total_seconds()
    else:
        interval = settings.FEED_MAX_INTERVAL
    interval = max(interval, ttl_seconds or 0, max_age or 0)
    return int(max(settings.FEED_MIN_INTERVAL, min(interval, settings.FEED_MAX_INTERVAL)))


def feed_backoff_seconds(*, error_count: int, retry_after: int | None = None) -> int:
    """Exponential back-off after consecutive errors, honouring a server's Retry-After."""
    backoff = settings.FEED_MIN_INTERVAL * (2 ** min(error_count, 12))
    backoff = min(backoff, settings.FEED_MAX_INTERVAL)
    if retry_after:
        backoff = max(backoff, min(retry_after, settings.FEED_MAX_INTERVAL))
    return backoff
