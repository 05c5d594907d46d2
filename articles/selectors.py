"""Reads about publishers, feeds and articles. Querysets come back with their joins applied."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from articles.models import Article, Feed, Publisher


def publisher_list(*, query: str = "", category: str = "", country: str = "") -> QuerySet[Publisher]:
    publishers = Publisher.objects.filter(in_catalogue=True)
    if query:
        publishers = publishers.filter(Q(name__icontains=query) | Q(description__icontains=query))
    if category:
        publishers = publishers.filter(category=category)
    if country:
        publishers = publishers.filter(country=country)
    return publishers.order_by("name")


def publisher_get(*, slug: str) -> Publisher:
    publisher = Publisher.objects.filter(slug=slug).first()
    if publisher is None:
        raise Http404("No such publisher")
    return publisher


def article_get(*, article_id: int) -> Article:
    article = Article.objects.select_related("publisher", "feed").filter(id=article_id).first()
    if article is None:
        raise Http404("No such article")
    return article


def feeds_due_for_check(*, now: datetime | None = None, limit: int = 500) -> QuerySet[Feed]:
    """Feeds whose next check has come and that no worker holds (read-only; see pipeline.feeds_claim_due)."""
    now = now or timezone.now()
    return (
        Feed.objects.filter(disabled=False, next_check_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_check_at")[:limit]
    )
