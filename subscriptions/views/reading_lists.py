"""Reading lists: Read later and named lists, their pages, export, private Atom feeds and save-by-URL."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from subscriptions import reading_export
from subscriptions.selectors import reading as selectors
from subscriptions.services import reading as services
from subscriptions.views.reading import HtmxHttpRequest, _announce, parse_id, safe_next

PAGE_SIZE = 50
FEED_ITEMS = 50
EXPORT_MAX_ITEMS = 10_000


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_GET
def reading_list_index(request: HtmxHttpRequest) -> HttpResponse:
    """Every list of the user (Read later first), a form for a new list, and save-by-URL."""
    services.reading_list_get_or_create_default(user=request.user)
    save_url = request.build_absolute_uri(reverse("subscriptions:reading-list-save-url"))
    context = {
        "lists": selectors.reading_lists_for_user(user=request.user),
        # Dragged to the bookmarks bar, it sends the page being read to the save form.
        "bookmarklet": (
            "javascript:(function(){location.href="
            + json.dumps(save_url + "?url=")
            + "+encodeURIComponent(location.href);})();"
        ),
    }
    return render(request, "subscriptions/reading/list_index.html", context)


@login_required
@require_POST
def reading_list_create(request: HtmxHttpRequest) -> HttpResponse:
    try:
        reading_list = services.reading_list_create(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("subscriptions:reading-list-index")
    messages.success(request, f"List “{reading_list.name}” created.")
    return redirect("subscriptions:reading-list-detail", reading_list_id=reading_list.pk)


@login_required
@require_GET
def reading_list_detail(request: HtmxHttpRequest, reading_list_id: int) -> HttpResponse:
    """One list: items to read, or the archive (`?archived=1`), each with its read state."""
    reading_list = selectors.reading_list_get_for_user(user=request.user, reading_list_id=reading_list_id)
    archived = request.GET.get("archived") == "1"
    before = selectors.cursor_decode(request.GET.get("before"))
    rows = list(
        selectors.reading_list_items_for_user(
            user=request.user,
            reading_list_id=reading_list.pk,
            archived=archived,
            before=before,
            limit=PAGE_SIZE + 1,
        )
    )
    items, has_more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    next_url = ""
    if has_more:
        cursor = selectors.cursor_encode(at=items[-1].added_at, pk=items[-1].pk)
        next_url = f"{request.path}?archived={int(archived)}&before={cursor}"
    context = {"reading_list": reading_list, "list_items": items, "archived": archived, "next_url": next_url}
    if request.htmx and before is not None:
        return render(request, "subscriptions/reading/_list_page.html", context)
    context["feed_url"] = request.build_absolute_uri(
        reverse("subscriptions:reading-list-feed", args=[reading_list.feed_secret])
    )
    return render(request, "subscriptions/reading/list_detail.html", context)


@login_required
@require_POST
def reading_list_rename(request: HtmxHttpRequest, reading_list_id: int) -> HttpResponse:
    try:
        services.reading_list_rename(
            user=request.user, reading_list_id=reading_list_id, name=request.POST.get("name", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "List renamed.")
    return redirect("subscriptions:reading-list-detail", reading_list_id=reading_list_id)


@login_required
@require_POST
def reading_list_delete(request: HtmxHttpRequest, reading_list_id: int) -> HttpResponse:
    try:
        services.reading_list_delete(user=request.user, reading_list_id=reading_list_id)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("subscriptions:reading-list-detail", reading_list_id=reading_list_id)
    messages.success(request, "List deleted.")
    return redirect("subscriptions:reading-list-index")


@login_required
@require_POST
def reading_list_rotate_secret(request: HtmxHttpRequest, reading_list_id: int) -> HttpResponse:
    services.reading_list_rotate_secret(user=request.user, reading_list_id=reading_list_id)
    messages.success(request, "The list has a new private feed address; the old one no longer works.")
    return redirect("subscriptions:reading-list-detail", reading_list_id=reading_list_id)


def _item_changed(request: HtmxHttpRequest, reading_list_id: int, message: str) -> HttpResponse:
    """An item left the view it was in (archived, restored or removed): htmx swaps it for nothing."""
    if request.htmx:
        return _announce(HttpResponse(""), message)
    messages.success(request, message)
    return redirect(safe_next(request, reverse("subscriptions:reading-list-detail", args=[reading_list_id])))


@login_required
@require_POST
def reading_list_item_archive(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = services.reading_list_item_archive(user=request.user, item_id=item_id, archived=True)
    return _item_changed(request, item.reading_list_id, "Archived")


@login_required
@require_POST
def reading_list_item_restore(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = services.reading_list_item_archive(user=request.user, item_id=item_id, archived=False)
    return _item_changed(request, item.reading_list_id, "Moved back to the list")


@login_required
@require_POST
def reading_list_item_delete(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    item = services.reading_list_item_delete(user=request.user, item_id=item_id)
    return _item_changed(request, item.reading_list_id, "Removed from the list")


EXPORT_TYPES = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "json": ("application/json; charset=utf-8", "json"),
    "html": ("text/html; charset=utf-8", "html"),
}


@login_required
@require_GET
def reading_list_export(request: HtmxHttpRequest, reading_list_id: int, fmt: str) -> HttpResponse:
    """The whole list (archive included) as Markdown, JSON or an HTML page, as a download."""
    if fmt not in EXPORT_TYPES:
        raise Http404("No such format.")
    reading_list = selectors.reading_list_get_for_user(user=request.user, reading_list_id=reading_list_id)
    rows = selectors.reading_list_items_for_user(
        user=request.user, reading_list_id=reading_list.pk, archived=None, limit=EXPORT_MAX_ITEMS
    )
    items = [reading_export.ExportItem.from_item(item) for item in rows]
    if fmt == "md":
        body = reading_export.export_markdown(name=reading_list.name, items=items)
    elif fmt == "json":
        body = json.dumps(reading_export.export_json(name=reading_list.name, items=items), indent=2)
    else:
        body = reading_export.export_html(name=reading_list.name, items=items)
    content_type, extension = EXPORT_TYPES[fmt]
    response = HttpResponse(body, content_type=content_type)
    filename = f"{slugify(reading_list.name) or 'reading-list'}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The private Atom feed of a list ------------------------------------------------------------------


class ContentAtom1Feed(Atom1Feed):
    """Atom with the full sanitized text in <content type="html">, not only the summary."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content_html"):
            handler.addQuickElement("content", item["content_html"], {"type": "html"})


