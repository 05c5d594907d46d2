"""The river, the article page and read state. Thin views: parse, call one service or selector, render.

Every change is a POST that answers an htmx request with the fragment to swap in, and anything else
with a redirect, so each button also works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from discovery.selectors import cluster_info_for_articles
from newsreader.http import HtmxHttpRequest
from subscriptions.selectors import reading as selectors
from subscriptions.services import reading as services

PAGE_SIZE = 30


_MAX_ID = 2**63 - 1


def parse_id(value: str | None) -> int | None:
    """A positive database id from a query string, or None for anything else (hostile input)."""
    if not value or len(value) > 19 or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None


@dataclass(frozen=True)
class RiverFilter:
    """Which river the user is looking at; carried in the query string to the article and back."""

    show: str = "unread"  # "unread" or "all"
    folder_id: int | None = None
    feed_id: int | None = None
    publisher_id: int | None = None

    @classmethod
    def from_query(cls, data) -> RiverFilter:
        """From a query string or form: `folder=3`, `feed=7`, `publisher=2`, or the menu's `source=feed:7`."""
        ids: dict[str, int | None] = {key: parse_id(data.get(key)) for key in ("folder", "feed", "publisher")}
        kind, _, value = (data.get("source") or "").partition(":")
        if kind in ids and parse_id(value):
            ids = dict.fromkeys(ids, None)
            ids[kind] = parse_id(value)
        return cls(
            show="all" if data.get("show") == "all" else "unread",
            folder_id=ids["folder"],
            feed_id=ids["feed"],
            publisher_id=ids["publisher"],
        )

    @property
    def unread_only(self) -> bool:
        return self.show == "unread"

    @property
    def is_narrowed(self) -> bool:
        return any((self.folder_id, self.feed_id, self.publisher_id))

    def selector_kwargs(self) -> dict:
        return {
            "folder_id": self.folder_id,
            "feed_id": self.feed_id,
            "publisher_id": self.publisher_id,
            "unread_only": self.unread_only,
        }

    def params(self, **extra) -> dict[str, str]:
        params = {"show": self.show} if self.show != "unread" else {}
        for key, value in (
            ("folder", self.folder_id),
            ("feed", self.feed_id),
            ("publisher", self.publisher_id),
        ):
            if value:
                params[key] = str(value)
        params.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
        return params

    def query(self, **extra) -> str:
        """`?show=all&folder=3` (or "" for the default river), for links that keep the filter."""
        encoded = urlencode(self.params(**extra))
        return f"?{encoded}" if encoded else ""

    @property
    def source_value(self) -> str:
        """The value of the "showing" menu: `folder:3`, `feed:7`, `publisher:2` or ""."""
        for key, value in (
            ("folder", self.folder_id),
            ("feed", self.feed_id),
            ("publisher", self.publisher_id),
        ):
            if value:
                return f"{key}:{value}"
        return ""


