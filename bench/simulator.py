"""A publisher simulator: one asyncio process on loopback serving N feeds and their article pages.

Everything a client sees is a pure function of (seed, feed number, version), so two runs with the same seed
serve the same bytes, and the benchmark can compute the ETag a client would hold without fetching.

URLs (``<space>`` is any short name; each space has its own epoch, so several clients can each start from
"I hold the previous version of every feed" without disturbing one another):

    /<space>/feeds/<i>.xml      the feed (RSS 2.0 or Atom); a redirecting feed answers 301 to /<space>/moved/<i>.xml
    /articles/<i>/<n>           the page of story n of feed i (a real article page from the shared corpus)
    /_sim/advance?space=S       next epoch in space S: a share `new_share` of the feeds publish new stories
    /_sim/config?latency_ms=..  change the latency of slow answers at run time (e.g. prime a client fast)
    /_sim/stats[?reset=1]       request counters, in-flight peak
    /_sim/urls?space=S&n=N      the first N feed URLs of space S, one a line
    /_sim/opml?space=S&n=N      the same as OPML

Run it: ``python -m bench.simulator --feeds 10000 --seed 1 --latency-ms 200``; it prints one JSON line with
its port once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gzip
import hashlib
import html
import json
import os
import re
import resource
import sys
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_t_base() -> datetime:
    """Stories date from two days ago on: recent enough for any retention window, never in the future,
    and the same all day long (so two processes started minutes apart serve the same bytes)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=2)


STORY_SPACING = timedelta(minutes=6)
MAX_HEAD_BYTES = 32 * 1024
IDLE_TIMEOUT = 60.0


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSREADER_SHARED_DIR") or REPO_ROOT / ".." / "shared").resolve()


def corpus_articles_dir() -> Path:
    return shared_dir() / "corpus" / "articles"


@dataclass(frozen=True)
class Mix:
    """What share of the feeds behaves how. Shares are of all feeds, drawn once per feed from the seed."""

    new_share: float = 0.2  # at each advance of an epoch, this share of the feeds publishes new stories
    new_items: int = 10  # stories a feed publishes when it changes
    items_per_feed: int = 10  # stories a feed document lists (the newest)
    error_share: float = 0.0  # answer 500/502/503/404/429 every time
    redirect_share: float = 0.0  # answer 301 to the feed's new address
    slow_share: float = 1.0  # answer after `latency_ms`
    latency_ms: float = 0.0
    page_latency_ms: float = 0.0  # article pages
    atom_share: float = 0.3  # the rest is RSS 2.0
    gzip: bool = False  # compress when the client accepts it (costs the simulator CPU)
    # Stories in a version-0 document (0: items_per_feed). Clients prime on version 0 and are measured on
    # the next epoch, where unchanged feeds answer 304 whatever version 0 held, so a small version 0 makes
    # priming cheap without changing what is measured.
    prime_items: int = 0


def _unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from the seed and the parts."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _paragraphs(articles_dir: Path) -> list[str]:
    """Real paragraphs from the corpus's annotated texts, to make items read like news."""
    expected = articles_dir / "expected.jsonl"
    paragraphs: list[str] = []
    if expected.exists():
        for line in expected.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text", "")
            paragraphs.extend(p.strip() for p in text.split("\n") if len(p.strip()) > 80)
    if not paragraphs:
        raise CorpusMissingError(articles_dir)
    return paragraphs


class CorpusMissingError(RuntimeError):
    """Without the shared corpus every feed and page would be a placeholder of a few bytes, and every figure
    of the benchmark meaningless: refuse, and say where it was looked for."""

    def __init__(self, articles_dir: Path) -> None:
        super().__init__(
            f"the shared corpus (real article pages and their texts) was not found in {articles_dir}; "
            "set NEWSREADER_SHARED_DIR to the folder that holds corpus/"
        )


@functools.lru_cache(maxsize=4)
def _corpus(articles_dir: Path) -> tuple[tuple[bytes, ...], list[str]]:
    return tuple(p.read_bytes() for p in sorted(articles_dir.glob("*.html"))), _paragraphs(articles_dir)


_ERROR_ANSWERS: list[tuple[int, dict[str, str]]] = [
    (500, {}),
    (502, {}),
    (503, {"Retry-After": "120"}),
    (404, {}),
    (429, {"Retry-After": "300"}),
]


