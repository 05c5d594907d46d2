"""Our Picks for the home page: what editors chose in the admin, only what this reader may open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from articles.models import Article
from discovery.models import Pick
from discovery.selectors.clusters import visible_article_q


@dataclass(frozen=True)
class PickCard:
    pick_id: int
    blurb: str
    article: Article  # the chosen article, or the lead article of the chosen story
    publisher_count: int  # publishers covering the story (1 for a single article)


def picks_for_home(*, user, limit: int = 4, now: datetime | None = None) -> list[PickCard]:
    """Active picks, editors' order first. One query."""
    now = now or timezone.now()
    picks = (
        Pick.objects.filter(is_active=True)
        .filter(Q(show_until__isnull=True) | Q(show_until__gt=now))
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
