"""The floor: the bare libraries on the same bytes our pipeline handles, one process per core.

No network, no database, no Celery: feedparser parsing the changed feeds' documents, trafilatura extracting
the new stories' pages, nh3 cleaning the items' HTML. Our own throughput is reported as a ratio to these.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable

from bench.harness import log
from bench.simulator import PublisherSet

BASE_URL = "http://127.0.0.1:8000"

# Filled in the parent before the pool forks, so the workers share the bytes instead of receiving them.
_FEEDS: list[bytes] = []
_PAGES: list[tuple[bytes, str]] = []
_BODIES: list[str] = []


def floor_inputs(publishers: PublisherSet, *, feeds: int, pages: int) -> tuple[list, list, list]:
    """The version-1 documents of the first `feeds` feeds that change at epoch 1, and the pages of their
    first `pages` new stories: the same bytes the refresh and extraction parts fetch."""
    changed = [i for i in range(publishers.n_feeds) if publishers.changes_at(i, 1)]
    docs = [publishers.feed_document(BASE_URL, i, 1) for i in changed[:feeds]]
    stories = [(i, n) for i in changed for n in publishers.story_numbers(1)][:pages]
    page_list = [(publishers.page(i, n), f"{BASE_URL}{publishers.story_path(i, n)}") for i, n in stories]
    bodies = [str(publishers.story(BASE_URL, i, n)["body"]) for i, n in stories]
    return docs, page_list, bodies


def _parse_default(k: int) -> int:
    import feedparser

    return len(feedparser.parse(_FEEDS[k]).entries)


def _parse_raw_then_nh3(k: int) -> int:
    import feedparser
    import nh3

    parsed = feedparser.parse(_FEEDS[k], sanitize_html=False, resolve_relative_uris=False)
    for entry in parsed.entries:
        html = entry.get("content", [{}])[0].get("value") or entry.get("summary", "")
        nh3.clean(html)
    return len(parsed.entries)


def _extract(k: int) -> int:
    import trafilatura

    page, url = _PAGES[k]
    trafilatura.extract(page, url=url)
    return 1


def _clean(k: int) -> int:
    import nh3

    nh3.clean(_BODIES[k])
    return 1


def _warm(barrier) -> None:  # noqa: ANN001 - a multiprocessing Barrier
    """Import and run each library once, then wait until every worker is ready, so timing starts warm."""
    _parse_default(0)
    _extract(0)
    _clean(0)
    barrier.wait()


def _cpu_timed(job: tuple[Callable[[int], int], int]) -> tuple[int, float]:
    work, k = job
    started = time.process_time()
    count = work(k)
    return count, time.process_time() - started


def _timed(pool, work: Callable[[int], int], n: int, chunksize: int) -> dict:  # noqa: ANN001 - a Pool
    """Wall time for all n on the pool, and the CPU the workers spent (robust when the machine is busy)."""
    started = time.perf_counter()
    done, cpu = 0, 0.0
    for count, seconds in pool.imap_unordered(_cpu_timed, [(work, k) for k in range(n)], chunksize=chunksize):
        done, cpu = done + count, cpu + seconds
    wall = time.perf_counter() - started
    return {
        "count": done,
        "seconds": round(wall, 3),
        "per_s": round(done / wall, 1),
        "cpu_ms_each": round(cpu * 1000 / max(done, 1), 3),
    }


def run(publishers: PublisherSet, *, feeds: int, pages: int, processes: int | None = None) -> dict:
    """Items/s and pages/s of the bare libraries with one process per core (or `processes`)."""
    global _FEEDS, _PAGES, _BODIES
    processes = processes or os.cpu_count() or 1
    _FEEDS, _PAGES, _BODIES = floor_inputs(publishers, feeds=feeds, pages=pages)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes + 1)
    log(f"floor: {len(_FEEDS)} feed documents, {len(_PAGES)} pages, {processes} processes")
    with context.Pool(processes, initializer=_warm, initargs=(barrier,)) as pool:
        barrier.wait()
        feedparser_default = _timed(pool, _parse_default, len(_FEEDS), 2)
        feedparser_raw_nh3 = _timed(pool, _parse_raw_then_nh3, len(_FEEDS), 2)
        trafilatura = _timed(pool, _extract, len(_PAGES), 2)
        nh3_clean = _timed(pool, _clean, len(_BODIES), 50)
    import feedparser
    import nh3
    import trafilatura as trafilatura_module

    return {
        "processes": processes,
        "load_average": os.getloadavg(),
        "feeds": len(_FEEDS),
        "items_per_feed": publishers.mix.items_per_feed,
        "pages": len(_PAGES),
        "mean_page_kib": round(sum(len(p) for p, _ in _PAGES) / max(len(_PAGES), 1) / 1024, 1),
        "feedparser_items": feedparser_default,
        "feedparser_raw_nh3_items": feedparser_raw_nh3,
        "trafilatura_pages": trafilatura,
        "nh3_items": nh3_clean,
        "versions": {
            "feedparser": feedparser.__version__,
            "trafilatura": trafilatura_module.__version__,
            "nh3": getattr(nh3, "__version__", "?"),
        },
    }