@dataclass
class PublisherSet:
    """The content: feed documents, headers and pages. Pure functions of the seed; no I/O after loading."""

    n_feeds: int
    seed: int = 1
    mix: Mix = field(default_factory=Mix)
    articles_dir: Path = field(default_factory=corpus_articles_dir)
    t_base: datetime = field(default_factory=default_t_base)  # when story 0 of every feed came out

    def __post_init__(self) -> None:
        pages, paragraphs = _corpus(self.articles_dir)
        if not pages:
            raise CorpusMissingError(self.articles_dir)
        self.pages = list(pages)
        self._titles = [p.split(". ")[0][:110].rstrip(".,;: ") for p in paragraphs]
        self._bodies = [self._make_body(k, paragraphs) for k in range(256)]
        self._cache: OrderedDict[tuple[int, int, bool, int], bytes] = OrderedDict()
        self._versions: dict[tuple[int, int], int] = {}
        self._draws: dict[tuple[str, int], float] = {}
        self._validators: dict[tuple[int, int], tuple[str, str, datetime]] = {}

    # --- which feed does what --------------------------------------------------------------------------
    def _draw(self, name: str, i: int) -> float:
        key = (name, i)
        found = self._draws.get(key)
        if found is None:
            found = self._draws[key] = _unit(self.seed, name, i)
        return found

    def kind(self, i: int) -> str:
        u = self._draw("kind", i)
        if u < self.mix.error_share:
            return "error"
        if u < self.mix.error_share + self.mix.redirect_share:
            return "redirect"
        return "ok"

    def is_slow(self, i: int) -> bool:
        return self._draw("slow", i) < self.mix.slow_share

    def is_atom(self, i: int) -> bool:
        return self._draw("atom", i) < self.mix.atom_share

    def changes_at(self, i: int, epoch: int) -> bool:
        return epoch > 0 and _unit(self.seed, "new", i, epoch) < self.mix.new_share

    def version(self, i: int, epoch: int) -> int:
        key = (i, epoch)
        found = self._versions.get(key)
        if found is None:
            found = self._versions[key] = sum(1 for k in range(1, epoch + 1) if self.changes_at(i, k))
        return found

    def validators(self, i: int, version: int) -> tuple[str, str, datetime]:
        """(ETag, Last-Modified, the time it stands for), cached: the simulator answers thousands a second."""
        key = (i, version)
        found = self._validators.get(key)
        if found is None:
            if len(self._validators) > 200_000:
                self._validators.clear()
            found = self._validators[key] = (
                self.etag(i, version),
                self.last_modified(i, version),
                self.updated_at(i, version),
            )
        return found

    def error_answer(self, i: int) -> tuple[int, dict[str, str]]:
        return _ERROR_ANSWERS[int(_unit(self.seed, "error", i) * len(_ERROR_ANSWERS))]

    # --- validators --------------------------------------------------------------------------------------
    def etag(self, i: int, version: int) -> str:
        return f'"{self.seed:x}-{i:x}-{version:x}"'

    def updated_at(self, i: int, version: int) -> datetime:
        newest = (version + 1) * self.mix.new_items - 1
        return self.published_at(i, newest)

    def last_modified(self, i: int, version: int) -> str:
        return format_datetime(self.updated_at(i, version), usegmt=True)

    def published_at(self, i: int, n: int) -> datetime:
        return self.t_base + n * STORY_SPACING + timedelta(seconds=i % 360)

    # --- stories -----------------------------------------------------------------------------------------
    def story_numbers(self, version: int) -> list[int]:
        newest = (version + 1) * self.mix.new_items - 1
        count = self.mix.prime_items if version == 0 and self.mix.prime_items else self.mix.items_per_feed
        return [n for n in range(newest, newest - count, -1) if n >= 0]

    def story_path(self, i: int, n: int) -> str:
        return f"/articles/{i}/{n}"

    def page(self, i: int, n: int) -> bytes:
        return self.pages[int(_unit(self.seed, "page", i, n) * len(self.pages))]

    def _make_body(self, k: int, paragraphs: list[str]) -> str:
        """About 2 KB of the HTML publishers put in feeds: paragraphs, a link with tracking, an image,
        and now and then something a sanitizer must remove."""
        parts: list[str] = []
        start = int(_unit(self.seed, "body", k) * len(paragraphs))
        j = 0
        while sum(len(p) for p in parts) < 1500:
            text = html.escape(paragraphs[(start + j) % len(paragraphs)][:700])
            if j == 0:
                words = text.split(" ")
                cut = min(6, len(words) - 1)
                text = f"<strong>{' '.join(words[:cut])}</strong> {' '.join(words[cut:])}"
            parts.append(f"<p>{text}</p>")
            j += 1
        parts.insert(
            1,
            f'<p><a href="/related/{k}?utm_source=rss&amp;utm_medium=feed">Read more</a> '
            f'<img src="/images/{k}.jpg" width="640" height="360" alt="Photo {k}"></p>',
        )
        if k % 8 == 0:
            parts.append('<p onclick="track()">Shared <script>track("rss")</script><em>widely</em>.</p>')
        if k % 5 == 0:
            parts.append(f'<figure><img src="/images/{k}-wide.jpg" srcset="/images/{k}-2x.jpg 2x"></figure>')
        return "\n".join(parts)

    def story(self, base_url: str, i: int, n: int) -> dict[str, object]:
        title = self._titles[int(_unit(self.seed, "title", i, n) * len(self._titles))]
        return {
            "url": f"{base_url}{self.story_path(i, n)}",
            "title": f"{title} ({i}.{n})",
            "author": f"Reporter {int(_unit(self.seed, 'author', i, n) * 40)}",
            "published": self.published_at(i, n),
            "body": self._bodies[int(_unit(self.seed, "bodypick", i, n) * len(self._bodies))],
        }

    # --- feed documents ----------------------------------------------------------------------------------
    def feed_document(self, base_url: str, i: int, version: int) -> bytes:
        key = (i, version, False, self.mix.prime_items)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        stories = [self.story(base_url, i, n) for n in self.story_numbers(version)]
        doc = (
            self._atom(base_url, i, version, stories) if self.is_atom(i) else self._rss(base_url, i, stories)
        )
        self._remember(key, doc)
        return doc

    def feed_document_gzip(self, base_url: str, i: int, version: int) -> bytes:
        key = (i, version, True, self.mix.prime_items)
        cached = self._cache.get(key)
        if cached is None:
            cached = gzip.compress(self.feed_document(base_url, i, version), compresslevel=5)
            self._remember(key, cached)
        return cached

    def _remember(self, key: tuple[int, int, bool, int], doc: bytes) -> None:
        self._cache[key] = doc
        if len(self._cache) > 4096:
            self._cache.popitem(last=False)

    def _rss(self, base_url: str, i: int, stories: list[dict]) -> bytes:
        items = "".join(
            "<item>"
            f"<title>{html.escape(s['title'])}</title>"
            f"<link>{s['url']}</link>"
            f'<guid isPermaLink="true">{s["url"]}</guid>'
            f"<pubDate>{format_datetime(s['published'], usegmt=True)}</pubDate>"
            f"<dc:creator>{s['author']}</dc:creator>"
            "<category>News</category>"
            f"<description><![CDATA[{s['body']}]]></description>"
            "</item>\n"
            for s in stories
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
            f"<title>Publisher {i}</title><link>{base_url}/site/{i}/</link>"
            f"<description>News from simulated publisher {i}</description><language>en</language>\n"
            f"{items}</channel></rss>\n"
        ).encode()

    def _atom(self, base_url: str, i: int, version: int, stories: list[dict]) -> bytes:
        entries = "".join(
            "<entry>"
            f"<title>{html.escape(s['title'])}</title>"
            f'<link rel="alternate" href="{s["url"]}"/>'
            f"<id>{s['url']}</id>"
            f"<published>{s['published'].isoformat()}</published>"
            f"<updated>{s['published'].isoformat()}</updated>"
            f"<author><name>{s['author']}</name></author>"
            f'<content type="html">{html.escape(s["body"])}</content>'
            "</entry>\n"
            for s in stories
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<title>Publisher {i}</title><id>{base_url}/site/{i}/</id>"
            f'<link rel="alternate" href="{base_url}/site/{i}/"/>'
            f"<updated>{self.updated_at(i, version).isoformat()}</updated>\n"
            f"{entries}</feed>\n"
        ).encode()

    def feed_urls(self, base_url: str, space: str, n: int | None = None) -> list[str]:
        return [f"{base_url}/{space}/feeds/{i}.xml" for i in range(self.n_feeds if n is None else n)]


