"""Reading: the river, one article, reading lists and unread counts, each scoped to one user.

Every selector here takes the user and filters by it in the same query, so no caller (our views, the
Google Reader and Fever adapters) can forget the ownership check. Per-user flags (`is_read`, `is_saved`)
are `Exists()` subqueries, so a page costs the same number of queries whatever its length.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from django.core.cache import BaseCache, caches
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

from articles.models import Article
from newsreader.db import execute_prepared
from subscriptions.models import ReadingList, ReadingListItem, ReadState, Subscription
from subscriptions.reader_cache import FOLLOWS, READS, reader_cached

# A keyset cursor: the (published_at, id) of the last story shown; the next page starts after it.
Cursor = tuple[datetime, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_QS = TypeVar("_QS", bound=QuerySet)
_MICROSECOND = timedelta(microseconds=1)

# The columns a story card shows; everything else (the full text, hashes) stays in the database.
RIVER_COLUMNS = (
    "id",
    "title",
    "url",
    "summary",
    "lead_image_url",
    "reading_time",
    "published_at",
    "feed_id",
    "publisher_id",
    "publisher__id",
    "publisher__name",
    "publisher__slug",
    "publisher__logo_url",
)


# --- Cursors ---------------------------------------------------------------------------------------


def cursor_encode(*, at: datetime, pk: int) -> str:
    """A URL-safe keyset cursor: microseconds since the epoch and the id, e.g. `1718000000000000_42`.

    Integers, not an ISO date, so the value survives a query string untouched and compares exactly
    with what the database stores (both keep microseconds).
    """
    return f"{(at - _EPOCH) // _MICROSECOND}_{pk}"


_CURSOR = re.compile(r"(-?[0-9]{1,19})_([0-9]{1,19})")


def cursor_decode(value: str | None) -> Cursor | None:
    """The (datetime, id) in a cursor, or None when it is missing or malformed (hostile query strings)."""
    match = _CURSOR.fullmatch(value or "")
    if match is None:
        return None
    pk = int(match[2])
    try:
        at = _EPOCH + int(match[1]) * _MICROSECOND
    except OverflowError:
        return None
    if pk > 2**63 - 1:
        return None
    return at, pk


# The first, redundant bound (`<=` / `>=`) is one an index on the date can start from: the OR alone
# is only a filter, and Postgres then walked the whole date index to find a story's newer neighbour.


def _older_than(cursor: Cursor, *, field_name: str = "published_at") -> Q:
    at, pk = cursor
    return Q(**{f"{field_name}__lte": at}) & (
        Q(**{f"{field_name}__lt": at}) | Q(**{field_name: at, "id__lt": pk})
    )


def _newer_than(cursor: Cursor, *, field_name: str = "published_at") -> Q:
    at, pk = cursor
    return Q(**{f"{field_name}__gte": at}) & (
        Q(**{f"{field_name}__gt": at}) | Q(**{field_name: at, "id__gt": pk})
    )


# --- Compiled once ---------------------------------------------------------------------------------

_COMPILED: dict[tuple, tuple[str, list[tuple[str | None, object]], SQLCompiler]] = {}
_CONVERTERS: dict[SQLCompiler, dict] = {}
_SENTINEL_INT = -7_300_000_000_000
_SENTINEL_AT = datetime(1901, 2, 3, 4, 5, tzinfo=UTC)


def _compiled(
    key: tuple, build: Callable[..., QuerySet], values: dict[str, int | datetime | None]
) -> tuple[str, list, SQLCompiler]:
    shape = (connection.vendor, key, tuple(name for name, value in values.items() if value is None))
    entry = _COMPILED.get(shape)
    if entry is None:
        sentinels: dict[str, int | datetime | None] = {}
        by_param: dict[object, str] = {}
        for i, (name, value) in enumerate(values.items()):
            if value is None:
                sentinels[name] = None
            elif isinstance(value, datetime):
                at = _SENTINEL_AT + timedelta(microseconds=i)
                sentinels[name] = at
                by_param[connection.ops.adapt_datetimefield_value(at)] = name
            else:
                sentinels[name] = _SENTINEL_INT - i
                by_param[_SENTINEL_INT - i] = name
        compiler = build(**sentinels).query.get_compiler(connection=connection)
        compiled, compiled_params = compiler.as_sql()
        slots: list[tuple[str | None, object]] = [
            (by_param.get(p) if type(p) in (int, str, datetime) else None, p) for p in compiled_params
        ]
        if {name for name, _ in slots if name} != set(by_param.values()):
            raise RuntimeError(f"compiled SQL {key}: a value did not reach the parameters")
        entry = _COMPILED[shape] = (compiled, slots, compiler)
    sql, slots, compiler = entry
    params = []
    for slot, param in slots:
        given: object = param if slot is None else values[slot]
        params.append(
            connection.ops.adapt_datetimefield_value(given) if isinstance(given, datetime) else given
        )
    return sql, params, compiler


def compiled_sql(
    key: tuple, build: Callable[..., QuerySet], values: dict[str, int | datetime | None]
) -> tuple[str, list]:
    """The SQL and parameters of `build(**values)`, the ORM's work done once per shape.

    Building and compiling a query with several Exists() subqueries costs the river about 5 ms of Python
    a query, more than Postgres takes to run it. So the queryset is built once per `key` and shape (which
    of `values` are None) with a sentinel for each value (ids and datetimes), and its compiled parameters
    remember where the sentinels went; each call then puts its values there. The SQL is the ORM's own,
    whatever the database. Whatever else shapes the query (a limit, a flag) belongs in `key`. Run it
    with newsreader.db.execute_prepared, so that Postgres plans it once per connection too.
    """
    sql, params, _ = _compiled(key, build, values)
    return sql, params


def compiled_rows(
    key: tuple, build: Callable[..., QuerySet], values: dict[str, int | datetime | None]
) -> list[tuple]:
    """The rows of `build(**values)` (a `.values_list()` queryset) through compiled_sql, converted as the
    ORM converts them (dates and booleans on SQLite, say)."""
    sql, params, compiler = _compiled(key, build, values)
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, params)
        rows = cursor.fetchall()
    converters = _CONVERTERS.get(compiler)
    if converters is None:
        # The ORM works them out again on every fetch (a look at each column's field, 0.03 ms a query);
        # they depend only on the query, compiled once.
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = _CONVERTERS[compiler] = compiler.get_converters(fields)
    if not converters:
        return [tuple(row) for row in rows]
    return [tuple(row) for row in compiler.apply_converters(rows, converters)]


# --- Building blocks (also used by services/reading.py) ---------------------------------------------


def _read_exists(user, article_ref: str = "pk") -> Exists:
    return Exists(ReadState.objects.filter(user=user, article_id=OuterRef(article_ref)))


def _saved_exists(user, article_ref: str = "pk") -> Exists:
    """Saved means: in the user's Read later list (the star of the Google Reader and Fever APIs)."""
    return Exists(
        ReadingListItem.objects.filter(
            reading_list__user=user, reading_list__is_default=True, article_id=OuterRef(article_ref)
        )
    )


