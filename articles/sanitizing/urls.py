"""URL hygiene for stored article HTML: safe schemes only, absolute URLs, no click trackers.

Everything here takes attribute values as the HTML parser decoded them (entities already resolved) and
returns the value to write back, or None to drop the attribute.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

# Query parameters that only identify a campaign or a click; links work the same without them.
# After miniflux `internal/reader/urlcleaner`, plus every `utm_*`.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "twclid",
        "yclid",
        "ysclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mc_tc",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "hsa_cam",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "vero_id",
        "vero_conv",
        "wickedid",
        "sc_cid",
        "_openstat",
        "_bhlid",
        "_branch_match_id",
        "_branch_referrer",
        "_ga",
        "_gl",
    }
)

# Hosts whose images are only ever counters; an <img> pointing at them is dropped.
TRACKER_IMAGE_HOSTS = frozenset(
    {
        "feeds.feedburner.com",
        "feeds.feedblitz.com",
        "pixel.wp.com",
        "stats.wordpress.com",
        "pixel.quantserve.com",
        "www.google-analytics.com",
        "www.facebook.com",
        "analytics.twitter.com",
        "b.scorecardresearch.com",
        "sb.scorecardresearch.com",
    }
)

_WEB_SCHEMES = ("http", "https")
# WHATWG URL parsing strips leading/trailing C0 controls and spaces, and drops tabs and newlines anywhere;
# do the same so that "java\tscript:" is seen as the browser would see it.
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_ABSOLUTE_WEB_URL = re.compile(r"https?://[^/?#\\\s]", re.IGNORECASE)
_HAS_TRACKING_HINT = re.compile(
    r"utm_|clid|mc_[ce]id|mc_tc|mkt_tok|_hs|hsa_|oly_|vero_|wickedid|sc_cid|_openstat|_bhlid|_branch|igshid|[?&;]_g[al]=",
    re.IGNORECASE,
)


# A root-relative reference ("/path?query#fragment") that urljoin would only append to the base's origin:
# no dot segments, no params, no empty query or fragment (urljoin drops a bare "?", "#" or ";").
_NEEDS_URLJOIN = re.compile(r"/\.|[;\\]|[?#](?:[?#]|$)")


@functools.lru_cache(maxsize=1024)
def _web_origin(base_url: str) -> str | None:
    """The "scheme://netloc" of an http(s) base URL as urljoin writes it, or None for any other base."""
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return None
    if parts.scheme not in _WEB_SCHEMES or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _is_tracking_param(name: str) -> bool:
    name = unquote_plus(name).strip().lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def strip_tracking_params(url: str) -> str:
    """Return `url` without campaign/click-tracking query parameters (utm_*, fbclid, gclid, mc_cid, ...).

    The other parameters keep their order and exact spelling; a URL without tracking parameters, or one
    that does not parse, comes back unchanged.
    """
    if "?" not in url or not _HAS_TRACKING_HINT.search(url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    pairs = parts.query.split("&")
    kept = [pair for pair in pairs if pair and not _is_tracking_param(pair.split("=", 1)[0])]
    if len(kept) == len([pair for pair in pairs if pair]):
        return url
    return urlunsplit(parts._replace(query="&".join(kept)))


def clean_url(value: str, *, base_url: str = "", allow_mailto: bool = False) -> str | None:
    """The URL to keep for an href/src-like attribute, or None when it must go.

    Only http(s) URLs survive (and mailto: when `allow_mailto`); relative URLs are resolved against
    `base_url` when one is given, and kept relative otherwise (they cannot leave the page's own origin).
    """
    url = _TAB_OR_NEWLINE.sub("", value.strip(_C0_AND_SPACE))
    if not url:
        return None
    if _ABSOLUTE_WEB_URL.match(url):
        return url  # the common case, and the one a second cleaning always meets
    if base_url and url[0] == "/" and url[1:2] != "/" and not _NEEDS_URLJOIN.search(url):
        origin = _web_origin(base_url)
        if origin is not None:
            return origin + url  # what urljoin and the checks below make of it, without them
    absolute = url
    if base_url:
        try:
            absolute = urljoin(base_url, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(absolute)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme in _WEB_SCHEMES:
        return absolute if parts.netloc else None
    if scheme == "mailto":
        return absolute if allow_mailto else None
    if scheme:
        return None
    # No scheme: a relative reference. Refuse anything a browser might read as a scheme after all
    # ("jav&#0;ascript:" and friends): a colon before the first "/", "?" or "#".
    head = re.split(r"[/?#]", absolute, maxsplit=1)[0]
    if ":" in head:
        return None
    return absolute


def image_host_is_tracker(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in TRACKER_IMAGE_HOSTS


def rewrite_srcset(value: str, *, base_url: str = "") -> str | None:
    """Keep the safe candidates of a srcset attribute, each URL made absolute; None when none is left.

    Parsed as the HTML spec does: a URL is a run of non-space characters (trailing commas end the
    candidate), then optional descriptors up to the next comma. URLs may therefore contain commas.
    """
    candidates: list[str] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        if pos >= end:
            break
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        raw_url = value[start:pos]
        descriptor = ""
        if raw_url.endswith(","):
            raw_url = raw_url.rstrip(",")
        else:
            start = pos
            while pos < end and value[pos] != ",":
                pos += 1
            descriptor = " ".join(value[start:pos].split())
            pos += 1
        url = clean_url(raw_url, base_url=base_url)
        if url is None or image_host_is_tracker(url):
            continue
        candidates.append(f"{url} {descriptor}" if descriptor else url)
    return ", ".join(candidates) if candidates else None
