"""Our Picks for the home page: what editors chose in the admin, only what this reader may open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from articles.models import Article
from discovery.models import Pick
from discovery.selectors.clusters import visible_article_q

# Whether any pick is switched on, shared by every reader. Most of the time there is none, and the river
# then skips the picks query (several joins and per-user subqueries, about 5 ms a page). A saved pick
# forgets it (picks_changed); the timeout only bounds a race with a request that read the old state.
ANY_ACTIVE_KEY = "discovery:picks:any-active"
ANY_ACTIVE_SECONDS = 300


@dataclass(frozen=True)
class PickCard:
    pick_id: int
    blurb: str
    article: Article  # the chosen article, or the lead article of the chosen story
    publisher_count: int  # publishers covering the story (1 for a single article)


def _active(now: datetime) -> Q:
    return Q(is_active=True) & (Q(show_until__isnull=True) | Q(show_until__gt=now))


def picks_any_active(*, now: datetime | None = None) -> bool:
    """Whether some pick is switched on and not expired, for everyone. Cached; one query when not."""
    found = cache.get(ANY_ACTIVE_KEY)
    if found is None:
        found = Pick.objects.filter(_active(now or timezone.now())).exists()
        cache.set(ANY_ACTIVE_KEY, found, ANY_ACTIVE_SECONDS)
    return bool(found)


def picks_changed() -> None:
    """Forget whether any pick is active (a pick was saved). Safe to repeat."""
    cache.delete(ANY_ACTIVE_KEY)


def picks_for_home(*, user, limit: int = 4, now: datetime | None = None) -> list[PickCard]:
    """Active picks, editors' order first. One query, none while no pick is active (picks_any_active)."""
    now = now or timezone.now()
    if not picks_any_active(now=now):
        return []
    picks = (
        Pick.objects.filter(_active(now))
        .filter(
            visible_article_q(user=user, prefix="article__")
            | visible_article_q(user=user, prefix="cluster__lead_article__")
        )
        .select_related("article__publisher", "cluster__lead_article__publisher")
        .order_by("position", "-created_at", "-id")[:limit]
    )
    cards = []
    for pick in picks:
        article = pick.article or (pick.cluster.lead_article if pick.cluster else None)
        if article is None:
            continue
        cards.append(
            PickCard(
                pick_id=pick.pk,
                blurb=pick.blurb,
                article=article,
                publisher_count=pick.cluster.publisher_count if pick.cluster else 1,
            )
        )
    return cards
