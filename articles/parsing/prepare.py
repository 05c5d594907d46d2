"""Everything done to the bytes before a parser sees them: sniffing, decoding, DTD neutralisation.

An XML document leaves here as UTF-8 with a UTF-8 declaration and no DOCTYPE, so feedparser's own
encoding guesswork is a no-op and neither expat nor feedparser's loose parser ever sees an entity
declaration (billion laughs, quadratic blow-up, external entities naming files or URLs).
"""

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

from .errors import FeedParseError

MAX_FEED_BYTES = 32 * 1024 * 1024
# Encoding detection reads this much; a wrong guess on a huge document is no better for reading more.
DETECTION_BYTES = 64 * 1024

FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})

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

# Byte patterns of "<" or "<?" in the wide encodings, for documents without a byte-order mark
# (XML 1.0 appendix F).
_WIDE_PATTERNS = (
    (b"\x00\x00\x00\x3c", "utf-32-be"),
    (b"\x3c\x00\x00\x00", "utf-32-le"),
    (b"\x00\x3c\x00\x3f", "utf-16-be"),
    (b"\x3c\x00\x3f\x00", "utf-16-le"),
    (b"\x00\x3c", "utf-16-be"),
    (b"\x3c\x00", "utf-16-le"),
)
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_XML_DECL_ENCODING = re.compile(
    rb"""\A\s*<\?xml[^>]{0,200}?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})["']""", re.IGNORECASE
)
_XML_DECL = re.compile(r"\A<\?xml\b[^>]{0,500}?\?>", re.IGNORECASE)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]{1,40})""", re.IGNORECASE)
# XML 1.0 forbids these; expat stops at the first one, losing the rest of the feed to the slower,
# weaker loose parser. They carry no meaning, so they go.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_.:]{0,200}")
_ELEMENT_START = re.compile(r"<[A-Za-z_]")
_LATIN1_FAMILY = frozenset({"iso8859-1", "latin-1", "ascii", "cp1252"})
_WIDE_FAMILY = ("utf-16", "utf-32")
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
    if first in ("{", "["):
        return "json"
    if first != "<" and content_type and "json" in content_type.lower():
        return "json"
    if first is None:
        raise FeedParseError("The response is binary data, not a feed.")
    return "xml"


def _first_significant_char(content: bytes) -> str | None:
    """The first non-blank character, reading through a BOM or a wide encoding; None for binary."""
    head = content[:4096]
    encoding = _bom_encoding(head) or _wide_encoding(head)
    if encoding:
        text = head.decode(encoding, "ignore")
    else:
        if head.count(b"\x00") > len(head) // 100 + 2:
            return None
        text = head.decode("latin-1")
    text = text.lstrip("\ufeff \t\r\n")
    return text[:1] or ""


def _bom_encoding(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return ""


def _wide_encoding(data: bytes) -> str:
    for pattern, encoding in _WIDE_PATTERNS:
        if data.startswith(pattern):
            return encoding
    return ""


def _codec(name: str) -> str:
    """Python's canonical codec name, or "" when unknown. gb2312 reads as its superset gb18030."""
    try:
        canonical = codecs.lookup(name).name
    except (LookupError, ValueError):
        return ""
    return "gb18030" if canonical == "gb2312" else canonical


def charset_from_content_type(content_type: str | None) -> str:
    if not content_type:
        return ""
    match = _CHARSET_PARAM.search(content_type)
    return match.group(1) if match else ""


def decode_document(content: bytes, content_type: str | None) -> tuple[str, str, list[str]]:
    """Text, the encoding used, and notes on anything that went against what the document said.

    Order (RFC 7303, as browsers do it): a byte-order mark wins; then the charset of the HTTP
    Content-Type; then the XML declaration; then UTF-8. A Latin-1 charset from HTTP (a server default
    more often than a statement) loses to a UTF-8 declaration when the bytes are valid UTF-8.

    Bytes that are not valid in the chosen encoding: a document said or presumed to be UTF-8 that is
    mostly UTF-8 keeps it, and its stray bytes are read as windows-1252 (the usual culprit: text
    pasted from another system). A document that states nothing and is mostly not UTF-8 gets a
    statistical guess, which is right for the legacy CJK and Cyrillic encodings.
    """
    notes: list[str] = []
    bom = _bom_encoding(content)
    if bom:
        return _decode_forced(content, bom, "byte-order mark", notes)
    wide = _wide_encoding(content)
    if wide:
        return _decode_forced(content, wide, "byte pattern", notes)

    http_charset = charset_from_content_type(content_type)
    declared_match = _XML_DECL_ENCODING.match(content[:512])
    declared = declared_match.group(1).decode("ascii") if declared_match else ""

    stated: list[tuple[str, str]] = []  # (codec, where it came from)
    for name, source in ((http_charset, "HTTP Content-Type"), (declared, "XML declaration")):
        if not name:
            continue
        codec = _codec(name)
        if not codec or codec.startswith(_WIDE_FAMILY):
            notes.append(f"ignored unusable encoding {name!r} from the {source}")
            continue
        stated.append((codec, source))
    if len(stated) == 2 and stated[0][0] in _LATIN1_FAMILY and stated[1][0] == "utf-8":
        stated.reverse()

    for codec, _source in stated:
        try:
            text = content.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if codec != stated[0][0]:
            notes.append(f"declared as {stated[0][0]} in the {stated[0][1]} but read as {codec}")
        return text, codec, notes
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if stated:
            notes.append(f"declared as {stated[0][0]} in the {stated[0][1]} but read as utf-8")
        return text, "utf-8", notes

    said_utf8 = any(codec == "utf-8" for codec, _ in stated)
    if said_utf8 or _mostly_utf8(content):
        notes.append("invalid UTF-8 bytes read as windows-1252")
        return content.decode("utf-8", _CP1252_FALLBACK), "utf-8", notes
    guess = _guess_encoding(content)
    if guess:
        try:
            text = content.decode(guess)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if stated:
                notes.append(f"declared as {stated[0][0]} in the {stated[0][1]} but read as {guess}")
            else:
                notes.append(f"no encoding declared; detected {guess}")
            return text, guess, notes
    notes.append("character encoding unknown; invalid bytes read as windows-1252")
    return content.decode("utf-8", _CP1252_FALLBACK), "utf-8", notes


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    return chunk.decode("cp1252", "ignore") or chunk.decode("latin-1"), error.end