def _in_any_list_exists(user) -> Exists:
    return Exists(ReadingListItem.objects.filter(reading_list__user=user, article_id=OuterRef("pk")))


def articles_visible_to_user(*, user) -> QuerySet[Article]:
    """Articles the user may open: from a feed they follow, in one of their lists, or in the catalogue."""
    followed = Subscription.objects.filter(user=user).values("feed_id")
    return Article.objects.filter(
        Q(feed_id__in=followed) | Q(publisher__in_catalogue=True) | _in_any_list_exists(user)
    )


def _followed_feeds(*, user, folder_id: int | None = None) -> QuerySet:
    """The ids of the feeds the user follows (in a folder), as a subquery."""
    subscriptions = Subscription.objects.filter(user=user)
    if folder_id is not None:
        subscriptions = subscriptions.filter(folder_id=folder_id)
    return subscriptions.values("feed_id")


def _without_copies(
    qs: _QS, *, user, folder_id: int | None, feed_id: int | None, per_story: bool = False
) -> _QS:
    """Leave out syndicated copies whose original is in the same river: a wire story shows once (its
    card says "also in N sources"). Discovery's clustering marks the copies.

    `per_story` looks each story up (not_a_syndicated_copy_of_followed), for queries that do not walk
    the river in order, such as the unread count."""
    # discovery imports this module
    from discovery.selectors import not_a_syndicated_copy_of_followed, syndicated_copy_of_followed_exists

    feeds = [feed_id] if feed_id is not None else _followed_feeds(user=user, folder_id=folder_id)
    if per_story:
        return qs.filter(not_a_syndicated_copy_of_followed(feeds=feeds))
    return qs.filter(~syndicated_copy_of_followed_exists(feeds=feeds))


