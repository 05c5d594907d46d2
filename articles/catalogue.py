"""Load the shipped publisher catalogue (articles/data/publishers.json, built by scripts/build_catalogue.py).

`make run` calls this on every start, so it is idempotent and cheap when nothing changed: a handful of queries
whatever the size of the catalogue, and no writes at all on a second run.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q

from articles.models import Feed, Publisher
from articles.services import publisher_free_slug

logger = logging.getLogger(__name__)

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "publishers.json"
MAX_CATALOGUE_BYTES = 20 * 1024 * 1024
# Publisher columns the catalogue owns: a change in the file overwrites them.
PUBLISHER_FIELDS = (
    "name",
    "site_url",
    "description",
    "category",
    "country",
    "language",
    "logo_url",
    "in_catalogue",
)
# Fewer parameters per `IN (...)` than any database here allows.
LOOKUP_CHUNK = 900
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,220}$")


class CatalogueError(Exception):
    """The catalogue file is missing or malformed; nothing was written."""


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    slug: str
    site_url: str
    description: str
    category: str
    country: str
    language: str
    logo_url: str
    feeds: tuple[tuple[str, str], ...]  # (url, title)

    def publisher_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "site_url": self.site_url,
            "description": self.description,
            "category": self.category,
            "country": self.country,
            "language": self.language,
            "logo_url": self.logo_url,
            "in_catalogue": True,
        }


@dataclass(frozen=True)
class CatalogueLoadResult:
    publishers_created: int = 0
    publishers_updated: int = 0
    publishers_unchanged: int = 0
    # In the catalogue before, not in the file now: kept (users may follow them) with in_catalogue=False.
    publishers_retired: int = 0
    feeds_created: int = 0
    # Only a blank title is ever filled in; polling state (etag, errors, next check) is never touched.
    feeds_updated: int = 0
    feeds_unchanged: int = 0
    # Already known under a publisher of its own (a user added it first): left where it is.
    feeds_elsewhere: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.publishers_created
            or self.publishers_updated
            or self.publishers_retired
            or self.feeds_created
            or self.feeds_updated
        )

    def summary(self) -> str:
        return (
            f"publishers: {self.publishers_created} created, {self.publishers_updated} updated, "
            f"{self.publishers_unchanged} unchanged, {self.publishers_retired} retired; "
            f"feeds: {self.feeds_created} created, {self.feeds_updated} updated, "
            f"{self.feeds_unchanged} unchanged, {self.feeds_elsewhere} under another publisher"
        )


# --- Reading the file ------------------------------------------------------------------------------------


def _text(record: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = record.get(key, "")
    if not isinstance(value, str):
        raise CatalogueError(f"{key!r} must be a string in {record.get('slug')!r}")
    value = value.strip()
    if required and not value:
        raise CatalogueError(f"{key!r} is missing in {record.get('slug')!r}")
    if len(value) > limit:
        raise CatalogueError(f"{key!r} is longer than {limit} characters in {record.get('slug')!r}")
    return value


def _url(value: str, *, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2048:
        raise CatalogueError(f"{value!r} is not an http(s) URL in {where!r}")
    return value


def catalogue_read(path: Path | str | None = None) -> list[CatalogueEntry]:
    """Parse and check the catalogue file. Raises CatalogueError; touches no database."""
    path = Path(path) if path is not None else CATALOGUE_PATH
    try:
        if path.stat().st_size > MAX_CATALOGUE_BYTES:
            raise CatalogueError(f"{path.name} is larger than {MAX_CATALOGUE_BYTES // 1_048_576} MB")
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"cannot read the catalogue {path.name}: {exc}") from exc
    if not isinstance(records, list):
        raise CatalogueError(f"{path.name} must hold a list of publishers")

    entries: list[CatalogueEntry] = []
    slugs: set[str] = set()
    urls: set[str] = set()
    for record in records:
        if not isinstance(record, dict):
            raise CatalogueError(f"{path.name}: every publisher must be an object")
        slug = _text(record, "slug", 220, required=True)
        if not _SLUG.match(slug) or slug in slugs:
            raise CatalogueError(f"slug {slug!r} is malformed or not unique")
        slugs.add(slug)
        feed_urls = record.get("feeds")
        titles = record.get("feed_titles") or {}
        if not isinstance(feed_urls, list) or not feed_urls or not isinstance(titles, dict):
            raise CatalogueError(f"{slug!r} must list its feeds")
        feeds = []
        for url in feed_urls:
            if not isinstance(url, str) or url in urls:
                raise CatalogueError(f"feed {url!r} of {slug!r} is malformed or listed twice")
            urls.add(_url(url, where=slug))
            title = titles.get(url, "")
            feeds.append((url, title[:300] if isinstance(title, str) else ""))
        site_url = _text(record, "site_url", 2048)
        logo_url = _text(record, "logo_url", 2048)
        entries.append(
            CatalogueEntry(
                name=_text(record, "name", 200, required=True),
                slug=slug,
                site_url=site_url and _url(site_url, where=slug),
                description=_text(record, "description", 5000),
                category=_text(record, "category", 100),
                country=_text(record, "country", 100),
                language=_text(record, "language", 20),
                logo_url=logo_url and _url(logo_url, where=slug),
                feeds=tuple(feeds),
            )
        )
    return entries


# --- Writing ---------------------------------------------------------------------------------------------


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


def _slug_ids(slugs: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(slugs):
        found.update(Publisher.objects.filter(slug__in=chunk).values_list("slug", "id"))
    return found


def publishers_load_catalogue(*, path: Path | str | None = None) -> CatalogueLoadResult:
    """Upsert the catalogue's publishers (by slug) and feeds (by URL) in one transaction.

    Side effects: creates missing Publisher rows (in_catalogue=True) and overwrites the catalogue's columns
    of existing ones; marks publishers that left the file in_catalogue=False; creates missing Feed rows
    and fills in a blank feed title. It never changes an existing feed's publisher or polling state (etag,
    last_modified, errors, next_check_at). Safe to repeat: a second run with the same file writes nothing.
    """
    entries = catalogue_read(path)
    slugs = [entry.slug for entry in entries]

    with transaction.atomic():
        # One query: this file's publishers, and those that were in the catalogue before (to retire the gone).
        rows = {
            publisher.slug: publisher
            for chunk in _chunks(slugs)
            for publisher in Publisher.objects.filter(Q(slug__in=chunk) | Q(in_catalogue=True)).only(
                "id", "slug", *PUBLISHER_FIELDS
            )
        }
        listed = set(slugs)
        existing = {slug: publisher for slug, publisher in rows.items() if slug in listed}
        retired_ids = [p.id for slug, p in rows.items() if slug not in listed]
        for slug in _move_aside_private_namesakes(existing, entries, listed):
            del existing[slug]
        to_create: list[Publisher] = []
        to_update: list[Publisher] = []
        for entry in entries:
            values = entry.publisher_values()
            publisher = existing.get(entry.slug)
            if publisher is None:
                to_create.append(Publisher(slug=entry.slug, **values))
            elif any(getattr(publisher, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(publisher, name, value)
                to_update.append(publisher)

        if to_create:
            # ignore_conflicts: a second process loading at the same moment is not an error.
            Publisher.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
        if to_update:
            Publisher.objects.bulk_update(to_update, PUBLISHER_FIELDS, batch_size=200)
        if retired_ids:
            Publisher.objects.filter(id__in=retired_ids).update(in_catalogue=False)
        slug_ids = {slug: p.id for slug, p in existing.items()}
        if to_create:
            slug_ids.update(_slug_ids([p.slug for p in to_create]))

        feed_result = _feeds_upsert(entries, slug_ids)

    result = CatalogueLoadResult(
        publishers_created=len(to_create),
        publishers_updated=len(to_update),
        publishers_unchanged=len(entries) - len(to_create) - len(to_update),
        publishers_retired=len(retired_ids),
        **feed_result,
    )
    logger.info("catalogue loaded", extra={"result": result.summary()})
    return result


def _move_aside_private_namesakes(
    existing: dict[str, Publisher], entries: list[CatalogueEntry], listed: set[str]
) -> list[str]:
    """A publisher outside the catalogue that has the slug of a catalogue entry is adopted by the entry
    only when it holds no feed the entry does not list (a retired catalogue publisher coming back, or an
    empty namesake). One made for someone's own feed keeps its feeds private: it moves to a free slug and
    the entry gets a publisher of its own. Returns the slugs moved. One query, and only when an entry
    meets such a namesake."""
    namesakes = {slug: p for slug, p in existing.items() if not p.in_catalogue}
    if not namesakes:
        return []
    feeds_of: dict[int, set[str]] = {}
    for publisher_id, url in Feed.objects.filter(
        publisher_id__in=[p.id for p in namesakes.values()]
    ).values_list("publisher_id", "url"):
        feeds_of.setdefault(publisher_id, set()).add(url)
    entry_feeds = {entry.slug: {url for url, _ in entry.feeds} for entry in entries}
    moved = []
    for slug, publisher in namesakes.items():
        if feeds_of.get(publisher.id, set()) <= entry_feeds[slug]:
            continue
        publisher.slug = publisher_free_slug(f"{slug}-own", taken=listed)
        publisher.save(update_fields=["slug"])
        logger.warning(
            "catalogue slug taken by a publisher outside the catalogue: moved it aside",
            extra={"publisher_id": publisher.id, "catalogue_slug": slug, "new_slug": publisher.slug},
        )
        moved.append(slug)
    return moved


def _feeds_upsert(entries: list[CatalogueEntry], slug_ids: dict[str, int]) -> dict[str, int]:
    urls = [url for entry in entries for url, _ in entry.feeds]
    known: dict[str, tuple[int, int, str]] = {}
    for chunk in _chunks(urls):
        for feed_id, url, publisher_id, title in Feed.objects.filter(url__in=chunk).values_list(
            "id", "url", "publisher_id", "title"
        ):
            known[url] = (feed_id, publisher_id, title)

    to_create: list[Feed] = []
    titles_to_fill: list[Feed] = []
    elsewhere = unchanged = 0
    for entry in entries:
        publisher_id = slug_ids[entry.slug]
        for url, title in entry.feeds:
            if url not in known:
                to_create.append(Feed(publisher_id=publisher_id, url=url, title=title))
                continue
            feed_id, current_publisher_id, current_title = known[url]
            if current_publisher_id != publisher_id:
                elsewhere += 1
                logger.warning(
                    "catalogue feed already belongs to another publisher",
                    extra={"feed_id": feed_id, "url": url, "catalogue_slug": entry.slug},
                )
            elif not current_title and title:
                titles_to_fill.append(Feed(id=feed_id, title=title))
            else:
                unchanged += 1

    if to_create:
        Feed.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
    if titles_to_fill:
        # Only the title column: a feed's polling state belongs to the pipeline.
        Feed.objects.bulk_update(titles_to_fill, ["title"], batch_size=200)
    return {
        "feeds_created": len(to_create),
        "feeds_updated": len(titles_to_fill),
        "feeds_unchanged": unchanged,
        "feeds_elsewhere": elsewhere,
    }
