"""Ours: real Celery worker processes on Redis and Postgres, refreshing the simulator's feeds, then
extracting the new stories' pages.

The database starts as after an earlier refresh: every feed holds version 0's ETag and Last-Modified and
its stories, and is due now. The simulator space moves on one epoch (a share of the feeds publishes new
stories, the rest answer 304), one scheduler tick (`feeds_enqueue_due`) is sent to the feeds queue, and the
clock runs until every feed has been checked. Extraction tasks queue up meanwhile with nobody consuming
them; then extraction workers start and the clock runs on the extraction queue.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import (
    PYTHON,
    REDIS_URL,
    REPO_ROOT,
    MemorySampler,
    SimulatorProcess,
    cpu_seconds,
    database_migrated,
    database_url,
    db_name,
    django_env,
    log,
    percentile,
    process_tree,
    redis_flush,
    rounded,
)
from bench.simulator import Mix, PublisherSet

SPACE = "ours"
# FETCH_MAX_PER_HOST for the workers: more than any FETCH_CONCURRENCY measured, so only that one limits.
PER_HOST_UNLIMITED = 10_000
# Feeds worker processes a core, as docker-compose.yml and bin/stack start them (FEEDS_CONCURRENCY unset).
FEEDS_PROCESSES_PER_CORE = 2


@dataclass
class Worker:
    """One `celery worker` process tree on the given queues."""

    queues: str
    concurrency: int
    env: dict[str, str]
    logfile: Path
    proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"bench-{self.queues}-{os.getpid()}@{socket.gethostname()}"

    def start(self, timeout: float = 60) -> None:
        args = [PYTHON, "-m", "celery", "-A", "newsreader", "worker", "-Q", self.queues]
        args += ["--concurrency", str(self.concurrency), "--pool", "prefork", "-n", self.name]
        args += ["--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
        with self.logfile.open("ab") as out:
            self.proc = subprocess.Popen(args, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=out)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        from celery import Celery

        app = Celery(broker=REDIS_URL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.logfile.read_text()[-3000:]}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.logfile.read_text()[-3000:]}")

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid) if self.proc else []

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        pids = self.pids()
        self.proc.send_signal(signal.SIGQUIT)  # cold shutdown: the benchmark throws away what is queued
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pid in pids[1:]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _connect(database: str):  # noqa: ANN202 - psycopg connection
    import psycopg

    return psycopg.connect(database_url(database), autocommit=True)


def _send_tick() -> None:
    """What beat does every minute: one `feeds_enqueue_due` on the feeds queue."""
    from celery import Celery

    Celery(broker=REDIS_URL).send_task("articles.tasks.feeds_enqueue_due", queue="feeds")


def _wait_checked(conn, since: datetime, total: int, cap_s: float) -> tuple[int, float]:  # noqa: ANN001
    started = time.perf_counter()
    done = 0
    while time.perf_counter() - started < cap_s:
        done = conn.execute(
            "SELECT count(*) FROM articles_feed WHERE last_checked_at >= %s", (since,)
        ).fetchone()[0]
        if done >= total:
            break
        time.sleep(0.2)
    return done, time.perf_counter() - started


def _refresh_once(
    *,
    conn,  # noqa: ANN001
    sim: SimulatorProcess,
    worker: Worker,
    feeds: int,
    latency_ms: float,
    cap_s: float,
) -> dict:
    sim.advance(SPACE)
    sim.configure(latency_ms=latency_ms, prime_items=0)
    sim.stats(reset=True)
    redis_cpu_before = _redis_cpu()
    postgres = PostgresCpu(conn)
    postgres_before = postgres.seconds()
    simulator_before = cpu_seconds(sim.proc.pid)
    cpu_before = worker.cpu()
    tick = datetime.now(UTC)
    with MemorySampler([worker.proc.pid]) as memory:
        _send_tick()
        done, seconds = _wait_checked(conn, tick, feeds, cap_s)
    cpu = worker.cpu() - cpu_before
    postgres_after = postgres.seconds()
    simulator_cpu = cpu_seconds(sim.proc.pid) - simulator_before
    served = sim.stats(reset=True)
    lags = [
        row[0]
        for row in conn.execute(
            "SELECT extract(epoch FROM last_checked_at - %s) FROM articles_feed WHERE last_checked_at >= %s",
            (tick, tick),
        )
    ]
    statuses = dict(
        conn.execute(
            "SELECT coalesce(last_status, 0), count(*) FROM articles_feed WHERE last_checked_at >= %s GROUP BY 1",
            (tick,),
        ).fetchall()
    )
    new_articles = conn.execute(
        "SELECT count(*) FROM articles_article WHERE created_at >= %s", (tick,)
    ).fetchone()[0]
    return {
        "feeds": feeds,
        "checked": done,
        "finished": done >= feeds,
        "seconds": round(seconds, 2),
        "feeds_per_s": round(done / seconds, 1) if seconds else None,
        "due_to_stored_p50_s": rounded(percentile(map(float, lags), 50), 2),
        "due_to_stored_p95_s": rounded(percentile(map(float, lags), 95), 2),
        "statuses": {str(k): v for k, v in statuses.items()},
        "new_articles": new_articles,
        "worker_cpu_s": round(cpu, 2),
        "worker_cpu_ms_per_feed": round(cpu * 1000 / max(done, 1), 2),
        "redis_cpu_s": rounded(_redis_cpu() - redis_cpu_before, 2),
        "postgres_cpu_ms_per_feed": (
            rounded((postgres_after - postgres_before) * 1000 / max(done, 1), 2)
            if postgres_after is not None and postgres_before is not None
            else None
        ),
        "simulator_cpu_ms_per_feed": rounded(simulator_cpu * 1000 / max(done, 1), 2),
        "worker_peak_rss_mib": memory.peak_mib,
        "worker_rss_mib_by_process": sorted(
            (round(v / 1024, 1) for v in memory.peaks_kib.values()), reverse=True
        ),
        "simulator": {"served": served["counts"], "peak_in_flight": served["peak_in_flight"]},
        "tick_at": tick.isoformat(),
    }


def _redis_cpu() -> float | None:
    import redis

    try:
        info = redis.Redis.from_url(REDIS_URL).info("cpu")
    except redis.RedisError:
        return None
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


@dataclass
class PostgresCpu:
    """CPU of the local Postgres server: the postmaster's live children (backends, autovacuum, WAL writer...)
    and those it reaped, whose CPU the kernel adds to the postmaster's. Backends come and go (a worker's
    connection is replaced when it fails or outlives CONN_MAX_AGE), so this counts every database on the
    server rather than following one's backends: exact on an otherwise idle machine. None if Postgres is
    remote."""

    conn: object  # psycopg connection to the server
    postmaster: int | None = None

    def __post_init__(self) -> None:
        backend = self.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            self.postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            self.postmaster = None

    def seconds(self) -> float | None:
        if self.postmaster is None:
            return None
        try:
            fields = Path(f"/proc/{self.postmaster}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{self.postmaster}/task/{self.postmaster}/children").read_text().split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        reaped = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
        return reaped + sum(cpu_seconds(int(pid)) for pid in children)


# How often the extraction window counts the stories done: each count costs Postgres CPU beside the
# workers; twice a second puts the ends of a 60 s window within 1% of the rate.
POLL_SECONDS = 0.5


def _extract_window(conn, worker: Worker, since: datetime, total: int, cap_s: float) -> dict:  # noqa: ANN001
    """Start the extraction worker on the queued tasks and count finished stories until all are done or
    `cap_s` passes. The rate and the CPU a story count from the first finished stories to the last ones
    seen, so worker start-up and warm-up are not in them (the floor warms up before it times), and neither
    is the work in hand when the window closes (a task writes its stories together, at its end)."""
    # The count runs beside the workers, on the same cores: it walks the new stories only, by key from the
    # first one, on this connection alone. (A parallel scan of the whole table four times a second took
    # about a fifth of two cores from the workers, while the floor has nothing beside it.)
    conn.execute("SET max_parallel_workers_per_gather = 0")
    first_new = conn.execute(
        "SELECT min(id) FROM articles_article WHERE created_at >= %s", (since,)
    ).fetchone()[0]
    query = (
        "SELECT count(*) FROM articles_article"
        " WHERE id >= %s AND created_at >= %s AND extraction_status <> 'pending'"
    )
    params = (first_new or 0, since)
    base = conn.execute(query, params).fetchone()[0]
    with MemorySampler([]) as memory:
        started = time.perf_counter()
        worker.start()
        memory.root_pids.append(worker.proc.pid)
        cpu_before = worker.cpu()
        postgres = PostgresCpu(conn)
        postgres_before = postgres.seconds()
        # (time, stories done, worker CPU, Postgres CPU) when the count first moved, and when it last moved
        first: tuple[float, int, float, float] | None = None
        last: tuple[float, int, float, float] | None = None
        progress: list[tuple[float, int, float]] = []  # each time the count moved, from the worker's start
        done = 0
        while True:
            done = conn.execute(query, params).fetchone()[0] - base
            now = time.perf_counter()
            postgres_cpu = postgres.seconds() or 0.0
            if done > 0 and (last is None or done > last[1]):
                last = (now, done, worker.cpu(), postgres_cpu)
                first = first or last
                progress.append((round(now - started, 2), done, round(last[2] - cpu_before, 2)))
            elapsed = now - started
            # Past the window, wait on (up to four windows) until stories were seen done twice, so a slow
            # start on a busy machine still gives a rate.
            measured = first is not None and last is not None and last[0] > first[0]
            if done >= total or (elapsed >= cap_s and measured) or elapsed >= 4 * cap_s:
                break
            time.sleep(POLL_SECONDS)
        ended = time.perf_counter()
        cpu = worker.cpu() - cpu_before
        postgres_after = postgres.seconds()
    worker.stop()
    if first is None or last is None or last[0] <= first[0]:
        rate = cpu_ms_steady = postgres_ms_steady = None
    else:
        rate = (last[1] - first[1]) / (last[0] - first[0])
        cpu_ms_steady = (last[2] - first[2]) * 1000 / (last[1] - first[1])
        postgres_ms_steady = (
            (last[3] - first[3]) * 1000 / (last[1] - first[1]) if postgres_before is not None else None
        )
    statuses = dict(
        conn.execute(
            "SELECT extraction_status, count(*) FROM articles_article WHERE created_at >= %s GROUP BY 1",
            (since,),
        ).fetchall()
    )
    return {
        "queued": total,
        "done": done,
        "finished": done >= total,
        "seconds": round(ended - started, 2),
        "stories_per_s": rounded(rate, 1),
        # first to last stories seen done, as stories_per_s; the whole window beside it
        "worker_cpu_ms_per_story": rounded(cpu_ms_steady, 2),
        "worker_cpu_ms_per_story_whole_window": round(cpu * 1000 / max(done, 1), 2),
        # the local Postgres server over the same span (every database on it: other work on the machine
        # shows here too)
        "postgres_cpu_ms_per_story": rounded(postgres_ms_steady, 2),
        "postgres_cpu_ms_per_story_whole_window": rounded(
            (postgres_after - postgres_before) * 1000 / max(done, 1)
            if postgres_before is not None and postgres_after is not None
            else None,
            2,
        ),
        "statuses": statuses,
        "worker_peak_rss_mib": memory.peak_mib,
        "worker_rss_mib_by_process": sorted(
            (round(v / 1024, 1) for v in memory.peaks_kib.values()), reverse=True
        ),
        # (seconds since the worker started, stories done, worker CPU seconds): how the rate settles
        "progress": progress,
    }


def run(
    scale,  # noqa: ANN001 - Scale
    sim: SimulatorProcess,
    *,
    workdir: Path,
    processes: int,
    seed: int,
    t_base: datetime,
) -> dict:
    """Refresh the feeds with real workers, then extract the new stories' pages."""
    database = db_name(f"refresh_{scale.name}")
    data_dir = workdir / "refresh"
    data_dir.mkdir(parents=True, exist_ok=True)
    feeds = scale.refresh_feeds
    env = django_env(
        database,
        data_dir,
        # One scheduler tick takes every due feed (the default, 500 a tick, is for a small instance).
        FEED_BATCH_SIZE=str(feeds),
        EXTRACT_FULL_TEXT="1",
        # The simulator's publishers all share one address, which stands for as many hosts: no limit
        # per host beyond the fetches in flight (the peers have none either).
        FETCH_MAX_PER_HOST=str(PER_HOST_UNLIMITED),
        **({"EXTRACT_TASK_BATCH": str(scale.extract_task_batch)} if scale.extract_task_batch else {}),
    )
    database_migrated(database, data_dir)
    redis_flush()
    due_at = datetime.now(UTC) - timedelta(seconds=1)
    seeded = subprocess.run(
        [PYTHON, "-m", "bench.seed", "refresh", "--feeds", str(feeds), "--base-url", sim.base_url]
        + ["--space", SPACE, "--seed", str(seed), "--due-at", due_at.isoformat()]
        + ["--t-base", t_base.isoformat()],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{seeded.stderr[-3000:]}")
    log(f"refresh: seeded {seeded.stdout.strip()}")

    feeds_processes = FEEDS_PROCESSES_PER_CORE * processes
    settings_used = {
        "processes": processes,  # the extraction workers'
        "feeds_processes": feeds_processes,
        "task_batch": None,
        "fetch_concurrency": None,
    }
    with _connect(database) as conn:
        worker = Worker("feeds", feeds_processes, env, data_dir / "worker-feeds.log")
        worker.start()
        try:
            settings_used.update(json_or_text(seeded.stdout).get("settings", {}))
            log(f"refresh: {feeds} feeds, {feeds_processes} feeds worker processes, {settings_used}")
            main = _refresh_once(
                conn=conn,
                sim=sim,
                worker=worker,
                feeds=feeds,
                latency_ms=scale.latency_ms,
                cap_s=scale.refresh_cap_s,
            )
        finally:
            worker.stop()
        log(
            f"refresh: {main['checked']}/{feeds} feeds in {main['seconds']} s = {main['feeds_per_s']} feeds/s, "
            f"p50/p95 {main['due_to_stored_p50_s']}/{main['due_to_stored_p95_s']} s, "
            f"peak RSS {main['worker_peak_rss_mib']} MiB"
        )

        tick = datetime.fromisoformat(main["tick_at"])
        queued = conn.execute(
            "SELECT count(*) FROM articles_article WHERE created_at >= %s AND extraction_status = 'pending'",
            (tick,),
        ).fetchone()[0]
        if scale.extract_stories is not None:
            queued = min(queued, scale.extract_stories)
        extraction: dict = {}
        for label, page_latency in (("pages_instant", 0.0), ("pages_slow", scale.latency_ms)):
            if label == "pages_slow" and not scale.extract_slow_s:
                continue
            sim.configure(page_latency_ms=page_latency)
            cap = scale.extract_cap_s if label == "pages_instant" else scale.extract_slow_s
            log(f"extraction: {label} ({page_latency:.0f} ms a page), up to {cap:.0f} s")
            result = _extract_window(
                conn,
                Worker("extraction", processes, env, data_dir / "worker-extraction.log"),
                tick,
                queued,
                cap,
            )
            result["page_latency_ms"] = page_latency
            extraction[label] = result
            queued = conn.execute(
                "SELECT count(*) FROM articles_article WHERE created_at >= %s AND extraction_status = 'pending'",
                (tick,),
            ).fetchone()[0]
            log(
                f"extraction: {label}: {result['done']} stories, {result['stories_per_s']} stories/s, "
                f"CPU ms a story: worker {result['worker_cpu_ms_per_story']}, "
                f"Postgres {result['postgres_cpu_ms_per_story']}"
            )
        sim.configure(page_latency_ms=0)
    redis_flush()
    return {
        "feeds": feeds,
        "latency_ms": scale.latency_ms,
        "settings": settings_used,
        "seed": json_or_text(seeded.stdout),
        "refresh": main,
        "extraction": extraction,
        "load_average": os.getloadavg(),
    }


def sweep(
    scale,  # noqa: ANN001 - Scale
    sim: SimulatorProcess,
    *,
    workdir: Path,
    processes: int,
    in_flight: list[int],
    seed: int,
    t_base: datetime,
) -> list[dict]:
    """Our refresh of the first `sweep_feeds` feeds with a given number of fetches in flight in total, to
    set beside the peers at the same concurrency. Needs the database `run` left behind."""
    database = db_name(f"refresh_{scale.name}")
    data_dir = workdir / "refresh"
    data_dir.mkdir(parents=True, exist_ok=True)
    n = scale.sweep_feeds
    out = []
    publishers = PublisherSet(n_feeds=n, seed=seed, mix=Mix(new_share=0.2), t_base=t_base)
    feeds_processes = FEEDS_PROCESSES_PER_CORE * processes
    with _connect(database) as conn:
        for total in in_flight:
            per_process = max(1, total // feeds_processes)
            # Nothing left over from an earlier run in the queues, and every feed holding the ETag of the
            # space's current epoch: the next epoch then changes exactly the simulator's share of them.
            redis_flush()
            epoch = sim.stats()["epochs"].get(SPACE, 0)
            with conn.cursor() as cursor:
                cursor.executemany(
                    "UPDATE articles_feed SET url = %s, etag = %s, last_modified = %s, error_count = 0 WHERE id = %s",
                    [
                        (
                            f"{sim.base_url}/{SPACE}/feeds/{i}.xml",
                            publishers.etag(i, v),
                            publishers.last_modified(i, v),
                            i + 1,
                        )
                        for i in range(n)
                        for v in [publishers.version(i, epoch)]
                    ],
                )
            env = django_env(
                database,
                data_dir,
                FEED_BATCH_SIZE=str(n),
                EXTRACT_FULL_TEXT="0",
                FETCH_CONCURRENCY=str(per_process),
                FEED_TASK_BATCH=str(max(100, per_process)),
                FETCH_MAX_PER_HOST=str(PER_HOST_UNLIMITED),
            )
            # Only the first n feeds are due: the others, checked minutes ago, would come due meanwhile.
            conn.execute(
                "UPDATE articles_feed SET lease_until = NULL, next_check_at = CASE WHEN id <= %s "
                "THEN now() - interval '1 second' ELSE now() + interval '1 day' END",
                (n,),
            )
            worker = Worker("feeds", feeds_processes, env, data_dir / "worker-sweep.log")
            worker.start()
            try:
                result = _refresh_once(
                    conn=conn,
                    sim=sim,
                    worker=worker,
                    feeds=n,
                    latency_ms=scale.latency_ms,
                    cap_s=scale.refresh_cap_s,
                )
            finally:
                worker.stop()
            result.update(in_flight=per_process * feeds_processes, fetch_concurrency=per_process)
            log(f"refresh sweep: {per_process * feeds_processes} in flight: {result['feeds_per_s']} feeds/s")
            out.append(result)
    redis_flush()
    return out


def json_or_text(text: str) -> dict:
    import json

    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"output": text[-500:]}