def river_scope_for_user(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    starred_only: bool = False,
) -> QuerySet[Article]:
    """The stories a river shows before the read filter, ordering and paging: unordered, unannotated.

    Without `starred_only` that is the stories of the feeds the user follows (narrowed to a folder, a
    feed or a publisher); with it, the stories in their Read later list, wherever those came from.
    """
    if starred_only:
        qs = Article.objects.filter(_saved_exists(user))
        if folder_id is not None:
            folder_feeds = Subscription.objects.filter(user=user, folder_id=folder_id).values("feed_id")
            qs = qs.filter(feed_id__in=folder_feeds)
    else:
        qs = Article.objects.filter(feed_id__in=_followed_feeds(user=user, folder_id=folder_id))
    if feed_id is not None:
        qs = qs.filter(feed_id=feed_id)
    if publisher_id is not None:
        qs = qs.filter(publisher_id=publisher_id)
    return qs


# --- The river -------------------------------------------------------------------------------------


def river_for_user(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    unread_only: bool = False,
    starred_only: bool = False,
    before: Cursor | None = None,
    after_id: int | None = None,
    limit: int | None = 30,
) -> QuerySet[Article]:
    """The user's stories, newest first by (published_at, id), with `is_read` and `is_saved` set.

    A syndicated copy of a story whose original is in the same river is left out (not in the Read later
    river, where the user chose each story).

    `before` is a keyset cursor (the (published_at, id) of the last story already shown): the page
    starts strictly after it, so a story arriving meanwhile never shifts or repeats a page. `after_id`
    keeps stories with a larger id (Fever's `since_id`). `limit=None` leaves the queryset unsliced for
    callers that page it themselves. One query, whatever the limit.
    """
    qs = (
        river_scope_for_user(
            user=user,
            feed_id=feed_id,
            folder_id=folder_id,
            publisher_id=publisher_id,
            starred_only=starred_only,
        )
        .select_related("publisher")
        .only(*RIVER_COLUMNS)
        .annotate(is_read=_read_exists(user), is_saved=_saved_exists(user))
    )
    if not starred_only:
        qs = _without_copies(qs, user=user, folder_id=folder_id, feed_id=feed_id)
    if unread_only:
        qs = qs.filter(is_read=False)
    if before is not None:
        qs = qs.filter(_older_than(before))
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    qs = qs.order_by("-published_at", "-id")
    if limit is not None:
        qs = qs[:limit]
    return qs


@dataclass(frozen=True, slots=True)
class PublisherRef:
    id: int
    name: str
    slug: str
    logo_url: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class RiverStory:
    """A river card's story: the columns river_for_user loads, as plain values."""

    id: int
    title: str
    url: str
    summary: str
    lead_image_url: str
    reading_time: int
    published_at: datetime
    feed_id: int
    publisher_id: int
    publisher: PublisherRef
    is_read: bool
    is_saved: bool

    @property
    def pk(self) -> int:
        return self.id


# The card's columns as plain values: the publisher's id is publisher_id already; read and saved annotated.
_RIVER_ROW = (*(c for c in RIVER_COLUMNS if c != "publisher__id"), "is_read", "is_saved")


