"""Fast seeding of a benchmark database with COPY (psycopg 3 `cursor.copy`), run in a Django child process.

Rows are written with every concrete column of the model, taking a field's default when the row does not
name it, so a column another engineer adds later (with a default or NULL allowed) does not break seeding.

    python -m bench.seed refresh --feeds N --base-url URL --space S --seed K
    python -m bench.seed pages prepare|articles|finish --articles N --feeds F --now T [--shard k/n]
        [--users U --subscriptions S] [--seed K]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsreader.settings")
    import django

    django.setup()


def _column_values(model) -> list[tuple[str, str, object]]:  # noqa: ANN001 - a Django model
    """(attname, column, default) for every concrete column; a callable default is called per row."""
    from django.db.models import NOT_PROVIDED

    out = []
    for f in model._meta.concrete_fields:
        if getattr(f, "generated", False):
            continue  # the database computes it
        if f.has_default():
            default = f.default
        elif getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            default = NOT_PROVIDED  # leave it to the database
        elif f.null:
            default = None
        elif f.get_internal_type() in ("CharField", "TextField", "SlugField", "URLField", "EmailField"):
            default = ""
        else:
            default = NOT_PROVIDED
        out.append((f.attname, f.column, default))
    return out


def copy_rows(model, rows: Iterable[dict], *, columns_from: dict | None = None) -> int:  # noqa: ANN001
    """COPY `rows` (dicts keyed by field attname) into the model's table. Returns the row count."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    plan = []
    for attname, column, default in _column_values(model):
        if attname in first:
            plan.append((attname, column, None))
        elif default is NOT_PROVIDED:
            continue
        else:
            plan.append((attname, column, default))
    names = ", ".join(f'"{column}"' for _, column, _ in plan)
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copy:
            for row in _chain(first, rows):
                values = []
                for attname, _, default in plan:
                    if attname in row:
                        values.append(row[attname])
                    else:
                        values.append(default() if callable(default) else default)
                copy.write_row(values)
                count += 1
    return count


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest


def reset_sequences(*models) -> None:  # noqa: ANN002 - Django models
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def guid_hash(guid: str) -> str:
    return hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()


# --- refresh: the simulator's feeds, as after one earlier refresh -------------------------------------


def seed_refresh(
    *, feeds: int, base_url: str, space: str, seed: int, due_at: datetime, t_base: datetime
) -> dict:
    """Publishers and feeds of the simulator space, each holding version 0's ETag and Last-Modified and
    version 0's stories, all due at `due_at`."""
    from articles.models import Article, Feed, Publisher
    from bench.simulator import Mix, PublisherSet

    publishers = PublisherSet(n_feeds=feeds, seed=seed, mix=Mix(), t_base=t_base)
    started = time.perf_counter()
    copy_rows(
        Publisher,
        (
            {"id": i + 1, "name": f"Publisher {i}", "slug": f"sim-{i}", "site_url": f"{base_url}/site/{i}/"}
            for i in range(feeds)
        ),
    )
    copy_rows(
        Feed,
        (
            {
                "id": i + 1,
                "publisher_id": i + 1,
                "url": f"{base_url}/{space}/feeds/{i}.xml",
                "title": f"Publisher {i}",
                "site_url": f"{base_url}/site/{i}/",
                "etag": publishers.etag(i, 0),
                "last_modified": publishers.last_modified(i, 0),
                "next_check_at": due_at,
                "last_checked_at": due_at - timedelta(hours=1),
                "last_status": 200,
            }
            for i in range(feeds)
        ),
    )

    def stories() -> Iterator[dict]:
        for i in range(feeds):
            for n in publishers.story_numbers(0):
                story = publishers.story(base_url, i, n)
                url = str(story["url"])
                yield {
                    "feed_id": i + 1,
                    "publisher_id": i + 1,
                    "guid": url,
                    "guid_hash": guid_hash(url),
                    "url": url,
                    "title": story["title"],
                    "author": story["author"],
                    "published_at": story["published"],
                    "summary": "",
                    "content_html": story["body"],
                    "text": "",
                    "extraction_status": "extracted",
                    "created_at": due_at - timedelta(hours=1),
                    "updated_at": due_at - timedelta(hours=1),
                }

    articles = copy_rows(Article, stories())
    reset_sequences(Publisher, Feed, Article)
    _analyze()
    from django.conf import settings

    return {
        "feeds": feeds,
        "articles": articles,
        "seconds": round(time.perf_counter() - started, 2),
        # What the workers will run with (they share this environment).
        "settings": {
            "batch_size": settings.FEED_BATCH_SIZE,
            "task_batch": getattr(settings, "FEED_TASK_BATCH", None),
            "fetch_concurrency": getattr(settings, "FETCH_CONCURRENCY", None),
            "extract_full_text": settings.EXTRACT_FULL_TEXT,
        },
    }


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- pages: a big reader --------------------------------------------------------------------------------

