"""A fast path for the plain RSS 2.0 and Atom 1.0 feeds most publishers serve: lxml instead of feedparser.

feedparser costs about half a millisecond an item, most of it its own SAX bookkeeping. For a document
made only of the elements below (no xml:base, no inline XHTML, no element or attribute we do not know),
this reader builds the very entry and feed dictionaries feedparser would (same keys, same values: the
whitespace stripping, URI fix-ups, "looks like HTML" guess and encoding repairs of its `pop`, reproduced
with its own helpers), and xml_feed maps them as it maps feedparser's. Anything else returns None and
the document goes to feedparser: other formats and versions, unknown elements, namespaces or attributes,
elements repeated where feedparser's order rules would matter, and anything lxml does not accept as
well-formed. tests/articles/parsing/test_fast_xml.py runs both readers over the corpus and asserts they
agree.

Safety: the document arrives from prepare_xml without a DOCTYPE; the parser neither loads a DTD nor
expands entities nor touches the network, and a document carrying a DTD or an entity node is refused.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_SY = "http://purl.org/rss/1.0/modules/syndication/"
_MEDIA = ("http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_C1 = re.compile("[\x80-\x9f]")
_ENTITY_IN_LINK = re.compile("&([A-Za-z0-9_]+);")
_looks_like_html = _FeedParserMixin.looks_like_html

_local = threading.local()


class _Unsupported(Exception):
    """Something feedparser might read differently: leave the document to it."""


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            recover=False,
            remove_blank_text=False,
        )
    return parser


def read_fast(data: bytes) -> tuple[str, dict, list[dict]] | None:
    """(version, feed dict, entry dicts) as feedparser would give them, or None to use feedparser."""
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return None
    try:
        if root.tag == "rss":
            return _read_rss(root)
        if root.tag == f"{{{ATOM}}}feed":
            return _read_atom(root)
    except _Unsupported:
        return None
    return None


# --- what feedparser's `pop` does to an element's text ----------------------------------------------


def _text(element: Any) -> str:
    """The element's text, which must be all it holds (a child, a comment or a PI: feedparser's turn)."""
    if len(element):
        raise _Unsupported
    return element.text or ""


def _finish(value: str, *, uri: bool = False, guess_html: dict | None = None) -> str:
    """pop(): strip, resolve a URI element against the (empty) base, guess HTML in RSS plain text,
    undo UTF-8 read as Latin-1, and map the Windows-1252 code points."""
    value = value.strip()
    if uri and value:
        value = _urljoin("", value)
    if guess_html is not None and guess_html.get("type") == "text/plain" and _looks_like_html(value):
        guess_html["type"] = "text/html"
    if not value.isascii():
        try:
            value = value.encode("iso-8859-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
        if _C1.search(value):
            value = value.translate(_cp1252)
    return value


def _content_type(value: str | None, default: str) -> str:
    value = (value if value is not None else default).lower()
    mapped = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(value, value)
    if mapped not in ("text/plain", "text/html"):
        raise _Unsupported  # xhtml, base64 and other types go through feedparser's own rules
    return mapped


def _attributes(element: Any, allowed: frozenset[str] = frozenset()) -> dict[str, str]:
    attributes = dict(element.attrib)
    if not set(attributes) <= allowed:
        raise _Unsupported
    return attributes


def _detail(value: str, content_type: str, language: str | None) -> dict:
    return {"type": content_type, "language": language, "base": "", "value": value}


def _once(seen: set[str], key: str) -> None:
    """feedparser's rules for a repeated element depend on order and depth: leave those to it."""
    if key in seen:
        raise _Unsupported
    seen.add(key)