def river_page_for_user(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    unread_only: bool = False,
    starred_only: bool = False,
    before: Cursor | None = None,
    limit: int = 30,
) -> list[RiverStory]:
    """river_for_user's page as RiverStory values, for the river page: its SQL is compiled once per shape
    (compiled_rows), and no model instances are made. One query.

    The page's stories are picked by their ids first (river_for_user's filters, order and limit, inside),
    then read with their columns and flags (outside). Inside, Postgres needs only the date, id and feed of
    each story it passes, which the river's date index holds (article_river_feed_idx): a reader who
    follows 2% of the feeds passes about 1,500 stories to fill a page, and reading each one's row to learn
    its feed cost two thirds of the page's SQL time."""

    def build(user, feed_id, folder_id, publisher_id, before_at, before_id) -> QuerySet:  # noqa: ANN001
        cursor = (before_at, before_id) if before_at is not None else None
        page = river_for_user(
            user=user,
            feed_id=feed_id,
            folder_id=folder_id,
            publisher_id=publisher_id,
            unread_only=unread_only,
            starred_only=starred_only,
            before=cursor,
            limit=limit,
        ).values("id")
        return (
            Article.objects.filter(id__in=page)
            .select_related("publisher")
            .only(*RIVER_COLUMNS)
            .annotate(is_read=_read_exists(user), is_saved=_saved_exists(user))
            .order_by("-published_at", "-id")
            .values_list(*_RIVER_ROW)
        )

    values = {
        "user": user.pk,
        "feed_id": feed_id,
        "folder_id": folder_id,
        "publisher_id": publisher_id,
        "before_at": before[0] if before else None,
        "before_id": before[1] if before else None,
    }
    rows = compiled_rows(("river_page", unread_only, starred_only, limit), build, values)
    return [
        RiverStory(
            id=pk,
            title=title,
            url=url,
            summary=summary,
            lead_image_url=image,
            reading_time=reading_time,
            published_at=published_at,
            feed_id=feed,
            publisher_id=publisher,
            publisher=PublisherRef(id=publisher, name=name, slug=slug, logo_url=logo),
            is_read=bool(is_read),
            is_saved=bool(is_saved),
        )
        for (
            pk,
            title,
            url,
            summary,
            image,
            reading_time,
            published_at,
            feed,
            publisher,
            name,
            slug,
            logo,
            is_read,
            is_saved,
        ) in rows
    ]


@dataclass
class Neighbours:
    newer: Article | None = None
    older: Article | None = None


def river_neighbours_for_user(
    *,
    user,
    article: Article,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    unread_only: bool = False,
    starred_only: bool = False,
) -> Neighbours:
    """The stories just above (newer) and below (older) `article` in the river it was opened from.

    Two queries, each compiled once per shape (compiled_rows); the stories come with their id, title and
    date only. The unread filter applies only going down the river: going back up must reach the
    story just read, which the filter would now hide.
    """

    def build(user, feed_id, folder_id, publisher_id, at, pk, *, older: bool) -> QuerySet:  # noqa: ANN001
        scope = river_scope_for_user(
            user=user,
            feed_id=feed_id,
            folder_id=folder_id,
            publisher_id=publisher_id,
            starred_only=starred_only,
        )
        if not starred_only:
            scope = _without_copies(scope, user=user, folder_id=folder_id, feed_id=feed_id)
        if older:
            scope = scope.filter(_older_than((at, pk)))
            if unread_only:
                scope = scope.filter(~_read_exists(user))
            scope = scope.order_by("-published_at", "-id")
        else:
            scope = scope.filter(_newer_than((at, pk))).order_by("published_at", "id")
        return scope.values_list("id", "title", "published_at")[:1]

    values = {
        "user": user.pk,
        "feed_id": feed_id,
        "folder_id": folder_id,
        "publisher_id": publisher_id,
        "at": article.published_at,
        "pk": article.pk,
    }
    found = {}
    for older in (True, False):
        key = ("river_neighbour", older, unread_only and older, starred_only)
        rows = compiled_rows(key, partial(build, older=older), values)
        found[older] = Article(id=rows[0][0], title=rows[0][1], published_at=rows[0][2]) if rows else None
    return Neighbours(newer=found[False], older=found[True])


@dataclass(frozen=True, slots=True)
class SourceFolder:
    pk: int
    name: str


@dataclass(slots=True)
class Source:
    """One subscription as the river's menu shows it: plain values, no model instances (a reader may
    follow hundreds of feeds, and the menu is drawn on every river page). Not frozen: a frozen
    dataclass is made three times slower, 200 of them a page."""

    pk: int
    feed_id: int
    folder_id: int | None
    publisher_id: int
    publisher_name: str
    display_title: str
    folder: SourceFolder | None


