"""FetchResult and the response headers that steer polling: Content-Type, Cache-Control, Expires, Retry-After."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# Hints longer than this are nonsense or hostile; a year is as far as any scheduler needs to look.
MAX_HINT_SECONDS = 365 * 24 * 60 * 60


@dataclass
class FetchResult:
    """One successful exchange (2xx or 304) after following redirects.

    headers has lower-case keys (repeated headers joined with ", "). content_type is the media type
    alone, lower-cased ("application/rss+xml"); encoding is the charset parameter exactly as the server
    sent it, even when it is wrong or unknown, or None. etag/last_modified are the validators to send next
    time: the response's own, or on a 304 without them the ones we sent. permanent_redirect_url is the
    final URL when every hop on the way was a 301 or 308, so the caller may store it. max_age is the
    freshness lifetime in seconds from Cache-Control max-age or Expires, or None. elapsed is in seconds.
    """

    url: str
    status: int
    content: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    encoding: str | None = None
    not_modified: bool = False
    permanent_redirect_url: str | None = None
    max_age: int | None = None
    elapsed: float = 0.0


def parse_content_type(value: str) -> tuple[str, str | None]:
    """("application/rss+xml", "utf-8") from 'application/rss+xml; charset="utf-8"'."""
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").strip() or None
    return media.strip().lower(), charset


def _http_date(value: str) -> float | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None  # not an HTTP-date: those are always in GMT
    try:
        return parsed.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def _clamp(seconds: float) -> int:
    return int(min(max(seconds, 0), MAX_HINT_SECONDS))


def parse_retry_after(value: str | None, *, now: float | None = None) -> int | None:
    """Seconds to wait from a Retry-After of delta-seconds or an HTTP-date; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return _clamp(int(value[:12]))
    when = _http_date(value)
    if when is None:
        return None
    return _clamp(math.ceil(when - (time.time() if now is None else now)))


def _cache_directives(value: str) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in value.split(","):
        name, _, arg = part.partition("=")
        name = name.strip().lower()
        if name:
            directives.setdefault(name, arg.strip().strip('"'))
    return directives


def parse_max_age(headers: dict[str, str], *, now: float | None = None) -> int | None:
    """Freshness lifetime in seconds: Cache-Control max-age wins over Expires (relative to Date).

    no-cache/no-store mean 0; an Expires that is not a date means "already expired" (RFC 9111), so 0.
    """
    directives = _cache_directives(headers.get("cache-control", ""))
    max_age = directives.get("max-age", "")
    if max_age.isascii() and max_age.isdigit():
        return _clamp(int(max_age[:12]))
    if "no-cache" in directives or "no-store" in directives:
        return 0
    expires = headers.get("expires")
    if expires is None:
        return None
    when = _http_date(expires)
    if when is None:
        return 0
    date = _http_date(headers.get("date", ""))
    base = date if date is not None else (time.time() if now is None else now)
    return _clamp(when - base)
