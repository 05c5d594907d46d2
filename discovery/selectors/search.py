"""Full-text search over articles, the same API and results on Postgres and on SQLite.

Ranking a very common word over a million rows costs half a second (FACTS.md), so neither database
ranks every match: the newest `SEARCH_CANDIDATES` matches (found through the full-text index, in the
scope and filters asked for) are ranked, and highlighted snippets are made for the one page shown.
A news search wants recent stories anyway; a rare word has fewer matches than the cap and is ranked whole.

Postgres: `search_vector @@ websearch_to_tsquery('simple', q)` (GIN), ts_rank (title weighs 'A', text
'B'), ts_headline. SQLite: FTS5 MATCH, bm25 with the title weighing 10, highlight() and snippet().
Queries are parsed first (discovery/query.py), so no syntax error of either database reaches the user.
Three queries on Postgres (the scope's ids, candidates + rank + snippets, the page's articles), three
on SQLite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Exists, Field, OuterRef, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Publisher
from discovery.query import ParsedQuery, parse_query
from subscriptions.models import ReadingListItem, Subscription
from subscriptions.selectors.reading import RIVER_COLUMNS, articles_visible_to_user

SEARCH_CANDIDATES = 200
SNIPPET_SOURCE_CHARS = 20_000
SCOPES = ("all", "mine")

# Marks put around matches by the database, replaced by <mark> after the text is escaped: the text of an
# article is hostile, and only our own marks may become HTML.
_OPEN, _CLOSE = "\x02", "\x03"
_MARKED = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")


@dataclass(frozen=True)
class SearchHit:
    article: Article  # with publisher and `is_saved`
    title_html: SafeString
    snippet_html: SafeString
    rank: float


@dataclass
class SearchPage:
    query: str
    scope: str
    hits: list[SearchHit] = field(default_factory=list)
    page: int = 1
    has_next: bool = False
    matches: int = 0  # how many were ranked (at most SEARCH_CANDIDATES)
    message: str = ""  # why nothing was searched

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def limited(self) -> bool:
        """More stories match than were ranked: the newest SEARCH_CANDIDATES only."""
        return self.matches >= SEARCH_CANDIDATES


def highlighted(text: str | None) -> SafeString:
    """Escape `text`, then turn the database's match marks into <mark> elements."""
    html = _MARKED.sub(r"<mark>\1</mark>", str(escape(text or "")))
    return mark_safe(html.replace(_OPEN, "").replace(_CLOSE, ""))  # noqa: S308 - escaped just above


def _scope_queryset(*, user, scope: str, reading_list_id: int | None) -> QuerySet[Article]:
    if reading_list_id is not None:
        # Someone else's list id gives nothing: the user is part of the filter.
        items = ReadingListItem.objects.filter(reading_list_id=reading_list_id, reading_list__user=user)
        return Article.objects.filter(id__in=items.values("article_id"))
    if scope == "mine":
        followed = Subscription.objects.filter(user=user).values("feed_id")
        saved = ReadingListItem.objects.filter(reading_list__user=user).values("article_id")
        return Article.objects.filter(Q(feed_id__in=followed) | Q(id__in=saved))
    # "All stored articles" that this user may open: the catalogue, what they follow, what they saved.
    # Another user's private feed stays private.
    return articles_visible_to_user(user=user)


def tsquery_sql(parsed: ParsedQuery) -> tuple[str, list[str]]:
    """A tsquery expression for Postgres: each word or phrase through websearch_to_tsquery (which
    accepts any text), combined with &&, || and !! as the parsed query says."""
    groups, excluded = parsed.tsquery_terms()
    one = "websearch_to_tsquery('simple'::regconfig, %s)"
    parts, params = [], []
    for group in groups:
        parts.append("(" + " || ".join([one] * len(group)) + ")")
        params.extend(group)
    for term in excluded:
        parts.append(f"!!{one}")
        params.append(term)
    return "(" + " && ".join(parts) + ")", params


def _match_sql(parsed: ParsedQuery) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        query_sql, params = tsquery_sql(parsed)
        return f"articles_article.search_vector @@ {query_sql}", params
    return (
        "articles_article.id IN (SELECT rowid FROM discovery_article_fts WHERE discovery_article_fts MATCH %s)",
        [parsed.to_fts5()],
    )