@dataclass
class RiverSources:
    """What the user follows, grouped by folder: the river's "showing" menu and its heading."""

    subscriptions: list[Source]

    @property
    def groups(self) -> list[tuple[SourceFolder | None, list[Source]]]:
        """(folder, its subscriptions) by folder name, then (None, subscriptions in no folder)."""
        by_folder: dict[int, tuple[SourceFolder, list[Source]]] = {}
        loose: list[Source] = []
        for sub in self.subscriptions:
            if sub.folder is None:
                loose.append(sub)
            else:
                by_folder.setdefault(sub.folder.pk, (sub.folder, []))[1].append(sub)
        ordered = sorted(by_folder.values(), key=lambda group: group[0].name.casefold())
        groups: list[tuple[SourceFolder | None, list[Source]]] = list(ordered)
        if loose:
            groups.append((None, loose))
        return groups

    def title_for(
        self, *, folder_id: int | None = None, feed_id: int | None = None, publisher_id: int | None = None
    ) -> str:
        for sub in self.subscriptions:
            if feed_id and sub.feed_id == feed_id:
                return sub.display_title
            if folder_id and sub.folder_id == folder_id and sub.folder is not None:
                return sub.folder.name
            if publisher_id and sub.publisher_id == publisher_id:
                return sub.publisher_name
        return "Stories" if (folder_id or feed_id or publisher_id) else "All stories"


# How long the river's sources are cached when nothing of the reader's changes them: a publisher renamed
# in the catalogue shows within this. A subscription with neither a title of its own nor its feed's shows
# the publisher's name until the feed's first fetch fills in its title: then it is looked up again soon.
SOURCES_TTL = 10 * 60
SOURCES_TTL_UNNAMED = 30


def _sources_ttl(rows: list[tuple]) -> int:
    unnamed = any(not title and not feed_title for _, _, _, title, feed_title, *_ in rows)
    return SOURCES_TTL_UNNAMED if unnamed else SOURCES_TTL


def river_sources_for_user(*, user) -> RiverSources:
    """The user's subscriptions with feed, publisher and folder names, sorted by title. One query, none
    while they are cached (subscriptions.reader_cache: they change when the user follows, unfollows,
    renames or files something, and the services that do so say so)."""

    def build(user) -> QuerySet:  # noqa: ANN001
        return Subscription.objects.filter(user=user).values_list(
            "id",
            "feed_id",
            "folder_id",
            "title",
            "feed__title",
            "feed__publisher_id",
            "feed__publisher__name",
            "folder__name",
        )

    def by_title() -> list[tuple]:
        rows = compiled_rows(("river_sources",), build, {"user": user.pk})
        # By display title (Subscription.display_title: the title, the feed's, the publisher's name).
        return sorted(rows, key=lambda row: (row[3] or row[4] or row[6]).casefold())

    rows = reader_cached(
        user_id=user.pk, name="river_sources", depends_on=(FOLLOWS,), compute=by_title, ttl=_sources_ttl
    )
    folders: dict[int, SourceFolder] = {}
    subscriptions = []
    for pk, feed_id, folder_id, title, feed_title, publisher_id, publisher_name, folder_name in rows:
        folder = None
        if folder_id is not None:
            folder = folders.get(folder_id) or folders.setdefault(
                folder_id, SourceFolder(folder_id, folder_name)
            )
        subscriptions.append(
            Source(
                pk=pk,
                feed_id=feed_id,
                folder_id=folder_id,
                publisher_id=publisher_id,
                publisher_name=publisher_name,
                # Subscription.display_title, from the values
                display_title=title or feed_title or publisher_name,
                folder=folder,
            )
        )
    return RiverSources(subscriptions=subscriptions)


@dataclass
class UnreadCounts:
    total: int = 0
    by_feed: dict[int, int] = field(default_factory=dict)
    by_folder: dict[int, int] = field(default_factory=dict)


