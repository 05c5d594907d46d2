"""Properties of sanitize_html for arbitrary input, checked with an independent parser (the stdlib's)."""

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.sanitizing import sanitize_html
from articles.sanitizing.html import ALLOWED_TAGS

URL_ATTRIBUTES = {"href", "src", "cite"}
PIECES = [
    "<script>",
    "</script>",
    "<SCRIPT SRC=//x.example/x.js>",
    "<img src=x onerror=alert(1)>",
    "<img src=",
    "<a href=",
    "<a href='",
    '<a href="',
    "</a>",
    "javascript:alert(1)",
    "jAvAsCrIpT:",
    "java&#x09;script:",
    "&#106;avascript:",
    "javascript&colon;",
    "data:text/html,<script>",
    "vbscript:",
    " onload=alert(1)",
    " ONCLICK='x'",
    "<svg onload=alert(1)>",
    "<math>",
    "<style>@import 'x';</style>",
    "<iframe srcdoc='<script>'>",
    "<form action=javascript:x>",
    "<base href=javascript:/>",
    "<meta http-equiv=refresh content='0;url=javascript:x'>",
    "<p>",
    "</p>",
    "<h1>",
    "<table><tr><td>",
    "<li>",
    "<pre>",
    "<picture><source srcset='javascript:x 1x, /a.png 2x'>",
    "<img srcset='a.png 1x, javascript:x 2x' width=1 height=1>",
    "<blockquote cite='javascript:x'>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<noscript>",
    "<textarea>",
    "<title>",
    "<xmp>",
    "&lt;",
    "&amp;",
    "&nbsp;",
    '"',
    "'",
    ">",
    "<",
    "/",
    "=",
    "`",
    "\x00",
    "\t",
    "\n",
]
html_soup = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map("".join)
base_urls = st.sampled_from(["", "https://news.example.org/a/b.html", "http://x.example/"])


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _url_is_safe(url: str, *, mailto: bool) -> bool:
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url.strip())
    if scheme is None:
        return ":" not in re.split(r"[/?#]", url, maxsplit=1)[0]
    return scheme.group(1).lower() in ({"http", "https", "mailto"} if mailto else {"http", "https"})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=html_soup, base_url=base_urls)
def test_it_never_lets_scripts_handlers_or_unsafe_urls_through(html, base_url):
    out = sanitize_html(html, base_url=base_url)
    assert "<script" not in out.lower()
    collector = _Collector()
    collector.feed(out)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS - {"h1"}, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style"
            if name in URL_ATTRIBUTES:
                assert _url_is_safe(value or "", mailto=(tag == "a" and name == "href")), (tag, name, value)
            if name == "srcset":
                for candidate in (value or "").split(", "):
                    assert _url_is_safe(candidate.split(" ")[0], mailto=False), value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html=html_soup, base_url=base_urls)
def test_it_is_a_fixed_point_when_run_twice(html, base_url):
    once = sanitize_html(html, base_url=base_url)
    assert sanitize_html(once, base_url=base_url) == once
