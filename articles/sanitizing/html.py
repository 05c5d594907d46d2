"""The allow-list HTML cleaner every stored article body goes through (feed content and extracted pages).

One nh3 (ammonia/html5ever) pass does the parsing, the allow-list and the serialisation; an attribute filter
written here checks and rewrites every URL on the way (nh3's own scheme check does not cover srcset or
cite, and runs before the filter, so the filter is the authority). Three small string passes follow on
nh3's output, whose shape is fixed (`<`, `>` and `"` are always escaped inside attribute values, so a
`<img` in it can only be a tag):
- links open in a new tab, without referrer or opener, and without lending the page's rank;
- h1 becomes h2 (the reader page owns the h1);
- images left without a source, 1x1 (or smaller) images and counter images are dropped, and the others
  get loading="lazy" decoding="async";
- paragraphs and headings holding nothing but whitespace or line breaks are dropped.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable

import nh3

from articles.sanitizing.urls import clean_url, image_host_is_tracker, rewrite_srcset, strip_tracking_params

ALLOWED_TAGS = frozenset(
    {
        # text blocks; "h1" is let through nh3 only to be renamed h2 afterwards
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "br",
        "wbr",
        # neutral block containers: stripping them would glue the texts on either side together
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        # lists
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        # inline
        "a",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "s",
        "del",
        "ins",
        "sub",
        "sup",
        "small",
        "mark",
        "code",
        "kbd",
        "samp",
        "var",
        "abbr",
        "cite",
        "q",
        "time",
        # media
        "img",
        "figure",
        "figcaption",
        "picture",
        "source",
        # tables
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "details",
        "summary",
    }
)

# Dropped together with everything inside them: code, foreign content, embedded documents, form controls,
# and elements whose content the parser keeps as raw text (which would otherwise surface as escaped markup).
REMOVED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "frame",
        "frameset",
        "noframes",
        "object",
        "applet",
        "embed",
        "noembed",
        "svg",
        "math",
        "canvas",
        "video",
        "audio",
        "button",
        "select",
        "textarea",
        "title",
        "xmp",
        "plaintext",
    }
)

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    # ammonia's defaults for every element, spelled out so that the whole allow-list is in this file
    "*": {"title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height"},
    "source": {"srcset", "sizes", "media", "type"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "time": {"datetime"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}

# Written by the string passes rather than by nh3 (link_rel, set_tag_attribute_values), whose order of
# attributes changes from one Cleaner to the next: the output must be the same string every time.
LINK_ATTRIBUTES = ' target="_blank" rel="noopener noreferrer nofollow"'
IMAGE_ATTRIBUTES = ' loading="lazy" decoding="async"'


_NUMBER_ATTRIBUTES = frozenset({"width", "height", "colspan", "rowspan", "start", "value"})
_NUMBER = re.compile(r"\s*(\d{1,5})(?:\.\d*)?\s*(?:px)?\s*")
_IMG_TAG = re.compile(r"<img\b[^>]*>")
# nh3 writes every attribute as name="value", so a left-to-right scan never starts inside a value
_IMG_ATTR = re.compile(r'\s([^\s="]+)(?:="([^"]*)")?')
_EMPTY_BLOCK = re.compile(r"<(p|h[2-6])>(?:\s|&nbsp;|<br>)*</\1>")
_MAX_PASSES = 3


def _filter_attribute(tag: str, name: str, value: str, *, base_url: str) -> str | None:
    if name == "href":
        url = clean_url(value, base_url=base_url, allow_mailto=True)
        return strip_tracking_params(url) if url is not None else None
    if name == "src":
        url = clean_url(value, base_url=base_url)
        if url is None or image_host_is_tracker(url):
            return None
        return url
    if name == "srcset":
        return rewrite_srcset(value, base_url=base_url)
    if name == "cite":
        return clean_url(value, base_url=base_url)
    if name in _NUMBER_ATTRIBUTES:
        match = _NUMBER.fullmatch(value)
        return match.group(1) if match else None
    if name == "type" and tag == "ol":
        return value if value in ("1", "a", "A", "i", "I") else None
    if name == "dir":
        return value.lower() if value.lower() in ("ltr", "rtl", "auto") else None
    return value


def _image_or_nothing(match: re.Match[str]) -> str:
    tag = match.group(0)
    attrs = dict(_IMG_ATTR.findall(tag))
    if "src" not in attrs and "srcset" not in attrs:
        return ""
    width, height = attrs.get("width"), attrs.get("height")
    if width is not None and height is not None and int(width) <= 1 and int(height) <= 1:
        return ""  # a tracking pixel
    return f"{tag[:-1]}{IMAGE_ATTRIBUTES}>"


def _make_cleaner(attribute_filter: Callable[[str, str, str], str | None] | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel=None,
        url_schemes={"http", "https", "mailto"},
    )


# The base URL of the HTML being cleaned, for the filter: one Cleaner serves every base URL (building one
# costs more than cleaning a story, and every story has a URL of its own). nh3 calls the filter back in
# the thread that called clean(), so a context variable holds the right base for each caller.
_base_url: contextvars.ContextVar[str] = contextvars.ContextVar("sanitize_base_url", default="")


def _filter_in_context(tag: str, name: str, value: str) -> str | None:
    return _filter_attribute(tag, name, value, base_url=_base_url.get())


_cleaner = _make_cleaner(_filter_in_context)


# For the passes after the first. Every attribute value in a first pass's output has been through
# _filter_attribute, which gives back what it is given the second time (absolute http(s) URLs, bare
# numbers, known keywords); re-parsing moves or drops elements but never makes a new value. So the
# filter would change nothing, and calling it into Python for every attribute again is skipped.
_settled_cleaner = _make_cleaner(None)


def _clean_once(html: str, base_url: str, *, settled: bool = False) -> str:
    if settled:
        out = _settled_cleaner.clean(html)
    else:
        token = _base_url.set(base_url)
        try:
            out = _cleaner.clean(html)
        finally:
            _base_url.reset(token)
    if "<a" in out:
        out = out.replace("<a ", f"<a{LINK_ATTRIBUTES} ").replace("<a>", f"<a{LINK_ATTRIBUTES}>")
    if "<h1>" in out:
        out = out.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    if "<img" in out:
        out = _IMG_TAG.sub(_image_or_nothing, out)
    if "<p>" in out or "<h" in out:
        out = _EMPTY_BLOCK.sub("", out)
    return out.strip()


def sanitize_html(html: str, *, base_url: str = "") -> str:
    """Clean untrusted HTML down to the reader's allow-list; safe to render as is. Pure; idempotent.

    Relative URLs are made absolute against `base_url` (the page or feed URL) when it is given.
    """
    if not html:
        return ""
    out = _clean_once(html, base_url)
    # Removing a tag can leave a tree the parser would never build ("<h1><form><h1>" leaves nested
    # headings), which parses differently the next time. Clean until the result holds still, so that
    # stored HTML is what any later cleaning or parsing sees; a second pass is almost always the last.
    for _ in range(_MAX_PASSES):
        again = _clean_once(out, base_url, settled=True)
        if again == out:
            break
        out = again
    return out