def _river_url(river_filter: RiverFilter, **extra) -> str:
    return reverse("subscriptions:river") + river_filter.query(**extra)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go after a change without JavaScript: the form's `next`, else the page the form was on
    (Referer), when it points into this site; else the fallback (no open redirects)."""
    for target in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.headers.get("Referer"),
    ):
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
    return fallback


def _announce(response: HttpResponse, message: str) -> HttpResponse:
    # app.js reads event.detail.value and says it in the live region for screen readers.
    trigger_client_event(response, "announce", {"value": message})
    return response


def _count_label(count: int, *, cap: int) -> str:
    """ "" for none, the number, or "999+" once a capped count reaches its cap."""
    if not count:
        return ""
    return f"{cap - 1}+" if count >= cap else str(count)


# --- The river -------------------------------------------------------------------------------------


@login_required
@require_GET
def river(request: HtmxHttpRequest) -> HttpResponse:
    """The stories of everything the user follows, newest first; `?before=` pages by keyset.

    An htmx "load more" (a request with a cursor) gets only the next cards and the next trigger.
    """
    river_filter = RiverFilter.from_query(request.GET)
    before = selectors.cursor_decode(request.GET.get("before"))
    # One extra row tells whether there is a next page without a COUNT.
    rows = selectors.river_page_for_user(
        user=request.user, **river_filter.selector_kwargs(), before=before, limit=PAGE_SIZE + 1
    )
    stories, has_more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_cursor = selectors.cursor_encode(at=stories[-1].published_at, pk=stories[-1].pk) if has_more else ""
    context = {
        "stories": stories,
        "cluster_infos": cluster_info_for_articles(article_ids=[story.pk for story in stories]),
        "river_filter": river_filter,
        "next_url": _river_url(river_filter, before=next_cursor) if has_more else "",
        "article_query": river_filter.query(),
        "unread_url": _river_url(replace(river_filter, show="unread")),
        "all_url": _river_url(replace(river_filter, show="all")),
    }
    if request.htmx and before is not None:
        return render(request, "subscriptions/reading/_river_page.html", context)
    sources = selectors.river_sources_for_user(user=request.user)
    unread_count = selectors.unread_count_for_user(
        user=request.user,
        feed_id=river_filter.feed_id,
        folder_id=river_filter.folder_id,
        publisher_id=river_filter.publisher_id,
    )
    context.update(
        sources=sources,
        unread_label=_count_label(unread_count, cap=selectors.UNREAD_COUNT_CAP),
        latest_id=selectors.article_latest_id(),
        undo_token=request.GET.get("undo", "")[:32],
        marked=parse_id(request.GET.get("marked")) or 0,
        heading=sources.title_for(
            folder_id=river_filter.folder_id,
            feed_id=river_filter.feed_id,
            publisher_id=river_filter.publisher_id,
        ),
        is_first_page=before is None,
    )
    return render(request, "subscriptions/reading/river.html", context)


@login_required
@require_POST
def river_mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    """Mark read everything in the river being shown, up to the newest story it had when drawn."""
    river_filter = RiverFilter.from_query(request.POST)
    read_at = timezone.now()
    marked = services.articles_mark_all_read(
        user=request.user,
        feed_id=river_filter.feed_id,
        folder_id=river_filter.folder_id,
        publisher_id=river_filter.publisher_id,
        before_id=parse_id(request.POST.get("before_id")),
        read_at=read_at,
    )
    undo = selectors.cursor_encode(at=read_at, pk=0) if marked else ""
    return redirect(_river_url(river_filter, undo=undo, marked=marked or ""))


@login_required
@require_POST
def river_mark_all_read_undo(request: HtmxHttpRequest) -> HttpResponse:
    """Make unread again exactly the stories one "mark all as read" marked."""
    river_filter = RiverFilter.from_query(request.POST)
    token = selectors.cursor_decode(request.POST.get("undo"))
    if token is not None:
        restored = services.articles_mark_all_read_undo(user=request.user, read_at=token[0])
        messages.info(request, f"{restored} stories marked unread again.")
    return redirect(_river_url(river_filter))


# --- One article ------------------------------------------------------------------------------------


@login_required
@require_GET
def article_detail(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """The article in reading typography; opening it marks it read. Next/previous follow the river
    the user came from (its filter is in the query string)."""
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    if not article.is_read:  # type: ignore[attr-defined]  # annotated by the selector
        services.article_mark_read(user=request.user, article_id=article.pk)
        article.is_read = True  # type: ignore[attr-defined]
    river_filter = RiverFilter.from_query(request.GET)
    neighbours = selectors.Neighbours()
    if article.is_followed:  # type: ignore[attr-defined]  # else it has no place in the river
        neighbours = selectors.river_neighbours_for_user(
            user=request.user, article=article, **river_filter.selector_kwargs()
        )
    context = {
        "article": article,
        "river_filter": river_filter,
        "article_query": river_filter.query(),
        "river_url": _river_url(river_filter),
        "neighbours": neighbours,
        "named_lists": [
            rl for rl in selectors.reading_lists_for_user(user=request.user) if not rl.is_default
        ],
        "list_ids": selectors.reading_list_ids_with_article(user=request.user, article_id=article.pk),
    }
    return render(request, "subscriptions/reading/article_detail.html", context)


def _article_fragment(
    request: HtmxHttpRequest, article_id: int, message: str, *, in_list: bool | None = None
) -> HttpResponse:
    """After a change to an article, the piece of page that shows it: the river card, the Save or Read
    button, or the toggle of one named list (`in_list` is its new state)."""
    article = selectors.article_get_for_user(user=request.user, article_id=article_id)
    fragment = request.POST.get("fragment", "")
    context = {
        "article": article,
        "story": article,
        "fragment": fragment,
        # Rebuilt from its parts, never echoed: it goes into links.
        "article_query": RiverFilter.from_query(
            QueryDict(request.POST.get("article_query", "")[1:300])
        ).query(),
        "next": safe_next(request, ""),
    }
    template = "subscriptions/reading/_read_button.html"
    if fragment == "card":
        template = "subscriptions/reading/_story.html"
        context["cluster_infos"] = cluster_info_for_articles(article_ids=[article.pk])
    elif fragment == "save":
        template = "subscriptions/reading/_save_button.html"
    elif fragment == "list" and in_list is not None:
        template = "subscriptions/reading/_list_toggle.html"
        context["in_list"] = in_list
        context["reading_list"] = selectors.reading_list_get_for_user(
            user=request.user, reading_list_id=parse_id(request.POST.get("list")) or 0
        )
    return _announce(render(request, template, context), message)


@login_required
@require_POST
def article_mark_read(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    services.article_mark_read(user=request.user, article_id=article_id)
    if request.htmx:
        return _article_fragment(request, article_id, "Marked as read")
    return redirect(safe_next(request, reverse("subscriptions:article-detail", args=[article_id])))


@login_required
@require_POST
def article_mark_unread(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    services.article_mark_unread(user=request.user, article_id=article_id)
    if request.htmx:
        return _article_fragment(request, article_id, "Marked as unread")
    # Back to the river: the article page would mark it read again on arrival.
    return redirect(safe_next(request, reverse("subscriptions:river")))


@login_required
@require_POST
def article_save(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """Save to Read later (or to the list named in `list`)."""
    services.reading_list_add(
        user=request.user, article_id=article_id, reading_list_id=parse_id(request.POST.get("list"))
    )
    if request.htmx:
        return _article_fragment(request, article_id, "Saved", in_list=True)
    return redirect(safe_next(request, reverse("subscriptions:article-detail", args=[article_id])))


@login_required
@require_POST
def article_unsave(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """Take out of Read later (or out of the list named in `list`)."""
    services.reading_list_remove(
        user=request.user, article_id=article_id, reading_list_id=parse_id(request.POST.get("list"))
    )
    if request.htmx:
        return _article_fragment(request, article_id, "Removed from the list", in_list=False)
    return redirect(safe_next(request, reverse("subscriptions:article-detail", args=[article_id])))