def _author_from_text(entry: dict, value: str) -> None:
    """_sync_author_detail for an RSS author given as one string ("Name", "a@b.c (Name)")."""
    entry["author"] = value
    detail: dict = {}
    entry["authors"] = [detail]
    if not value:
        return
    author, email = value, None
    match = re.search(
        r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?""",
        author,
    )
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "")
        author = author.strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email
    if detail:
        entry["author_detail"] = detail


def _date(target: dict, key: str, element: Any) -> None:
    value = _finish(_text(element))
    target[key] = value
    target[f"{key}_parsed"] = _parse_date(value)


def _categories(target: dict, term: str | None, scheme: str | None, label: str | None, value: str) -> None:
    """_start_category + _end_category."""
    tags = target.setdefault("tags", [])

    def add(term: str | None, scheme: str | None, label: str | None) -> None:
        if not term and not scheme and not label:
            return
        tag = {"term": term, "scheme": scheme, "label": label}
        if tag not in tags:
            tags.append(tag)

    add(term, scheme, label)
    if not value:
        return
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        add(value, None, None)


# --- RSS 2.0 --------------------------------------------------------------------------------------

# Elements whose value none of our fields reads and that set no state feedparser's other handlers look
# at: skipped when they hold nothing but text and carry no attributes.
_RSS_CHANNEL_IGNORED = frozenset(
    {"generator", "copyright", "docs", "lastBuildDate", "pubDate", "webMaster", "managingEditor", "rating"}
)
_RSS_ITEM_IGNORED = frozenset({"comments"})
_SY_ELEMENTS = {
    "updatePeriod": "sy_updateperiod",
    "updateFrequency": "sy_updatefrequency",
    "updateBase": None,
}


def _read_rss(root: Any) -> tuple[str, dict, list[dict]]:
    version = root.get("version", "")
    if not version.startswith("2.") or set(root.attrib) != {"version"}:
        raise _Unsupported
    channels = list(root)
    if len(channels) != 1 or channels[0].tag != "channel" or channels[0].attrib or (root.text or "").strip():
        raise _Unsupported
    feed: dict = {}
    entries: list[dict] = []
    seen: set[str] = set()
    for element in channels[0]:
        tag = element.tag
        if tag == "item":
            entries.append(_rss_item(element))
            continue
        if not isinstance(tag, str):
            continue  # a comment or processing instruction: feedparser's SAX reader skips them too
        if tag in ("title", "link", "description", "language", "ttl"):
            _once(seen, tag)
            _attributes(element)
            if tag == "title":
                detail = _detail("", "text/plain", None)
                value = _finish(_text(element), guess_html=detail)
                detail["value"] = value
                feed["title"], feed["title_detail"] = value, detail
            elif tag == "link":
                feed["link"] = _ENTITY_IN_LINK.sub(r"&\g<1>", _finish(_text(element), uri=True))
            elif tag == "description":
                value = _finish(_text(element))
                feed["subtitle"], feed["subtitle_detail"] = value, _detail(value, "text/html", None)
            else:
                feed[tag] = _finish(_text(element))
        elif tag in _RSS_CHANNEL_IGNORED:
            _once(seen, tag)
            _attributes(element)
            _text(element)
        elif tag == "category":
            _attributes(element, frozenset({"domain"}))
            _text(element)
        elif tag == "image":
            _once(seen, tag)
            feed["image"] = _rss_image(element)
        elif tag == f"{{{ATOM}}}link":
            attributes = _attributes(element, frozenset({"rel", "href", "type"}))
            if attributes.get("rel") not in ("self", "hub") or "href" not in attributes or _text(element):
                raise _Unsupported
        elif tag.startswith(f"{{{_SY}}}") and tag[len(_SY) + 2 :] in _SY_ELEMENTS:
            key = _SY_ELEMENTS[tag[len(_SY) + 2 :]]
            _once(seen, tag)
            _attributes(element)
            value = _finish(_text(element))
            if key:
                feed[key] = value
        else:
            raise _Unsupported
    return "rss20", feed, entries


def _rss_image(image: Any) -> dict:
    """The channel's <image>: only its <url> is read (as feedparser's image "href")."""
    _attributes(image)
    if (image.text or "").strip():
        raise _Unsupported
    found: dict = {}
    seen: set[str] = set()
    for element in image:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if (
            tag not in ("url", "title", "link", "width", "height", "description")
            or (element.tail or "").strip()
        ):
            raise _Unsupported
        _once(seen, tag)
        _attributes(element)
        value = _text(element)
        if tag == "url":
            found["href"] = _finish(value, uri=True)
    return found


def _rss_item(item: Any) -> dict:
    if item.attrib:
        raise _Unsupported
    entry: dict = {}
    seen: set[str] = set()
    for element in item:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag == "title":
            _once(seen, tag)
            _attributes(element)
            detail = _detail("", "text/plain", None)
            value = _finish(_text(element), guess_html=detail)
            detail["value"] = value
            entry["title"], entry["title_detail"] = value, detail
        elif tag == "link":
            _once(seen, tag)
            _attributes(element)
            value = _finish(_text(element), uri=True)
            value = _ENTITY_IN_LINK.sub(r"&\g<1>", value.replace("&amp;", "&"))
            entry["link"] = value
            entry.setdefault("links", []).append({"rel": "alternate", "type": "text/html", "href": value})
        elif tag == "guid":
            _once(seen, tag)
            attributes = {k.lower(): v for k, v in _attributes(element, frozenset({"isPermaLink"})).items()}
            is_link = attributes.get("ispermalink", "true") == "true"
            value = _finish(_text(element), uri=is_link)
            entry["id"] = value
            entry.setdefault("guidislink", is_link and "link" not in entry)
            if is_link:
                entry.setdefault("link", value)
        elif tag == "pubDate":
            _once(seen, "published")
            _attributes(element)
            _date(entry, "published", element)
        elif tag == f"{{{_DC}}}date":
            _once(seen, "updated")
            _attributes(element)
            _date(entry, "updated", element)
        elif tag == "description":
            _once(seen, tag)
            _attributes(element)
            value = _finish(_text(element))
            entry["summary"], entry["summary_detail"] = value, _detail(value, "text/html", None)
        elif tag == f"{{{_CONTENT}}}encoded":
            _once(seen, tag)
            _attributes(element)
            value = _finish(_text(element))
            entry["content"] = [_detail(value, "text/html", None)]
            entry.setdefault("summary", value)
        elif tag in ("author", f"{{{_DC}}}creator"):
            _once(seen, "author")
            _attributes(element)
            _author_from_text(entry, _finish(_text(element)))
        elif tag == "category":
            attributes = _attributes(element, frozenset({"domain"}))
            _categories(entry, None, attributes.get("domain"), None, _finish(_text(element)))
        elif tag == "enclosure":
            attributes = {k: v for k, v in _attributes(element, frozenset({"url", "length", "type"})).items()}
            if _text(element):
                raise _Unsupported
            if "type" in attributes:
                attributes["type"] = attributes["type"].lower()
            link = {("href" if k == "url" else k): v for k, v in attributes.items()}
            if not link.get("href"):
                raise _Unsupported  # feedparser keeps "url" then; not worth modelling
            link["rel"] = "enclosure"
            entry.setdefault("links", []).append(link)
        elif tag in _RSS_ITEM_IGNORED:
            _once(seen, tag)
            _attributes(element)
            _text(element)
        elif tag.startswith("{") and tag.split("}", 1)[0][1:] in _MEDIA:
            _media(entry, element)
        else:
            raise _Unsupported
    return entry


def _media(entry: dict, element: Any) -> None:
    local = element.tag.split("}", 1)[1]
    if local not in ("content", "thumbnail") or len(element) or (element.text or "").strip():
        raise _Unsupported
    attributes = {k.lower(): v for k, v in element.attrib.items()}
    if any(k.startswith("{") for k in attributes):
        raise _Unsupported
    for key in ("type", "rel"):
        if key in attributes:
            attributes[key] = attributes[key].lower()
    entry.setdefault(f"media_{local}", []).append(attributes)


# --- Atom 1.0 -------------------------------------------------------------------------------------

_A = f"{{{ATOM}}}"
_ATOM_FEED_IGNORED = frozenset({f"{_A}generator", f"{_A}rights", f"{_A}updated"})


def _read_atom(root: Any) -> tuple[str, dict, list[dict]]:
    language = _root_language(root)
    feed: dict = {}
    if language:
        feed["language"] = language
    entries: list[dict] = []
    seen: set[str] = set()
    for element in root:
        tag = element.tag
        if tag == f"{_A}entry":
            entries.append(_atom_entry(element, language))
            continue
        if not isinstance(tag, str):
            continue
        if tag in (f"{_A}title", f"{_A}subtitle"):
            _once(seen, tag)
            key = tag[len(_A) :]
            attributes = _attributes(element, frozenset({"type"}))
            content_type = _content_type(attributes.get("type"), "text/plain")
            value = _finish(_text(element))
            feed[key], feed[f"{key}_detail"] = value, _detail(value, content_type, language)
        elif tag == f"{_A}link":
            _atom_link(feed, element)
        elif tag == f"{_A}id":
            # An id is taken for the link until an alternate link says otherwise (_end_guid).
            _once(seen, tag)
            _attributes(element)
            feed.setdefault("link", _finish(_text(element), uri=True))
        elif tag in (f"{_A}icon", f"{_A}logo"):
            _once(seen, tag)
            _attributes(element)
            feed[tag[len(_A) :]] = _finish(_text(element), uri=True)
        elif tag in _ATOM_FEED_IGNORED:
            _once(seen, tag)
            _attributes(element, frozenset({"uri", "version"}) if tag == f"{_A}generator" else frozenset())
            _text(element)
        elif tag == f"{_A}category":
            _attributes(element, frozenset({"term", "scheme", "label"}))
            _text(element)
        elif tag == f"{_A}author":
            _atom_person(element)
        else:
            raise _Unsupported
    return "atom10", feed, entries


def _root_language(root: Any) -> str | None:
    attributes = dict(root.attrib)
    language = attributes.pop(_XML_LANG, None)
    if attributes or (root.text or "").strip():
        raise _Unsupported
    return language.replace("_", "-") if language else None


def _atom_link(target: dict, element: Any) -> None:
    attributes = _attributes(element, frozenset({"rel", "type", "href", "hreflang", "title", "length"}))
    if "href" not in attributes or _text(element).strip():
        raise _Unsupported  # a link given as text: feedparser's other branch
    for key in ("rel", "type"):
        if key in attributes:
            attributes[key] = attributes[key].lower()
    attributes.setdefault("rel", "alternate")
    attributes.setdefault("type", "application/atom+xml" if attributes["rel"] == "self" else "text/html")
    attributes["href"] = _urljoin("", attributes["href"])
    target.setdefault("links", []).append(attributes)
    if attributes["rel"] == "alternate" and _FeedParserMixin.map_content_type(attributes["type"]) in (
        "text/html",
        "application/xhtml+xml",
    ):
        target["link"] = attributes["href"]


def _atom_person(element: Any) -> dict:
    """An <author>: its name, email and uri, as _save_author records them."""
    _attributes(element)
    if (element.text or "").strip():
        raise _Unsupported
    detail: dict = {}
    for child in element:
        tag = child.tag
        if tag not in (f"{_A}name", f"{_A}email", f"{_A}uri") or (child.tail or "").strip():
            raise _Unsupported
        key = tag[len(_A) :]
        _once(set(detail), "href" if key == "uri" else key)
        _attributes(child)
        if key == "uri":
            detail["href"] = _finish(_text(child), uri=True)
        else:
            detail[key] = _text(child).strip()  # pushed without expecting text: no repairs
    return detail


def _atom_entry(entry_element: Any, language: str | None) -> dict:
    if entry_element.attrib:
        raise _Unsupported
    entry: dict = {}
    seen: set[str] = set()
    for element in entry_element:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag == f"{_A}title":
            _once(seen, tag)
            attributes = _attributes(element, frozenset({"type"}))
            content_type = _content_type(attributes.get("type"), "text/plain")
            value = _finish(_text(element))
            entry["title"], entry["title_detail"] = value, _detail(value, content_type, language)
        elif tag == f"{_A}link":
            _atom_link(entry, element)
        elif tag == f"{_A}id":
            _once(seen, tag)
            _attributes(element)
            value = _finish(_text(element), uri=True)
            entry["id"] = value
            entry.setdefault("guidislink", "link" not in entry)
            entry.setdefault("link", value)
        elif tag in (f"{_A}published", f"{_A}updated"):
            key = tag[len(_A) :]
            _once(seen, key)
            _attributes(element)
            _date(entry, key, element)
        elif tag == f"{_A}author":
            _once(seen, tag)
            detail = _atom_person(element)
            entry["authors"] = [dict(detail)]
            if detail:
                entry["author_detail"] = detail
                name, email = detail.get("name"), detail.get("email")
                entry["author"] = f"{name} ({email})" if name and email else (name or email or "")
        elif tag == f"{_A}content":
            _once(seen, tag)
            attributes = _attributes(element, frozenset({"type"}))
            content_type = _content_type(attributes.get("type"), "text/plain")
            value = _finish(_text(element))
            entry["content"] = [_detail(value, content_type, language)]
            entry.setdefault("summary", value)
        elif tag == f"{_A}summary":
            _once(seen, tag)
            if "summary" in entry and f"{_A}content" not in seen:
                raise _Unsupported
            attributes = _attributes(element, frozenset({"type"}))
            content_type = _content_type(attributes.get("type"), "text/plain")
            value = _finish(_text(element))
            entry["summary"], entry["summary_detail"] = value, _detail(value, content_type, language)
        elif tag == f"{_A}category":
            attributes = _attributes(element, frozenset({"term", "scheme", "label"}))
            _categories(
                entry,
                attributes.get("term"),
                attributes.get("scheme"),
                attributes.get("label"),
                _finish(_text(element)),
            )
        else:
            raise _Unsupported
    return entry
