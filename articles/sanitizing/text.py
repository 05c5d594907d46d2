"""Plain text from article HTML, and the figures derived from it (words, reading time, content hash)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

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

_SPACES = re.compile(r"\s+")
_HORIZONTAL_SPACES = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")

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
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    # iterwalk does not visit comments, so fold them away first, keeping the text that follows them
    etree.strip_tags(root, etree.Comment, etree.ProcessingInstruction)
    parts: list[str] = []
    pre_depth = 0
    skip_depth = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if skip_depth or tag in _SKIPPED_TAGS:
                skip_depth += 1
                continue
            if tag in _PARAGRAPH_TAGS:
                parts.append("\n\n")
            elif tag in _LINE_TAGS:
                parts.append("\n")
            elif tag in _CELL_TAGS:
                parts.append(" ")
            if tag == "pre":
                pre_depth += 1
            if element.text:
                parts.append(element.text if pre_depth else _SPACES.sub(" ", element.text))
            continue
        if skip_depth:
            skip_depth -= 1
        else:
            if tag == "pre":
                pre_depth -= 1
            if tag in _PARAGRAPH_TAGS:
                parts.append("\n\n")
        if element.tail and element is not root and not skip_depth:
            parts.append(element.tail if pre_depth else _SPACES.sub(" ", element.tail))
    text = _HORIZONTAL_SPACES.sub(" ", "".join(parts))
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


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
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(text: str) -> str:
    """sha256 (hex) of the normalised text, so re-wrapped or re-spaced copies of a story hash the same."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
