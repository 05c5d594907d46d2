"""What the simulated publishers serve: corpus pages, generated publisher sites, compression bombs.

Used by tests/publisher_server.py; kept apart so that the server module is only about HTTP.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import quote

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None


REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
BASE_URL_MARK = b"%%BASE_URL%%"
MiB = 1 << 20
DEMO_SITE_NAMES = [
    "daily-planet",
    "gotham-gazette",
    "metropolis-ledger",
    "riverside-courier",
    "northern-star",
    "harbour-herald",
    "valley-voice",
    "capital-chronicle",
    "coastal-times",
    "prairie-post",
    "summit-sentinel",
    "lakeside-ledger",
]


def shared_dir() -> Path:
    return Path(os.environ.get("NEWSREADER_SHARED_DIR") or REPO_ROOT.parent / "shared").resolve()


@dataclass(frozen=True)
class SiteSpec:
    name: str
    n_items: int = 5
    title: str = ""


# --- Content -----------------------------------------------------------------------------------------


def http_date(when: float | datetime) -> str:
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, UTC)
    return format_datetime(when.astimezone(UTC), usegmt=True)


@lru_cache(maxsize=256)
def etag_for(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


@cache
def bomb_body(encoding: str, size: int) -> bytes:
    """`size` zero bytes compressed, built from one compressed MiB repeated (the same bytes after a full
    flush), so a 1 GiB bomb costs a fraction of a second instead of compressing a gigabyte."""
    blocks, rest = divmod(size, MiB)
    zeros = bytes(MiB)
    if encoding == "br":
        if brotli is None:
            raise LookupError("brotli is not installed")
        compressor = brotli.Compressor(quality=1)  # fast, and still about 5000:1 on zeros
        parts = [compressor.process(zeros) for _ in range(blocks)]
        return b"".join([*parts, compressor.process(bytes(rest)), compressor.finish()])
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = raw.compress(zeros) + raw.flush(zlib.Z_FULL_FLUSH)
    tail = raw.compress(bytes(rest)) + raw.flush(zlib.Z_FINISH) if rest else b"\x03\x00"
    deflated = block * blocks + tail
    if encoding == "gzip":
        crc = 0
        for _ in range(blocks):
            crc = zlib.crc32(zeros, crc)
        crc = zlib.crc32(bytes(rest), crc)
        return (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
            + deflated
            + struct.pack("<II", crc, size & 0xFFFFFFFF)
        )
    adler = 1
    for _ in range(blocks):
        adler = zlib.adler32(zeros, adler)
    adler = zlib.adler32(bytes(rest), adler)
    return b"\x78\xda" + deflated + struct.pack(">I", adler)


@lru_cache(maxsize=128)  # the same pages are asked for again and again
def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br" and brotli is not None:
        return brotli.compress(body, quality=5)
    return body


class Corpus:
    """The shared corpus of real article pages and feeds, read lazily."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def feeds_dir(self) -> Path:
        return self.root / "feeds"

    @cache  # noqa: B019 - one Corpus per server, kept for the server's life
    def articles(self) -> dict[str, dict]:
        rows: dict[str, dict] = {}
        path = self.articles_dir / "expected.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    if (self.articles_dir / f"{row['id']}.html").exists():
                        rows[row["id"]] = row
        return dict(sorted(rows.items()))

    @cache  # noqa: B019
    def feed_headers(self) -> dict[str, dict[str, str]]:
        headers: dict[str, dict[str, str]] = {}
        path = self.feeds_dir / "expected.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    headers[row["file"]] = row.get("http_headers") or {}
        return headers

    @cache  # noqa: B019
    def title(self, corpus_id: str) -> str:
        with open(self.articles_dir / f"{corpus_id}.html", "rb") as f:
            head = f.read(300_000)
        match = re.search(rb"<title[^>]*>(.*?)</title>", head, re.S | re.I)
        title = html.unescape(match.group(1).decode("utf-8", "replace")) if match else ""
        title = " ".join(title.split())
        # "Headline - Site Name": feeds carry the headline alone.
        for sep in (" - ", " | ", " – ", " : "):
            head_part, found, _site = title.rpartition(sep)
            if found and len(head_part) >= 20:
                title = head_part
                break
        return title[:200] or " ".join(self.articles()[corpus_id]["text"].split()[:8])

    def pick(self, name: str, n_items: int) -> list[str]:
        ids = list(self.articles())
        if not ids:
            raise LookupError(f"no corpus articles under {self.articles_dir}")
        start = int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(ids)
        return [ids[(start + i) % len(ids)] for i in range(min(n_items, len(ids)))]