# --- the HTTP server -----------------------------------------------------------------------------------

_FEED_RE = re.compile(r"^/([A-Za-z0-9_.-]{1,40})/(feeds|moved)/(\d{1,9})\.xml$")
_PAGE_RE = re.compile(r"^/articles/(\d{1,9})/(\d{1,9})$")
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


class Simulator:
    """Routes requests to answers; counts what it served. The clock never matters: epochs do."""

    def __init__(self, publishers: PublisherSet, base_url: str = "") -> None:
        self.publishers = publishers
        self.base_url = base_url
        self.epochs: dict[str, int] = {}
        self.stats: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.started = time.monotonic()

    @property
    def mix(self) -> Mix:
        return self.publishers.mix

    def answer(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        if method not in ("GET", "HEAD"):
            return Answer(405, {"Allow": "GET, HEAD"})
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith("/_sim/"):
            return self._control(path, query)
        match = _FEED_RE.match(path)
        if match:
            return self._feed(match.group(1), match.group(2), int(match.group(3)), headers)
        match = _PAGE_RE.match(path)
        if match:
            return self._page(int(match.group(1)), int(match.group(2)), headers)
        return Answer(404, {"Content-Type": "text/plain"}, b"not found\n")

    def _feed(self, space: str, route: str, i: int, headers: dict[str, str]) -> Answer:
        p = self.publishers
        if i >= p.n_feeds:
            return Answer(404, {"Content-Type": "text/plain"}, b"no such feed\n")
        self.stats[f"space:{space}"] += 1
        delay = self.mix.latency_ms / 1000 if p.is_slow(i) else 0.0
        kind = p.kind(i)
        if kind == "error":
            status, extra = p.error_answer(i)
            return Answer(status, {"Content-Type": "text/plain", **extra}, b"simulated failure\n", delay)
        if kind == "redirect" and route == "feeds":
            location = f"{self.base_url}/{space}/moved/{i}.xml"
            return Answer(301, {"Location": location, "Content-Type": "text/plain"}, b"moved\n", delay)
        version = p.version(i, self.epochs.get(space, 0))
        etag, last_modified, updated = p.validators(i, version)
        validators = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "max-age=300"}
        if _not_modified(headers, etag, updated):
            return Answer(304, validators, b"", delay)
        content_type = "application/atom+xml" if p.is_atom(i) else "application/rss+xml"
        if self.mix.gzip and "gzip" in headers.get("accept-encoding", ""):
            body = p.feed_document_gzip(self.base_url, i, version)
            validators["Content-Encoding"] = "gzip"
        else:
            body = p.feed_document(self.base_url, i, version)
        return Answer(200, {"Content-Type": f"{content_type}; charset=utf-8", **validators}, body, delay)

    def _page(self, i: int, n: int, headers: dict[str, str]) -> Answer:
        p = self.publishers
        if i >= p.n_feeds:
            return Answer(404, {"Content-Type": "text/plain"}, b"no such page\n")
        self.stats["pages"] += 1
        body = p.page(i, n)
        etag = f'"p-{hashlib.blake2b(body, digest_size=6).hexdigest()}"'
        delay = self.mix.page_latency_ms / 1000
        if headers.get("if-none-match") == etag:
            return Answer(304, {"ETag": etag}, b"", delay)
        return Answer(200, {"Content-Type": "text/html; charset=utf-8", "ETag": etag}, body, delay)

    def _control(self, path: str, query: dict[str, list[str]]) -> Answer:
        space = query.get("space", ["default"])[0]
        if path == "/_sim/advance":
            self.epochs[space] = self.epochs.get(space, 0) + 1
            return _json({"space": space, "epoch": self.epochs[space]})
        if path == "/_sim/config":
            changes: dict[str, float | int] = {}
            for name in ("latency_ms", "page_latency_ms", "slow_share"):
                if name in query:
                    changes[name] = float(query[name][0])
            if "prime_items" in query:
                changes["prime_items"] = int(query["prime_items"][0])
            self.publishers.mix = replace(self.mix, **changes)
            return _json({"mix": self.mix.__dict__})
        if path == "/_sim/stats":
            body = {
                "counts": dict(self.stats),
                "peak_in_flight": self.peak_in_flight,
                "in_flight": self.in_flight,
                "epochs": self.epochs,
                "uptime_s": round(time.monotonic() - self.started, 3),
            }
            if query.get("reset", ["0"])[0] == "1":
                self.stats.clear()
                self.peak_in_flight = self.in_flight
            return _json(body)
        n = min(int(query.get("n", [str(self.publishers.n_feeds)])[0]), self.publishers.n_feeds)
        urls = self.publishers.feed_urls(self.base_url, space, n)
        if path == "/_sim/urls":
            return Answer(200, {"Content-Type": "text/plain"}, ("\n".join(urls) + "\n").encode())
        if path == "/_sim/opml":
            return Answer(200, {"Content-Type": "text/x-opml"}, opml(urls).encode())
        return Answer(404, {"Content-Type": "text/plain"}, b"unknown control\n")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    TimeoutError,
                    ConnectionError,
                ):
                    return
                request = _parse_head(head)
                if request is None:
                    writer.write(
                        _response(Answer(400, {"Content-Type": "text/plain"}, b"bad request\n"), False)
                    )
                    await writer.drain()
                    return
                method, target, version, headers = request
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    if length > 1024 * 1024:
                        return
                    await reader.readexactly(length)
                self.in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                try:
                    answer = self.answer(method, target, headers)
                    if answer.delay:
                        await asyncio.sleep(answer.delay)
                finally:
                    self.in_flight -= 1
                if not target.startswith("/_sim/"):  # the counters count what clients were served
                    self.stats[f"status:{answer.status}"] += 1
                    self.stats["requests"] += 1
                keep_alive = _keep_alive(version, headers)
                writer.write(_response(answer, keep_alive, head_only=method == "HEAD"))
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
        server = await asyncio.start_server(self.handle, host, port, backlog=4096, limit=MAX_HEAD_BYTES)
        bound = server.sockets[0].getsockname()
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return server


