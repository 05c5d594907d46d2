"""OPML import and export. Pure: bytes in, dataclasses out (and back). No ORM, no network.

Reading is tolerant of what real readers export, yet never trusts the file:

* Size and feed-count caps (``MAX_OPML_BYTES``, ``MAX_OPML_FEEDS``); every hostile case ends in ``OpmlError``
  with a message fit to show the user.
* No DTD, no entities, no external references: a file with a ``<!DOCTYPE`` is refused before any parser sees
  it, and every parse goes through defusedxml with ``forbid_dtd=True`` as well. Nothing is ever fetched.
* Strict XML first. Real-world OPML is often not well-formed (bare ``&``, HTML entities such as ``&eacute;``,
  raw ``"`` and ``<`` inside a description), so a failed strict parse is followed by a repair of the text
  (references, then the attributes of each ``<outline>`` tag) and one more defusedxml parse.

Folders: a feed's ``folder`` is the text (or title) of its enclosing outlines, outermost first, joined with
``" / "`` ("News / World"), so nothing is lost when a reader nests folders; a feed outside any folder that
carries the OPML 2.0 ``category`` attribute ("/Tech/Android,/News") takes its first category instead.
``export_opml`` writes every folder as one top-level outline named with that full text, which reads back
unchanged, even for a name that itself contains " / " (the shipped catalogue has a folder "UI / UX").
"""

from __future__ import annotations

import codecs
import html.entities
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import defusedxml
import defusedxml.ElementTree as DET

MAX_OPML_BYTES = 5 * 1024 * 1024
MAX_OPML_FEEDS = 5000
MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 300
MAX_FOLDER_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 1000
FOLDER_SEPARATOR = " / "


class OpmlError(ValueError):
    """The bytes are not an OPML file we can import; ``str(error)`` is a message for the user."""


@dataclass(frozen=True)
class OpmlFeed:
    title: str
    xml_url: str
    html_url: str = ""
    folder: str = ""
    description: str = ""


@dataclass
class OpmlDocument:
    title: str
    feeds: list[OpmlFeed] = field(default_factory=list)
    # Outlines that named a URL we refuse (not http(s), too long, malformed), and duplicates of a URL seen before.
    skipped: int = 0
    duplicates: int = 0
    # True when the file was not well-formed XML and had to be repaired before it could be read.
    repaired: bool = False

    @property
    def folders(self) -> list[str]:
        """Distinct non-empty folder names in document order."""
        return list(dict.fromkeys(f.folder for f in self.feeds if f.folder))


# --- Reading ----------------------------------------------------------------------------------------------


def parse_opml(data: bytes) -> OpmlDocument:
    """Read an OPML document. Raises OpmlError for anything that is not an importable OPML file."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_opml takes bytes")
    data = bytes(data)
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(
            f"The file is too large ({len(data) / 1_048_576:.1f} MB); OPML files of up to "
            f"{MAX_OPML_BYTES // 1_048_576} MB can be imported."
        )
    text = _decode(data)
    if not text.strip():
        raise OpmlError("The file is empty.")
    if "\x00" in text:
        raise OpmlError("This is not an OPML file: it looks like a binary file, not text.")
    _sniff(text)

    repaired = False
    try:
        root = _defused_fromstring(data)
    except OpmlError:
        raise
    except (ET.ParseError, LookupError, ValueError):
        # ValueError and LookupError: expat refusing the declared encoding; the repair reads the decoded text.
        root = _parse_repaired(text)
        repaired = True

    if _local_name(root.tag) != "opml":
        raise OpmlError(
            f"This is not an OPML file: its root element is <{_local_name(root.tag)}>, not <opml>."
        )
    document = _read_document(root)
    document.repaired = repaired
    if not document.feeds:
        raise OpmlError("No feeds were found in this OPML file (no outline has an http(s) xmlUrl).")
    return document


def _defused_fromstring(source: bytes | str) -> ET.Element:
    try:
        return DET.fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:
        raise OpmlError("OPML files with a DOCTYPE are not accepted, for safety.") from exc
    except defusedxml.EntitiesForbidden as exc:
        raise OpmlError("OPML files that declare entities are not accepted, for safety.") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise OpmlError("OPML files that refer to external resources are not accepted, for safety.") from exc


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,300}\?>")


def _decode(data: bytes) -> str:
    """Text for sniffing and repair; the strict parse still gets the bytes and its own decoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    match = _DECLARED_ENCODING.match(data)
    declared = [match.group(1).decode("ascii")] if match else []
    # Files that claim UTF-8 but are really Windows-1252 are common; Latin-1 reads any byte at all.
    for encoding in [*declared, "utf-8", "cp1252", "latin-1"]:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeError, ValueError):
            # Unknown names, and codecs that are not text encodings at all ("rot13", "zlib").
            continue
    raise AssertionError("latin-1 decodes any byte string")