def summary(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


# Sites are made of the same few inputs again and again: build each document once.
# Stories are dated back from the hour the server started: fresh enough for the retention window and for
# the demo's river, and the same for the whole life of one server (so ETags and Last-Modified hold).
SITES_NEWEST = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@lru_cache(maxsize=2048)
def site_items(corpus: Corpus, base: str, spec: SiteSpec) -> list[dict]:
    newest = SITES_NEWEST
    items = []
    for i, corpus_id in enumerate(corpus.pick(spec.name, spec.n_items)):
        items.append(
            {
                "id": corpus_id,
                "url": f"{base}/sites/{quote(spec.name)}/articles/{corpus_id}.html",
                "title": corpus.title(corpus_id),
                "summary": summary(corpus.articles()[corpus_id]["text"]),
                "published": newest - timedelta(hours=3 * i, minutes=int(corpus_id[:2], 16)),
            }
        )
    return items


@lru_cache(maxsize=2048)
def site_feed(corpus: Corpus, base: str, spec: SiteSpec, kind: str) -> tuple[bytes, str]:
    items = site_items(corpus, base, spec)
    home = f"{base}/sites/{quote(spec.name)}/"
    title = spec.title or spec.name.replace("-", " ").title()
    esc = html.escape
    if kind == "json":
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "home_page_url": home,
            "feed_url": home + "feed.json",
            "items": [
                {
                    "id": it["url"],
                    "url": it["url"],
                    "title": it["title"],
                    "summary": it["summary"],
                    "content_text": it["summary"],
                    "date_published": it["published"].isoformat(),
                }
                for it in items
            ],
        }
        return json.dumps(feed, ensure_ascii=False, indent=1).encode(), "application/feed+json"
    if kind == "atom":
        updated = items[0]["published"].isoformat() if items else "2026-03-02T08:00:00+00:00"
        entries = "".join(
            f"<entry><id>{esc(it['url'])}</id><title>{esc(it['title'])}</title>"
            f'<link rel="alternate" type="text/html" href="{esc(it["url"])}"/>'
            f"<published>{it['published'].isoformat()}</published><updated>{it['published'].isoformat()}</updated>"
            f"<author><name>{esc(title)} newsroom</name></author>"
            f'<summary type="text">{esc(it["summary"])}</summary></entry>\n'
            for it in items
        )
        doc = (
            f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{esc(home)}</id><title>{esc(title)}</title><updated>{updated}</updated>"
            f'<link rel="alternate" type="text/html" href="{esc(home)}"/>'
            f'<link rel="self" type="application/atom+xml" href="{esc(home)}atom.xml"/>\n{entries}</feed>\n'
        )
        return doc.encode(), "application/atom+xml"
    entries = "".join(
        f"<item><title>{esc(it['title'])}</title><link>{esc(it['url'])}</link>"
        f'<guid isPermaLink="true">{esc(it["url"])}</guid><pubDate>{http_date(it["published"])}</pubDate>'
        f"<description>{esc(it['summary'])}</description></item>\n"
        for it in items
    )
    doc = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{esc(title)}</title>'
        f"<link>{esc(home)}</link><description>News from {esc(title)}</description><language>en</language>"
        f"<ttl>15</ttl>\n{entries}</channel></rss>\n"
    )
    return doc.encode(), "application/rss+xml"


@lru_cache(maxsize=2048)
def site_home(corpus: Corpus, base: str, spec: SiteSpec) -> bytes:
    esc = html.escape
    title = spec.title or spec.name.replace("-", " ").title()
    links = "".join(
        f'<li><a href="{esc(it["url"])}">{esc(it["title"])}</a></li>' for it in site_items(corpus, base, spec)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">'
        '<link rel="alternate" type="application/atom+xml" title="Atom" href="atom.xml">'
        '<link rel="alternate" type="application/feed+json" title="JSON Feed" href="feed.json">'
        f"</head><body><h1>{esc(title)}</h1><ul>{links}</ul></body></html>"
    ).encode()


def guess_type(path: Path, body: bytes) -> str:
    suffix = path.suffix.lower()
    head = body[:2048].lstrip()
    if suffix in (".html", ".htm"):
        return "text/html; charset=utf-8"
    if suffix == ".json":
        return "application/feed+json" if b"jsonfeed.org" in head else "application/json"
    if suffix in (".xml", ".rss", ".atom", ".rdf", ".opml"):
        if b"<rss" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
        if b"<rdf:RDF" in head:
            return "application/rdf+xml"
        return "application/xml"
    return "text/plain; charset=utf-8" if suffix == ".txt" else "application/octet-stream"
