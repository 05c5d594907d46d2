"""The ingestion pipeline: fetch -> parse -> sanitize -> store, then extract each new story's page.

This is the one place that wires the stages together (miniflux `handler.RefreshFeed` is the model). The
stages themselves (`fetching`, `parsing`, `extraction`, `sanitizing`, `store`) know nothing of each other.

Failure handling, in one place:
- a fetch or parse error is recorded on the feed (status, message, consecutive errors) and the next check
  backs off exponentially; a 429/503 Retry-After is honoured; 410 Gone or too many errors disable the feed;
- nothing already stored is touched by a failing refresh;
- a worker that dies mid-refresh leaves the feed's lease to run out, after which the scheduler hands the
  feed to another worker; stories are upserted, so doing a refresh twice stores nothing twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Q
from django.utils import timezone

from articles import services
from articles.extraction import choose_content, extract_article
from articles.fetching import (
    ACCEPT_FEED,
    ACCEPT_HTML,
    FeedGoneError,
    FetchError,
    FetchResult,
    TransientFetchError,
    afetch,
    background,
    fetch,
)
from articles.models import Article, Feed
from articles.parsing import FeedParseError, parse_feed
from articles.retention import retention_cutoff
from articles.sanitizing import content_hash, reading_time_minutes
from articles.store import LOOKUP_CHUNK, articles_upsert, excerpt, guid_hash
from newsreader import metrics

logger = logging.getLogger(__name__)


@dataclass
class RefreshOutcome:
    feed_id: int
    status: str  # "fetched", "not_modified", "failed", "skipped"
    new: int = 0
    updated: int = 0
    error: str = ""
    new_article_ids: list[int] = field(default_factory=list)


def lease_seconds() -> int:
    return settings.FEED_LEASE_SECONDS


# --- Claiming feeds ------------------------------------------------------------------------------


def _free_lease(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def feeds_claim_due(*, limit: int, now: datetime | None = None) -> list[int]:
    """Take up to `limit` due feeds for this caller by setting their lease. Safe with many callers.

    On Postgres the rows are locked with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent schedulers never
    take the same feed; SQLite serialises writers (IMMEDIATE transactions) to the same effect.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Feed.objects.select_for_update(skip_locked=True)
            .filter(_free_lease(now), disabled=False, next_check_at__lte=now)
            .order_by("next_check_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Feed.objects.filter(id__in=ids).update(lease_until=now + timedelta(seconds=lease_seconds()))
    return ids


def feed_claim(*, feed_id: int, now: datetime | None = None) -> bool:
    """Take one feed now (a new subscription, a manual refresh) unless another worker holds it."""
    now = now or timezone.now()
    return (
        Feed.objects.filter(_free_lease(now), id=feed_id, disabled=False).update(
            lease_until=now + timedelta(seconds=lease_seconds())
        )
        == 1
    )


# --- Refreshing ----------------------------------------------------------------------------------


def feed_refresh(*, feed_id: int, claim: bool = True) -> RefreshOutcome:
    """Fetch, parse and store one feed. Records errors on the feed; never raises for bad input."""
    if claim and not feed_claim(feed_id=feed_id):
        return RefreshOutcome(feed_id=feed_id, status="skipped")
    feed = Feed.objects.filter(id=feed_id).first()
    if feed is None or feed.disabled:
        return RefreshOutcome(feed_id=feed_id, status="skipped")
    try:
        result: FetchResult | FetchError = fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=ACCEPT_FEED
        )
    except FetchError as exc:
        result = exc
    return feed_process(feed=feed, result=result)


def feeds_refresh(*, feed_ids: list[int], concurrency: int = 50) -> list[RefreshOutcome]:
    """Refresh many claimed feeds: their fetches in flight at once, the CPU work one at a time.

    Waiting on the network holds no CPU: an event loop in a helper thread keeps up to `concurrency`
    requests open, and this thread parses and stores each answer as it arrives (the ORM stays in the
    calling thread, where Celery manages its database connection).
    """
    feeds = list(Feed.objects.filter(id__in=feed_ids, disabled=False))
    outcomes = [RefreshOutcome(feed_id=i, status="skipped") for i in set(feed_ids) - {f.id for f in feeds}]
    if not feeds:
        return outcomes
    answers: queue.Queue[tuple[Feed, FetchResult | FetchError]] = queue.Queue()
    # The process's fetch loop and client outlive this batch, and so do their keep-alive connections.
    fetching = background.submit(
        lambda client: _fetch_all(feeds, concurrency, answers.put, client),
        max_per_host=settings.FETCH_MAX_PER_HOST,
    )
    # Every feed gets exactly one answer (an error at worst); the timeout only guards against a bug.
    deadline = settings.FETCH_TOTAL_TIMEOUT * (len(feeds) / concurrency + 1) + 60
    received = 0
    try:
        while received < len(feeds):
            # Whatever has arrived meanwhile is handled together: the unchanged feeds in one statement.
            arrived = [answers.get(timeout=deadline)]
            while len(arrived) < ANSWERS_AT_ONCE:
                try:
                    arrived.append(answers.get_nowait())
                except queue.Empty:
                    break
            received += len(arrived)
            outcomes += feeds_process(arrived)
    finally:
        # A time limit or an error here: the fetches still in flight are of no use to anyone.
        fetching.cancel()
    return outcomes


