"""Plain text from article HTML, and the figures derived from it (words, reading time, content hash)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from lxml import etree

# Elements that end a line of text when rendered: they get a paragraph break (or a line break) around them.
_PARAGRAPH_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "main",
        "nav",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "dl",
        "table",
        "figure",
        "details",
        "hr",
        "address",
        "center",
        "form",
        "fieldset",
    }
)
_LINE_TAGS = frozenset({"li", "dt", "dd", "tr", "caption", "figcaption", "summary", "br", "thead", "tbody"})
_CELL_TAGS = frozenset({"td", "th"})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title", "svg", "math"})

# What str.split() takes for whitespace, beyond " \t\n\r\xa0" (which _collapse_spaces replaces one by one).
_OTHER_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) not in " \t\n\r\xa0")
_HAS_OTHER_SPACE = re.compile(f"[{re.escape(_OTHER_SPACES)}]")
_OTHER_SPACE_TO_SPACE = str.maketrans(dict.fromkeys(_OTHER_SPACES, " "))
# Comments and processing instructions are dropped by the parser itself; lxml.html's element classes
# are not needed here and cost a lookup per element.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
# Private-use characters: lxml accepts them in text, str.split() does not take them for whitespace, and
# html_to_text removes any the input carries before it adds its own.
_PARAGRAPH, _LINE = "\ue000", "\ue001"

# A "word" is a run of letters/digits, except in scripts written without spaces (Han, kana), where each
# character counts: about how readers pace themselves, and what makes 230 words a minute hold.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
WORDS_PER_MINUTE = 230


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: blocks separated by a blank line, list items and <br> by a newline,
    other whitespace collapsed to single spaces. Scripts, styles and comments contribute nothing."""
    if not html or not html.strip():
        return ""
    if _PARAGRAPH in html or _LINE in html:
        html = html.replace(_PARAGRAPH, "").replace(_LINE, "")
    try:
        root = etree.fromstring(html, _PARSER)
    except (etree.ParserError, ValueError):
        return ""
    if root is None:
        return ""
    # One walk over the tree gathers the texts with marker characters for the breaks (the tree is not
    # changed: setting an element's text costs lxml a copy and a check of the whole string), and
    # whitespace is collapsed once at the end, as a browser would.
    etree.strip_elements(root, *_SKIPPED_TAGS, with_tail=False)
    parts: list[str] = []
    add = parts.append
    in_pre = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == "pre":
                in_pre += 1
            if tag in _PARAGRAPH_TAGS:
                add(_PARAGRAPH)
            elif tag in _LINE_TAGS:
                if tag != "br":
                    add(_LINE)
            elif tag in _CELL_TAGS:
                add(" ")
            text = element.text
            if text:
                add(text.replace("\n", _LINE) if in_pre else text)
        else:
            if tag == "pre":
                in_pre -= 1
            if tag in _PARAGRAPH_TAGS:
                add(_PARAGRAPH)
            elif tag == "br":
                add(_LINE)
            tail = element.tail
            if tail:
                add(tail.replace("\n", _LINE) if in_pre else tail)
    text = _collapse_spaces("".join(parts))
    for marker in (_PARAGRAPH, _LINE):
        text = text.replace(f" {marker}", marker).replace(f"{marker} ", marker)
    text = text.replace(_PARAGRAPH, "\n\n").replace(_LINE, "\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _collapse_spaces(text: str) -> str:
    """`" ".join(text.split())` (and `re.sub(r"\\s+", " ", text).strip()`: `\\s` is `str.isspace`) without
    making an object of every word or a match of every space: a few C passes over the string."""
    text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ").replace("\xa0", " ")
    if _HAS_OTHER_SPACE.search(text):
        text = text.translate(_OTHER_SPACE_TO_SPACE)
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip(" ")


def word_count(text: str) -> int:
    """Words in plain text (see `_WORD`: a Han or kana character counts as a word)."""
    return len(_WORD.findall(text)) if text else 0


def reading_time_minutes(words: int) -> int:
    """Minutes to read `words` words at ~230 a minute, rounded; at least 1 for any text, 0 for none."""
    if words <= 0:
        return 0
    return max(1, int(words / WORDS_PER_MINUTE + 0.5))


def normalise_text(text: str) -> str:
    """The form two copies of one story share: NFKC, case-folded, whitespace collapsed."""
    return _collapse_spaces(unicodedata.normalize("NFKC", text).casefold())


def content_hash(text: str) -> str:
    """sha256 (hex) of the normalised text, so re-wrapped or re-spaced copies of a story hash the same."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