_FEED_ROOTS = {"rss", "feed", "rdf", "rdf:rdf", "channel"}


def _sniff(text: str) -> None:
    """Recognise the usual wrong files (web page, feed, DTD) from the prolog, before parsing anything."""
    text = text.lstrip("\ufeff")
    pos, end = 0, min(len(text), 65_536)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            close = text.find("?>", pos, end)
        elif text.startswith("<!--", pos):
            close = text.find("-->", pos, end)
        elif text.startswith("<!", pos):
            declaration = text[pos : pos + 200].lower()
            if declaration.startswith("<!doctype") and re.match(r"<!doctype\s+html\b", declaration):
                raise OpmlError("This is a web page (HTML), not an OPML file.")
            if "<!entity" in text.lower():
                raise OpmlError("OPML files that declare entities are not accepted, for safety.")
            raise OpmlError("OPML files with a DOCTYPE are not accepted, for safety.")
        else:
            break
        if close == -1:
            break
        pos = close + 2
    match = re.compile(r"<([A-Za-z_][\w:.-]{0,50})").match(text, pos)
    if not match:
        raise OpmlError("This is not an OPML file: it is not XML.")
    name = match.group(1).lower()
    if name == "html":
        raise OpmlError("This is a web page (HTML), not an OPML file.")
    if name in _FEED_ROOTS:
        raise OpmlError("This is a feed, not an OPML file: subscribe to its address instead of importing it.")
    if name != "opml" and not name.endswith(":opml"):
        raise OpmlError(f"This is not an OPML file: its root element is <{match.group(1)}>, not <opml>.")
    # The prolog may be fine while a DOCTYPE hides further in: refuse it as well, the parser would anyway.
    if re.search(r"<!DOCTYPE", text, re.IGNORECASE):
        raise OpmlError("OPML files with a DOCTYPE are not accepted, for safety.")


# --- Repair of not-well-formed files ------------------------------------------------------------------------

