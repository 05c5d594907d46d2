"""`python -m bench` (the whole benchmark, under 15 minutes on 2 cores) or `python -m bench --quick` (every
part small, under a minute). `--only floor,peers,refresh,sweep,pages` runs some parts. Results go to
bench/results/ (full) or var/bench-quick/ (quick), one JSON file a part plus summary.md and throughput.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import floor, pages, peers, refresh, report
from bench.harness import (
    FULL,
    QUICK,
    REPO_ROOT,
    RESULTS_DIR,
    SimulatorProcess,
    cpu_seconds,
    log,
    run_lock,
    write_result,
)
from bench.simulator import Mix, PublisherSet

PARTS = ("floor", "peers", "refresh", "sweep", "pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every part small, in under a minute")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {','.join(PARTS)}")
    parser.add_argument("--out", type=Path, help="results folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="seed the pages database even if reusable")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install newsboat or wrk")
    parser.add_argument("--peer-feeds", type=int, help="feeds for the peers (default: 2,000 full, 200 quick)")
    parser.add_argument("--drop", action="store_true", help="drop every benchmark database and exit")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (worker and gunicorn logs)")
    args = parser.parse_args(argv)
    if args.drop:
        pages.drop_databases()
        return 0

    scale = QUICK if args.quick else FULL
    if args.peer_feeds:
        from dataclasses import replace

        scale = replace(scale, peer_feeds=args.peer_feeds)
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(only) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    out = args.out or (REPO_ROOT / "var" / "bench-quick" if args.quick else RESULTS_DIR)
    out.mkdir(parents=True, exist_ok=True)
    install = not args.no_install and not args.quick
    processes = os.cpu_count() or 1
    started = time.perf_counter()
    meta = {
        "scale": scale.name,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": processes,
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "seed": args.seed,
        "parts": only,
    }
    failures: dict[str, str] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    mix = Mix(new_share=0.2, new_items=10, items_per_feed=10, latency_ms=scale.latency_ms)
    publishers = PublisherSet(n_feeds=scale.refresh_feeds, seed=args.seed, mix=mix)

    def part(name: str, fn) -> None:  # noqa: ANN001
        if name not in only:
            return
        log(f"== {name} ==")
        t = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # a broken part is reported, and the others still run
            failures[name] = f"{exc.__class__.__name__}: {exc}"
            log(f"{name} failed: {traceback.format_exc()[-3000:]}")
            return
        result["part_seconds"] = round(time.perf_counter() - t, 1)
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_result(name, result, out)
        log(f"{name}: done in {result['part_seconds']} s")

    lock = run_lock(timeout=200 if args.quick else None)
    lock.__enter__()
    try:
        part("floor", lambda: floor.run(publishers, feeds=scale.floor_feeds, pages=scale.floor_pages))
        if {"peers", "refresh", "sweep"} & set(only):
            with SimulatorProcess(
                feeds=scale.refresh_feeds, seed=args.seed, t_base=publishers.t_base, **_mix_flags(mix)
            ) as sim:
                sim_cpu = cpu_seconds(sim.pid)
                part("peers", lambda: peers.run(scale, sim, install=install))
                part(
                    "refresh",
                    lambda: refresh.run(
                        scale,
                        sim,
                        workdir=workdir,
                        processes=processes,
                        seed=args.seed,
                        t_base=publishers.t_base,
                    ),
                )
                if scale.sweep_in_flight and "sweep" in only:
                    part(
                        "sweep",
                        lambda: {
                            "feeds": scale.sweep_feeds,
                            "runs": refresh.sweep(
                                scale,
                                sim,
                                workdir=workdir,
                                processes=processes,
                                in_flight=list(scale.sweep_in_flight),
                                seed=args.seed,
                                t_base=publishers.t_base,
                            ),
                        },
                    )
                meta["simulator_cpu_s"] = round(cpu_seconds(sim.pid) - sim_cpu, 1)
        part(
            "pages",
            lambda: pages.run(scale, workdir=workdir, seed=args.seed, reseed=args.reseed, install=install),
        )
    finally:
        lock.__exit__(None, None, None)
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    meta["failures"] = failures
    md, png = report.write(out, meta)
    print(md.read_text())
    log(f"results in {out} ({md.name}{', ' + png.name if png else ''}); {meta['seconds']} s in all")
    if failures:
        log(f"failed parts: {json.dumps(failures)}")
        return 1
    return 0


def _mix_flags(mix: Mix) -> dict:
    return {
        "new_share": mix.new_share,
        "new_items": mix.new_items,
        "items_per_feed": mix.items_per_feed,
        "latency_ms": mix.latency_ms,
    }


if __name__ == "__main__":
    sys.exit(main())
