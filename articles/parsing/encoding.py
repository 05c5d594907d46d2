"""Bytes to text: byte-order marks, HTTP charset, XML declaration, UTF-8, and a guess when all else fails."""

import codecs
import re

import charset_normalizer

# Encoding detection reads this much; a wrong guess on a huge document is no better for reading more.
DETECTION_BYTES = 64 * 1024

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
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]{1,40})""", re.IGNORECASE)
_LATIN1_FAMILY = frozenset({"iso8859-1", "latin-1", "ascii", "cp1252"})
_WIDE_FAMILY = ("utf-16", "utf-32")


def bom_encoding(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return ""


def wide_encoding(data: bytes) -> str:
    for pattern, encoding in _WIDE_PATTERNS:
        if data.startswith(pattern):
            return encoding
    # UTF-16 without a BOM that starts with whitespace: every other byte of ASCII text is zero.
    sample = data[:64]
    if len(sample) >= 8:
        odd, even = sample[1::2], sample[0::2]
        if not odd.strip(b"\x00") and even.strip(b"\x00") == even:
            return "utf-16-le"
        if not even.strip(b"\x00") and odd.strip(b"\x00") == odd:
            return "utf-16-be"
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
    bom = bom_encoding(content)
    if bom:
        return _decode_forced(content, bom, "byte-order mark", notes)
    wide = wide_encoding(content)
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
