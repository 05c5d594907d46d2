"""Simulated publishers on loopback: a pytest plugin, and a server you can run by hand.

In tests (registered in tests/conftest.py), ask for the session-scoped fixture::

    def test_it_follows_a_permanent_redirect(publisher_server):
        url = publisher_server.url("/redirect/301/2?to=/feeds/news.xml")
        ...
        assert publisher_server.requests[-1].headers["User-Agent"].startswith("Mozilla/5.0")

By hand (the demo and the browser tests), from the repository root::

    python -m tests.publisher_server --port 8765 --sites 12 [--manifest sites.json]

A `ThreadingHTTPServer` (HTTP/1.1, keep-alive) on 127.0.0.1, port 0 = any free port, in a daemon thread.
The same routes either way:

``/<path>``                 files under tests/fixtures/ (e.g. /feeds/news.xml). `%%BASE_URL%%` in a file is
                            replaced by the server's base URL, so the fixture feeds link back to the server.
``/corpus/feeds/<file>``    the shared corpus (`<repo>/../shared/corpus`, or $NEWSREADER_SHARED_DIR/corpus),
``/corpus/articles/<file>`` with the corpus's own simulated headers (e.g. a bogus charset) when it has them.
``/sites/<name>/``          a publisher: home page with <link rel="alternate"> to its feeds,
  ``feed.xml``, ``atom.xml``, ``feed.json``   RSS 2.0 / Atom / JSON Feed whose items link to
  ``articles/<corpus id>.html``               real article pages from the corpus (see `site()`).
``/status/<code>``          that status; add headers with ?header=Retry-After:120 (repeatable).
``/redirect/<code>/<n>?to=<path or URL>``  n hops of that code, then `to` (default /feeds/news.xml);
``/redirect/301,302,308?to=...``           one hop per listed code, in order.
``/loop/<k>``               302 to /loop/<k+1 mod 2>, forever.
``/slow?bytes=N&delay=S``   N bytes (default 100), one every S seconds (default 1); ``/slow-headers?delay=S``
                            waits before the status line.
``/huge?bytes=N``           N bytes generated on the fly (default 50 MB); &chunked=1 for chunked encoding
                            without a Content-Length.
``/bomb/<gzip|deflate|br>?bytes=N``  N zero bytes (default 1 GiB) compressed; built once, about 1 MB.
``/charset/<name>``         a small RSS feed sent as `application/rss+xml; charset=<name>` (the body is UTF-8).
``/echo``                   the request's headers as JSON.

Documents (files, corpus, sites) carry an ETag, Last-Modified and Cache-Control: max-age=300, answer
If-None-Match / If-Modified-Since with 304, and are gzip-compressed when the client accepts it
(?encoding=identity|gzip|deflate|br forces one).

Per-test scripted responses win over everything above::

    publisher_server.route("/feed", status=200, body=b"<rss/>", headers={"ETag": '"v1"'}, delay=0.0,
                           chunk_delay=0.0, repeat=True)

`repeat=False` serves a route once; several once-routes on one path are served in order. A route with an
ETag or Last-Modified header answers matching conditional requests with 304. `chunk_delay` sends the body
`chunk_size` bytes (default 1) at a time. Routes are cleared after each test that used the fixture.

`publisher_server.requests` is the log (RecordedRequest: method, path, query, headers with case-insensitive
lookup, client address), cleared before each such test; `.connections` counts accepted TCP connections.

`publisher_server.site(name, n_items=5, format="rss")` returns Site(feed_url, articles) where articles is
[(article_url, corpus_id), ...]; `publisher_server.corpus_expected(corpus_id)` is that page's row of
corpus/articles/expected.jsonl (id, url, text), for scoring extraction end to end. The choice of articles
depends only on the name, so it is the same in every run and outside pytest.

What is served lives in tests/publisher_content.py (corpus, generated sites, bombs) and
tests/publisher_routes.py (the built-in routes); this module is the HTTP server, the fixture and the CLI.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from tests.publisher_content import (
    DEMO_SITE_NAMES,
    FIXTURES_DIR,
    Corpus,
    MiB,
    SiteSpec,
    compress,
    etag_for,
    http_date,
    shared_dir,
    site_items,
)
from tests.publisher_routes import BuiltinRoutes


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive lookup; repeated headers are joined with ", "."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = list(items)
        self._map: dict[str, str] = {}
        for key, value in self._items:
            lower = key.lower()
            self._map[lower] = f"{self._map[lower]}, {value}" if lower in self._map else value

    def __getitem__(self, key: str) -> str:
        return self._map[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: str
    headers: Headers
    client: tuple[str, int]
    at: float

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 1
    repeat: bool = True


class Site(NamedTuple):
    feed_url: str
    articles: list[tuple[str, str]]  # (article URL, corpus id)


# --- HTTP --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "publisher-server/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections end after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle and delayed ACKs add 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        self.rfile.read(min(int(length), MiB) if length.isascii() and length.isdigit() else 0)
        self._dispatch()

    # --- plumbing ------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        self.url_path, self.query = parts.path or "/", parse_qs(parts.query)
        publisher = self.server.publisher
        publisher._record(
            RecordedRequest(
                self.command,
                self.url_path,
                parts.query,
                Headers(self.headers.items()),
                self.client_address[:2],
                time.time(),
            )
        )
        try:
            route = publisher._take_route(self.url_path, self.path)
            if route is not None:
                self._serve_route(route)
            else:
                try:
                    publisher._serve_builtin(self)
                except (ValueError, LookupError) as exc:  # a malformed query such as /huge?bytes=lots
                    self.send_text(400, f"bad request: {exc}\n")
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up; nothing to tell it

    def arg(self, name: str, default: str) -> str:
        return self.query.get(name, [default])[-1]

    def _head(self, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        items = list(headers.items() if isinstance(headers, Mapping) else headers)
        names = {key.lower() for key, _ in items}
        self.send_response_only(status)
        if "server" not in names:
            self.send_header("Server", self.version_string())
        if "date" not in names:  # a scripted Date wins, for tests of Expires
            self.send_header("Date", self.date_time_string())
        for key, value in items:
            self.send_header(key, value)
        self.end_headers()

    def send(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        chunk_size: int = 0,
        chunk_delay: float = 0.0,
    ) -> None:
        headers = dict(headers or {})
        lower = {k.lower() for k in headers}
        if "content-length" not in lower and status not in (204, 304) and status >= 200:
            headers["Content-Length"] = str(len(body))
        elif "content-length" in lower and headers.get("Content-Length") != str(len(body)):
            self.close_connection = True  # a scripted lie: do not reuse the connection after it
        self._head(status, headers)
        if self.command == "HEAD" or status in (204, 304):
            return
        if chunk_delay <= 0 or not body:
            self.wfile.write(body)
            return
        for start in range(0, len(body), max(chunk_size, 1)):
            if start:
                time.sleep(chunk_delay)
            self.wfile.write(body[start : start + max(chunk_size, 1)])
            self.wfile.flush()

    def _not_modified(self, etag: str | None, last_modified: str | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            wanted = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return etag is not None and ("*" in wanted or etag.removeprefix("W/") in wanted)
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False

    def _serve_route(self, route: Route) -> None:
        if route.delay:
            time.sleep(route.delay)
        lower = {k.lower(): v for k, v in route.headers.items()}
        if route.status == 200 and ("etag" in lower or "last-modified" in lower):
            if self._not_modified(lower.get("etag"), lower.get("last-modified")):
                keep = ("etag", "last-modified", "cache-control", "expires")
                self.send(304, b"", {k: v for k, v in route.headers.items() if k.lower() in keep})
                return
        self.send(route.status, route.body, route.headers, route.chunk_size, route.chunk_delay)

    def send_document(
        self,
        body: bytes,
        content_type: str,
        *,
        extra: Mapping[str, str] | None = None,
        last_modified: float | datetime | None = None,
    ) -> None:
        """A cacheable document: validators, 304 on a match, gzip when the client takes it."""
        etag = etag_for(body)
        modified = http_date(
            last_modified if last_modified is not None else datetime(2026, 3, 2, 8, tzinfo=UTC)
        )
        validators = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "public, max-age=300"}
        if self._not_modified(etag, modified):
            self.send(304, b"", validators)
            return
        headers = {"Content-Type": content_type, **validators, "Vary": "Accept-Encoding", **(extra or {})}
        encoding = self.arg("encoding", "")
        if not encoding:
            accepted = [t.split(";")[0].strip() for t in self.headers.get("Accept-Encoding", "").split(",")]
            encoding = "gzip" if "gzip" in accepted and len(body) > 512 else "identity"
        if encoding in ("gzip", "deflate", "br"):
            body = compress(body, encoding)
            headers["Content-Encoding"] = encoding
        self.send(200, body, headers)

    def send_text(self, status: int, text: str, extra: Mapping[str, str] | None = None) -> None:
        self.send(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **(extra or {})})

    def stream(
        self,
        status: int,
        headers: dict[str, str],
        chunks: Iterable[bytes],
        *,
        chunked: bool,
        delay: float = 0.0,
    ) -> None:
        if chunked:
            headers["Transfer-Encoding"] = "chunked"
        self._head(status, headers)
        if self.command == "HEAD":
            return
        for i, chunk in enumerate(chunks):
            if delay and i:
                time.sleep(delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if delay:
                self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], publisher: PublisherServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.publisher = publisher
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        self.publisher._count_connection()
        super().process_request(request, client_address)

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


# --- The server --------------------------------------------------------------------------------------


class PublisherServer(BuiltinRoutes):
    """See the module docstring. start()/stop(), or use it as a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        fixtures_dir: Path = FIXTURES_DIR,
        corpus_dir: Path | None = None,
        log_size: int = 10_000,
        tls: ssl.SSLContext | None = None,
        url_host: str | None = None,
    ) -> None:
        """tls serves https with that server context; url_host is the host name to put in URLs (with a
        resolver in the client that maps it to this server), instead of the bound address."""
        self.tls = tls
        self.url_host = url_host
        self.fixtures_dir = Path(fixtures_dir).resolve()
        self.corpus = Corpus(Path(corpus_dir).resolve() if corpus_dir else shared_dir() / "corpus")
        self._address = (host, port)
        self._lock = threading.Lock()
        self._routes: dict[str, deque[Route]] = {}
        self._log: deque[RecordedRequest] = deque(maxlen=log_size)
        self._sites: dict[str, SiteSpec] = {}
        self._connections = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> PublisherServer:
        if self._httpd is None:
            self._httpd = _HTTPServer(self._address, self)
            if self.tls is not None:
                # The handshake happens in the connection's own thread, on its first read.
                self._httpd.socket = self.tls.wrap_socket(
                    self._httpd.socket, server_side=True, do_handshake_on_connect=False
                )
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="publisher-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> PublisherServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self.url_host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # --- scripting and the log -----------------------------------------------------------------------

    def route(
        self,
        path: str,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
        repeat: bool = True,
        chunk_size: int = 1,
    ) -> Route:
        """Script the answer for `path` (query included only if you want it to match exactly)."""
        route = Route(
            status,
            body.encode() if isinstance(body, str) else body,
            dict(headers or {}),
            delay,
            chunk_delay,
            chunk_size,
            repeat,
        )
        with self._lock:
            self._routes.setdefault(path, deque()).append(route)
        return route

    def clear_routes(self) -> None:
        with self._lock:
            self._routes.clear()

    def _take_route(self, path: str, target: str) -> Route | None:
        with self._lock:
            for key in (target, path):
                queue = self._routes.get(key)
                if queue:
                    route = queue[0]
                    if not route.repeat:
                        queue.popleft()
                    return route
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def _count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    # --- publisher sites -----------------------------------------------------------------------------

    def site(self, name: str, n_items: int = 5, *, format: str = "rss", title: str = "") -> Site:
        """A publisher whose feed's items link to corpus article pages on this server."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
            raise ValueError("site names are lower-case letters, digits and dashes")
        feed_file = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}[format]
        spec = SiteSpec(name, n_items, title)
        with self._lock:
            self._sites[name] = spec
        items = site_items(self.corpus, self.base_url, spec)
        return Site(self.url(f"/sites/{name}/{feed_file}"), [(it["url"], it["id"]) for it in items])

    def corpus_expected(self, corpus_id: str) -> dict:
        return self.corpus.articles()[corpus_id]


# --- pytest plugin -----------------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - outside the test environment
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def publisher_server() -> Iterator[PublisherServer]:
        server = PublisherServer().start()
        try:
            yield server
        finally:
            server.stop()

    @pytest.fixture(autouse=True)
    def _publisher_server_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
        """Each test that uses the server starts with an empty log and leaves no routes behind."""
        if "publisher_server" not in request.fixturenames:
            yield
            return
        server = request.getfixturevalue("publisher_server")
        server.clear_requests()
        yield
        server.clear_routes()


# --- By hand -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.publisher_server", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--sites", type=int, default=len(DEMO_SITE_NAMES), help="how many demo publishers")
    parser.add_argument("--items", type=int, default=5, help="items in each demo publisher's feed")
    parser.add_argument("--manifest", type=Path, help="write the sites and their feed URLs here as JSON")
    args = parser.parse_args(argv)

    server = PublisherServer(args.host, args.port).start()
    names = DEMO_SITE_NAMES[: args.sites] + [
        f"publisher-{i}" for i in range(len(DEMO_SITE_NAMES) + 1, args.sites + 1)
    ]
    sites = {name: server.site(name, args.items) for name in names}
    manifest = {
        "base_url": server.base_url,
        "sites": [
            {
                "name": name,
                "feed_url": site.feed_url,
                "home_url": server.url(f"/sites/{name}/"),
                "articles": [{"url": url, "corpus_id": cid} for url, cid in site.articles],
            }
            for name, site in sites.items()
        ],
    }
    if args.manifest:
        args.manifest.write_text(json.dumps(manifest, indent=1))
    print(f"Simulated publishers at {server.base_url}/ (Ctrl-C to stop)", flush=True)
    for name, site in sites.items():
        print(f"  {name:20} {site.feed_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