_CP1252_FALLBACK = "newsreader-cp1252-fallback"
codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_utf8(content: bytes) -> bool:
    """More of the non-ASCII bytes belong to valid UTF-8 sequences than not."""
    sample = content[:DETECTION_BYTES]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(sample))
    return in_sequences * 2 > high


def _decode_forced(content: bytes, codec: str, source: str, notes: list[str]) -> tuple[str, str, list[str]]:
    try:
        return content.decode(codec), codec, notes
    except UnicodeDecodeError:
        notes.append(f"invalid {codec} (from the {source}); undecodable bytes replaced")
        return content.decode(codec, "replace"), codec, notes


def _guess_encoding(content: bytes) -> str:
    try:
        best = charset_normalizer.from_bytes(content[:DETECTION_BYTES]).best()
    except Exception:  # a detector failing on hostile bytes is not a reason to fail the feed
        return ""
    return _codec(best.encoding) if best is not None else ""


def prepare_xml(content: bytes, content_type: str | None) -> PreparedXML:
    text, encoding, notes = decode_document(content, content_type)
    text = text.lstrip("\ufeff \t\r\n")
    text, removed = _FORBIDDEN_CHARS.subn("", text)
    if removed:
        notes.append(f"removed {removed} character(s) that XML does not allow")
    text = _XML_DECL.sub("", text, count=1)
    text, doctypes, root = neutralise_prolog(text)
    if root in ("html", "head", "body") or (
        not root and re.match(r"\s*<!doctype\s+html", " ".join(doctypes), re.I)
    ):
        raise FeedParseError("This is an HTML web page, not a feed. Look for the page's feed link.")
    if root == "opml":
        raise FeedParseError("This is an OPML subscription list, not a feed. Import it instead.")
    if not root and "<" not in text:
        raise FeedParseError("The response is plain text, not a feed.")
    netscape = any("netscape" in d.lower() for d in doctypes)
    data = (_UTF8_DECL + text).encode("utf-8", "replace")
    return PreparedXML(data=data, encoding=encoding, root=root, netscape_doctype=netscape, notes=notes)


def neutralise_prolog(text: str) -> tuple[str, list[str], str]:
    """Remove every DOCTYPE and stray markup declaration before the root element.

    Returns the text, the removed DOCTYPEs (for format detection only), and the root element's local
    name in lower case ("" if none was found). Declarations are only legal in the prolog, so nothing
    after the root is touched: a DOCTYPE quoted in an article's CDATA stays as it is. A declaration
    misplaced after the root makes expat fail, and feedparser's loose parser that takes over never
    defines entities from the document.
    """
    kept: list[str] = []
    doctypes: list[str] = []
    i = 0
    n = len(text)
    root = ""
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            kept.append(text[i:])
            i = n
            break
        kept.append(text[i:lt])
        i = lt
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            end = n if end < 0 else end + 2
            kept.append(text[i:end])
            i = end
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            end = n if end < 0 else end + 3
            kept.append(text[i:end])
            i = end
        elif text.startswith("<!", i):
            # DOCTYPE, or ENTITY/ELEMENT/ATTLIST/NOTATION outside any DOCTYPE: all dropped.
            end = _declaration_end(text, i + 2)
            if text[i + 2 : i + 9].upper() == "DOCTYPE":
                doctypes.append(text[i : min(end, i + 500)])
            i = end
        else:
            name = _NAME.match(text, i + 1)
            if name:
                root = name.group(0).rsplit(":", 1)[-1].lower()
                break
            kept.append("<")
            i += 1
    kept.append(text[i:])
    return "".join(kept), doctypes, root


def _declaration_end(text: str, i: int) -> int:
    """Index just past a markup declaration that starts before i, internal subset included.

    Quoted strings and comments are skipped whole. If the declaration never ends, it ends before the
    next thing that looks like an element, so a broken DOCTYPE can't swallow the feed.
    """
    n = len(text)
    depth = 0
    next_element = -2  # not looked for yet; the answer only moves forward, so it is searched once or so
    while i < n:
        ch = text[i]
        if ch in "\"'":
            close = text.find(ch, i + 1)
            if next_element == -2 or 0 <= next_element < i:
                found = _ELEMENT_START.search(text, i + 1)
                next_element = found.start() if found else -1
            if close < 0:
                return next_element if next_element >= 0 else n
            if 0 <= next_element < close and text.find("\n", i, next_element) >= 0:
                # An unclosed quote runs over lines into the document: stop the declaration there.
                return next_element
            i = close + 1
        elif text.startswith("<!--", i):
            close = text.find("-->", i + 4)
            if close < 0:
                return n
            i = close + 3
        elif ch == "[":
            depth += 1
            i += 1
        elif ch == "]":
            depth = max(0, depth - 1)
            i += 1
        elif ch == ">" and depth == 0:
            return i + 1
        elif ch == "<" and _NAME.match(text, i + 1):
            return i  # an element: the declaration was never closed
        else:
            i += 1
    return n
