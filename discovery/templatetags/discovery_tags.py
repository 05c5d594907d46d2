"""Template tags that fetch discovery's data for fragments other pages include (article, river, home).

`also_in` is called once per river card but queries once per page: the first call computes the cluster
info of every story in the page's `stories` list (the same objects the river loops over) and leaves it on
each of them, so the next cards find theirs without a query.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from discovery.selectors import cluster_info_for_articles, picks_for_home, related_for_article

register = template.Library()

_ATTR = "_discovery_cluster_info"
_MISSING = object()


@register.simple_tag(takes_context=True)
def also_in(context, story):
    """The ClusterInfo of `story` (None when it is a story of its own)."""
    found = getattr(story, _ATTR, _MISSING)
    if found is not _MISSING:
        return found
    page = context.get("stories")
    batch = [s for s in page if hasattr(s, "pk")] if isinstance(page, list) and story in page else [story]
    infos = cluster_info_for_articles(article_ids=[s.pk for s in batch])
    for s in batch:
        setattr(s, _ATTR, infos.get(s.pk))
    return infos.get(story.pk)


@register.simple_tag(takes_context=True)
def related_stories(context, article, limit: int = 6):
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if article is None or user is None or not user.is_authenticated:
        return []
    return related_for_article(user=user, article=article, limit=limit)


@register.simple_tag(takes_context=True)
def home_picks(context, limit: int = 4):
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return []
    return picks_for_home(user=user, limit=limit)


@register.simple_tag
def select_options(choices, selected=None) -> SafeString:
    """`<option>`s of (value, label) pairs, `selected` marked, values and labels escaped: the search form
    lists every publisher one follows (hundreds), which a template loop rendered in about 4 ms."""
    return mark_safe(  # noqa: S308 - every value and label is escaped here
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
            for value, label in choices
        )
    )


@register.simple_tag
def story_time(value) -> SafeString:
    """`<time>` of a search hit: the date ("5 Mar 2024"), the full date and time as its title, ISO 8601
    as its datetime; what `|date:"j M Y"`, `|date:"j F Y, H:i"` and `|date:"c"` give (English month
    names), at a tenth of their cost: three date filters were half of a 20-hit page's rendering."""
    if value is None:
        return mark_safe("")  # noqa: S308 - a constant
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return mark_safe(  # noqa: S308 - numbers and month names only
        f'<time datetime="{local.isoformat()}" title="{local.day} {local:%B %Y, %H:%M}">'
        f"{local.day} {local:%b %Y}</time>"
    )