def _ranked_page_postgres(
    candidates: tuple[str, tuple], parsed: ParsedQuery, limit: int, offset: int
) -> list:
    candidate_sql, candidate_params = candidates
    query_sql, query_params = tsquery_sql(parsed)
    # set_config() is parallel-unsafe, so it keeps this statement from parallel plans: the walk of the
    # date index stops after a few thousand rows, and parallel workers only add their start-up and
    # read-ahead (they doubled its time on a busy machine). `true`: local to this statement's
    # transaction, nothing carries over to the connection.
    sql = f"""
        WITH q AS (
            SELECT {query_sql} AS query, set_config('max_parallel_workers_per_gather', '0', true) AS serial
        ),
        page AS (
            SELECT a.id, a.published_at, ts_rank(a.search_vector, q.query) AS rank,
                   count(*) OVER () AS matches
            FROM articles_article a, q
            WHERE a.id IN (SELECT c.id FROM ({candidate_sql}) c)
            ORDER BY rank DESC, a.published_at DESC, a.id DESC
            LIMIT %s OFFSET %s
        )
        SELECT page.id, page.rank, page.matches,
               ts_headline('simple'::regconfig, a.title, q.query, %s),
               ts_headline('simple'::regconfig, left(coalesce(nullif(a.text, ''), a.summary, ''), %s), q.query, %s)
        FROM page JOIN articles_article a ON a.id = page.id, q
        ORDER BY page.rank DESC, page.published_at DESC, page.id DESC
    """
    title_options = f"HighlightAll=true, StartSel={_OPEN}, StopSel={_CLOSE}"
    text_options = f'MaxFragments=2, MaxWords=28, MinWords=12, FragmentDelimiter=" … ", StartSel={_OPEN}, StopSel={_CLOSE}'
    params = [
        *query_params,
        *candidate_params,
        limit,
        offset,
        title_options,
        SNIPPET_SOURCE_CHARS,
        text_options,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (pk, float(rank), matches, title, snippet)
            for pk, rank, matches, title, snippet in cursor.fetchall()
        ]


def _ranked_page_sqlite(candidates: tuple[str, tuple], parsed: ParsedQuery, limit: int, offset: int) -> list:
    candidate_sql, candidate_params = candidates
    fts_query = parsed.to_fts5()
    with connection.cursor() as cursor:
        # bm25() only works in the query that does the MATCH: rank in a materialised CTE, then order.
        cursor.execute(
            f"""
            WITH ranked AS MATERIALIZED (
                SELECT rowid AS id, bm25(discovery_article_fts, 10.0, 1.0) AS score
                FROM discovery_article_fts
                WHERE discovery_article_fts MATCH %s AND rowid IN (SELECT c.id FROM ({candidate_sql}) c)
            )
            SELECT ranked.id, ranked.score, count(*) OVER () AS matches
            FROM ranked JOIN articles_article a ON a.id = ranked.id
            ORDER BY ranked.score, a.published_at DESC, a.id DESC
            LIMIT %s OFFSET %s
            """,
            [fts_query, *candidate_params, limit, offset],
        )
        ranked = cursor.fetchall()
        if not ranked:
            return []
        ids = [row[0] for row in ranked]
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"""
            SELECT rowid, highlight(discovery_article_fts, 0, %s, %s),
                   snippet(discovery_article_fts, 1, %s, %s, ' … ', 24)
            FROM discovery_article_fts WHERE discovery_article_fts MATCH %s AND rowid IN ({marks})
            """,
            [_OPEN, _CLOSE, _OPEN, _CLOSE, fts_query, *ids],
        )
        texts = {pk: (title, snippet) for pk, title, snippet in cursor.fetchall()}
    # bm25 is lower for better matches; turn it round so that a higher rank is better on both databases.
    return [(pk, -float(score), matches, *texts.get(pk, ("", ""))) for pk, score, matches in ranked]


