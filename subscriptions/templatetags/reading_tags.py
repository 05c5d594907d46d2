"""Template helpers for the river, the article page and reading lists."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def http_url(value: str | None) -> str:
    """The address if it is an absolute http(s) URL, else "": addresses from feeds are hostile."""
    url = (value or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


@register.filter
def short_age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, as a river shows it: "now", "5m", "3h", "2d", then the date ("12 Mar")."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b} {local.year}"


_PLACEHOLDER = 987654321987


@lru_cache(maxsize=256)
def _url_pattern(name: str, with_id: bool, script_prefix: str) -> str:
    return reverse(name, args=[_PLACEHOLDER] if with_id else None)


@register.simple_tag
def fast_url(name: str, object_id: int | None = None) -> str:
    """`{% url name id %}` for the routes a river card repeats 30 times: reversed once per route (and
    script prefix), then the id is put in its place. reverse() was a third of a card's render time."""
    pattern = _url_pattern(name, object_id is not None, get_script_prefix())
    return pattern if object_id is None else pattern.replace(str(_PLACEHOLDER), str(int(object_id)))


@register.simple_tag(takes_context=True)
def include_optional(context, name: str) -> SafeString:
    """`{% include name %}` of a template another engineer provides, or nothing while it does not exist.

    Renders with the current context, as {% include %} does: no copy of the context for each story.
    """
    try:
        fragment = get_template(name)
    except TemplateDoesNotExist:
        return SafeString("")
    with context.push():
        return SafeString(fragment.template.render(context))
