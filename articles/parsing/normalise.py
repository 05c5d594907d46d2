"""Field normalisation shared by the XML and JSON readers: text, URLs, dates, size bounds, identity."""

import calendar
import hashlib
import html
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from feedparser.datetimes import _parse_date as feedparser_parse_date

from .results import ParsedItem

# Bounds on single fields. A hostile feed may put megabytes in one element; nothing downstream needs
# more than this, and the model columns are sized to match (author 300, language 20, URLs 2048).
MAX_TITLE_CHARS = 1_000
MAX_AUTHOR_CHARS = 300
MAX_DESCRIPTION_CHARS = 4_000
MAX_SUMMARY_CHARS = 100_000
MAX_CONTENT_CHARS = 1_000_000
MAX_URL_CHARS = 2_048
MAX_GUID_CHARS = 2_048
MAX_LANGUAGE_CHARS = 20
MAX_CATEGORIES = 50
MAX_CATEGORY_CHARS = 200
# Items read from one document. A feed with more is cut there (most list their newest first); what the
# pipeline keeps (max_items) is chosen from these.
MAX_ITEMS_READ = 10_000
# Only this much of an HTML field is searched for its first <img>.
IMAGE_SEARCH_CHARS = 200_000

# Clocks drift and time zones get mislabelled: tolerate a day ahead, beyond that the date is a lie.
FUTURE_TOLERANCE = timedelta(days=1)

_WHITESPACE = re.compile(r"\s+")
_IMG_SRC = re.compile(
    r"""<img\b[^>]{0,2000}?\bsrc\s*=\s*(?:"([^"]{1,4096})"|'([^']{1,4096})'|([^\s"'>]{1,4096}))""",
    re.IGNORECASE,
)
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit]


def collapse_whitespace(value: str) -> str:
    return _WHITESPACE.sub(" ", value).strip()


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    if not value:
        return ""
    # Anything past a few times the bound cannot reach the output; don't spend time parsing it.
    value = value[: limit * 4 + 1000]
    if "<" not in value and "&" not in value:
        return clip(collapse_whitespace(value), limit)
    extractor = _TextExtractor()
    try:
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # html.parser may assert on pathological markup; fall back to a blunt strip
        text = html.unescape(re.sub(r"<[^>]*>", " ", value))
    return clip(collapse_whitespace(text), limit)


def plain_text(value: str, limit: int = MAX_TITLE_CHARS) -> str:
    return clip(collapse_whitespace(value[: limit * 4 + 1000]), limit)


def text_to_html(value: str) -> str:
    """Escape plain text into HTML paragraphs so `*_html` fields always hold HTML."""
    value = value.strip()
    if not value:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def http_url(value: object, base: str = "") -> str:
    """An absolute http(s) URL, or "" when the value is missing, relative without a base, or another scheme."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if not value or len(value) > MAX_URL_CHARS:
        return ""
    try:
        if base:
            value = urljoin(base, value)
        parts = urlsplit(value)
    except ValueError:  # e.g. an invalid IPv6 literal in the netloc
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if len(value) > MAX_URL_CHARS or any(ch in value for ch in "\r\n\t\x00"):
        return ""
    return value


def first_img_src(fragment: str, base: str) -> str:
    if not fragment or "<img" not in fragment.lower():
        return ""
    for match in _IMG_SRC.finditer(fragment[:IMAGE_SEARCH_CHARS]):
        src = html.unescape(match.group(1) or match.group(2) or match.group(3) or "")
        url = http_url(src, base)
        if url:
            return url
    return ""


def looks_like_image_url(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(_IMAGE_EXTENSIONS)


def datetime_from_struct(value: time.struct_time | None) -> datetime | None:
    """feedparser's *_parsed fields are UTC struct_times."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def parse_date_string(value: object) -> datetime | None:
    """RFC 3339 first (JSON Feed), then every format feedparser knows (RFC 822, W3CDTF, ...)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return datetime_from_struct(feedparser_parse_date(value))
        except Exception:  # feedparser's date handlers are permissive but not hardened
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def clamp_date(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return now if value > now + FUTURE_TOLERANCE else value


def language_code(value: object) -> str:
    if not isinstance(value, str):
        return ""
    value = value.strip().replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", value):
        return ""
    return clip(value, MAX_LANGUAGE_CHARS)


def clean_categories(values: Iterable[object]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = html_to_text(value, MAX_CATEGORY_CHARS)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
            if len(out) >= MAX_CATEGORIES:
                break
    return out


def stable_guid(*, raw_id: object, url: str, title: str, date_raw: str, fallback_text: str) -> str:
    """The feed's id; else the absolute link; else a digest of title and date.

    When an item has neither title nor date its text joins the digest, so that such items don't all
    collapse into one identity. Over-long ids are replaced by their digest rather than cut, so two
    long ids sharing a prefix stay distinct.
    """
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if isinstance(raw_id, str):
        raw_id = raw_id.strip()
        if raw_id:
            if len(raw_id) > MAX_GUID_CHARS:
                return "sha256:" + hashlib.sha256(raw_id.encode("utf-8", "replace")).hexdigest()
            return raw_id
    if url:
        return url
    key = f"{title}\n{date_raw}"
    if not title and not date_raw:
        key += "\n" + fallback_text[:MAX_CONTENT_CHARS]
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def make_item(
    *,
    raw_id: object,
    url: str,
    title: str,
    author: str,
    published_at: datetime | None,
    updated_at: datetime | None,
    date_raw: str,
    summary_html: str,
    content_html: str,
    base_url: str,
    image_url: str,
    language: str,
    categories: list[str],
    now: datetime,
) -> ParsedItem:
    """Apply the bounds and rules every item obeys, whichever format it came from."""
    title = clip(title, MAX_TITLE_CHARS)
    summary_html = clip(summary_html, MAX_SUMMARY_CHARS)
    content_html = clip(content_html, MAX_CONTENT_CHARS)
    guid = stable_guid(
        raw_id=raw_id,
        url=url,
        title=title,
        date_raw=date_raw[:200],
        fallback_text=content_html or summary_html,
    )
    return ParsedItem(
        guid=guid,
        url=url,
        title=title,
        author=clip(author, MAX_AUTHOR_CHARS),
        published_at=clamp_date(published_at, now),
        updated_at=clamp_date(updated_at, now),
        summary_html=summary_html,
        content_html=content_html,
        base_url=base_url,
        image_url=image_url or first_img_src(content_html, base_url) or first_img_src(summary_html, base_url),
        language=language,
        categories=categories,
    )