def _scope_postgres(*, user, scope: str, reading_list_id: int | None) -> tuple[str, list] | None:
    """The scope as a condition on the article row alone: `publisher_id = ANY(catalogue publishers) OR
    feed_id = ANY(followed feeds) OR id = ANY(saved articles)`, with the ids read first (one query)
    and written into the SQL as constants. None when the scope holds nothing.

    With constants the planner knows how much of the table the scope holds, as it knows (from the
    vector's statistics) how common the words are, so it chooses well between walking the date index
    (a common word: the newest matches come first), ANDing the full-text index with the scope's
    indexes (a middling word: only the matches in the scope are read), or the full-text index alone (a
    rare word). Written as joins and subqueries, the scope looked nearly all-encompassing to it, and a
    middling word walked a hundred thousand rows for its 200 newest visible matches.
    """
    lists = ReadingListItem.objects.filter(reading_list__user=user)
    parts: dict[str, QuerySet]
    if reading_list_id is not None:
        parts = {"id": lists.filter(reading_list_id=reading_list_id).values("article_id")}
    else:
        parts = {
            "feed": Subscription.objects.filter(user=user).values("feed_id"),
            "id": lists.values("article_id"),
        }
        if scope == "all":
            # The catalogue, what they follow, what they saved: another user's private feed stays private.
            parts["publisher"] = Publisher.objects.filter(in_catalogue=True).values("id")
    selects: list[str] = []
    params: list = []
    for qs in parts.values():
        sql, sql_params = qs.order_by().query.sql_with_params()
        selects.append(f"ARRAY({sql})")
        params.extend(sql_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        arrays = cursor.fetchone()
    conditions, values = [], []
    for name, ids in zip(parts, arrays, strict=True):
        if ids:
            # Typed as the column, so that Postgres tests each row with a hash lookup; an array of
            # smaller integers (as the driver types small numbers) is searched element by element.
            field = Article._meta.get_field(name)
            assert isinstance(field, Field)
            conditions.append(f"articles_article.{field.column} = ANY(%s::{field.db_type(connection)}[])")
            # One text parameter ('{1,2,3}', numbers from the database) rather than a list, which the
            # driver would dump element by element.
            values.append("{" + ",".join(str(int(i)) for i in sorted(set(ids))) + "}")
    if not conditions:
        return None
    return "(" + " OR ".join(conditions) + ")", values


def article_search(
    *,
    user,
    query: str,
    scope: str = "all",
    publisher_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    reading_list_id: int | None = None,
    limit: int = 20,
    page: int = 1,
) -> SearchPage:
    """Search the articles the user may see (`scope="all"`), only what they follow or saved ("mine"),
    or one of their reading lists (`reading_list_id`), narrowed to a publisher and a date range.

    Results are ranked by relevance among the newest SEARCH_CANDIDATES matches, `limit` a page.
    """
    scope = scope if scope in SCOPES else "all"
    limit = max(1, min(limit, 100))
    page = max(1, page)
    result = SearchPage(query=query or "", scope=scope, page=page)
    parsed = parse_query(query)
    if parsed.is_empty:
        result.message = (
            "Type a word or two to search for."
            if not (query or "").strip()
            else ("Search for at least one word (not only words to leave out).")
        )
        return result
    if connection.vendor not in ("postgresql", "sqlite"):
        result.message = "Search is not available on this database."
        return result
    offset = (page - 1) * limit
    if offset >= SEARCH_CANDIDATES:
        return result

    match_sql, match_params = _match_sql(parsed)

    def narrowed(qs: QuerySet[Article]) -> QuerySet[Article]:
        if publisher_id is not None:
            qs = qs.filter(publisher_id=publisher_id)
        if since is not None:
            qs = qs.filter(published_at__gte=since)
        if until is not None:
            qs = qs.filter(published_at__lte=until)
        return qs.extra(where=[match_sql], params=match_params)  # noqa: S610 - parameters, not interpolated

    def newest_matches(scoped: QuerySet[Article]) -> tuple[str, tuple]:
        # The planner walks the date index (stopping at the cap), or reads the matches through the
        # full-text index, ANDed with the scope's indexes, whichever reads less.
        newest = narrowed(scoped).order_by("-published_at", "-id").values("id")[:SEARCH_CANDIDATES]
        return newest.query.sql_with_params()

    if connection.vendor == "postgresql":
        scope_sql = _scope_postgres(user=user, scope=scope, reading_list_id=reading_list_id)
        if scope_sql is None:
            return result
        scoped = Article.objects.extra(where=[scope_sql[0]], params=scope_sql[1])  # noqa: S610 - parameters
        rows = _ranked_page_postgres(newest_matches(scoped), parsed, limit + 1, offset)
    else:
        scoped = _scope_queryset(user=user, scope=scope, reading_list_id=reading_list_id)
        rows = _ranked_page_sqlite(newest_matches(scoped), parsed, limit + 1, offset)
    result.has_next = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return result
    result.matches = rows[0][2]
    articles = {
        a.pk: a
        for a in Article.objects.filter(id__in=[row[0] for row in rows])
        .select_related("publisher")
        .only(*RIVER_COLUMNS)
        .annotate(
            is_saved=Exists(
                ReadingListItem.objects.filter(
                    reading_list__user=user, reading_list__is_default=True, article_id=OuterRef("pk")
                )
            )
        )
    }
    for pk, rank, _matches, title, snippet in rows:
        article = articles.get(pk)
        if article is None:  # deleted in between
            continue
        result.hits.append(
            SearchHit(
                article=article,
                title_html=highlighted(title or article.title),
                snippet_html=highlighted(snippet),
                rank=rank,
            )
        )
    return result


@dataclass(frozen=True)
class SearchChoices:
    publishers: list[tuple[int, str]]  # followed publishers (and the one filtered by), by name
    reading_lists: list[tuple[int, str]]


def search_filter_choices(*, user, publisher_id: int | None = None) -> SearchChoices:
    """The options of the search filters: publishers the user follows, their reading lists. Two queries."""
    from subscriptions.models import ReadingList

    followed = Subscription.objects.filter(user=user).values("feed__publisher_id")
    condition = Q(id__in=followed)
    if publisher_id is not None:
        condition |= Q(id=publisher_id)
    publishers = list(Publisher.objects.filter(condition).order_by("name").values_list("id", "name")[:500])
    lists = list(ReadingList.objects.filter(user=user).values_list("id", "name"))
    return SearchChoices(publishers=publishers, reading_lists=lists)
