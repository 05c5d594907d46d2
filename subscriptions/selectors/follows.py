"""Reads for following: the directory with the user's follow state, subscriptions by folder, imports.

Everything is scoped to the user passed in: another user's id gives Http404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from articles.models import Article, Publisher
from articles.selectors import publisher_list
from subscriptions.models import Folder, OpmlImport, OpmlImportItem, Subscription

DIRECTORY_FACETS_CACHE_KEY = "directory:facets:v1"
DIRECTORY_FACETS_TTL = 10 * 60


def _followed_exists(user) -> Exists:
    return Exists(Subscription.objects.filter(user=user, feed__publisher=OuterRef("pk")))


def directory_publishers_for_user(
    *, user, query: str = "", category: str = "", country: str = ""
) -> QuerySet[Publisher]:
    """Catalogue publishers matching the filters, each with `is_followed`, only the columns a card shows."""
    return (
        publisher_list(query=query.strip()[:100], category=category, country=country)
        .annotate(is_followed=_followed_exists(user))
        .only("id", "name", "slug", "site_url", "description", "category", "country", "logo_url")
    )


@dataclass(frozen=True)
class Facet:
    name: str
    count: int


@dataclass(frozen=True)
class DirectoryFacets:
    categories: list[Facet] = field(default_factory=list)
    countries: list[Facet] = field(default_factory=list)


def directory_facets() -> DirectoryFacets:
    """Categories and countries of the catalogue with their sizes; the same for everyone, so cached."""
    facets = cache.get(DIRECTORY_FACETS_CACHE_KEY)
    if facets is None:
        base = Publisher.objects.filter(in_catalogue=True).order_by()

        def counts(column: str) -> list[Facet]:
            rows = base.exclude(**{column: ""}).values_list(column).annotate(n=Count("id")).order_by(column)
            return [Facet(name=name, count=n) for name, n in rows]

        facets = DirectoryFacets(categories=counts("category"), countries=counts("country"))
        cache.set(DIRECTORY_FACETS_CACHE_KEY, facets, DIRECTORY_FACETS_TTL)
    return facets


@dataclass
class PublisherPage:
    publisher: Publisher
    is_followed: bool
    articles: list[Article]


def publisher_page_for_user(*, user, slug: str, limit: int = 20) -> PublisherPage:
    """A publisher and its latest stories. Catalogue publishers are public; a publisher made for someone's
    own source is visible only to the users who follow it (it would tell what they read)."""
    publisher = Publisher.objects.filter(slug=slug).annotate(is_followed=_followed_exists(user)).first()
    if publisher is None or not (publisher.in_catalogue or publisher.is_followed):
        raise Http404("No such publisher")
    articles = list(
        Article.objects.filter(publisher=publisher)
        .only(
            "id", "title", "url", "summary", "published_at", "reading_time", "lead_image_url", "author",
            "publisher_id",
        )
        .order_by("-published_at", "-id")[:limit]
    )  # fmt: skip
    return PublisherPage(publisher=publisher, is_followed=publisher.is_followed, articles=articles)


def publisher_is_followed(*, user, publisher_id: int) -> Publisher:
    """The publisher with `is_followed` for this user (404 when it does not exist)."""
    publisher = (
        Publisher.objects.filter(id=publisher_id)
        .annotate(is_followed=_followed_exists(user))
        .only("id", "name", "slug")
        .first()
    )
    if publisher is None:
        raise Http404("No such publisher")
    return publisher


# --- Subscriptions and folders ------------------------------------------------------------------


def subscriptions_for_user(*, user) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(user=user)
        .select_related("feed__publisher", "folder")
        .only(
            "id", "title", "folder_id", "created_at", "folder__name",
            "feed__id", "feed__url", "feed__title", "feed__site_url", "feed__error_count", "feed__last_error",
            "feed__last_status", "feed__next_check_at", "feed__last_checked_at", "feed__disabled",
            "feed__disabled_reason", "feed__publisher__id", "feed__publisher__name", "feed__publisher__slug",
            "feed__publisher__logo_url", "feed__publisher__in_catalogue",
        )
        .order_by("id")
    )  # fmt: skip


def folders_for_user(*, user) -> QuerySet[Folder]:
    return Folder.objects.filter(user=user).order_by("name")


def subscription_get_for_user(*, user, subscription_id: int) -> Subscription:
    subscription = subscriptions_for_user(user=user).filter(id=subscription_id).first()
    if subscription is None:
        raise Http404("No such subscription")
    return subscription


@dataclass
class FolderGroup:
    folder: Folder | None
    subscriptions: list[Subscription]


@dataclass
class SubscriptionOverview:
    groups: list[FolderGroup]
    folders: list[Folder]
    total: int
    failing: int
    now: datetime
    first_failing_id: int | None = None


def subscription_overview_for_user(*, user) -> SubscriptionOverview:
    """The user's subscriptions grouped by folder (folders by name, then the unfiled), in two queries."""
    folders = list(folders_for_user(user=user))
    subscriptions = sorted(subscriptions_for_user(user=user), key=lambda s: s.display_title.casefold())
    by_folder: dict[int | None, list[Subscription]] = {f.id: [] for f in folders}
    by_folder[None] = []
    for s in subscriptions:
        by_folder.setdefault(s.folder_id, []).append(s)
    groups = [FolderGroup(folder=f, subscriptions=by_folder[f.id]) for f in folders]
    groups.append(FolderGroup(folder=None, subscriptions=by_folder[None]))
    failing = [s for g in groups for s in g.subscriptions if s.feed.disabled or s.feed.error_count]
    return SubscriptionOverview(
        groups=groups,
        folders=folders,
        total=len(subscriptions),
        failing=len(failing),
        now=timezone.now(),
        first_failing_id=failing[0].id if failing else None,
    )