# Answers handled in one go by feeds_refresh (at most): enough to make one UPDATE of many 304s, few enough
# that the fetches keep flowing meanwhile.
ANSWERS_AT_ONCE = 200


async def _afetch_or_error(url: str, *, log_extra: dict, **options) -> FetchResult | FetchError:
    """afetch, with every failure returned as a FetchError: a bug must not leave the consumer waiting."""
    try:
        return await afetch(url, **options)
    except FetchError as exc:
        return exc
    except Exception as exc:
        logger.exception("fetch crashed", extra=log_extra)
        return FetchError(f"internal error while fetching: {exc.__class__.__name__}")


async def _fetch_all(feeds: list[Feed], concurrency: int, deliver, client) -> None:  # noqa: ANN001
    limit = asyncio.Semaphore(concurrency)

    async def one(feed: Feed) -> None:
        async with limit:
            result = await _afetch_or_error(
                feed.url,
                log_extra={"feed_id": feed.id},
                etag=feed.etag,
                last_modified=feed.last_modified,
                accept=ACCEPT_FEED,
                client=client,
            )
        deliver((feed, result))

    await asyncio.gather(*(one(feed) for feed in feeds))


def feeds_process(answers: list[tuple[Feed, FetchResult | FetchError]]) -> list[RefreshOutcome]:
    """feed_process for many answers; the feeds that answered 304 are recorded with one UPDATE each
    check interval they share, not one a feed."""
    unchanged: list[tuple[Feed, FetchResult]] = []
    outcomes: list[RefreshOutcome] = []
    for feed, result in answers:
        if (
            isinstance(result, FetchResult)
            and result.not_modified
            and not result.permanent_redirect_url
            and (result.etag or feed.etag)[:512] == feed.etag
            and (result.last_modified or feed.last_modified)[:100] == feed.last_modified
        ):
            unchanged.append((feed, result))
        else:
            outcomes.append(feed_process(feed=feed, result=result))
    if unchanged:
        _record_not_modified([feed for feed, _ in unchanged], timezone.now())
        metrics.record_feed_refreshed("not_modified", len(unchanged))
        outcomes += [RefreshOutcome(feed_id=feed.id, status="not_modified") for feed, _ in unchanged]
    return outcomes


def _record_not_modified(feeds: list[Feed], now: datetime) -> None:
    """What _record_success writes for a 304 that kept the feed's validators, for many feeds at once."""
    by_interval: dict[int, list[int]] = {}
    for feed in feeds:
        feed.last_checked_at = now
        feed.last_status = 304
        feed.last_error = ""
        feed.error_count = 0
        feed.next_check_at = now + timedelta(seconds=feed.interval_seconds)
        feed.lease_until = None
        by_interval.setdefault(feed.interval_seconds, []).append(feed.id)
    with transaction.atomic():
        for interval, ids in by_interval.items():
            for start in range(0, len(ids), LOOKUP_CHUNK):
                Feed.objects.filter(id__in=ids[start : start + LOOKUP_CHUNK]).update(
                    last_checked_at=now,
                    last_status=304,
                    last_error="",
                    error_count=0,
                    next_check_at=now + timedelta(seconds=interval),
                    lease_until=None,
                )


