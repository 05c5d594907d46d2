"""Pages: a big database (COPY-seeded), gunicorn with sync workers, and a load generator on loopback.

For each page (the river, an article, a reading list, a search over a query mix of rare, middling and very
common words): latency p50/p95 with one client, requests/s with 16, and the SQL queries the page runs.
A page that does not exist yet (404 at its URL) is reported as missing, not measured.

The load generator is Debian's `wrk` when installed (a Lua script rotates the users' cookies and URLs),
else a small asyncio client of our own.

`python -m bench.pages prepare --users K` runs in a Django child: it makes K sessions, picks each user's
URLs and counts each page's queries with the test client. It prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.harness import (
    PYTHON,
    REPO_ROOT,
    database_exists,
    database_migrated,
    db_name,
    django_env,
    ensure_debian_package,
    is_own_database,
    log,
    migrations_fingerprint,
    percentile,
    pg_admin_connect,
    rounded,
)

# /top/ right after the river: its ranking is stored by `prepare` (as the worker's beat task would have),
# and a request recomputes it only once it is TOP_STALE_SECONDS old.
PAGE_KINDS = ("river", "top", "article", "reading_list", "search")
TOP_CATEGORIES = ["", "Technology"]
RARE_QUERIES = ["zq000123x", "zq004567x", "zq089012x", "zq150001x", "zq199999x", "zq042424x"]
MIDDLING_QUERIES = ["council", "weather", "police", "market", "football", "election"]
COMMON_QUERIES = ["people", "said", "year", "time"]
SESSIONS = 20


# --- in the Django child ---------------------------------------------------------------------------------


def _prepare(users: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsreader.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils.module_loading import import_string

    from articles.models import Article
    from subscriptions.models import ReadingList, Subscription

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    targets: dict[str, list[list[str]]] = {kind: [] for kind in PAGE_KINDS}
    queries = [*RARE_QUERIES, *RARE_QUERIES, *MIDDLING_QUERIES, *COMMON_QUERIES]
    for user in get_user_model().objects.order_by("id")[:users]:
        session = store_class()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        feed_ids = list(Subscription.objects.filter(user=user).values_list("feed_id", flat=True)[:20])
        article_ids = list(
            Article.objects.filter(feed_id__in=feed_ids)
            .order_by("-published_at")
            .values_list("id", flat=True)[:5]
        )
        list_ids = list(ReadingList.objects.filter(user=user).values_list("id", flat=True)[:1])
        targets["river"].append([cookie, "/"])
        targets["top"] += [[cookie, f"/top/?category={c}" if c else "/top/"] for c in TOP_CATEGORIES]
        targets["article"] += [[cookie, f"/articles/{a}/"] for a in article_ids]
        targets["reading_list"] += [[cookie, f"/lists/{r}/"] for r in list_ids]
        k = len(targets["search"])
        targets["search"] += [[cookie, f"/search/?q={queries[(k + j) % len(queries)]}"] for j in range(4)]

    top = _rank_top_stories()
    counted: dict[str, dict] = {}
    for kind, pairs in targets.items():
        if not pairs:
            counted[kind] = {"status": None, "note": "no target"}
            continue
        cookie, path = pairs[0]
        client = Client()
        name, _, value = cookie.partition("=")
        client.cookies[name] = value
        client.get(path)  # warm: first-request imports and caches
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            ms = (time.perf_counter() - started) * 1000
        counted[kind] = {
            "status": response.status_code,
            "queries": len(captured.captured_queries),
            "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 2),
            "in_process_ms": round(ms, 2),
            "bytes": len(response.content),
            "path": path,
        }
    search_mix = {}
    for label, words in (("rare", RARE_QUERIES), ("middling", MIDDLING_QUERIES), ("common", COMMON_QUERIES)):
        cookie, _ = targets["search"][0] if targets["search"] else ["", ""]
        client = Client()
        name, _, value = cookie.partition("=")
        client.cookies[name] = value
        timings = []
        for word in words:
            started = time.perf_counter()
            response = client.get(f"/search/?q={word}")
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                break
        search_mix[label] = {
            "status": response.status_code,
            "median_in_process_ms": rounded(percentile(timings, 50), 1),
        }
    top = _rank_top_stories()  # again, so that the ranking is fresh when the load starts
    return {"targets": targets, "queries": counted, "search_mix": search_mix, "top": top}


def _rank_top_stories() -> dict:
    """Rank the top stories as the worker does every minute, as of the seeded data's last story (a
    database seeded days ago has no story in the window as of today), and keep the ranking in the cache
    as made now, so the pages read it as they would from a running worker."""
    from django.core.cache import cache
    from django.db.models import Max
    from django.utils import timezone

    from articles.models import Article
    from discovery.selectors.top import CACHE_KEY, TOP_CACHE_SECONDS, top_stories_compute

    as_of = Article.objects.aggregate(last=Max("published_at"))["last"] or timezone.now()
    started = time.perf_counter()
    stories = top_stories_compute(now=as_of)
    ms = (time.perf_counter() - started) * 1000
    cache.set(CACHE_KEY, {"computed_at": timezone.now(), "stories": stories}, timeout=TOP_CACHE_SECONDS)
    return {"stories": len(stories), "compute_ms": round(ms, 1), "as_of": as_of.isoformat()}


# --- the database ----------------------------------------------------------------------------------------


def _fingerprint(scale, seed: int) -> str:  # noqa: ANN001 - Scale
    digest = hashlib.sha256(migrations_fingerprint().encode())
    digest.update((Path(__file__).parent / "seed.py").read_bytes())
    digest.update(
        repr(
            (scale.pages_articles, scale.pages_feeds, scale.pages_users, scale.pages_subscriptions, seed)
        ).encode()
    )
    return digest.hexdigest()[:16]


def _seeded_fingerprint(database: str) -> str | None:
    import psycopg

    from bench.harness import database_url

    if not database_exists(database):
        return None
    try:
        with psycopg.connect(database_url(database)) as conn:
            row = conn.execute("SELECT fingerprint FROM bench_seed_meta").fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def ensure_database(scale, *, workdir: Path, seed: int, reseed: bool) -> dict:  # noqa: ANN001 - Scale
    """The pages database, seeded unless an identical seed (same migrations, sizes and seed code) is
    already there."""
    import psycopg

    from bench.harness import database_url

    database = db_name(f"pages_{scale.name}")
    fingerprint = _fingerprint(scale, seed)
    env = django_env(database, workdir / "pages")
    if not reseed and _seeded_fingerprint(database) == fingerprint:
        log(f"pages: reusing the seeded database {database} ({fingerprint})")
        with psycopg.connect(database_url(database)) as conn:
            row = conn.execute("SELECT seeded FROM bench_seed_meta").fetchone()
        return {"database": database, "reused": True, "seed": json.loads(row[0]), "env": env}
    started = time.perf_counter()
    database_migrated(database, workdir / "pages")
    migrate_s = time.perf_counter() - started
    log(f"pages: seeding {scale.pages_articles} articles")
    seeded = _seed(scale, env, seed)
    seeded["migrate_seconds"] = round(migrate_s, 2)
    with psycopg.connect(database_url(database), autocommit=True) as conn:
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
        seeded["database_size"] = size
        conn.execute("CREATE TABLE bench_seed_meta (fingerprint text, seeded text)")
        conn.execute("INSERT INTO bench_seed_meta VALUES (%s, %s)", (fingerprint, json.dumps(seeded)))
    log(f"pages: seeded in {seeded['seconds']} s ({size})")
    return {"database": database, "reused": False, "seed": seeded, "env": env}


def vacuum_once(database: str) -> float | None:
    """VACUUM (ANALYZE) the seeded database unless it has been vacuumed since it was seeded; the seconds
    it took, or None when it had been.

    A running server's autovacuum sets the visibility map of a table that has been loaded; without it
    (a server with autovacuum off, or a run straight after the COPY) Postgres cannot answer from an
    index alone and visits the table for every row it counts. Vacuumed once, the database is then
    measured as a server that has been running would hold it.
    """
    import psycopg

    from bench.harness import database_url

    with psycopg.connect(database_url(database), autocommit=True) as conn:
        row = conn.execute(
            "SELECT last_vacuum IS NOT NULL OR last_autovacuum IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname = 'articles_article'"
        ).fetchone()
        if row is None or row[0]:
            return None
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE)")
        return round(time.perf_counter() - started, 2)


def _seed(scale, env: dict[str, str], seed: int) -> dict:  # noqa: ANN001 - Scale
    """Three phases; the stories are copied by one process a core at once (the tsvector column and the
    row formatting cost CPU on both sides of the COPY)."""
    from datetime import UTC, datetime

    common = ["--articles", str(scale.pages_articles), "--feeds", str(scale.pages_feeds), "--seed", str(seed)]
    common += ["--now", datetime.now(UTC).replace(microsecond=0).isoformat()]

    def child(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [PYTHON, "-m", "bench.seed", "pages", *args, *common],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def result(proc: subprocess.Popen) -> dict:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"seeding the pages database failed:\n{err[-3000:]}")
        return json.loads(out.strip().splitlines()[-1])

    started = time.perf_counter()
    prepare = result(child("prepare"))
    shards = max(1, min(4, os.cpu_count() or 1))
    copies = [result(p) for p in [child("articles", "--shard", f"{k}/{shards}") for k in range(shards)]]
    copied = time.perf_counter()
    finish = result(
        child("finish", "--users", str(scale.pages_users), "--subscriptions", str(scale.pages_subscriptions))
    )
    return {
        "articles": scale.pages_articles,
        "feeds": scale.pages_feeds,
        "users": scale.pages_users,
        "subscriptions_per_user": scale.pages_subscriptions,
        "seconds": round(time.perf_counter() - started, 2),
        "timings": {
            "prepare": prepare["seconds"],
            "articles_copy": round(copied - started - prepare["seconds"], 2),
            "articles_copy_processes": shards,
            **finish["timings"],
        },
        "rows_copied": sum(c["rows"] for c in copies),
        "cluster_members": finish.get("cluster_members"),
    }


# --- gunicorn and the load ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(env: dict[str, str], workers: int, logfile: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    args = [PYTHON, "-m", "gunicorn", "newsreader.wsgi:application", "--workers", str(workers)]
    args += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with logfile.open("ab") as out:
        proc = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{logfile.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{base}/healthz/live", timeout=2).read()
            return proc, base
        except urllib.error.HTTPError:
            return proc, base  # it answers, whatever it thinks of that URL
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("gunicorn did not answer in 60 s")


def _status(base: str, cookie: str, path: str) -> int:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


_WRK_SCRIPT = """
local reqs = %s
local i = 0
request = function()
  i = i %% #reqs + 1
  return wrk.format("GET", reqs[i][2], {["Cookie"] = reqs[i][1]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\":%%d,\\"errors\\":%%d,\\"non2xx\\":%%d,\\"duration_us\\":%%d," ..
    "\\"p50_us\\":%%d,\\"p95_us\\":%%d,\\"p99_us\\":%%d}\\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_list(pairs: list[list[str]]) -> str:
    # JSON strings of ASCII are Lua strings too; cookies and paths here are ASCII.
    return "{" + ",".join("{" + json.dumps(c) + "," + json.dumps(p) + "}" for c, p in pairs) + "}"


def _wrk(wrk: str, base: str, pairs: list[list[str]], connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % _lua_list(pairs))
    try:
        threads = min(2, connections)
        done = subprocess.run(
            [
                wrk,
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "10s",
            ]
            + ["-s", script.name, base + "/"],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    raw = json.loads(line.removeprefix("BENCHJSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "errors": raw["errors"] + raw["non2xx"],
        "requests_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "tool": "wrk",
    }


async def _async_load(base: str, pairs: list[list[str]], connections: int, seconds: float) -> dict:
    """A fallback load generator: `connections` clients, each one request at a time, new connection per
    request (gunicorn's sync workers close it anyway)."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = 0

    async def client() -> None:
        nonlocal errors, counter
        while time.perf_counter() < deadline:
            cookie, path = pairs[counter % len(pairs)]
            counter += 1
            started = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection(host, int(port))
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode()
                )
                data = await asyncio.wait_for(reader.read(), 30)
                writer.close()
                ok = data[9:12] == b"200"
            except (OSError, TimeoutError):
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": rounded(percentile(latencies, 50) * 1000, 2),
        "p95_ms": rounded(percentile(latencies, 95) * 1000, 2),
        "p99_ms": rounded(percentile(latencies, 99) * 1000, 2),
        "tool": "asyncio",
    }


def _load(wrk: str | None, base: str, pairs: list[list[str]], connections: int, seconds: float) -> dict:
    if wrk:
        return _wrk(wrk, base, pairs, connections, seconds)
    return asyncio.run(_async_load(base, pairs, connections, seconds))


def run(scale, *, workdir: Path, seed: int, reseed: bool, install: bool) -> dict:  # noqa: ANN001 - Scale
    (workdir / "pages").mkdir(parents=True, exist_ok=True)
    db = ensure_database(scale, workdir=workdir, seed=seed, reseed=reseed)
    env = db.pop("env")
    vacuum_s = vacuum_once(db["database"])
    if vacuum_s is not None:
        log(f"pages: vacuumed {db['database']} in {vacuum_s} s")
    db["vacuum_seconds"] = vacuum_s
    prepared = subprocess.run(
        [PYTHON, "-m", "bench.pages", "prepare", "--users", str(min(SESSIONS, scale.pages_users))],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if prepared.returncode != 0:
        raise RuntimeError(f"preparing the pages failed:\n{prepared.stderr[-3000:]}")
    plan = json.loads(prepared.stdout.strip().splitlines()[-1])
    wrk = ensure_debian_package("wrk", "wrk", install)
    workers = 2 * (os.cpu_count() or 1) + 1
    proc, base = _start_gunicorn(env, workers, workdir / "pages" / "gunicorn.log")
    results: dict[str, dict] = {}
    missing: list[str] = []
    try:
        for kind in PAGE_KINDS:
            pairs = plan["targets"][kind]
            status = _status(base, *pairs[0]) if pairs else None
            entry: dict = {"status": status, "queries": plan["queries"].get(kind)}
            if status != 200:
                missing.append(kind)
                entry["note"] = "not measured: the page does not answer 200"
                results[kind] = entry
                log(f"pages: {kind} answers {status}: not measured")
                continue
            if scale.name == "full":
                _load(wrk, base, pairs, 2 * workers, 2.0)  # warm every worker
            entry["c1"] = _load(wrk, base, pairs, 1, scale.pages_duration_s)
            entry["c16"] = _load(wrk, base, pairs, 16, scale.pages_duration_s)
            results[kind] = entry
            log(
                f"pages: {kind}: c1 p50 {entry['c1']['p50_ms']} ms p95 {entry['c1']['p95_ms']} ms; "
                f"c16 {entry['c16']['requests_per_s']} req/s; {entry['queries'].get('queries')} queries"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "database": db,
        "gunicorn_workers": workers,
        "load_generator": "wrk" if wrk else "asyncio",
        "duration_s": scale.pages_duration_s,
        "pages": results,
        "search_mix": plan.get("search_mix"),
        "top_ranking": plan.get("top"),
        "missing": missing,
        "load_average": os.getloadavg(),
    }


def drop_databases() -> None:
    """Remove this run's benchmark databases (`python -m bench --drop`): those of its BENCH_DB_PREFIX,
    not those of a run kept apart with another prefix."""
    with pg_admin_connect() as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database") if is_own_database(r[0])]
    with pg_admin_connect() as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare")
    prepare.add_argument("--users", type=int, default=SESSIONS)
    args = parser.parse_args(argv)
    print(json.dumps(_prepare(args.users)), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