# --- OPML imports -------------------------------------------------------------------------------


def opml_import_get_for_user(*, user, import_id: int, with_items: bool = True) -> OpmlImport:
    imports = OpmlImport.objects.filter(user=user, id=import_id)
    if with_items:
        imports = imports.prefetch_related(
            Prefetch("items", queryset=OpmlImportItem.objects.order_by("position"))
        )
    job = imports.first()
    if job is None:
        raise Http404("No such import")
    return job


def opml_imports_for_user(*, user, limit: int = 5) -> list[OpmlImport]:
    return list(OpmlImport.objects.filter(user=user).order_by("-created_at", "-id")[:limit])


def opml_import_outcome_counts(*, import_id: int) -> dict[str, int]:
    """How many items of an import ended in each outcome (one query; the caller checked ownership)."""
    rows = (
        OpmlImportItem.objects.filter(opml_import_id=import_id)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("id"))
    )
    return dict(rows)


# --- Lookups by name and by feed, for the client APIs (engineer `compat`) -----------------------


def folder_get_by_name_for_user(*, user, name: str) -> Folder:
    """The user's folder with this name (exactly, else in any case); Http404 when they have none."""
    folders = list(Folder.objects.filter(user=user, name__iexact=(name or "").strip()))
    folder = next((f for f in folders if f.name == name), folders[0] if folders else None)
    if folder is None:
        raise Http404("No such folder")
    return folder


def subscription_get_by_feed_for_user(
    *, user, feed_id: int | None = None, feed_url: str | None = None
) -> Subscription:
    """The user's subscription to this feed (by id or by address); Http404 when they do not follow it."""
    subscriptions = subscriptions_for_user(user=user)
    if feed_id is not None:
        subscriptions = subscriptions.filter(feed_id=feed_id)
    elif feed_url:
        subscriptions = subscriptions.filter(feed__url=feed_url)
    else:
        raise Http404("No such subscription")
    subscription = subscriptions.first()
    if subscription is None:
        raise Http404("No such subscription")
    return subscription
