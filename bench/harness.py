"""What every part of the benchmark shares: the simulator process, Postgres databases and Redis, memory
sampling, percentiles and the results folder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "nr_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")


@dataclass(frozen=True)
class Scale:
    """How big each part runs: `full` for `make bench`, `quick` for the test suite."""

    name: str
    refresh_feeds: int
    floor_feeds: int
    floor_pages: int
    peer_feeds: int
    peer_concurrency: tuple[int, ...]
    sweep_feeds: int
    extract_stories: int | None  # None: all the new stories of the refresh
    pages_articles: int
    pages_feeds: int
    pages_users: int
    pages_subscriptions: int
    pages_duration_s: float
    refresh_cap_s: float  # give up waiting for the refresh after this long (and report the partial figure)
    extract_cap_s: float  # the extraction window with instant pages
    extract_slow_s: float  # a second window with pages answering after `latency_ms` (0: skip)
    sweep_in_flight: tuple[int, ...] = ()
    extract_task_batch: int | None = None  # EXTRACT_TASK_BATCH for the run (None: the setting's default)
    latency_ms: float = 200.0


FULL = Scale(
    name="full",
    refresh_feeds=10_000,
    floor_feeds=300,
    floor_pages=400,
    peer_feeds=2_000,
    # 200: our refresh's own in flight (2 feeds processes a core × FETCH_CONCURRENCY 50), so each peer is
    # also measured with as many fetches at once as ours has.
    peer_concurrency=(16, 64, 200),
    sweep_feeds=2_000,
    extract_stories=None,
    pages_articles=1_000_000,
    pages_feeds=10_000,
    pages_users=1_000,
    pages_subscriptions=200,
    pages_duration_s=6.0,
    refresh_cap_s=240.0,
    extract_cap_s=60.0,
    extract_slow_s=20.0,
    sweep_in_flight=(16, 64, 200),
)
QUICK = Scale(
    name="quick",
    refresh_feeds=200,
    floor_feeds=20,
    floor_pages=24,
    peer_feeds=100,
    peer_concurrency=(16,),
    sweep_feeds=0,
    extract_stories=150,
    pages_articles=10_000,
    pages_feeds=500,
    pages_users=10,
    pages_subscriptions=50,
    pages_duration_s=2.0,
    refresh_cap_s=45.0,
    # Up to 150 stories in tasks of 5 (30 tasks): the rate and the CPU a story then run from the first
    # task done to the last over many tasks, not between the first tasks of the two processes.
    extract_cap_s=12.0,
    extract_slow_s=0.0,
    extract_task_batch=5,
)


# --- the simulator process -----------------------------------------------------------------------------


class SimulatorProcess:
    """`python -m bench.simulator` in its own process, so its event loop has a core of its own to use."""

    def __init__(self, *, feeds: int, seed: int, t_base: datetime | None = None, **mix: object) -> None:
        args = [PYTHON, "-m", "bench.simulator", "--feeds", str(feeds), "--seed", str(seed)]
        if t_base is not None:
            args += ["--t-base", t_base.isoformat()]
        for name, value in mix.items():
            flag = f"--{name.replace('_', '-')}"
            if isinstance(value, bool):
                args += [flag] if value else []
            else:
                args += [flag, str(value)]
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> SimulatorProcess:
        self.proc = subprocess.Popen(self.args, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the publisher simulator did not start")
        self.base_url = json.loads(line)["base_url"]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def control(self, action: str, **params: object) -> dict:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.base_url}/_sim/{action}?{query}", timeout=30) as response:
            return json.loads(response.read())

    def advance(self, space: str) -> int:
        return self.control("advance", space=space)["epoch"]

    def configure(self, **params: float) -> dict:
        return self.control("config", **params)

    def stats(self, reset: bool = False) -> dict:
        return self.control("stats", reset=int(reset))

    def feed_urls(self, space: str, n: int) -> list[str]:
        return [f"{self.base_url}/{space}/feeds/{i}.xml" for i in range(n)]


# --- memory and CPU ------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@dataclass
class MemorySampler:
    """Samples the RSS of a process tree every `interval` seconds; keeps each process's peak."""

    root_pids: list[int]
    interval: float = 0.25
    peaks_kib: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        for root in self.root_pids:
            for pid in process_tree(root):
                # VmHWM is the kernel's own peak, so a spike between two samples is not missed.
                peak = max(rss_kib(pid, "VmHWM"), rss_kib(pid))
                if peak:
                    self.peaks_kib[pid] = max(self.peaks_kib.get(pid, 0), peak)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()

    @property
    def peak_mib(self) -> float:
        return round(max(self.peaks_kib.values(), default=0) / 1024, 1)


