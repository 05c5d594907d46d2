"""Article page HTML -> main content and metadata, with trafilatura. Pure: no network, no ORM.

One parse and one trafilatura pass per page: the page is parsed once, its metadata read from that tree
(the cheap parts of trafilatura's own metadata pass, see `_page_metadata`), then `bare_extraction` with
images and links gives the content tree, from which both the HTML and the plain text are derived here.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from htmldate import find_date
from lxml import etree
from trafilatura.core import bare_extraction
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import load_html

from articles.sanitizing.html import sanitize_html
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
    content_html: str  # sanitized (sanitize_html against the page URL): safe to store and show
    word_count: int


def _date_params() -> dict[str, Any]:
    # Not htmldate's extensive search: on the corpus it finds a date on 2 more pages in 122 for a quarter
    # more time per page, and a feed story has the feed's date anyway. Keep the time of day when the page
    # gives one. Built per call: max_date is today.
    return {**set_date_params(False), "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _page_metadata(tree: Any, *, url: str, search_author: bool, find_published: bool) -> Document:
    """trafilatura's `extract_metadata`, less what costs most and nobody here reads.

    Kept: the meta tags (OpenGraph, Twitter, Dublin Core...), JSON-LD, the title from the markup when
    those have none. The searches through the whole page are done only when asked: the author's (a third
    of trafilatura's time on a page, for a byline the feed usually gives) and the date's (htmldate; a
    feed's story has its feed's date). Never done: site name, categories, tags, licence.

    JSON-LD gives only a byline and, failing the meta tags, a title here, and reading it costs a tenth of
    the extraction on some sites (trafilatura normalises each script, and Drupal's settings+json are
    large): it is read only when the byline is wanted or no title was found.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:  # as trafilatura: a single word is a handle
        metadata.author = None
    if search_author or not metadata.title:
        try:
            metadata = extract_meta_json(tree, metadata)
        except Exception:  # noqa: BLE001 -- trafilatura's JSON-LD reader has bugs; the rest still holds
            logger.debug("JSON-LD metadata unreadable", extra={"url": url}, exc_info=True)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if search_author and not metadata.author:
        metadata.author = extract_author(tree)
    if find_published:
        metadata.date = find_date(tree, **{**_date_params(), "url": url or None})
    metadata.clean_and_trim()
    return metadata


# trafilatura's options here. "txt" rather than the default "python" only spares bare_extraction a text
# rendering of its result that is not used here; the extraction itself is the same. No url: trafilatura
# would resolve every link against the site's root (courlan, a large share of its time on a page full of
# links, and wrong for a link relative to the page's folder); the sanitizer resolves them against the
# page's own URL anyway, and _first_image does for the lead image.
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "url": None,
    "include_images": True,
    "include_links": True,
    "include_comments": False,
    "with_metadata": False,
    "output_format": "txt",
}
# What the main extractor's result must hold to be taken without trafilatura's comparison with its other
# extractors: this many characters, and this share of them in lines of at least PROSE_LINE_WORDS words.
MIN_MAIN_CHARS = 500
MIN_PROSE_SHARE = 0.5
PROSE_LINE_WORDS = 8


def _main_content(tree: Any, html: bytes) -> Document | None:
    """trafilatura's main extractor alone (its `fast` mode), and its whole cascade only when that result
    does not read as a story.

    The cascade compares the main extractor's result with readability's and justext's on every page, and
    on most pages keeps the main extractor's text anyway. Where the main extractor goes wrong it has
    found a fragment (a caption, a teaser) or a menu: too little text, or text that is not prose. Those
    pages get the whole cascade, on a fresh parse (the first pass prunes the tree it is given).

    On the corpus (`make score-extraction`) 5 pages of 122 take the cascade; token F1 0.9588 against
    0.9539 with the cascade on every page (the main extractor alone does better on two pages, worse on
    one, by 0.01), for about 15 instead of 18 ms of CPU a page. The main extractor alone would score
    0.9458: on two pages it keeps a menu or a caption instead of the story (F1 0.13).
    """
    document = bare_extraction(tree, fast=True, **_TRAFILATURA_OPTIONS)
    if isinstance(document, Document) and document.body is not None and _reads_as_story(document.body):
        return document
    fresh = load_html(html)
    if fresh is None:
        return None
    document = bare_extraction(fresh, **_TRAFILATURA_OPTIONS)
    return document if isinstance(document, Document) else None


def _reads_as_story(body: etree._Element) -> bool:
    """Enough text, most of it in lines of prose rather than a list of short labels (a menu, a tag
    cloud, a slideshow's credits). Each text node counts as its own line, so a menu's items never run
    together into one long line."""
    lines = "\n".join(body.itertext()).split("\n")
    total = sum(len(line) for line in lines)
    if total < MIN_MAIN_CHARS:
        return False
    prose = sum(len(line) for line in lines if len(line.split()) >= PROSE_LINE_WORDS)
    return prose >= MIN_PROSE_SHARE * total


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


def extract_article(
    html: bytes | str, *, url: str, search_author: bool = True, find_published: bool = True
) -> Extracted | None:
    """The story in an article page, or None when the page holds nothing usable (empty, binary, not
    HTML, no main text, or trafilatura failed on it). Never raises for bad input; bounded by
    MAX_PAGE_BYTES.

    The author and the publication date come from the page's metadata; search_author=False takes the
    author from the meta tags alone (no JSON-LD, no search through the page for a byline), and
    find_published=False skips the date (published_at is then None): callers that have both from a feed
    save a third of the time."""
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
        tree = load_html(html)
        if tree is None:
            return None
        metadata = _page_metadata(tree, url=url, search_author=search_author, find_published=find_published)
        document = _main_content(tree, html)
    except Exception:  # noqa: BLE001 -- hostile pages find bugs in any parser; a page is never worth a crash
        logger.warning("extraction failed", extra={"url": url}, exc_info=True)
        return None
    if not isinstance(document, Document) or document.body is None:
        return None
    body = document.body
    title = (metadata.title or "").strip()
    try:
        _drop_repeated_title(body, title)
        _flatten_galleries(body)
        lead_image = clean_url(metadata.image or "", base_url=url) or _first_image(body, url)
        content_html = sanitize_html(_body_html(body), base_url=url)
    except Exception:  # noqa: BLE001 -- as above: the tree came from a hostile page
        logger.warning("extraction output unusable", extra={"url": url}, exc_info=True)
        return None
    text = html_to_text(content_html)
    words = word_count(text)
    if not words:
        return None
    return Extracted(
        title=title,
        author=(metadata.author or "").strip(),
        published_at=_published_at(metadata.date),
        lead_image_url=lead_image or "",
        language=_language(head),
        text=text,
        content_html=content_html,
        word_count=words,
    )
