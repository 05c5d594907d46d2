"""Peers on the same simulator: the Python library `reader` and Debian's `newsboat`.

Each peer first subscribes to the feeds of its own simulator space and refreshes them once with no latency
(priming: it now holds every feed's ETag and Last-Modified, as a reader that has been running for a while
does). Then the space moves on one epoch (a share of the feeds publishes new stories, the rest will answer
304), the latency goes up to the slow-answer setting, and the second refresh is the one measured: the same
work our own refresh does.

`python -m bench.peers reader|newsboat --sim URL --space S --feeds N --concurrency C --workdir DIR` runs
one measurement in its own process and prints one JSON line, so a peer's memory and threads never mix with
the benchmark's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.harness import PYTHON, REPO_ROOT, SimulatorProcess, ensure_debian_package, log

# Stories in each feed while a peer primes (see bench.simulator.Mix.prime_items).
PRIME_ITEMS = 1


def _control(sim: str, action: str, **params: object) -> dict:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{sim}/_sim/{action}?{query}", timeout=30) as response:
        return json.loads(response.read())


def _space_stats(sim: str) -> dict:
    return _control(sim, "stats", reset=1)


def _measured(sim: str, space: str, latency_ms: float, refresh) -> dict:  # noqa: ANN001 - a callable
    """Move the space on one epoch, slow the answers down, and time one refresh."""
    _control(sim, "advance", space=space)
    _control(sim, "config", latency_ms=latency_ms, prime_items=0)
    _control(sim, "stats", reset=1)
    cpu_before = _cpu()
    started = time.perf_counter()
    new_entries = refresh()
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu_before
    served = _control(sim, "stats", reset=1)["counts"]
    feeds = max(served.get("requests", 0), 1)
    return {
        "seconds": seconds,
        "new_entries": new_entries,
        "served": served,
        "cpu_ms_per_feed": round(cpu * 1000 / feeds, 2),
    }


def _cpu() -> float:
    """CPU seconds of this process (all its threads) and of its finished children (newsboat)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure_reader(
    sim: str, space: str, n: int, concurrencies: list[int], workdir: Path, latency_ms: float
) -> dict:
    from reader import make_reader

    reader = make_reader(str(workdir / "reader.sqlite"))
    for i in range(n):
        reader.add_feed(f"{sim}/{space}/feeds/{i}.xml", exist_ok=True)
    _control(sim, "config", latency_ms=0, prime_items=PRIME_ITEMS)
    started = time.perf_counter()
    reader.update_feeds(scheduled=False, workers=max(concurrencies))
    prime_s = time.perf_counter() - started
    runs = []
    for workers in concurrencies:

        def refresh(workers: int = workers) -> int:
            before = reader.get_entry_counts().total
            reader.update_feeds(scheduled=False, workers=workers)
            return reader.get_entry_counts().total - before

        runs.append({"concurrency": workers, **_measured(sim, space, latency_ms, refresh)})
    reader.close()
    return {
        "prime_seconds": prime_s,
        "runs": runs,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _newsboat_run(binary: str, workdir: Path, threads: int) -> None:
    (workdir / "config").write_text(
        f"reload-threads {threads}\ndownload-timeout 60\nmax-items 0\nshow-read-feeds yes\n"
        "cleanup-on-quit no\nsuppress-first-reload no\nnotify-always no\n"
    )
    done = subprocess.run(
        [binary, "-q", "-u", str(workdir / "urls"), "-c", str(workdir / "cache.db")]
        + ["-C", str(workdir / "config"), "-x", "reload"],
        env={**os.environ, "HOME": str(workdir), "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=1800,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"newsboat failed ({done.returncode}): {done.stderr[-2000:]}")


def _newsboat_items(workdir: Path) -> int:
    import sqlite3

    with sqlite3.connect(workdir / "cache.db") as conn:
        return conn.execute("SELECT count(*) FROM rss_item").fetchone()[0]


def _measure_newsboat(
    sim: str, space: str, n: int, concurrencies: list[int], workdir: Path, latency_ms: float
) -> dict:
    binary = shutil.which("newsboat")
    if binary is None:
        raise RuntimeError("newsboat is not installed")
    (workdir / "urls").write_text("".join(f"{sim}/{space}/feeds/{i}.xml\n" for i in range(n)))
    _control(sim, "config", latency_ms=0, prime_items=PRIME_ITEMS)
    started = time.perf_counter()
    # newsboat stores a new feed's ETag only from its second fetch on (the feed's row is written after
    # the validators), so it primes twice. Many threads slow it down on SQLite, so it primes with 16.
    _newsboat_run(binary, workdir, 16)
    _newsboat_run(binary, workdir, 16)
    prime_s = time.perf_counter() - started
    runs = []
    for threads in concurrencies:

        def refresh(threads: int = threads) -> int:
            before = _newsboat_items(workdir)
            _newsboat_run(binary, workdir, threads)
            return _newsboat_items(workdir) - before

        runs.append({"concurrency": threads, **_measured(sim, space, latency_ms, refresh)})
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"prime_seconds": prime_s, "runs": runs, "peak_rss_mib": round(peak / 1024, 1)}


def measure_in_child(
    peer: str, *, sim: str, space: str, feeds: int, concurrencies: list[int], latency_ms: float
) -> dict:
    """Prime `peer` once, then time one refresh at each concurrency, in a child process."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{peer}-") as workdir:
        args = [PYTHON, "-m", "bench.peers", peer, "--sim", sim, "--space", space, "--feeds", str(feeds)]
        args += ["--concurrency", ",".join(map(str, concurrencies)), "--workdir", workdir]
        args += ["--latency-ms", str(latency_ms)]
        done = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return {"peer": peer, "error": done.stderr.strip()[-1500:] or f"exit {done.returncode}", "runs": []}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(peer=peer, feeds=feeds, prime_seconds=round(result["prime_seconds"], 2))
    for r in result["runs"]:
        r["feeds_per_s"] = round(feeds / r["seconds"], 1)
        r["seconds"] = round(r["seconds"], 2)
    return result


def run(scale, sim: SimulatorProcess, *, install: bool) -> dict:  # noqa: ANN001 - Scale
    """The peers part: each peer primed once, then one measured refresh at each concurrency."""
    newsboat = ensure_debian_package("newsboat", "newsboat", install)
    results: dict[str, dict] = {}
    for peer in ["reader"] + (["newsboat"] if newsboat else []):
        log(f"peers: {peer} on {scale.peer_feeds} feeds at {scale.peer_concurrency} at once")
        result = measure_in_child(
            peer,
            sim=sim.base_url,
            space=peer,
            feeds=scale.peer_feeds,
            concurrencies=list(scale.peer_concurrency),
            latency_ms=scale.latency_ms,
        )
        for r in result["runs"]:
            log(f"peers: {peer} with {r['concurrency']} at once: {r['feeds_per_s']} feeds/s")
        if "error" in result:
            log(f"peers: {peer} failed: {result['error'][-300:]}")
        results[peer] = result
    best = {
        peer: max(r["runs"], key=lambda run: run["feeds_per_s"]) for peer, r in results.items() if r["runs"]
    }
    return {
        "feeds": scale.peer_feeds,
        "latency_ms": scale.latency_ms,
        "peers": results,
        "best": {
            p: {"feeds_per_s": r["feeds_per_s"], "concurrency": r["concurrency"]} for p, r in best.items()
        },
        "missing": [] if newsboat else ["newsboat (not installed; `make bench` installs it with apt-get)"],
        "versions": _versions(newsboat),
    }


def _versions(newsboat: str | None) -> dict[str, str]:
    import reader

    versions = {"reader": reader.__version__}
    if newsboat:
        out = subprocess.run([newsboat, "-v"], capture_output=True, text=True).stdout.splitlines()
        words = out[0].split() if out else []
        versions["newsboat"] = words[1] if len(words) > 1 else "?"
    return versions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["reader", "newsboat"])
    parser.add_argument("--sim", required=True)
    parser.add_argument("--space", required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--concurrency", required=True, help="comma-separated, e.g. 16,64")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args(argv)
    measure = _measure_reader if args.peer == "reader" else _measure_newsboat
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    result = measure(args.sim, args.space, args.feeds, concurrencies, args.workdir, args.latency_ms)
    print(json.dumps(result), file=sys.stdout, flush=True)


if __name__ == "__main__":
    main()