class ReadingListFeed(Feed):
    """A list as Atom at /lists/feed/<secret>/: no sign-in, the unguessable secret is the key."""

    feed_type = ContentAtom1Feed

    def get_object(self, request, secret: str):
        return selectors.reading_list_get_by_secret(secret=secret)

    def title(self, obj) -> str:
        return f"{obj.name} · Newsreader"

    def subtitle(self, obj) -> str:
        return f"Stories saved to “{obj.name}”"

    def link(self, obj) -> str:
        return reverse("subscriptions:reading-list-detail", args=[obj.pk])

    def feed_url(self, obj) -> str:
        return reverse("subscriptions:reading-list-feed", args=[obj.feed_secret])

    def items(self, obj):
        return selectors.reading_list_items_for_user(
            user=obj.user, reading_list_id=obj.pk, archived=False, limit=FEED_ITEMS, with_content=True
        )

    def item_title(self, item) -> str:
        return item.article.title or item.article.url

    def item_link(self, item) -> str:
        return reading_export.safe_url(item.article.url) or reverse(
            "subscriptions:article-detail", args=[item.article_id]
        )

    def item_guid(self, item) -> str:
        return f"tag:newsreader,2024:reading-list-item:{item.pk}"

    item_guid_is_permalink = False

    def item_description(self, item) -> str:
        return item.article.summary

    def item_author_name(self, item) -> str:
        return item.article.author or item.article.publisher.name

    def item_pubdate(self, item):
        return item.article.published_at

    def item_updateddate(self, item):
        return item.added_at

    def item_extra_kwargs(self, item) -> dict:
        # content_html was sanitized by the ingestion pipeline before it was stored.
        return {"content_html": item.article.content_html}

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "private, max-age=300"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"
        return response


reading_list_feed = login_not_required(require_GET(ReadingListFeed()))


# --- Save any web page by URL ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def reading_list_save_url(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the form (the bookmarklet lands here with `?url=`); POST: start the save and show progress.

    Saving needs the POST (the button), so no other site can make a signed-in reader save pages.
    """
    lists = selectors.reading_lists_for_user(user=request.user)
    context: dict[str, object] = {"lists": lists, "selected": None}
    if request.method == "GET":
        context["url"] = request.GET.get("url", "")[:4096]
        return render(request, "subscriptions/reading/save_url.html", context)
    url = request.POST.get("url", "")
    reading_list_id = parse_id(request.POST.get("list"))
    try:
        status = services.reading_list_save_url(user=request.user, url=url, reading_list_id=reading_list_id)
    except ValidationError as exc:
        context.update(url=url[:4096], selected=reading_list_id, error=_error_text(exc))
        if request.htmx:
            # The form itself comes back with the message, in place of the form.
            response = render(request, "subscriptions/reading/_save_form.html", context)
            return reswap(retarget(response, "#save-form"), "outerHTML")
        return render(request, "subscriptions/reading/save_url.html", context)
    if request.htmx:
        return render(request, "subscriptions/reading/_save_status.html", {"status": status, "item": None})
    return redirect("subscriptions:reading-list-save-status", token=status.token)


@login_required
@require_GET
def reading_list_save_status(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Where a save stands: polled by htmx every second while pending, a full page otherwise."""
    status = selectors.page_save_status_for_user(user=request.user, token=token)
    item = None
    if status.state == "done" and status.item_id:
        item = selectors.reading_list_item_get_for_user(user=request.user, item_id=status.item_id)
    context = {"status": status, "item": item}
    if request.htmx:
        return render(request, "subscriptions/reading/_save_status.html", context)
    return render(request, "subscriptions/reading/save_status.html", context)