# A query mix for search: rare words (a handful of hits) and very common ones (a large share of rows).
COMMON_WORDS = ["people", "year", "said", "time", "new"]


def _vocabulary(seed: int) -> tuple[list[str], list[str]]:
    """Sentences and titles from the corpus's real texts, so word frequencies look like news."""
    from bench.simulator import _paragraphs, corpus_articles_dir

    sentences: list[str] = []
    for paragraph in _paragraphs(corpus_articles_dir()):
        sentences.extend(s.strip() + "." for s in paragraph.split(". ") if 40 < len(s) < 300)
    rng = random.Random(seed)
    rng.shuffle(sentences)
    titles = [s[:100].rstrip(".,;: ") for s in sentences]
    return sentences, titles


def _pages_models():  # noqa: ANN202
    from django.contrib.auth import get_user_model

    from articles.models import Article, Feed, Publisher
    from subscriptions.models import ReadingList, ReadingListItem, ReadState, Subscription

    return get_user_model(), Publisher, Feed, Article, Subscription, ReadingList, ReadingListItem, ReadState


def _bulk_session(maintenance_work_mem: str = "512MB") -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")


def seed_pages_prepare(*, feeds: int, now: datetime) -> dict:
    """Phase 1: drop what slows a bulk load (kept in a table for phase 3), then publishers and feeds."""
    from django.db import connection

    User, Publisher, Feed, Article, Subscription, ReadingList, ReadingListItem, ReadState = _pages_models()
    started = time.perf_counter()
    _bulk_session()
    restore: list[str] = []
    for model in (Article, Subscription, ReadingListItem, ReadState):
        restore += _drop_for_bulk_load(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_seed_restore (position int, statement text)")
        for position, statement in enumerate(restore):
            cursor.execute("INSERT INTO bench_seed_restore VALUES (%s, %s)", [position, statement])
    copy_rows(
        Publisher,
        (
            {
                "id": i + 1,
                "name": f"Publisher {i}",
                "slug": f"publisher-{i}",
                "site_url": f"https://publisher{i}.example.org/",
                "category": ["News", "Technology", "Science", "Business", "Sport"][i % 5],
                "country": ["United Kingdom", "United States", "France", "India"][i % 4],
                "language": "en",
                "in_catalogue": i < 1000,
            }
            for i in range(feeds)
        ),
    )
    copy_rows(
        Feed,
        (
            {
                "id": i + 1,
                "publisher_id": i + 1,
                "url": f"https://publisher{i}.example.org/feed.xml",
                "title": f"Publisher {i}",
                "site_url": f"https://publisher{i}.example.org/",
                "next_check_at": now + timedelta(hours=1),
            }
            for i in range(feeds)
        ),
    )
    return {"seconds": round(time.perf_counter() - started, 2), "dropped": len(restore)}


SPAN = timedelta(days=30)


def _mixed(k: int, seed: int) -> int:
    return (k * 2654435761 + seed * 40503) & 0xFFFFFFFF


def _published(k: int, *, seed: int, articles: int, now: datetime) -> datetime:
    """Story k's time: growing with k over the last 30 days, a few seconds of jitter."""
    return now - timedelta(seconds=SPAN.total_seconds() * (1 - k / articles) + (_mixed(k, seed) >> 16) % 60)


def _title(k: int, seed: int, titles: list[str]) -> str:
    return titles[(_mixed(k, seed) >> 8) % len(titles)]


def seed_pages_articles(
    *, articles: int, feeds: int, seed: int, now: datetime, shard: int, shards: int
) -> dict:
    """Phase 2 (one process a shard, in parallel): a contiguous range of the stories. Story k belongs to
    feed k % feeds and is published at a time growing with k over the last 30 days. Every value is a
    function of (seed, k), so the data does not depend on the number of shards."""
    _User, _Publisher, _Feed, Article, *_ = _pages_models()
    sentences, titles = _vocabulary(seed)
    n_sentences = len(sentences)
    lo, hi = articles * shard // shards, articles * (shard + 1) // shards
    started = time.perf_counter()
    _bulk_session()

    def rows() -> Iterator[dict]:
        for k in range(lo, hi):
            feed = k % feeds
            mixed = _mixed(k, seed)
            start = mixed % n_sentences
            body = " ".join(sentences[(start + j) % n_sentences] for j in range(3))
            # A rare word: each appears in five stories of a million, so a search for it finds few.
            body += f" Keyword zq{k % 200_000:06d}x."
            published = _published(k, seed=seed, articles=articles, now=now)
            url = f"https://publisher{feed}.example.org/story/{k}"
            yield {
                "id": k + 1,
                "feed_id": feed + 1,
                "publisher_id": feed + 1,
                "guid": url,
                "guid_hash": guid_hash(url),
                "url": url,
                "title": _title(k, seed, titles),
                "author": f"Reporter {k % 97}",
                "published_at": published,
                "summary": body[:300],
                "content_html": f"<p>{body}</p>",
                "text": body,
                "word_count": body.count(" ") + 1,
                "reading_time": 1,
                "language": "en",
                "extraction_status": "extracted",
                "created_at": published,
                "updated_at": published,
            }

    count = copy_rows(Article, rows())
    return {"rows": count, "seconds": round(time.perf_counter() - started, 2)}


def seed_pages_finish(
    *, articles: int, feeds: int, users: int, subscriptions: int, seed: int, now: datetime
) -> dict:
    """Phase 3: users following `subscriptions` feeds each, with read states and a Read later list; then
    the indexes and constraints back, sequences and statistics."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    User, Publisher, Feed, Article, Subscription, ReadingList, ReadingListItem, ReadState = _pages_models()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    _bulk_session()
    rng = random.Random(seed)
    password = make_password("bench-password")
    copy_rows(
        User,
        (
            {
                "id": u + 1,
                "username": f"bench{u}",
                "email": f"bench{u}@example.org",
                "password": password,
                "is_active": True,
                "date_joined": now - timedelta(days=100),
            }
            for u in range(users)
        ),
    )
    follows = {u: rng.sample(range(feeds), min(subscriptions, feeds)) for u in range(users)}
    copy_rows(
        Subscription,
        ({"user_id": u + 1, "feed_id": f + 1, "created_at": now} for u in range(users) for f in follows[u]),
    )
    copy_rows(
        ReadingList,
        ({"id": u + 1, "user_id": u + 1, "name": "Read later", "is_default": True} for u in range(users)),
    )
    per_user_saved, per_user_read = 50, 100

    def saved(u: int) -> list[int]:
        r = random.Random(seed * 7919 + u)
        return sorted({r.randrange(articles) + 1 for _ in range(per_user_saved)})

    copy_rows(
        ReadingListItem,
        (
            {"reading_list_id": u + 1, "article_id": a, "added_at": now - timedelta(minutes=a % 5000)}
            for u in range(users)
            for a in saved(u)
        ),
    )

    def read(u: int) -> list[int]:
        # Recent stories of the user's feeds: what shows at the top of the river.
        r = random.Random(seed * 104729 + u)
        ids = set()
        for _ in range(per_user_read):
            feed = r.choice(follows[u])
            newest = feed + feeds * ((articles - 1 - feed) // feeds)  # story k belongs to feed k % feeds
            k = newest - feeds * r.randrange(max(1, articles // feeds // 10))
            if k >= 0:
                ids.add(k + 1)
        return sorted(ids)

    copy_rows(
        ReadState,
        ({"user_id": u + 1, "article_id": a, "read_at": now} for u in range(users) for a in read(u)),
    )
    timings["users_subscriptions"] = round(time.perf_counter() - started, 2)
    t = time.perf_counter()
    cluster_members = seed_pages_clusters(articles=articles, feeds=feeds, seed=seed, now=now)
    timings["clusters"] = round(time.perf_counter() - t, 2)
    from discovery.models import ClusterMember, StoryCluster

    reset_sequences(Publisher, Feed, Article, User, Subscription, ReadingList, ReadingListItem, ReadState)
    reset_sequences(StoryCluster, ClusterMember)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM bench_seed_restore ORDER BY position")
        statements = [row[0] for row in cursor.fetchall()]
    t = time.perf_counter()
    timings.update(_restore(statements))
    timings["indexes_and_constraints"] = round(time.perf_counter() - t, 2)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_seed_restore")
        # Once, as a running server's autovacuum would after the load: statistics, and the visibility map
        # without which Postgres visits the table for every row an index could answer. (ANALYZE alone, then
        # VACUUM (ANALYZE) later, would gather the statistics twice: 40 s at a million stories.)
        t = time.perf_counter()
        cursor.execute("VACUUM (ANALYZE)")
        timings["vacuum_analyze"] = round(time.perf_counter() - t, 2)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "timings": timings,
        "cluster_members": cluster_members,
    }


# Stories covered by several publishers: how many catalogue publishers a story of a round gets (1: none
# other), drawn in turn; and the share of a story's later members that are syndicated copies of its first.
CLUSTER_SIZES = (1, 1, 1, 2, 2, 3, 4, 5, 8, 12)
DUPLICATE_SHARE = 0.15


def seed_pages_clusters(*, articles: int, feeds: int, seed: int, now: datetime) -> int:
    """Story clusters over the catalogue publishers' stories, as the worker would have made them: story k
    belongs to feed k % feeds, so a round of `feeds` consecutive stories holds one story a feed, published
    within a few hours; the catalogue's stories of a round (feeds below 1,000, the `in_catalogue` ones) are
    cut into runs of CLUSTER_SIZES, each run of two or more one story with that many publishers. Returns the
    members written."""
    from discovery.models import ClusterMember, StoryCluster

    _sentences, titles = _vocabulary(seed)
    catalogue = min(1000, feeds)
    clusters: list[dict] = []
    members: list[dict] = []
    for first_k in range(0, articles, feeds):  # one round
        rng = random.Random(seed * 65537 + first_k)
        j = 0
        while j < catalogue:
            size = min(rng.choice(CLUSTER_SIZES), catalogue - j)
            ks = [k for k in range(first_k + j, first_k + j + size) if k < articles]
            j += size
            if len(ks) < 2:
                continue
            cluster_id = len(clusters) + 1
            times = [_published(k, seed=seed, articles=articles, now=now) for k in ks]
            clusters.append(
                {
                    "id": cluster_id,
                    "title": _title(ks[0], seed, titles),
                    "lead_article_id": ks[0] + 1,
                    "size": len(ks),
                    "publisher_count": len(ks),
                    "first_published_at": min(times),
                    "last_published_at": max(times),
                    "created_at": min(times),
                    "updated_at": max(times),
                }
            )
            for position, (k, published) in enumerate(zip(ks, times, strict=True)):
                copy = position > 0 and rng.random() < DUPLICATE_SHARE
                members.append(
                    {
                        "article_id": k + 1,
                        "cluster_id": cluster_id,
                        "similarity": 1.0 if position == 0 else round(0.3 + 0.7 * rng.random(), 4),
                        "is_duplicate": copy,
                        "duplicate_of_id": ks[0] + 1 if copy else None,
                        "joined_at": published,
                    }
                )
    copy_rows(StoryCluster, clusters)
    return copy_rows(ClusterMember, members)


def _restore(statements: list[str]) -> dict[str, float]:
    """Run the restore statements; the seconds each took. The indexes are built two at a time, the
    search index (the longest, by far) on one connection while the others are built on the second: index
    builds on one table share its lock. The constraints follow, one at a time (they lock what the
    builds read)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def timed(sql: str) -> tuple[str, float]:
        try:
            # A GIN build keeps its entries in memory up to maintenance_work_mem: at a million stories,
            # 2 GB builds the search index in about 60% of the time 512 MB takes (measured here).
            _bulk_session("2GB" if "USING gin" in sql else "512MB")
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql)
            return _statement_label(sql), round(time.perf_counter() - t, 2)
        finally:
            connection.close()  # this thread's own connection

    indexes = sorted(
        (sql for sql in statements if sql.startswith("CREATE")), key=lambda sql: "USING gin" not in sql
    )
    timings: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        timings.update(pool.map(timed, indexes))
    for sql in statements:
        if not sql.startswith("CREATE"):
            t = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(sql)
            timings[_statement_label(sql)] = round(time.perf_counter() - t, 2)
    return timings