def unread_counts_for_user(*, user) -> UnreadCounts:
    """Unread stories per followed feed (only feeds with some), per folder, and in all. Two queries."""
    rows = (
        river_scope_for_user(user=user)
        .filter(~_read_exists(user))
        .order_by()
        .values("feed_id")
        .annotate(n=Count("id"))
    )
    by_feed = {row["feed_id"]: row["n"] for row in rows}
    by_folder: dict[int, int] = {}
    if by_feed:
        for feed_id, folder_id in Subscription.objects.filter(user=user, folder__isnull=False).values_list(
            "feed_id", "folder_id"
        ):
            if feed_id in by_feed:
                by_folder[folder_id] = by_folder.get(folder_id, 0) + by_feed[feed_id]
    return UnreadCounts(total=sum(by_feed.values()), by_feed=by_feed, by_folder=by_folder)


UNREAD_COUNT_CAP = 1000
# How long a count at the cap is kept when the reader does nothing: stories past the retention window are
# deleted, and clustering may later find a story to be a copy, which can bring a count back under the cap.
UNREAD_AT_CAP_TTL = 5 * 60


def unread_count_for_user(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    cap: int = UNREAD_COUNT_CAP,
) -> int:
    """Unread stories in the user's river (or a part of it), counted up to `cap`. One query.

    The river page shows "999+" past the cap: counting every unread story of a large river costs as much
    as reading them all, and nobody needs the exact number beyond a thousand. A count at the cap is
    cached until the reader reads something or changes what they follow (no query then).
    """

    def build(user, feed_id, folder_id, publisher_id) -> QuerySet:  # noqa: ANN001
        scope = river_scope_for_user(
            user=user, feed_id=feed_id, folder_id=folder_id, publisher_id=publisher_id
        )
        scope = _without_copies(scope, user=user, folder_id=folder_id, feed_id=feed_id, per_story=True)
        return scope.filter(~_read_exists(user)).order_by().values("id")[:cap]

    values = {"user": user.pk, "feed_id": feed_id, "folder_id": folder_id, "publisher_id": publisher_id}

    def count() -> int:
        sql, params = compiled_sql(("unread_count", cap), build, values)
        with connection.cursor() as cursor:
            execute_prepared(cursor, f"SELECT COUNT(*) FROM ({sql}) counted", params)
            return cursor.fetchone()[0]

    # A count that reached the cap stays there until the reader marks something read or changes what
    # they follow (each gives them a new version, see reader_cache): arriving stories only add to it.
    # So it is kept, and their next pages count nothing; a count under the cap is counted every time.
    return reader_cached(
        user_id=user.pk,
        name=f"unread_at_cap:{feed_id}:{folder_id}:{publisher_id}:{cap}",
        depends_on=(FOLLOWS, READS),
        compute=count,
        ttl=lambda counted: UNREAD_AT_CAP_TTL if counted >= cap else 0,
    )


def article_latest_id() -> int:
    """The largest article id now: "mark all as read" stops there, so stories arriving later stay unread."""
    rows = compiled_rows(("latest_id",), lambda: Article.objects.order_by("-id").values_list("id")[:1], {})
    return rows[0][0] if rows else 0


# --- One article ------------------------------------------------------------------------------------


def article_get_for_user(*, user, article_id: int) -> Article:
    """One article with publisher and feed, `is_read`, `is_saved` and `is_followed` (its feed is one the
    user follows, so it has a place in their river); Http404 unless the user may see it.

    One query. The plain text is left out: the page shows the sanitized HTML (or the summary).
    """
    article = (
        articles_visible_to_user(user=user)
        .filter(pk=article_id)
        .select_related("publisher", "feed")
        .defer("text", "guid", "guid_hash", "content_hash")
        .annotate(
            is_read=_read_exists(user),
            is_saved=_saved_exists(user),
            is_followed=Exists(Subscription.objects.filter(user=user, feed_id=OuterRef("feed_id"))),
        )
        .first()
    )
    if article is None:
        raise Http404("No such article.")
    return article


# --- Reading lists ----------------------------------------------------------------------------------


def reading_lists_for_user(*, user) -> QuerySet[ReadingList]:
    """The user's lists, Read later first, each with `item_count` (items not archived). One query."""
    return ReadingList.objects.filter(user=user).annotate(
        item_count=Count("items", filter=Q(items__archived=False))
    )


def reading_list_get_for_user(*, user, reading_list_id: int) -> ReadingList:
    """One of the user's lists; Http404 for anyone else's (ids are guessable, lists are private)."""
    reading_list = ReadingList.objects.filter(user=user, pk=reading_list_id).first()
    if reading_list is None:
        raise Http404("No such list.")
    return reading_list


