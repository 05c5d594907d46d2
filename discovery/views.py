"""Search, top stories and For you. Thin views: parse the query string, call one selector, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from discovery import selectors
from discovery.selectors.search import search_filter_choices
from newsreader.http import HtmxHttpRequest

_MAX_ID = 2**63 - 1


def _id(value: str | None) -> int | None:
    if not value or len(value) > 19 or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "")[:10]) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class SearchForm:
    """The search box and its filters, from a query string; anything malformed is ignored."""

    q: str = ""
    scope: str = "all"
    publisher_id: int | None = None
    since: date | None = None
    until: date | None = None
    list_id: int | None = None
    page: int = 1

    @classmethod
    def from_query(cls, data) -> SearchForm:
        page = _id(data.get("page")) or 1
        return cls(
            q=(data.get("q") or "").strip()[:256],
            scope="mine" if data.get("scope") == "mine" else "all",
            publisher_id=_id(data.get("publisher")),
            since=_day(data.get("since")),
            until=_day(data.get("until")),
            list_id=_id(data.get("list")),
            page=min(page, 1000),
        )

    def params(self, **changes) -> str:
        values = {
            "q": self.q,
            "scope": self.scope if self.scope != "all" else "",
            "publisher": self.publisher_id or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "list": self.list_id or "",
            "page": self.page if self.page > 1 else "",
        } | changes
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        zone = timezone.get_current_timezone()
        since = datetime.combine(self.since, time.min, tzinfo=zone) if self.since else None
        until = datetime.combine(self.until, time.max, tzinfo=zone) if self.until else None
        return since, until


@login_required
@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm.from_query(request.GET)
    since, until = form.bounds()
    result = selectors.article_search(
        user=request.user,
        query=form.q,
        scope=form.scope,
        publisher_id=form.publisher_id,
        since=since,
        until=until,
        reading_list_id=form.list_id,
        page=form.page,
    )
    context = {
        "form": form,
        "result": result,
        "next_url": form.params(page=form.page + 1) if result.has_next else "",
        "previous_url": form.params(page=form.page - 1 if form.page > 2 else "")
        if result.has_previous
        else "",
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "discovery/_search_results.html", context)
    context["choices"] = search_filter_choices(user=request.user, publisher_id=form.publisher_id)
    return render(request, "discovery/search.html", context)


@login_required
@require_GET
def top_stories(request: HttpRequest) -> HttpResponse:
    category = (request.GET.get("category") or "").strip()[:100]
    top = selectors.top_stories(category=category)
    return render(request, "discovery/top.html", {"top": top})


@login_required
@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    stories = selectors.for_you_for_user(user=request.user)
    return render(request, "discovery/for_you.html", {"stories": stories})