def _statement_label(sql: str) -> str:
    """'index <name>' or 'constraint <name>' for a restore statement."""
    words = sql.replace('"', "").split()
    if words[:2] == ["CREATE", "INDEX"] or words[:3] == ["CREATE", "UNIQUE", "INDEX"]:
        return "index " + words[words.index("INDEX") + 1]
    if "CONSTRAINT" in words:
        return "constraint " + words[words.index("CONSTRAINT") + 1]
    return sql[:60]


def _drop_for_bulk_load(table: str) -> list[str]:
    """Drop the table's plain indexes, unique and foreign-key constraints before a bulk load, and return
    the statements that put them back. Building an index once over a million rows, and checking a
    foreign key with one join, is far cheaper than doing either a million times (deferred foreign keys
    even queue a trigger event per row until commit). The primary key stays: ids are appended in order."""
    from django.db import connection

    restore: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conname, pg_get_constraintdef(c.oid), c.contype FROM pg_constraint c
            WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'f')
            ORDER BY c.contype DESC
            """,
            [table],
        )
        constraints = cursor.fetchall()
        for name, definition, _ in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = %s AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [table],
        )
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore.insert(0, definition)  # plain indexes first, then unique, then foreign keys
    return restore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="kind", required=True)
    refresh = sub.add_parser("refresh")
    refresh.add_argument("--feeds", type=int, required=True)
    refresh.add_argument("--base-url", required=True)
    refresh.add_argument("--space", required=True)
    refresh.add_argument("--seed", type=int, default=1)
    refresh.add_argument("--due-at", required=True, help="ISO time")
    refresh.add_argument("--t-base", required=True, help="ISO time of the simulator's story 0")
    pages = sub.add_parser("pages")
    pages.add_argument("phase", choices=["prepare", "articles", "finish"])
    pages.add_argument("--articles", type=int, required=True)
    pages.add_argument("--feeds", type=int, required=True)
    pages.add_argument("--users", type=int, default=0)
    pages.add_argument("--subscriptions", type=int, default=0)
    pages.add_argument("--seed", type=int, default=1)
    pages.add_argument("--now", required=True, help="ISO time: 'now' for the seeded data")
    pages.add_argument("--shard", default="0/1", help="k/n: this process's share of the stories")
    args = parser.parse_args(argv)
    _setup_django()
    if args.kind == "refresh":
        result = seed_refresh(
            feeds=args.feeds,
            base_url=args.base_url,
            space=args.space,
            seed=args.seed,
            due_at=datetime.fromisoformat(args.due_at),
            t_base=datetime.fromisoformat(args.t_base),
        )
    elif args.phase == "prepare":
        result = seed_pages_prepare(feeds=args.feeds, now=datetime.fromisoformat(args.now))
    elif args.phase == "articles":
        shard, shards = (int(x) for x in args.shard.split("/"))
        result = seed_pages_articles(
            articles=args.articles,
            feeds=args.feeds,
            seed=args.seed,
            now=datetime.fromisoformat(args.now),
            shard=shard,
            shards=shards,
        )
    else:
        result = seed_pages_finish(
            articles=args.articles,
            feeds=args.feeds,
            users=args.users,
            subscriptions=args.subscriptions,
            seed=args.seed,
            now=datetime.fromisoformat(args.now),
        )
    print(json.dumps(result), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
