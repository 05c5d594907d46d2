"""Everything done to the bytes before a parser sees them: sniffing, decoding, DTD neutralisation.

An XML document leaves here as UTF-8 with a UTF-8 declaration and no DOCTYPE, so feedparser's own
encoding guesswork is a no-op and no parser ever sees an entity declaration (see prolog.py).
"""

import re
from dataclasses import dataclass, field

from .encoding import bom_encoding, decode_document, wide_encoding
from .errors import FeedParseError
from .prolog import cap_markup, neutralise_prolog, skip_to_feed_root

MAX_FEED_BYTES = 32 * 1024 * 1024

FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
HTML_ROOTS = frozenset({"html", "head", "body"})

_BINARY_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"RIFF", "a media file"),
    (b"OggS", "a media file"),
    (b"ID3", "an audio file"),
    (b"\x00\x00\x00\x18ftyp", "a media file"),
    (b"\x00\x00\x00\x20ftyp", "a media file"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)
_C0_CONTROLS = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0D}))
_XML_DECL = re.compile(r"\A<\?xml\b[^>]{0,500}?\?>", re.IGNORECASE)
# XML 1.0 forbids these; expat stops at the first one, losing the rest of the feed to the slower,
# weaker loose parser. They carry no meaning, so they go.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UTF8_DECL = '<?xml version="1.0" encoding="utf-8"?>\n'


@dataclass
class PreparedXML:
    data: bytes
    encoding: str
    root: str
    netscape_doctype: bool = False
    notes: list[str] = field(default_factory=list)


def check_size_and_kind(content: bytes, content_type: str | None) -> str:
    """'xml' or 'json'; FeedParseError for what is plainly not a feed."""
    if len(content) > MAX_FEED_BYTES:
        raise FeedParseError(f"The feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MiB.")
    head = content[:1024]
    if not head.strip():
        raise FeedParseError("The response was empty: there is no feed here.")
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise FeedParseError(f"The response is {what}, not a feed.")
    first = _first_significant_char(content)
    if first is None:
        raise FeedParseError("The response is binary data, not a feed.")
    if first in ("{", "["):
        return "json"
    if first != "<" and content_type and "json" in content_type.lower():
        return "json"
    return "xml"


def _first_significant_char(content: bytes) -> str | None:
    """The first non-blank character, reading through a BOM or a wide encoding; None for binary."""
    head = content[:4096]
    encoding = bom_encoding(head) or wide_encoding(head)
    if encoding:
        text = head.decode(encoding, "ignore")
    else:
        # Text has no C0 controls besides tab and newlines; a few strays are salvageable, many are not.
        controls = len(head) - len(head.translate(None, _C0_CONTROLS))
        if controls > len(head) // 100 + 2:
            return None
        text = head.decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n")
    return text[:1] or ""


def prepare_xml(content: bytes, content_type: str | None) -> PreparedXML:
    text, encoding, notes = decode_document(content, content_type)
    text = text.lstrip("\ufeff \t\r\n")
    text, removed = _FORBIDDEN_CHARS.subn("", text)
    if removed:
        notes.append(f"removed {removed} character(s) that XML does not allow")
    text = _XML_DECL.sub("", text, count=1)
    prolog = neutralise_prolog(text)

    if prolog.root not in FEED_ROOTS and prolog.root not in HTML_ROOTS:
        # Junk before the feed, typically a PHP warning printed ahead of the XML: skip it.
        rest = skip_to_feed_root(prolog.text)
        if rest is not None:
            notes.append(f"ignored {len(prolog.text) - len(rest)} characters before the feed's root element")
            prolog = neutralise_prolog(rest)

    if prolog.root in HTML_ROOTS or (
        not prolog.root_name and any(d[9:].strip().lower().startswith("html") for d in prolog.doctypes)
    ):
        raise FeedParseError("This is an HTML web page, not a feed. Look for the page's feed link.")
    if prolog.root == "opml":
        raise FeedParseError("This is an OPML subscription list, not a feed. Import it instead.")
    if not prolog.root_name and "<" not in prolog.text:
        raise FeedParseError("The response is plain text, not a feed.")

    text, cut_because = cap_markup(prolog)
    if cut_because:
        notes.append(f"read only the start of the feed: it has {cut_because}")
    netscape = any("netscape" in d.lower() for d in prolog.doctypes)
    data = (_UTF8_DECL + text).encode("utf-8", "replace")
    return PreparedXML(data=data, encoding=encoding, root=prolog.root, netscape_doctype=netscape, notes=notes)