def _not_modified(headers: dict[str, str], etag: str, updated: datetime) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return etag in tags or "*" in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return updated.replace(microsecond=0) <= since
    return False


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]] | None:
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return None
        headers[name.strip().lower()] = value.strip()
    return method, target, version, headers


def _keep_alive(version: str, headers: dict[str, str]) -> bool:
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


def _response(answer: Answer, keep_alive: bool, head_only: bool = False) -> bytes:
    lines = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Unknown')}"]
    headers = {**answer.headers, "Content-Length": str(len(answer.body))}
    if answer.status == 304:
        headers.pop("Content-Length")
    headers["Connection"] = "keep-alive" if keep_alive else "close"
    lines.extend(f"{k}: {v}" for k, v in headers.items())
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only or answer.status == 304 else head + answer.body


def _json(data: object) -> Answer:
    return Answer(200, {"Content-Type": "application/json"}, json.dumps(data, default=str).encode())


def opml(urls: list[str]) -> str:
    outlines = "\n".join(
        f'    <outline type="rss" text="Publisher {k}" xmlUrl="{html.escape(u)}"/>'
        for k, u in enumerate(urls)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Simulated publishers</title>'
        f"</head>\n  <body>\n{outlines}\n  </body>\n</opml>\n"
    )


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--t-base", type=datetime.fromisoformat, default=None, help="ISO time of story 0")
    for name, default in Mix().__dict__.items():
        if isinstance(default, bool):
            parser.add_argument(f"--{name.replace('_', '-')}", action="store_true", default=default)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args(argv)
    mix = Mix(**{name: getattr(args, name) for name in Mix().__dict__})
    _raise_file_limit()

    async def run() -> None:
        publishers = PublisherSet(
            n_feeds=args.feeds, seed=args.seed, mix=mix, t_base=args.t_base or default_t_base()
        )
        simulator = Simulator(publishers)
        server = await simulator.serve(args.host, args.port)
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port, "base_url": simulator.base_url, "pid": os.getpid()}), flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
