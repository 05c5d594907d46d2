"""The built-in routes of the simulated publishers (listed in tests/publisher_server.py's docstring)."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.publisher_content import (
    BASE_URL_MARK,
    SITES_NEWEST,
    Corpus,
    MiB,
    SiteSpec,
    bomb_body,
    guess_type,
    site_feed,
    site_home,
)

if TYPE_CHECKING:
    from tests.publisher_server import _Handler


class BuiltinRoutes:
    """Mixed into PublisherServer: `/<first segment>/...` is served by `_builtin_<first segment>`."""

    corpus: Corpus
    fixtures_dir: Path
    _lock: threading.Lock
    _sites: dict[str, SiteSpec]

    if TYPE_CHECKING:

        @property
        def base_url(self) -> str: ...  # PublisherServer's

    def _site_spec(self, name: str) -> SiteSpec:
        with self._lock:
            return self._sites.get(name) or SiteSpec(name)

    def _serve_builtin(self, h: _Handler) -> None:
        path = h.url_path
        first, _, rest = path.lstrip("/").partition("/")
        handler = getattr(self, f"_builtin_{first.replace('-', '_')}", None)
        if first and handler is not None:
            handler(h, rest)
        else:
            self._serve_file(h, self.fixtures_dir, path.lstrip("/"), substitute=True)

    def _builtin_status(self, h: _Handler, rest: str) -> None:
        status = int(rest) if rest.isascii() and rest.isdigit() and 100 <= int(rest) <= 999 else 400
        extra = {}
        for header in h.query.get("header", []):
            name, _, value = header.partition(":")
            extra[name.strip()] = value.strip()
        h.send_text(status, f"status {status}\n", extra)

    def _builtin_redirect(self, h: _Handler, rest: str) -> None:
        codes_part, _, count = rest.partition("/")
        codes = [int(c) for c in codes_part.split(",") if c.isascii() and c.isdigit()]
        if count.isascii() and count.isdigit():
            codes = codes[:1] * int(count)
        to = h.arg("to", "/feeds/news.xml")
        if len(codes) > 1:
            location = f"/redirect/{','.join(map(str, codes[1:]))}?to={quote(to, safe='')}"
        else:
            location = to
        if not codes:
            h.send_text(400, "no redirect codes\n")
            return
        h.send_text(codes[0], f"redirect to {location}\n", {"Location": location})

    def _builtin_loop(self, h: _Handler, rest: str) -> None:
        nxt = (int(rest) + 1) % 2 if rest.isascii() and rest.isdigit() else 0
        h.send_text(302, "round and round\n", {"Location": f"/loop/{nxt}"})

    def _builtin_slow(self, h: _Handler, rest: str) -> None:
        size, delay = int(h.arg("bytes", "100")), float(h.arg("delay", "1"))
        headers = {"Content-Type": "application/rss+xml", "Content-Length": str(size)}
        h.stream(200, headers, (b"x" for _ in range(size)), chunked=False, delay=delay)

    def _builtin_slow_headers(self, h: _Handler, rest: str) -> None:
        time.sleep(float(h.arg("delay", "5")))
        h.send_text(200, "finally\n")

    def _builtin_huge(self, h: _Handler, rest: str) -> None:
        size, chunked = int(h.arg("bytes", str(50 * MiB))), h.arg("chunked", "") == "1"
        block = (
            b"<item><title>filler</title><description>" + b"lorem ipsum " * 40 + b"</description></item>\n"
        ) * 128
        headers = {"Content-Type": "application/rss+xml"}
        if not chunked:
            headers["Content-Length"] = str(size)

        def chunks() -> Iterator[bytes]:
            left = size
            while left > 0:
                yield block[: min(left, len(block))]
                left -= len(block)

        h.stream(200, headers, chunks(), chunked=chunked)

    def _builtin_bomb(self, h: _Handler, rest: str) -> None:
        encoding = rest if rest in ("gzip", "deflate", "br") else "gzip"
        body = bomb_body(encoding, int(h.arg("bytes", str(1024 * MiB))))
        h.send(200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": encoding})

    def _builtin_charset(self, h: _Handler, rest: str) -> None:
        body = (
            '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Caf\u00e9 cr\u00e8me</title>'
            f"<link>{self.base_url}/</link><description>charset {html.escape(rest)}</description>"
            "<item><title>Na\u00efve r\u00e9sum\u00e9</title></item></channel></rss>\n"
        ).encode()
        h.send(200, body, {"Content-Type": f"application/rss+xml; charset={rest}"})

    def _builtin_echo(self, h: _Handler, rest: str) -> None:
        body = json.dumps({"method": h.command, "path": h.path, "headers": dict(h.headers.items())}).encode()
        h.send(200, body, {"Content-Type": "application/json"})

    def _builtin_corpus(self, h: _Handler, rest: str) -> None:
        kind, _, name = rest.partition("/")
        if kind == "feeds":
            extra = dict(self.corpus.feed_headers().get(name, {}))
            ctype = next((v for k, v in extra.items() if k.lower() == "content-type"), None)
            extra = {k: v for k, v in extra.items() if k.lower() != "content-type"}
            self._serve_file(h, self.corpus.feeds_dir, name, content_type=ctype, extra=extra)
        elif kind == "articles":
            self._serve_file(h, self.corpus.articles_dir, name)
        else:
            h.send_text(404, "not found\n")

    def _builtin_sites(self, h: _Handler, rest: str) -> None:
        name, _, page = rest.partition("/")
        base = self.base_url
        if not name:
            with self._lock:
                names = sorted(self._sites)
            links = "".join(f'<li><a href="/sites/{n}/">{html.escape(n)}</a></li>' for n in names)
            h.send_document(
                f"<!doctype html><title>Sites</title><ul>{links}</ul>".encode(), "text/html; charset=utf-8"
            )
            return
        spec = self._site_spec(name)
        if page == "":
            h.send_document(
                site_home(self.corpus, base, spec), "text/html; charset=utf-8", last_modified=SITES_NEWEST
            )
        elif page in ("feed.xml", "atom.xml", "feed.json"):
            kind = {"feed.xml": "rss", "atom.xml": "atom", "feed.json": "json"}[page]
            body, ctype = site_feed(self.corpus, base, spec, kind)
            h.send_document(body, ctype, last_modified=SITES_NEWEST)
        elif page.startswith("articles/") and page.endswith(".html"):
            corpus_id = page[len("articles/") : -len(".html")]
            if corpus_id in self.corpus.articles():
                self._serve_file(h, self.corpus.articles_dir, f"{corpus_id}.html")
            else:
                h.send_text(404, "no such article\n")
        else:
            h.send_text(404, "not found\n")

    def _serve_file(
        self,
        h: _Handler,
        root: Path,
        relative: str,
        *,
        substitute: bool = False,
        content_type: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        path = (root / relative).resolve()
        if not relative or not path.is_relative_to(root) or not path.is_file():
            h.send_text(404, "not found\n")
            return
        body = path.read_bytes()
        if substitute:
            body = body.replace(BASE_URL_MARK, self.base_url.encode())
        h.send_document(
            body, content_type or guess_type(path, body), extra=extra, last_modified=path.stat().st_mtime
        )