_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_REFERENCE = re.compile(r"&(#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|[A-Za-z][A-Za-z0-9]{0,31};)?")
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _is_xml_char(codepoint: int) -> bool:
    return (
        codepoint in (0x9, 0xA, 0xD)
        or 0x20 <= codepoint <= 0xD7FF
        or 0xE000 <= codepoint <= 0xFFFD
        or 0x10000 <= codepoint <= 0x10FFFF
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _repair_reference(match: re.Match[str]) -> str:
    reference = match.group(1)
    if reference is None:
        return "&amp;"
    if reference.startswith("#"):
        digits = reference[1:-1]
        codepoint = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
        return match.group(0) if _is_xml_char(codepoint) else ""
    if reference[:-1] in _XML_ENTITIES:
        return match.group(0)
    # An HTML entity such as &eacute; is undefined in XML: write the character itself, never an entity.
    character = html.entities.html5.get(reference)
    return _escape(character) if character is not None else "&amp;" + reference


def _repair_references(text: str) -> str:
    return _REFERENCE.sub(_repair_reference, _NOT_XML_CHARS.sub("", text))


_OUTLINE_BOUNDARY = re.compile(r"<outline\b|</outline\s*>|</body\s*>|</opml\s*>", re.IGNORECASE)
_ATTRIBUTE_NAMES = (
    "text|title|description|type|xmlurl|htmlurl|url|category|language|version|created|iscomment|"
    "isbreakpoint|id|name|rssurl|link|icon|[A-Za-z_][\\w.-]*:[A-Za-z_][\\w.-]*"
)
# A quote closes a value only where the next attribute or the end of the tag follows it, so that raw quotes
# and <a href="..."> inside a description stay in the value. Possessive quantifiers keep this linear.
_VALUE_END = {
    quote: re.compile(
        quote + rf"(?=\s++(?:{_ATTRIBUTE_NAMES})\s*+=\s*+[\"']|\s*+(?:/\s*+)?\Z)",
        re.IGNORECASE,
    )
    for quote in ('"', "'")
}
_ATTRIBUTE_START = re.compile(r"\s*+([^\s=/>\"']{1,100})\s*+(=\s*+)?")


def _unescape_value(value: str) -> str:
    # _repair_references already ran: what remains are the five XML entities and valid character references.
    return html.unescape(value) if "&" in value else value


def _rebuild_outline_tag(name: str, inner: str) -> str:
    """Re-serialise the attributes of one <outline ...> tag whose quoting is broken."""
    self_closing = inner.rstrip().endswith("/")
    inner = inner.rstrip().removesuffix("/") if self_closing else inner
    attributes: dict[str, str] = {}
    pos = 0
    while pos < len(inner):
        match = _ATTRIBUTE_START.match(inner, pos)
        if not match or not match.group(1):
            break
        attribute, has_value = match.group(1), match.group(2)
        pos = match.end()
        if not has_value:
            continue
        if pos < len(inner) and inner[pos] in "\"'":
            quote = inner[pos]
            close = _VALUE_END[quote].search(inner, pos + 1)
            last_quote = inner.rfind(quote)
            value_end = close.start() if close else (last_quote if last_quote > pos else len(inner))
            value = inner[pos + 1 : value_end]
            pos = value_end + 1
        else:
            unquoted = re.compile(r"[^\s>]*").match(inner, pos)
            value = unquoted.group(0) if unquoted else ""
            pos += len(value)
        if re.fullmatch(r"[A-Za-z_][\w.-]*", attribute):
            attributes.setdefault(attribute, _unescape_value(value))
    rebuilt = "".join(f' {key}="{_escape(value)}"' for key, value in attributes.items())
    return f"<{name}{rebuilt}{' /' if self_closing else ''}>"


def _rebuild_outline_tags(text: str) -> str:
    boundaries = list(_OUTLINE_BOUNDARY.finditer(text))
    parts: list[str] = []
    pos = 0
    for index, boundary in enumerate(boundaries):
        if boundary.group(0).startswith("</"):
            continue
        segment_end = boundaries[index + 1].start() if index + 1 < len(boundaries) else len(text)
        tag_end = text.rfind(">", boundary.end(), segment_end)
        if tag_end == -1:
            continue
        parts.append(text[pos : boundary.start()])
        parts.append(_rebuild_outline_tag(boundary.group(0)[1:], text[boundary.end() : tag_end]))
        pos = tag_end + 1
    parts.append(text[pos:])
    return "".join(parts)


def _parse_repaired(text: str) -> ET.Element:
    text = _XML_DECLARATION.sub("", text, count=1).lstrip("\ufeff")
    text = _repair_references(text)
    try:
        return _defused_fromstring(text)
    except ET.ParseError:
        pass
    try:
        return _defused_fromstring(_rebuild_outline_tags(text))
    except ET.ParseError as exc:
        line, column = exc.position
        raise OpmlError(
            f"This file is not valid OPML and could not be repaired (XML error at line {line}, column {column})."
        ) from exc


# --- From the element tree to feeds -------------------------------------------------------------------------


def _local_name(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _clean(value: str | None, limit: int) -> str:
    if not value:
        return ""
    return " ".join(_NOT_XML_CHARS.sub("", value).split())[:limit]


def _http_url(value: str | None) -> str | None:
    """The URL if it is an acceptable http(s) address, else None."""
    url = (value or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 0x20 for c in url):
        return None
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not hostname:
        return None
    return url


def _category_folder(category: str | None) -> str:
    """OPML 2.0 category attribute: comma-separated, slash-delimited paths; the first one names the folder."""
    first = (category or "").split(",", 1)[0]
    return _clean(FOLDER_SEPARATOR.join(p.strip() for p in first.split("/") if p.strip()), MAX_FOLDER_LENGTH)


def _outline_children(element: ET.Element) -> Iterator[ET.Element]:
    return (child for child in element if _local_name(child.tag) == "outline")


def _read_document(root: ET.Element) -> OpmlDocument:
    head = next((c for c in root if _local_name(c.tag) == "head"), None)
    title_element = (
        next((c for c in head if _local_name(c.tag) == "title"), None) if head is not None else None
    )
    title = _clean(title_element.text if title_element is not None else "", MAX_TITLE_LENGTH)
    body = next((c for c in root if _local_name(c.tag) == "body"), root)

    document = OpmlDocument(title=title)
    seen: set[str] = set()
    # Iterative walk in document order: a hostile file may nest outlines far deeper than Python's stack.
    stack: list[tuple[Iterator[ET.Element], str]] = [(_outline_children(body), "")]
    while stack:
        outline = next(stack[-1][0], None)
        if outline is None:
            stack.pop()
            continue
        folder = stack[-1][1]
        attributes = {_local_name(k): v for k, v in outline.attrib.items() if not k.startswith("{")}
        kind = attributes.get("type", "").strip().lower()
        url_value = attributes.get("xmlurl") or attributes.get("rssurl")
        if not url_value and kind not in ("include", "link"):
            url_value = attributes.get("url")
        name = _clean(attributes.get("title") or attributes.get("text"), MAX_TITLE_LENGTH)

        if url_value and url_value.strip():
            url = _http_url(url_value)
            if url is None:
                document.skipped += 1
            elif url in seen:
                document.duplicates += 1
            else:
                seen.add(url)
                if len(seen) > MAX_OPML_FEEDS:
                    raise OpmlError(
                        f"The file lists more than {MAX_OPML_FEEDS:,} feeds; split it into smaller files."
                    )
                document.feeds.append(
                    OpmlFeed(
                        title=name,
                        xml_url=url,
                        html_url=_http_url(attributes.get("htmlurl")) or "",
                        folder=folder or _category_folder(attributes.get("category")),
                        description=_clean(attributes.get("description"), MAX_DESCRIPTION_LENGTH),
                    )
                )
        if len(outline):
            folder_name = _clean(attributes.get("text") or attributes.get("title"), MAX_FOLDER_LENGTH)
            child_folder = folder
            if folder_name and not url_value:
                child_folder = (folder + FOLDER_SEPARATOR + folder_name if folder else folder_name)[
                    :MAX_FOLDER_LENGTH
                ]
            stack.append((_outline_children(outline), child_folder))
    return document


# --- Writing ------------------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return _NOT_XML_CHARS.sub("", value)


def export_opml(title: str, feeds: Iterable[OpmlFeed]) -> bytes:
    """OPML 2.0, UTF-8: feeds without a folder first, then one outline per folder, in first-seen order."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    body = ET.SubElement(root, "body")

    unfiled: list[OpmlFeed] = []
    by_folder: dict[str, list[OpmlFeed]] = {}
    for feed in feeds:
        if feed.folder:
            by_folder.setdefault(feed.folder, []).append(feed)
        else:
            unfiled.append(feed)

    def add(parent: ET.Element, feed: OpmlFeed) -> None:
        attributes = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.xml_url}
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        if feed.description:
            attributes["description"] = feed.description
        ET.SubElement(parent, "outline", {k: _xml_text(v) for k, v in attributes.items()})

    for feed in unfiled:
        add(body, feed)
    for folder, folder_feeds in by_folder.items():
        folder_element = ET.SubElement(body, "outline", text=_xml_text(folder), title=_xml_text(folder))
        for feed in folder_feeds:
            add(folder_element, feed)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
