"""From a web page to the feeds it announces, and the places feeds usually live. Pure: bytes in, URLs out."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

# RSS 1.0 feeds are announced as application/rdf+xml often enough to be worth accepting too.
FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
        "application/rdf+xml",
    }
)
COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/feed.json",
    "/index.rss",
    "/atom",
)
# <link> elements belong in the head; a page that hides them after a few MiB of body is not worth more.
MAX_HTML_BYTES = 2 * 1024 * 1024
MAX_FEED_LINKS = 50
MAX_URL_CHARS = 2048


class _FeedLinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base_href is None:
            href = dict(attrs).get("href")
            if href:
                self.base_href = href
        elif tag == "link" and len(self.hrefs) < MAX_FEED_LINKS:
            values = {name: value or "" for name, value in attrs}
            rels = values.get("rel", "").lower().split()
            mime = values.get("type", "").split(";", 1)[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and mime in FEED_LINK_TYPES and href:
                self.hrefs.append(href)

    handle_startendtag = handle_starttag


def discover_feed_urls(html: bytes, *, base_url: str) -> list[str]:
    """Feed URLs announced by <link rel="alternate" type="...feed type..."> in page order.

    Resolved against the page's <base href> (the first one, wherever it is, as browsers do) and then
    `base_url`; only http(s) results, each once.
    """
    text = html[:MAX_HTML_BYTES].decode("utf-8", "replace")
    parser = _FeedLinkParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # html.parser asserts on some broken markup; keep what was found before it
        pass
    base = base_url
    if parser.base_href:
        resolved_base = _http_url(parser.base_href, base_url)
        if resolved_base:
            base = resolved_base
    urls: list[str] = []
    for href in parser.hrefs:
        url = _http_url(href, base)
        if url and url not in urls:
            urls.append(url)
    return urls


def candidate_feed_urls(base_url: str) -> list[str]:
    """Where a site's feed usually is: the common paths at the site's root, then under the page's directory."""
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:
        return []
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return []
    directory = parts.path.rsplit("/", 1)[0] if parts.path else ""
    prefixes = [""]
    if directory.strip("/"):
        prefixes.append(directory.rstrip("/"))
    urls: list[str] = []
    for prefix in prefixes:
        for path in COMMON_FEED_PATHS:
            url = urlunsplit((parts.scheme.lower(), parts.netloc, prefix + path, "", ""))
            if url not in urls:
                urls.append(url)
    return urls


def _http_url(href: str, base: str) -> str:
    href = href.strip()
    # The feed: pseudo-scheme (feed://host/x, feed:https://host/x) means "this is a feed, over http".
    if href.lower().startswith("feed:"):
        rest = href[5:]
        href = rest if rest.lower().startswith(("http://", "https://")) else "http:" + rest
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > MAX_URL_CHARS:
        return ""
    return urlunsplit(parts._replace(fragment=""))