# --- numbers -------------------------------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


# --- Postgres and Redis --------------------------------------------------------------------------------


# Two runs with the same databases and Redis database would flush each other's queues: one run at a time.
# Runs given their own BENCH_DB_PREFIX and BENCH_REDIS_URL (say, in two work trees) hold different locks.
_LOCK_KEY = int.from_bytes(hashlib.sha256(f"{DB_PREFIX} {REDIS_URL}".encode()).digest()[:7], "big")


@contextmanager
def run_lock(timeout: float | None) -> Iterator[None]:
    """Hold the benchmark's Postgres advisory lock for the whole run; wait up to `timeout` seconds (None:
    for ever) while another run holds it, then fail with a clear message."""
    conn = pg_admin_connect()
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        announced = False
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()[0]:
            if deadline is not None and time.monotonic() > deadline:
                raise RuntimeError(f"another benchmark run held the lock for more than {timeout:.0f} s")
            if not announced:
                log("waiting for another benchmark run to finish")
                announced = True
            time.sleep(1)
        yield
    finally:
        conn.close()  # closing the session releases the lock


def database_url(name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def db_name(part: str) -> str:
    return f"{DB_PREFIX}_{part}"


def is_own_database(name: str, prefix: str | None = None) -> bool:
    """Whether `name` is one of the databases a run with this BENCH_DB_PREFIX makes (its template, the one
    being built, the refresh's and the pages'), and not another run's whose prefix starts the same way
    (nr_bench_river_pages_full is not nr_bench's)."""
    prefix = DB_PREFIX if prefix is None else prefix
    return (
        re.fullmatch(
            re.escape(prefix)
            + r"_(?:tpl_[0-9a-f]+(?:_building)?|refresh_(?:full|quick)|pages_(?:full|quick))",
            name,
        )
        is not None
    )


def pg_admin_connect():  # noqa: ANN201 - psycopg is imported lazily
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


def database_recreate(name: str, template: str | None = None) -> None:
    assert name.startswith(DB_PREFIX), name
    with pg_admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(name: str) -> bool:
    with pg_admin_connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def migrations_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(REPO_ROOT.glob("*/migrations/0*.py")):
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def database_migrated(name: str, data_dir: Path) -> None:
    """(Re)create `name` as a copy of a migrated template, migrating the template only when the
    migrations changed: CREATE DATABASE ... TEMPLATE copies files, far quicker than running migrate."""
    template = db_name(f"tpl_{migrations_fingerprint()}")
    if not database_exists(template):
        with pg_admin_connect() as conn:
            stale = [
                r[0]
                for r in conn.execute("SELECT datname FROM pg_database")
                if is_own_database(r[0]) and r[0].startswith(db_name("tpl_"))
            ]
            for old in stale:
                conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        building = template + "_building"
        database_recreate(building)
        run_manage(["migrate", "--noinput"], django_env(building, data_dir))
        with pg_admin_connect() as conn:
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    database_recreate(name, template=template)


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def django_env(database: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a Django/Celery child process of the benchmark."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "newsreader.settings",
        "FETCH_ALLOW_PRIVATE": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.update(extra)
    return env


def run_manage(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def ensure_debian_package(command: str, package: str, install: bool) -> str | None:
    """The path of `command`, installing Debian's `package` when allowed and missing."""
    found = shutil.which(command)
    if found or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],):
        done = subprocess.run(args, env=env, capture_output=True, timeout=600)
        if done.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(args, env=env, capture_output=True, timeout=600)
    return shutil.which(command)


def write_result(name: str, data: dict, results_dir: Path = RESULTS_DIR) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    tmp.replace(path)
    return path


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
