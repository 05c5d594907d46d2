"""Template helpers for the river, the article page and reading lists."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
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


@register.simple_tag(takes_context=True)
def include_optional(context, name: str) -> SafeString:
    """Render a template another engineer provides, or nothing while it does not exist yet."""
    try:
        fragment = get_template(name)
    except TemplateDoesNotExist:
        return SafeString("")
    return SafeString(fragment.render(context.flatten(), context.get("request")))
