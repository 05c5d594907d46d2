"""The part of an XML document before its root element, where DTDs live, and the markup budget.

Entity declarations are only legal inside a DOCTYPE, and a DOCTYPE only before the root element. We
drop every DOCTYPE and stray declaration found there, so neither expat nor feedparser's loose parser
ever sees an entity definition: no billion laughs, no quadratic blow-up, no external entity naming a
file or a URL. Nothing after the root is touched, so a DOCTYPE quoted inside an article's CDATA stays.
A declaration misplaced after the root makes expat fail, and the loose parser that takes over never
defines entities from the document.
"""

import re
from dataclasses import dataclass, field

from .errors import FeedParseError
from .normalise import MAX_ITEMS_READ

# A feed's prolog holds an XML declaration, a stylesheet or two, a comment, perhaps a DOCTYPE.
MAX_PROLOG_CONSTRUCTS = 1_000
# The Netscape RSS 0.91 DOCTYPE is 120 characters; the longest real internal subsets are a few KiB.
MAX_DECLARATION_CHARS = 256 * 1024
# feedparser spends 20-70 microseconds on each tag and entity reference (twice that when expat gives
# up and the loose parser reads everything again). 250,000 is about 20 items' worth of tags per
# item on a 10,000-item feed, and caps the worst case near ten seconds.
MAX_MARKUP_TOKENS = 250_000
# Where a feed is found after junk (PHP warnings, a stray BOM, whitespace) at the start of the body.
ROOT_SEARCH_CHARS = 64 * 1024

_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_.:]{0,200}")
_ELEMENT_START = re.compile(r"<[A-Za-z_]")
_DECLARATION_SPECIALS = re.compile(r"""["'\[\]<>]""")
_FEED_ROOT_START = re.compile(r"<(?:[A-Za-z_][-\w.]*:)?(?:rss|feed|RDF)[\s>/]")
_ITEM_END = re.compile(r"</(?:[A-Za-z_][-\w.]*:)?(?:item|entry)\s*>", re.IGNORECASE)
_MARKUP = re.compile(r"[<&]")


@dataclass
class Prolog:
    text: str
    root_name: str = ""  # qualified name as written, "" when there is no element
    doctypes: list[str] = field(default_factory=list)

    @property
    def root(self) -> str:
        """The root element's local name in lower case."""
        return self.root_name.rsplit(":", 1)[-1].lower()


def neutralise_prolog(text: str) -> Prolog:
    """Remove every DOCTYPE and stray markup declaration before the root element."""
    kept: list[str] = []
    doctypes: list[str] = []
    i = 0
    n = len(text)
    constructs = 0
    while i < n:
        lt = text.find("<", i)
        if lt < 0:
            kept.append(text[i:])
            return Prolog(text="".join(kept), doctypes=doctypes)
        kept.append(text[i:lt])
        i = lt
        name = _NAME.match(text, i + 1)
        if name:
            kept.append(text[i:])
            return Prolog(text="".join(kept), root_name=name.group(0), doctypes=doctypes)
        constructs += 1
        if constructs > MAX_PROLOG_CONSTRUCTS:
            raise FeedParseError("This is not a feed: thousands of declarations and no element.")
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            end = n if end < 0 else end + 2
            kept.append(text[i:end])
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            end = n if end < 0 else end + 3
            kept.append(text[i:end])
        elif text.startswith("<!", i):
            # DOCTYPE, or ENTITY/ELEMENT/ATTLIST/NOTATION outside any DOCTYPE: all dropped.
            end = _declaration_end(text, i + 2)
            if text[i + 2 : i + 9].upper() == "DOCTYPE":
                doctypes.append(text[i : min(end, i + 500)])
        else:
            end = i + 1
            kept.append("<")
        i = end
    return Prolog(text="".join(kept), doctypes=doctypes)


def _declaration_end(text: str, start: int) -> int:
    """Index just past a markup declaration that began before `start`, internal subset included.

    Quoted strings and comments are skipped whole. If the declaration never ends, it ends before the
    next thing that looks like an element, so a broken DOCTYPE can't swallow the feed.
    """
    n = len(text)
    limit = start + MAX_DECLARATION_CHARS
    depth = 0
    next_element = -2  # not looked for yet; it only moves forward, so the search runs about once
    i = start
    while True:
        special = _DECLARATION_SPECIALS.search(text, i)
        if special is None:
            return n
        i = special.start()
        if i > limit:
            raise FeedParseError("This is not a feed: its DOCTYPE declaration is hundreds of KiB long.")
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


def skip_to_feed_root(text: str) -> str | None:
    """The text from the first <rss>, <feed> or <rdf:RDF> near the start, or None if there is none."""
    match = _FEED_ROOT_START.search(text, 0, ROOT_SEARCH_CHARS)
    return text[match.start() :] if match else None


def cap_markup(prolog: Prolog) -> tuple[str, str]:
    """Cut a document with more items, tags or entity references than we will spend time on.

    The cut falls after the last complete item or entry within the budgets, and the root is closed
    again, so the first items (newest, in most feeds) are still read. CDATA sections cost feedparser
    nothing per tag inside them, so they are not counted. Returns the text and why it was cut ("" if
    it was not).
    """
    text = prolog.text
    n = len(text)
    item_ends = _item_ends(text, n)
    cut, reason = n, ""
    if len(item_ends) > MAX_ITEMS_READ:
        cut, reason = item_ends[MAX_ITEMS_READ - 1], f"more than {MAX_ITEMS_READ:,} items"
    if text.count("<", 0, cut) + text.count("&", 0, cut) > MAX_MARKUP_TOKENS:
        over = _markup_budget_end(text, cut)
        if over < cut:
            cut, reason = over, f"more than {MAX_MARKUP_TOKENS:,} tags and entities"
            within = [end for end in item_ends if end <= cut]
            if within:
                cut = within[-1]
    if not reason:
        return text, ""
    return text[:cut] + _closing_tags(prolog), reason


def _item_ends(text: str, n: int) -> list[int]:
    ends: list[int] = []
    for match in _ITEM_END.finditer(text, 0, n):
        ends.append(match.end())
        if len(ends) > MAX_ITEMS_READ:
            break
    return ends


def _markup_budget_end(text: str, end: int) -> int:
    """Where the budget of tags and entity references outside CDATA runs out (`end` if it doesn't)."""
    budget = MAX_MARKUP_TOKENS
    pos = 0
    while pos < end:
        cdata = text.find("<![CDATA[", pos, end)
        segment_end = end if cdata < 0 else cdata
        tokens = text.count("<", pos, segment_end) + text.count("&", pos, segment_end)
        if tokens > budget:
            for match in _MARKUP.finditer(text, pos, segment_end):
                budget -= 1
                if budget < 0:
                    return match.start()
        budget -= tokens + 1
        if cdata < 0:
            return end
        close = text.find("]]>", cdata + 9)
        pos = end if close < 0 else close + 3
    return end


def _closing_tags(prolog: Prolog) -> str:
    if not prolog.root_name:
        return ""
    if prolog.root == "rss":
        return f"</channel></{prolog.root_name}>"
    return f"</{prolog.root_name}>"
