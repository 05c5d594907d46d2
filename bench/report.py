"""The summary of one run: targets hit or missed, a Markdown table, and a PNG of throughput against
concurrency. Reads the parts' JSON files from the results folder."""

from __future__ import annotations

import json
from pathlib import Path

TARGETS = {
    "refresh_seconds": 60.0,  # the 10,000 feeds, at most
    "refresh_vs_best_peer": 2.0,  # at least
    "extraction_vs_floor": 0.8,  # at least
    "worker_rss_mib": 200.0,  # at most
    "river_p50_ms": 25.0,  # at most, concurrency 1
    "river_rps_c16": 150.0,  # at least
    "search_p50_ms": 50.0,  # at most
    "search_p95_ms": 250.0,  # at most
    "top_p50_ms": 30.0,  # at most, concurrency 1 (issue #5)
}


def load(results_dir: Path) -> dict[str, dict]:
    parts = {}
    for name in ("floor", "peers", "refresh", "sweep", "pages"):
        path = results_dir / f"{name}.json"
        if path.exists():
            parts[name] = json.loads(path.read_text())
    return parts


def _get(data: dict | None, *keys: str | int) -> object:
    for key in keys:
        if not isinstance(data, dict | list):
            return None
        try:
            data = data[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _ratio(a: object, b: object) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return round(a / b, 2)
    return None


def _verdict(value: object, target: float, at_most: bool) -> str:
    if not isinstance(value, int | float):
        return "not measured"
    hit = value <= target if at_most else value >= target
    return "hit" if hit else "**missed**"


def targets(parts: dict[str, dict]) -> list[dict]:
    """Each target with its measured value and whether it was hit."""
    refresh = _get(parts.get("refresh"), "refresh") or {}
    extraction = _get(parts.get("refresh"), "extraction", "pages_instant") or {}
    best = _get(parts.get("peers"), "best") or {}
    best_peer = max(best.items(), key=lambda kv: kv[1]["feeds_per_s"], default=(None, None))
    floor_pages = _get(parts.get("floor"), "trafilatura_pages", "per_s")
    pages = _get(parts.get("pages"), "pages") or {}
    rss = max(
        [v for v in (refresh.get("worker_peak_rss_mib"), extraction.get("worker_peak_rss_mib")) if v]
        or [None],
        key=lambda v: v or 0,
    )
    rows = [
        (
            f"refresh of {refresh.get('feeds', '?')} feeds (no extraction), seconds",
            refresh.get("seconds") if refresh.get("finished") else None,
            TARGETS["refresh_seconds"],
            True,
            "" if refresh.get("finished", True) else f"unfinished: {refresh.get('checked')} checked",
        ),
        (
            f"refresh feeds/s ÷ best peer's ({best_peer[0]} {_get(best_peer[1], 'feeds_per_s')} feeds/s)",
            _ratio(refresh.get("feeds_per_s"), _get(best_peer[1], "feeds_per_s")),
            TARGETS["refresh_vs_best_peer"],
            False,
            "",
        ),
        (
            f"extraction stories/s ÷ trafilatura floor ({floor_pages} pages/s)",
            _ratio(extraction.get("stories_per_s"), floor_pages),
            TARGETS["extraction_vs_floor"],
            False,
            "",
        ),
        (
            "extraction, CPU view: floor's CPU ms a page ÷ ours a story",
            _ratio(_get(parts.get("floor"), "trafilatura_pages", "cpu_ms_each"), extraction.get("worker_cpu_ms_per_story")),
            TARGETS["extraction_vs_floor"],
            False,
            "robust when the machine is busy",
        ),
        ("worker peak RSS, MiB (one process)", rss, TARGETS["worker_rss_mib"], True, ""),
        ("river p50 at concurrency 1, ms", _get(pages, "river", "c1", "p50_ms"), TARGETS["river_p50_ms"], True, ""),
        ("river requests/s at concurrency 16", _get(pages, "river", "c16", "requests_per_s"), TARGETS["river_rps_c16"], False, ""),
        ("search p50 at concurrency 1 (query mix), ms", _get(pages, "search", "c1", "p50_ms"), TARGETS["search_p50_ms"], True, ""),
        ("search p95 at concurrency 1 (query mix), ms", _get(pages, "search", "c1", "p95_ms"), TARGETS["search_p95_ms"], True, ""),
        ("/top/ p50 at concurrency 1, ms", _get(pages, "top", "c1", "p50_ms"), TARGETS["top_p50_ms"], True, ""),
    ]  # fmt: skip
    return [
        {
            "target": name,
            "measured": value,
            "goal": f"{'≤' if at_most else '≥'} {goal:g}",
            "verdict": _verdict(value, goal, at_most),
            "note": note,
        }
        for name, value, goal, at_most, note in rows
    ]


def _feeds_processes(refresh: dict) -> int | None:
    """The refresh's feeds worker processes (results from before it had its own count: one a core)."""
    settings = refresh["settings"]
    return settings.get("feeds_processes") or settings.get("processes")


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(parts: dict[str, dict], meta: dict) -> str:
    lines = [
        f"# Benchmark results ({meta.get('scale', '?')} run, {meta.get('finished_at', '?')})",
        "",
        f"Machine: {meta.get('cpus')} cores, Python {meta.get('python')}, "
        f"load average at the start {meta.get('load_average_start')}. This invocation ran "
        f"{', '.join(meta.get('parts', []))} in {meta.get('seconds')} s.",
        "",
        "Parts in these results: "
        + ", ".join(
            f"{name} {p.get('part_seconds', '?')} s (finished {p.get('finished_at', '?')})"
            for name, p in parts.items()
        )
        + f"; {sum(p.get('part_seconds', 0) for p in parts.values()):.0f} s in all.",
        "",
        "## Targets",
        "",
        "| target | measured | goal | verdict | note |",
        "|---|---:|---:|---|---|",
    ]
    for row in targets(parts):
        lines.append(
            f"| {row['target']} | {_fmt(row['measured'])} | {row['goal']} | {row['verdict']} | {row['note']} |"
        )

    refresh = parts.get("refresh")
    if refresh:
        r = refresh["refresh"]
        lines += [
            "",
            f"## Refresh (ours: {_feeds_processes(refresh)} worker processes, "
            f"{refresh['settings'].get('fetch_concurrency')} fetches in flight each, "
            f"{refresh['latency_ms']:.0f} ms answers)",
            "",
            "| feeds | checked | seconds | feeds/s | due→stored p50 / p95, s | statuses | new stories | worker CPU ms/feed | Postgres CPU ms/feed | peak RSS MiB |",
            "|---:|---:|---:|---:|---|---|---:|---:|---:|---:|",
            f"| {_fmt(r['feeds'])} | {_fmt(r['checked'])} | {_fmt(r['seconds'])} | {_fmt(r['feeds_per_s'])} | "
            f"{_fmt(r['due_to_stored_p50_s'])} / {_fmt(r['due_to_stored_p95_s'])} | "
            f"{', '.join(f'{k}: {v:,}' for k, v in sorted(r['statuses'].items()))} | {_fmt(r['new_articles'])} | "
            f"{_fmt(r['worker_cpu_ms_per_feed'])} | {_fmt(r.get('postgres_cpu_ms_per_feed'))} | "
            f"{_fmt(r['worker_peak_rss_mib'])} |",
        ]  # fmt: skip
        floor = parts.get("floor", {})
        lines += [
            "",
            "## Extraction (ours) beside the floor",
            "",
            "| what | processes | page latency ms | stories done | stories/s | CPU ms/story | Postgres server CPU ms/story | ratio to floor | peak RSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        floor_rate = _get(floor, "trafilatura_pages", "per_s")
        for label, e in refresh.get("extraction", {}).items():
            lines.append(
                f"| ours, {label.replace('_', ' ')} | {refresh['settings'].get('processes')} | "
                f"{_fmt(e['page_latency_ms'])} | {_fmt(e['done'])} | {_fmt(e['stories_per_s'])} | "
                f"{_fmt(e['worker_cpu_ms_per_story'])} | {_fmt(e.get('postgres_cpu_ms_per_story'))} | "
                f"{_fmt(_ratio(e['stories_per_s'], floor_rate))} | "
                f"{_fmt(e['worker_peak_rss_mib'])} |"
            )
        if floor:
            lines.append(
                f"| floor: trafilatura.extract alone | {floor['processes']} | 0 | {_fmt(floor['pages'])} | "
                f"{_fmt(floor_rate)} | {_fmt(_get(floor, 'trafilatura_pages', 'cpu_ms_each'))} | – | 1.00 | – |"
            )
    floor = parts.get("floor")
    if floor:
        lines += [
            "",
            f"## Floor: the bare libraries, {floor['processes']} processes, same bytes",
            "",
            "| library call | count | per second | CPU ms each |",
            "|---|---:|---:|---:|",
        ]
        for label, key, unit in (
            ("feedparser.parse (defaults)", "feedparser_items", "items"),
            (
                "feedparser.parse (no sanitizer, no URI resolution) + nh3.clean",
                "feedparser_raw_nh3_items",
                "items",
            ),
            ("trafilatura.extract", "trafilatura_pages", "pages"),
            ("nh3.clean of an item's HTML", "nh3_items", "items"),
        ):
            d = floor[key]
            lines.append(
                f"| {label} | {_fmt(d['count'])} {unit} | {_fmt(d['per_s'])} | {_fmt(d['cpu_ms_each'])} |"
            )
    peers = parts.get("peers")
    sweep = parts.get("sweep")
    if peers or sweep:
        lines += [
            "",
            f"## Refresh throughput against concurrency ({_fmt(_get(peers, 'feeds') or _get(sweep, 'feeds'))} feeds, "
            f"{_fmt(_get(peers, 'latency_ms') or 200.0)} ms answers, 80% 304)",
            "",
            "| reader | fetches in flight | seconds | feeds/s | 304s | new stories | CPU ms/feed |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for peer, result in (peers or {}).get("peers", {}).items():
            version = _get(peers, "versions", peer) or ""
            if result.get("error"):
                lines.append(f"| {peer} {version} | – | – | failed: {result['error'][:80]} | – | – | – |")
            for r in result.get("runs", []):
                lines.append(
                    f"| {peer} {version} | {r['concurrency']} | {_fmt(r['seconds'])} | {_fmt(r['feeds_per_s'])} | "
                    f"{_fmt(r['served'].get('status:304', 0))} | {_fmt(r['new_entries'])} | "
                    f"{_fmt(r.get('cpu_ms_per_feed'))} |"
                )
        for r in (sweep or {}).get("runs", []):
            lines.append(
                f"| ours | {r['in_flight']} | {_fmt(r['seconds'])} | {_fmt(r['feeds_per_s'])} | "
                f"{_fmt(r['statuses'].get('304', 0))} | {_fmt(r['new_articles'])} | "
                f"{_fmt(r['worker_cpu_ms_per_feed'])} |"
            )
        for missing in (peers or {}).get("missing", []):
            lines.append(f"| {missing} | | | | | | |")
    pages = parts.get("pages")
    if pages:
        db = pages["database"]
        seed = db.get("seed", {})
        lines += [
            "",
            f"## Pages ({_fmt(seed.get('articles'))} articles, {_fmt(seed.get('feeds'))} feeds, "
            f"{_fmt(seed.get('users'))} users × {_fmt(seed.get('subscriptions_per_user'))} subscriptions; "
            f"gunicorn {pages['gunicorn_workers']} sync workers; load by {pages['load_generator']})",
            "",
            f"Seeding: {seed.get('seconds')} s{' (reused from an earlier run)' if db.get('reused') else ''}, "
            f"{seed.get('database_size', '')}.",
            "",
            "| page | p50 ms (c=1) | p95 ms (c=1) | req/s (c=16) | p95 ms (c=16) | queries | SQL ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind, entry in pages["pages"].items():
            q = entry.get("queries") or {}
            if "c1" not in entry:
                lines.append(f"| {kind} | not measured: answers {entry.get('status')} | | | | | | |")
                continue
            lines.append(
                f"| {kind} | {_fmt(entry['c1']['p50_ms'])} | {_fmt(entry['c1']['p95_ms'])} | "
                f"{_fmt(entry['c16']['requests_per_s'])} | {_fmt(entry['c16']['p95_ms'])} | {_fmt(q.get('queries'))} | "
                f"{_fmt(q.get('sql_ms'))} | {entry['c1']['errors'] + entry['c16']['errors']} |"
            )
    lines.append("")
    return "\n".join(lines)


def chart(parts: dict[str, dict], path: Path) -> Path | None:
    """Feeds/s against fetches in flight for the peers and ours; extraction beside the floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peers = parts.get("peers", {})
    sweep = parts.get("sweep", {})
    refresh = parts.get("refresh", {})
    floor = parts.get("floor", {})
    if not (peers or sweep or refresh or floor):
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    for peer, result in peers.get("peers", {}).items():
        runs = sorted(result.get("runs", []), key=lambda r: r["concurrency"])
        if runs:
            left.plot([r["concurrency"] for r in runs], [r["feeds_per_s"] for r in runs], "o-", label=peer)
    runs = sorted(sweep.get("runs", []), key=lambda r: r["in_flight"])
    if runs:
        left.plot([r["in_flight"] for r in runs], [r["feeds_per_s"] for r in runs], "s-", label="ours")
    main = refresh.get("refresh")
    if main and main.get("feeds_per_s"):
        in_flight = (_feeds_processes(refresh) or 1) * (refresh["settings"].get("fetch_concurrency") or 1)
        left.plot(
            [in_flight], [main["feeds_per_s"]], "*", markersize=14, label=f"ours, {main['feeds']:,} feeds"
        )
    left.set_xscale("log", base=2)
    left.set_xlabel("fetches in flight")
    left.set_ylabel("feeds refreshed per second")
    left.set_title(
        f"Refresh, {refresh.get('latency_ms', peers.get('latency_ms', 200)):.0f} ms answers, 80% 304"
    )
    left.grid(True, alpha=0.3)
    left.legend(fontsize=8)

    labels, values = [], []
    if floor:
        labels.append(f"floor\n(trafilatura, {floor['processes']} proc)")
        values.append(floor["trafilatura_pages"]["per_s"])
    for label, e in refresh.get("extraction", {}).items():
        if e.get("stories_per_s") is not None:
            labels.append(f"ours\n{label.replace('pages_', '')} pages")
            values.append(e["stories_per_s"])
    right.bar(labels, values, color=["#888"] + ["#1f77b4"] * (len(values) - 1))
    right.set_ylabel("stories (pages) per second")
    right.set_title("Extraction")
    right.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results_dir: Path, meta: dict) -> tuple[Path, Path | None]:
    parts = load(results_dir)
    summary = {"meta": meta, "targets": targets(parts)}
    (results_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    md = results_dir / "summary.md"
    md.write_text(markdown(parts, meta))
    return md, chart(parts, results_dir / "throughput.png")