def reading_list_get_by_secret(*, secret: str) -> ReadingList:
    """The list whose private feed lives at this secret; Http404 for an unknown or rotated secret."""
    if not secret or len(secret) > 64:
        raise Http404("No such feed.")
    reading_list = ReadingList.objects.filter(feed_secret=secret).select_related("user").first()
    if reading_list is None:
        raise Http404("No such feed.")
    return reading_list


ITEM_COLUMNS = (
    "id",
    "added_at",
    "archived",
    "reading_list_id",
    "article__id",
    "article__title",
    "article__url",
    "article__author",
    "article__summary",
    "article__lead_image_url",
    "article__reading_time",
    "article__published_at",
    "article__publisher_id",
    "article__publisher__id",
    "article__publisher__name",
    "article__publisher__slug",
    "article__publisher__logo_url",
)


def reading_list_items_for_user(
    *,
    user,
    reading_list_id: int | None,
    archived: bool | None = False,
    before: Cursor | None = None,
    limit: int | None = 50,
    with_content: bool = False,
) -> QuerySet[ReadingListItem]:
    """Items of one of the user's lists, most recently added first, by keyset on (added_at, id).

    `archived`: False for the items still to read, True for the archive, None for both. Each item
    has `is_read` (the user's read state of the article) and its article and publisher loaded.
    Another user's list id gives an empty result; `reading_list_id=None` means all the user's lists.
    `with_content` adds the article's sanitized HTML (the Atom feed shows it). One query.
    """
    columns = ITEM_COLUMNS + (("article__content_html",) if with_content else ())
    qs = ReadingListItem.objects.filter(reading_list__user=user)
    if reading_list_id is not None:
        qs = qs.filter(reading_list_id=reading_list_id)
    qs = (
        qs.select_related("article", "article__publisher")
        .only(*columns)
        .annotate(is_read=_read_exists(user, "article_id"))
    )
    if archived is not None:
        qs = qs.filter(archived=archived)
    if before is not None:
        qs = qs.filter(_older_than(before, field_name="added_at"))
    qs = qs.order_by("-added_at", "-id")
    if limit is not None:
        qs = qs[:limit]
    return qs


def reading_list_item_get_for_user(*, user, item_id: int) -> ReadingListItem | None:
    """One item of the user's lists with its article and publisher, or None (removed, or not theirs)."""
    return (
        reading_list_items_for_user(user=user, reading_list_id=None, archived=None, limit=None)
        .filter(pk=item_id)
        .first()
    )


def reading_list_ids_with_article(*, user, article_id: int) -> set[int]:
    """Ids of the user's lists that hold the article (the "add to list" menu). One query."""
    return set(
        ReadingListItem.objects.filter(reading_list__user=user, article_id=article_id).values_list(
            "reading_list_id", flat=True
        )
    )


# --- Saving a page by URL ---------------------------------------------------------------------------


@dataclass
class PageSaveStatus:
    token: str
    url: str
    state: str  # "pending", "done" or "failed"
    reading_list_id: int
    item_id: int | None = None
    error: str = ""
    started_at: float = 0.0

    @property
    def waited_long(self) -> bool:
        """Pending for over two minutes: the worker is busy or not running; say so."""
        return self.state == "pending" and self.started_at > 0 and time.time() - self.started_at > 120


def page_save_cache_key(token: str) -> str:
    return f"reading:page-save:{token}"


def page_save_cache() -> BaseCache:
    """The cache where the web and the worker processes share a save's progress: the default cache,
    which is Redis, or files in DATA_DIR without it; both are shared by every process of an install."""
    return caches["default"]


def page_save_status_for_user(*, user, token: str) -> PageSaveStatus:
    """Where a save-by-URL stands; Http404 if the token is unknown, expired or someone else's."""
    if not token or len(token) > 64:
        raise Http404("No such save.")
    data = page_save_cache().get(page_save_cache_key(token))
    if not isinstance(data, dict) or data.get("user_id") != user.pk:
        raise Http404("No such save.")
    return PageSaveStatus(
        token=token,
        url=data.get("url", ""),
        state=data.get("state", "pending"),
        reading_list_id=data.get("reading_list_id", 0),
        item_id=data.get("item_id"),
        error=data.get("error", ""),
        started_at=data.get("started_at", 0.0),
    )