def feed_process(*, feed: Feed, result: FetchResult | FetchError) -> RefreshOutcome:
    """Everything after the fetch: record the outcome, parse, store, schedule the next check."""
    now = timezone.now()
    started = time.monotonic()
    if isinstance(result, FetchError):
        return _record_failure(feed, now, result)
    if result.not_modified:
        _record_success(feed, now, result, status=304, interval=feed.interval_seconds)
        metrics.record_feed_refreshed("not_modified")
        return RefreshOutcome(feed_id=feed.id, status="not_modified")
    try:
        parsed = parse_feed(
            result.content,
            url=result.url,
            content_type=result.content_type,
            max_items=settings.FEED_MAX_ITEMS,
        )
    except FeedParseError as exc:
        return _record_failure(feed, now, exc, status=result.status)

    # Stories older than the retention window would only be purged again (and come back after each purge).
    cutoff = retention_cutoff(now=now)
    items = [i for i in parsed.items if not (cutoff and i.published_at and i.published_at < cutoff)]
    stored = articles_upsert(feed=feed, items=items, now=now, extract=settings.EXTRACT_FULL_TEXT)
    if not feed.title and parsed.title:
        feed.title = parsed.title[:300]
    if not feed.site_url and parsed.link.startswith(("http://", "https://")):
        feed.site_url = parsed.link[:2048]
    if stored.new_ids:
        feed.last_new_item_at = now
    interval = services.feed_schedule_next_check(
        feed=feed,
        now=now,
        item_dates=[i.published_at for i in parsed.items if i.published_at],
        ttl_seconds=parsed.ttl_seconds,
        max_age=result.max_age,
    )
    _record_success(feed, now, result, status=result.status, interval=interval)
    metrics.record_feed_refreshed("fetched")
    metrics.record_articles_stored(len(stored.new_ids))
    logger.info(
        "feed refreshed",
        extra={
            "feed_id": feed.id,
            "status": result.status,
            "new_entries": len(stored.new_ids),
            "updated_entries": stored.updated,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return RefreshOutcome(
        feed_id=feed.id,
        status="fetched",
        new=len(stored.new_ids),
        updated=stored.updated,
        new_article_ids=stored.new_ids,
    )


def _record_success(feed: Feed, now: datetime, result: FetchResult, *, status: int, interval: int) -> None:
    feed.last_checked_at = now
    feed.last_status = status
    feed.last_error = ""
    feed.error_count = 0
    feed.interval_seconds = interval
    feed.next_check_at = now + timedelta(seconds=interval)
    feed.lease_until = None
    if result.etag:
        feed.etag = result.etag[:512]
    if result.last_modified:
        feed.last_modified = result.last_modified[:100]
    fields = [
        "title", "site_url", "last_checked_at", "last_status", "last_error", "error_count",
        "interval_seconds", "next_check_at", "lease_until", "etag", "last_modified", "last_new_item_at",
    ]  # fmt: skip
    if result.permanent_redirect_url and result.permanent_redirect_url != feed.url:
        # The publisher moved the feed for good: follow it, unless we already poll the new address.
        if not Feed.objects.filter(url=result.permanent_redirect_url).exists():
            feed.url = result.permanent_redirect_url
            fields.append("url")
    try:
        feed.save(update_fields=fields)
    except IntegrityError:
        fields.remove("url")  # another feed took that URL in the meantime
        feed.save(update_fields=fields)


def _record_failure(
    feed: Feed, now: datetime, error: Exception, *, status: int | None = None
) -> RefreshOutcome:
    feed.error_count += 1
    feed.last_checked_at = now
    feed.last_status = status or getattr(error, "status", None)
    feed.last_error = str(error)[:2000] or error.__class__.__name__
    retry_after = getattr(error, "retry_after", None) if isinstance(error, TransientFetchError) else None
    backoff = services.feed_backoff_seconds(error_count=feed.error_count, retry_after=retry_after)
    feed.next_check_at = now + timedelta(seconds=backoff)
    feed.lease_until = None
    if isinstance(error, FeedGoneError):
        feed.disabled, feed.disabled_reason = True, "The publisher says this feed is gone (HTTP 410)."
    elif feed.error_count >= settings.FEED_MAX_ERRORS:
        feed.disabled = True
        feed.disabled_reason = f"Stopped after {feed.error_count} failed checks in a row: {feed.last_error}"[
            :300
        ]
    feed.save(
        update_fields=[
            "error_count", "last_checked_at", "last_status", "last_error", "next_check_at",
            "lease_until", "disabled", "disabled_reason",
        ]
    )  # fmt: skip
    metrics.record_feed_failed()
    logger.warning(
        "feed refresh failed",
        extra={"feed_id": feed.id, "error": feed.last_error, "error_count": feed.error_count},
    )
    return RefreshOutcome(feed_id=feed.id, status="failed", error=feed.last_error)


# --- Extraction ----------------------------------------------------------------------------------


_EXTRACT_FIELDS = (
    "id",
    "url",
    "title",
    "author",
    "content_html",
    "text",
    "lead_image_url",
    "language",
    "extraction_status",
)


def article_extract(*, article_id: int, raise_transient: bool = False) -> str:
    """Fetch the story's page and keep its full text, unless the feed already carried more.

    Safe to repeat: only a story still waiting for its text is written. Returns the new extraction status.
    With raise_transient, a passing fetch error is raised for the task to retry; otherwise the story keeps
    the feed's text.
    """
    article = Article.objects.filter(id=article_id).only(*_EXTRACT_FIELDS).first()
    if article is None or article.extraction_status != Article.Extraction.PENDING:
        return "skipped"
    started = time.monotonic()
    try:
        page: FetchResult | FetchError | None = fetch(article.url, accept=ACCEPT_HTML)
    except TransientFetchError:
        if raise_transient:
            raise
        page = None
    except FetchError:
        page = None
    # Another worker may have done it meanwhile: written only if the story is still waiting.
    written = _extractions_write([(article.id, _extraction_fields(article, page))])
    metrics.observe_extraction_seconds(time.monotonic() - started)
    return written.get(article.id, "skipped")


@dataclass
class ExtractOutcome:
    statuses: dict[int, str] = field(default_factory=dict)  # article id -> new status, for those written
    transient: list[int] = field(default_factory=list)  # a passing fetch error, left pending for a retry


def articles_extract(
    *, article_ids: list[int], concurrency: int, retry_transient: bool = False
) -> ExtractOutcome:
    """article_extract for many stories: their pages are fetched `concurrency` at a time in a helper
    thread while this one extracts the pages already in, and the results are written in one transaction.

    Safe to repeat, as article_extract. With retry_transient, a story whose page met a passing fetch error
    is left pending and listed in `transient` (the caller retries it); otherwise it keeps the feed's text.
    """
    outcome = ExtractOutcome()
    articles = [
        article
        for article in Article.objects.filter(id__in=article_ids).only(*_EXTRACT_FIELDS).order_by("id")
        if article.extraction_status == Article.Extraction.PENDING
    ]
    if not articles:
        return outcome
    answers: queue.Queue[tuple[Article, FetchResult | FetchError]] = queue.Queue()
    # The process's fetch loop and client (as for the feeds): their keep-alive connections outlive the task.
    fetching = background.submit(
        lambda client: _fetch_pages(articles, concurrency, answers.put, client),
        max_per_host=settings.FETCH_MAX_PER_HOST,
    )
    updates: list[tuple[int, dict]] = []
    seconds: list[float] = []  # each story's extraction, the wait for its page left out
    # Every story gets exactly one answer (an error at worst); the timeout only guards against a bug.
    deadline = settings.FETCH_TOTAL_TIMEOUT * (len(articles) / concurrency + 1) + 60
    try:
        for _ in articles:
            article, page = answers.get(timeout=deadline)
            if isinstance(page, TransientFetchError) and retry_transient:
                outcome.transient.append(article.id)
                continue
            started = time.monotonic()
            updates.append((article.id, _extraction_fields(article, page)))
            seconds.append(time.monotonic() - started)
    finally:
        # A time limit or an error here: the fetches still in flight are of no use to anyone.
        fetching.cancel()
    outcome.statuses = _extractions_write(updates)
    for each in seconds:
        metrics.observe_extraction_seconds(each)
    return outcome


def _extractions_write(updates: list[tuple[int, dict]]) -> dict[int, str]:
    """Write a batch's extraction fields in one transaction. Returns the new status of each story written.

    Another worker may have done a story meanwhile: only stories still waiting are written (their rows are
    locked first, so the statuses returned are those this call wrote). The rows go as one executemany a set
    of fields (psycopg pipelines it: one round trip, not one a story, while the worker could be extracting;
    and a tenth of the CPU of building an ORM update, or a bulk_update's CASE, for each row).

    Rows are found by primary key alone and their status is checked here, under the lock. With
    `extraction_status = 'pending'` in a WHERE, Postgres may walk the pending stories' index entries
    instead (statistics taken while few stories waited make that look as cheap as the key), reading every
    waiting story, and the dead entries of those done since the last vacuum, for each row written.
    """
    if not updates:
        return {}
    with transaction.atomic():
        still_pending = {
            article_id
            for article_id, status in Article.objects.select_for_update()
            .filter(id__in=[article_id for article_id, _ in updates])
            .values_list("id", "extraction_status")
            if status == Article.Extraction.PENDING
        }
        by_fields: dict[tuple[str, ...], list[list]] = {}
        for article_id, fields in updates:
            if article_id in still_pending:
                names = tuple(sorted(fields))
                row = [_db_value(name, fields[name]) for name in names]
                by_fields.setdefault(names, []).append([*row, article_id])
        with connection.cursor() as cursor:
            for names, rows in by_fields.items():
                cursor.executemany(_extraction_update_sql(names), rows)
    return {
        article_id: fields["extraction_status"]
        for article_id, fields in updates
        if article_id in still_pending
    }


@functools.cache
def _article_field(name: str) -> Field:
    return next(field for field in Article._meta.concrete_fields if field.name == name)


def _db_value(name: str, value: object) -> object:
    return _article_field(name).get_db_prep_save(value, connection)


def _extraction_update_sql(names: tuple[str, ...]) -> str:
    quote, meta = connection.ops.quote_name, Article._meta
    columns = ", ".join(f"{quote(_article_field(name).column)} = %s" for name in names)
    return f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(_article_field('id').column)} = %s"


async def _fetch_pages(articles: list[Article], concurrency: int, deliver, client) -> None:  # noqa: ANN001
    limit = asyncio.Semaphore(concurrency)

    async def one(article: Article) -> None:
        async with limit:
            page = await _afetch_or_error(
                article.url, log_extra={"article_id": article.id}, accept=ACCEPT_HTML, client=client
            )
        deliver((article, page))

    await asyncio.gather(*(one(article) for article in articles))


def _extraction_fields(article: Article, page: FetchResult | FetchError | None) -> dict:
    """The fields a story gets from its fetched page (or from a failed fetch): its extracted text when
    that beats the feed's, else the feed's text stays and only the status changes."""
    if isinstance(page, FetchError) or page is None or not page.content:
        extracted = None
    else:
        # The feed gave the date; the byline is searched for only when the feed had none.
        extracted = extract_article(
            page.content, url=page.url, search_author=not article.author, find_published=False
        )
    chosen = choose_content(extracted, feed_text=article.text, feed_html=article.content_html)
    fields: dict = {"updated_at": timezone.now()}
    if chosen.source == "extracted" and extracted is not None:
        # extract_article sanitized its HTML and took the text of that: nothing to do twice
        fields.update(
            content_html=extracted.content_html,
            text=extracted.text,
            word_count=extracted.word_count,
            reading_time=reading_time_minutes(extracted.word_count),
            extraction_status=Article.Extraction.EXTRACTED,
        )
        if extracted.lead_image_url and not article.lead_image_url:
            fields["lead_image_url"] = extracted.lead_image_url[:2048]
        if extracted.author and not article.author:
            fields["author"] = extracted.author[:300]
        if extracted.title and not article.title:
            fields["title"] = extracted.title
        if extracted.language and not article.language:
            fields["language"] = extracted.language[:20]
    else:
        fields["extraction_status"] = Article.Extraction.FEED if article.text else Article.Extraction.FAILED
    return fields


def articles_pending_extraction(*, older_than: timedelta, limit: int = 1000) -> list[int]:
    """Stories still waiting for their text after `older_than`: their task was lost (a worker died)."""
    cutoff = timezone.now() - older_than
    return list(
        Article.objects.filter(extraction_status=Article.Extraction.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )


# --- Saving any web page -------------------------------------------------------------------------


def page_ingest(*, url: str) -> Article:
    """Fetch any web page, extract it and store it as a story of the page's site. Safe to repeat.

    Raises FetchError (a user-readable str()) when the page cannot be fetched; a page with no readable
    text is still saved, with its title and link.
    """
    page = fetch(url, accept=ACCEPT_HTML)
    host = urlsplit(page.url).hostname or page.url
    site = f"{urlsplit(page.url).scheme}://{host}/"
    publisher = services.publisher_for_site(site_url=site, name=host.removeprefix("www."))
    extracted = extract_article(page.content, url=page.url)
    now = timezone.now()
    html = extracted.content_html if extracted else ""  # sanitized by extract_article
    text = extracted.text if extracted else ""
    words = extracted.word_count if extracted else 0
    defaults = dict(
        guid=page.url,
        url=page.url[:2048],
        title=(extracted.title if extracted else "") or page.url,
        author=(extracted.author if extracted else "")[:300],
        published_at=(extracted.published_at if extracted else None) or now,
        summary=excerpt(text),
        content_html=html,
        text=text,
        lead_image_url=((extracted.lead_image_url if extracted else "") or "")[:2048],
        word_count=words,
        reading_time=reading_time_minutes(words),
        language=((extracted.language if extracted else "") or "")[:20],
        extraction_status=Article.Extraction.EXTRACTED if text else Article.Extraction.FAILED,
        content_hash=content_hash(text),
        updated_at=now,
    )
    try:
        with transaction.atomic():
            article, _ = Article.objects.update_or_create(
                publisher=publisher, guid_hash=guid_hash(page.url), defaults=defaults
            )
    except IntegrityError:  # saved by someone else at the same moment
        article = Article.objects.get(publisher=publisher, guid_hash=guid_hash(page.url))
    return article
