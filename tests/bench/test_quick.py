"""`python -m bench --quick` end to end, so the benchmark never rots: every part runs small on the real
stack (the simulator, Celery workers on Redis, Postgres, gunicorn) and writes its results."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.simulator import Mix, PublisherSet

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-quick")
    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    return out, done


def _part(out: Path, name: str) -> dict:
    return json.loads((out / f"{name}.json").read_text())


def test_it_runs_every_part_and_exits_cleanly(quick_run):
    out, done = quick_run
    assert done.returncode == 0, done.stderr[-4000:]
    for name in ("floor", "peers", "refresh", "pages"):
        assert (out / f"{name}.json").exists(), name


def test_it_refreshes_every_feed_with_real_workers(quick_run):
    out, _ = quick_run
    result = _part(out, "refresh")
    refresh = result["refresh"]
    assert refresh["finished"] and refresh["checked"] == refresh["feeds"]
    # The simulator's mix: most feeds answer 304 to the ETag the database holds, the rest have news.
    assert refresh["statuses"]["304"] > refresh["statuses"]["200"] > 0
    assert refresh["new_articles"] == 10 * refresh["statuses"]["200"]
    assert refresh["worker_peak_rss_mib"] > 0
    extraction = result["extraction"]["pages_instant"]
    assert extraction["done"] > 0
    # more than one batch done a process, so a rate and a CPU a story, measured from the first batch done
    assert extraction["stories_per_s"] > 0 and extraction["worker_cpu_ms_per_story"] > 0
    assert extraction["progress"][-1][1] == extraction["done"]


def _changed(feeds: int) -> int:
    """How many of the first `feeds` feeds publish news at the first epoch (seed 1, a 20% share)."""
    publishers = PublisherSet(n_feeds=feeds, seed=1, mix=Mix(new_share=0.2))
    return sum(publishers.changes_at(i, 1) for i in range(feeds))


def test_it_sets_the_peers_the_same_work_as_ours(quick_run):
    out, _ = quick_run
    ours = _part(out, "refresh")["refresh"]
    assert ours["statuses"]["200"] == _changed(ours["feeds"])
    peers = _part(out, "peers")
    for name, peer in peers["peers"].items():
        assert "error" not in peer, peer.get("error")
        run = peer["runs"][0]
        # Same seed, same feeds, same epoch: each peer sees the feeds with news that ours would.
        changed = _changed(peers["feeds"])
        assert run["served"]["status:200"] == changed, name
        assert run["served"]["status:304"] == peers["feeds"] - changed, name
        assert run["new_entries"] == 10 * changed, name
        assert run["feeds_per_s"] > 0


def test_it_measures_the_floor_on_the_same_bytes(quick_run):
    out, _ = quick_run
    floor = _part(out, "floor")
    assert floor["processes"] >= 1
    for key in ("feedparser_items", "feedparser_raw_nh3_items", "trafilatura_pages", "nh3_items"):
        assert floor[key]["count"] > 0 and floor[key]["per_s"] > 0, key


def test_it_measures_each_page_or_says_it_is_missing(quick_run):
    out, _ = quick_run
    pages = _part(out, "pages")
    assert pages["database"]["seed"]["articles"] > 0
    for kind, entry in pages["pages"].items():
        if kind in pages["missing"]:
            assert entry["status"] != 200
        else:
            assert entry["c1"]["requests"] > 0 and entry["queries"]["queries"] > 0, kind


def test_it_measures_top_stories_over_seeded_clusters(quick_run):
    out, _ = quick_run
    pages = _part(out, "pages")
    assert pages["database"]["seed"]["cluster_members"] > 0
    assert pages["top_ranking"]["stories"] > 0
    assert "top" not in pages["missing"]
    assert pages["pages"]["top"]["c1"]["requests"] > 0


def test_it_writes_the_summary_table_and_chart(quick_run):
    out, _ = quick_run
    summary = (out / "summary.md").read_text()
    assert "| target | measured | goal | verdict |" in summary
    assert (out / "throughput.png").read_bytes().startswith(b"\x89PNG")
    targets = json.loads((out / "summary.json").read_text())["targets"]
    assert {row["verdict"] for row in targets} <= {"hit", "**missed**", "not measured"}