# --- The client APIs (Google Reader and Fever, engineer `compat`) -----------------------------------

# What a feed-reader app shows of a story: the card's columns, the text, the author and the times.
API_ITEM_COLUMNS = RIVER_COLUMNS + (
    "author",
    "content_html",
    "created_at",
    "updated_at",
    "publisher__site_url",
)


def _api_items(qs: QuerySet[Article], *, user) -> QuerySet[Article]:
    return (
        qs.select_related("publisher")
        .only(*API_ITEM_COLUMNS)
        .annotate(is_read=_read_exists(user), is_saved=_saved_exists(user))
    )


def river_stream_for_user(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    starred_only: bool = False,
    read: bool | None = None,
    saved: bool | None = None,
    stored_after: datetime | None = None,
    stored_before: datetime | None = None,
    after: Cursor | None = None,
    oldest_first: bool = False,
) -> QuerySet[Article]:
    """The user's river as the Google Reader API pages it: unsliced, by (published_at, id), newest first
    (oldest first with `oldest_first`), each story with `is_read`, `is_saved` and what an app shows.

    `read` / `saved`: True keeps only read (saved) stories, False only unread (unsaved) ones, None both.
    `stored_after` / `stored_before` bound when we stored the story (the clients' `ot` / `nt`; FreshRSS
    compares them with its crawl time too): a story published long ago but fetched since still reaches
    a client that asks for the last year. `after` is the (published_at, id) of the last story of the
    previous page, in the order asked for. Slice it for one query, or take `.values_list("id", ...)`.
    """
    qs = _api_items(
        river_scope_for_user(user=user, feed_id=feed_id, folder_id=folder_id, starred_only=starred_only),
        user=user,
    )
    if read is not None:
        qs = qs.filter(_read_exists(user) if read else ~_read_exists(user))
    if saved is not None:
        qs = qs.filter(_saved_exists(user) if saved else ~_saved_exists(user))
    if stored_after is not None:
        qs = qs.filter(created_at__gte=stored_after)
    if stored_before is not None:
        qs = qs.filter(created_at__lte=stored_before)
    if after is not None:
        qs = qs.filter(_newer_than(after) if oldest_first else _older_than(after))
    if oldest_first:
        return qs.order_by("published_at", "id")
    return qs.order_by("-published_at", "-id")


def river_by_id_for_user(
    *, user, above_id: int | None = None, below_id: int | None = None, limit: int = 50
) -> QuerySet[Article]:
    """A page of the user's river in id order, for Fever (ids only grow, so a `since_id` sync never
    misses a story): ids above `above_id` ascending, else ids below `below_id` (or the newest)
    descending. Each story has `is_read`, `is_saved` and what an app shows. One query."""
    qs = _api_items(river_scope_for_user(user=user), user=user)
    if above_id is not None:
        return qs.filter(id__gt=above_id).order_by("id")[:limit]
    if below_id is not None:
        qs = qs.filter(id__lt=below_id)
    return qs.order_by("-id")[:limit]


def river_articles_by_ids_for_user(*, user, article_ids: list[int]) -> QuerySet[Article]:
    """The stories among these ids that are in the user's river (a feed they follow) or in one of their
    lists, with `is_read`, `is_saved` and what an app shows, newest first. Anything else (another user's
    sources, catalogue stories they do not follow, ids that do not exist) is left out. One query."""
    followed = Subscription.objects.filter(user=user).values("feed_id")
    qs = Article.objects.filter(pk__in=sorted(set(article_ids))).filter(
        Q(feed_id__in=followed) | _in_any_list_exists(user)
    )
    return _api_items(qs, user=user).order_by("-published_at", "-id")


def river_newest_by_feed_for_user(*, user) -> dict[int, datetime]:
    """When we stored the newest story of each feed the user follows (Google Reader's unread-count).
    One query."""
    rows = river_scope_for_user(user=user).order_by().values("feed_id").annotate(newest=Max("created_at"))
    return {row["feed_id"]: row["newest"] for row in rows}
