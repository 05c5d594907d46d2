"""Template helpers for the page shell (base.html): nav links that tolerate routes not built yet."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

register = template.Library()

# Pages are built by several engineers at once; a nav link to a page that does not exist yet must not
# break every other page, and a route may be registered with or without its app's namespace.
_NAMESPACES = ("subscriptions", "articles", "discovery", "accounts")


@lru_cache(maxsize=256)
def _nav_url(name: str, urlconf: str, script_prefix: str) -> str:
    for candidate in (name, *(f"{ns}:{name}" for ns in _NAMESPACES)):
        try:
            return reverse(candidate, urlconf=urlconf)
        except NoReverseMatch:
            continue
    return ""


@register.simple_tag
def nav_url(name: str) -> str:
    """The URL of a named route, trying the bare name then each app namespace; "" when none exists.

    Looked up once per route (and URL configuration and script prefix): every page draws the nav, and
    each name that misses (a bare name, then the namespaces) raised and caught NoReverseMatch.
    """
    return _nav_url(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


# (label, route name, whether the link is current for paths under it)
_NAV = (
    ("River", "river"),
    ("Top stories", "top-stories"),
    ("For you", "for-you"),
    ("Publishers", "publisher-directory"),
    ("Lists", "reading-list-index"),
    ("Following", "subscription-manage"),
    ("Search", "search"),
)


@register.simple_tag(takes_context=True)
def nav_items(context) -> list[dict]:
    """Main navigation entries that exist, each with `label`, `url` and `current`."""
    request = context.get("request")
    path = getattr(request, "path", "")
    items = []
    for label, name in _NAV:
        url = nav_url(name)
        if not url:
            continue
        current = path == url if url == "/" else path.startswith(url)
        items.append({"label": label, "url": url, "current": current, "name": name})
    return items


@register.filter
def initial(name: str | None) -> str:
    """The first letter or digit of a name, for a publisher's placeholder logo ("/Film" -> "F")."""
    for char in name or "":
        if char.isalnum():
            return char.upper()
    return "•"
