"""Article page HTML -> main content and metadata, with trafilatura. Pure: no network, no ORM.

One trafilatura pass per page (each costs ~16 ms): `bare_extraction` with metadata, images and links gives
the content tree, from which both the HTML and the plain text are derived here, and the metadata.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from trafilatura.core import bare_extraction
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.settings import Document, set_date_params

from articles.sanitizing.text import html_to_text, word_count
from articles.sanitizing.urls import clean_url

logger = logging.getLogger(__name__)

# Pages above this are cut here before parsing: real articles are far smaller (the corpus median is
# ~110 KB, its largest 1.5 MB), and parse time grows with the size, so a cut keeps a worker's time
# bounded. lxml closes what the cut leaves open.
MAX_PAGE_BYTES = 5 * 1024 * 1024
# Likewise for the number of tags: trafilatura's time grows with the element count (a page of 150,000
# paragraphs takes seconds per 10,000), while the corpus's largest page has ~3,200 tags.
MAX_PAGE_TAGS = 30_000

# Signatures of files that are not HTML, whatever their Content-Type said.
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"\x7fELF",
)
_HTML_LANG = re.compile(rb"<html\b[^>]*?\slang\s*=\s*[\"']?([A-Za-z]{2,3})(?![A-Za-z])", re.IGNORECASE)
_META_LANG = re.compile(
    rb"<meta\b[^>]*?(?:http-equiv\s*=\s*[\"']?content-language|property\s*=\s*[\"']?og:locale)[^>]*?"
    rb"content\s*=\s*[\"']?([A-Za-z]{2,3})(?![A-Za-z])",
    re.IGNORECASE,
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SPACES = re.compile(r"\s+")
# A heading equal to the page title is the headline if no more than this many words come before it.
MAX_WORDS_BEFORE_HEADLINE = 30


@dataclass(frozen=True)
class Extracted:
    title: str
    author: str
    published_at: datetime | None  # aware, UTC
    lead_image_url: str
    language: str  # ISO 639 primary subtag ("en"), or ""
    text: str  # plain text of content_html
    content_html: str  # NOT sanitized: the caller sanitizes before storing or showing it
    word_count: int


def _date_params() -> dict[str, Any]:
    # Not htmldate's extensive search: on the corpus it finds a date on 2 more pages in 122 for a quarter
    # more time per page, and a feed story has the feed's date anyway. Keep the time of day when the page
    # gives one. Built per call: max_date is today.
    return {**set_date_params(False), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _cut_after_tags(html: bytes, limit: int) -> bytes:
    if html.count(b"<") <= limit:
        return html
    position = -1
    for _ in range(limit):
        position = html.find(b"<", position + 1)
    return html[:position]


def _looks_binary(head: bytes) -> bool:
    if head.startswith(_UTF16_BOMS):
        return False  # UTF-16 text is full of NULs
    return head.startswith(_BINARY_MAGIC) or b"\x00" in head[:1024]


def _language(head: bytes) -> str:
    match = _HTML_LANG.search(head) or _META_LANG.search(head)
    return match.group(1).decode("ascii").lower() if match else ""


def _published_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # a date without a zone is taken as UTC: htmldate gives midnight when the page only names the day
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if parsed > datetime.now(UTC) + timedelta(days=1):
        return None
    return parsed


def _normalised(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _drop_repeated_title(body: etree._Element, title: str) -> None:
    """The page's headline usually opens the extracted body, and the reader shows the title already.
    It may come after a picture, a kicker ("Review") or a byline, but not after the story has begun."""
    if not title:
        return
    wanted = _normalised(title)
    for heading in itertools.islice(body.iter("head"), 3):
        if _normalised("".join(heading.itertext())) != wanted:
            continue
        before = " ".join(heading.xpath("preceding::text()"))
        if word_count(before) <= MAX_WORDS_BEFORE_HEADLINE:
            _remove_keeping_tail(heading)
        return


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _flatten_galleries(body: etree._Element) -> None:
    """A list in which every item holds an image is a slideshow: keep the pictures, drop the captions.

    Slideshow captions are repeated ("...less ... more"), credit lines and alt text written out again;
    trafilatura keeps them only because images are on, and they bury the story's first paragraph. Each
    picture keeps its alt text.
    """
    for gallery in list(body.iter("list")):
        items = [child for child in gallery if child.tag == "item"]
        if not items or not all(any(True for _ in item.iter("graphic")) for item in items):
            continue
        parent = gallery.getparent()
        if parent is None:
            continue
        graphics = [graphic for item in items for graphic in item.iter("graphic")]
        position = parent.index(gallery)
        for graphic in graphics:
            graphic.tail = None
        parent[position : position + 1] = graphics
        graphics[-1].tail = gallery.tail


def _first_image(body: etree._Element, base_url: str) -> str:
    for graphic in body.iter("graphic"):
        src = clean_url(graphic.get("src") or "", base_url=base_url)
        if src:
            return src
    return ""


def _body_html(body: etree._Element) -> str:
    html_root = convert_to_html(body)  # renames in place: <head rend=h2> -> <h2>, <list> -> <ul>, ...
    body_element = html_root[0]
    parts = [body_element.text or ""]
    parts.extend(etree.tostring(child, method="html", encoding="unicode") for child in body_element)
    return "".join(parts).strip()


def extract_article(html: bytes | str, *, url: str) -> Extracted | None:
    """The story in an article page, or None when the page holds nothing usable (empty, binary, not
    HTML, no main text, or trafilatura failed on it). Never raises for bad input; bounded by
    MAX_PAGE_BYTES."""
    if not html:
        return None
    if isinstance(html, str):
        html = html.encode("utf-8", errors="replace")
    if len(html) > MAX_PAGE_BYTES:
        html = html[:MAX_PAGE_BYTES]
    html = _cut_after_tags(html, MAX_PAGE_TAGS)
    head = html[:65536]
    if _looks_binary(head):
        return None
    try:
        document = bare_extraction(
            html,
            url=url or None,
            include_images=True,
            include_links=True,
            include_comments=False,
            with_metadata=True,
            date_extraction_params=_date_params(),
        )
    except Exception:  # noqa: BLE001 -- hostile pages find bugs in any parser; a page is never worth a crash
        logger.warning("extraction failed", extra={"url": url}, exc_info=True)
        return None
    if not isinstance(document, Document) or document.body is None:
        return None
    body = document.body
    title = (document.title or "").strip()
    try:
        _drop_repeated_title(body, title)
        _flatten_galleries(body)
        lead_image = clean_url(document.image or "", base_url=url) or _first_image(body, url)
        content_html = _body_html(body)
    except Exception:  # noqa: BLE001 -- as above: the tree came from a hostile page
        logger.warning("extraction output unusable", extra={"url": url}, exc_info=True)
        return None
    text = html_to_text(content_html)
    words = word_count(text)
    if not words:
        return None
    return Extracted(
        title=title,
        author=(document.author or "").strip(),
        published_at=_published_at(document.date),
        lead_image_url=lead_image or "",
        language=_language(head),
        text=text,
        content_html=content_html,
        word_count=words,
    )
