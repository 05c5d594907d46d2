"""Following: the subscriptions page, adding a source, folders, publisher follow buttons, OPML.

Each view: parse input, call one service or selector (scoped to request.user), render. Changes are POST.
With htmx, a change answers with the fragment to swap; without, it redirects back with a message.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from newsreader.http import HtmxHttpRequest
from subscriptions.opml import MAX_OPML_BYTES, OpmlError
from subscriptions.selectors import follows as selectors
from subscriptions.services import follows as services
from subscriptions.services.follows import FollowError

MANAGE = "subscriptions:subscription-manage"


class SourceLookupForm(forms.Form):
    url = forms.CharField(
        label="Address of a site or a feed",
        max_length=2048,
        widget=forms.TextInput(
            attrs={"placeholder": "example.com or https://example.com/feed.xml", "inputmode": "url",
                   "autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )  # fmt: skip


class SourceFollowForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=8000)
    title = forms.CharField(label="Name", max_length=300, required=False)
    folder = forms.IntegerField(required=False)


class NameForm(forms.Form):
    name = forms.CharField(max_length=300, required=False)


class MoveForm(forms.Form):
    folder = forms.IntegerField(required=False)


class OpmlUploadForm(forms.Form):
    file = forms.FileField(label="OPML file", help_text="Exported from another reader (.opml or .xml).")


def _announce(response: HttpResponse, text: str) -> HttpResponse:
    response["HX-Trigger"] = json.dumps({"announce": text})
    return response


def _manage_answer(
    request: HtmxHttpRequest, message: str, *, error: bool = False, reset_source_add: bool = False
) -> HttpResponse:
    """After a change on the subscriptions page: the list fragment for htmx, else back to the page.

    reset_source_add: also put back an empty "add a source" card (out of band), once its preview is used.
    """
    if request.htmx:
        overview = selectors.subscription_overview_for_user(user=request.user)
        context = {"overview": overview, "flash": message, "flash_error": error}
        if reset_source_add:
            context.update(reset_source_add=True, lookup_form=SourceLookupForm())
        response = render(request, "subscriptions/follows/_subscription_list.html", context)
        return _announce(response, message)
    (messages.error if error else messages.success)(request, message)
    return redirect(MANAGE)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


# --- The subscriptions page ---------------------------------------------------------------------


@require_GET
def subscription_manage(request):
    overview = selectors.subscription_overview_for_user(user=request.user)
    imports = selectors.opml_imports_for_user(user=request.user, limit=3)
    return render(
        request,
        "subscriptions/follows/manage.html",
        {"overview": overview, "lookup_form": SourceLookupForm(), "imports": imports},
    )


@require_POST
def subscription_rename(request, subscription_id: int):
    form = NameForm(request.POST)
    form.is_valid()
    subscription = services.subscription_rename(
        user=request.user, subscription_id=subscription_id, title=form.cleaned_data.get("name", "")
    )
    return _manage_answer(request, f"Renamed to “{subscription.display_title}”.")


@require_POST
def subscription_move(request, subscription_id: int):
    form = MoveForm(request.POST)
    form.is_valid()
    subscription = services.subscription_move(
        user=request.user, subscription_id=subscription_id, folder_id=form.cleaned_data.get("folder")
    )
    where = f"“{subscription.folder.name}”" if subscription.folder else "no folder"
    return _manage_answer(request, f"Moved “{subscription.display_title}” to {where}.")


@require_POST
def subscription_delete(request, subscription_id: int):
    subscription = services.subscription_delete(user=request.user, subscription_id=subscription_id)
    return _manage_answer(request, f"You no longer follow “{subscription.display_title}”.")


@require_POST
def subscription_retry(request, subscription_id: int):
    feed = services.subscription_feed_retry(user=request.user, subscription_id=subscription_id)
    return _manage_answer(request, f"“{feed}” will be checked again in a moment.")


# --- Folders ------------------------------------------------------------------------------------


@require_POST
def folder_create(request):
    form = NameForm(request.POST)
    form.is_valid()
    try:
        folder = services.folder_create(user=request.user, name=form.cleaned_data.get("name", ""))
    except FollowError as exc:
        return _manage_answer(request, str(exc), error=True)
    return _manage_answer(request, f"Folder “{folder.name}” created.")


@require_POST
def folder_rename(request, folder_id: int):
    form = NameForm(request.POST)
    form.is_valid()
    try:
        folder = services.folder_rename(
            user=request.user, folder_id=folder_id, name=form.cleaned_data.get("name", "")
        )
    except FollowError as exc:
        return _manage_answer(request, str(exc), error=True)
    return _manage_answer(request, f"Folder renamed to “{folder.name}”.")


@require_POST
def folder_delete(request, folder_id: int):
    moved = services.folder_delete(user=request.user, folder_id=folder_id)
    suffix = (
        f" Its {moved} subscription{'s' if moved != 1 else ''} are now outside any folder." if moved else ""
    )
    return _manage_answer(request, f"Folder deleted.{suffix}")


# --- Publishers (the directory's follow button) -------------------------------------------------


def _follow_button(request, publisher_id: int, message: str) -> HttpResponse:
    if request.htmx:
        publisher = selectors.publisher_is_followed(user=request.user, publisher_id=publisher_id)
        # fresh: the pointer is still on the button just clicked; it must not turn into "Unfollow" at once.
        context = {"publisher": publisher, "fresh": True}
        response = render(request, "subscriptions/follows/_follow_button.html", context)
        return _announce(response, message)
    messages.success(request, message)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = reverse("articles:publisher-directory")
    return redirect(back)


@require_POST
def publisher_follow(request, publisher_id: int):
    try:
        subscriptions = services.publisher_follow(user=request.user, publisher_id=publisher_id)
    except FollowError as exc:
        if request.htmx:
            return _announce(HttpResponse(str(exc), status=409), str(exc))
        messages.error(request, str(exc))
        return redirect("articles:publisher-directory")
    return _follow_button(request, publisher_id, f"Following {subscriptions[0].feed.publisher.name}.")


@require_POST
def publisher_unfollow(request, publisher_id: int):
    services.publisher_unfollow(user=request.user, publisher_id=publisher_id)
    return _follow_button(request, publisher_id, "Unfollowed.")


# --- Any source by its address ------------------------------------------------------------------


def source_add(request):
    """GET: the form. POST: look the address up and show a preview to confirm."""
    from articles.services import FeedLookupError, feed_preview

    form = SourceLookupForm(request.POST or None)
    context: dict = {"lookup_form": form}
    if request.method == "POST" and form.is_valid():
        try:
            preview = feed_preview(url=form.cleaned_data["url"])
        except FeedLookupError as exc:
            form.add_error("url", str(exc))
        else:
            context.update(
                preview=preview,
                already=selectors.subscriptions_for_user(user=request.user).filter(feed__url=preview.feed_url).first(),
                follow_form=SourceFollowForm(
                    initial={
                        "token": services.source_preview_token(
                            user=request.user, feed_url=preview.feed_url, title=preview.title,
                            site_url=preview.site_url,
                        ),
                        "title": preview.title,
                    }
                ),
                folders=selectors.folders_for_user(user=request.user),
            )  # fmt: skip
    template = (
        "subscriptions/follows/_source_preview.html" if request.htmx else "subscriptions/follows/add.html"
    )
    status = 422 if request.method == "POST" and form.errors else 200
    # htmx swaps only 2xx answers by default: send the form with its message as 200 to htmx.
    return render(request, template, context, status=200 if request.htmx else status)


@require_POST
def source_follow(request):
    form = SourceFollowForm(request.POST)
    if not form.is_valid():
        return _manage_answer(request, "Please look the address up again.", error=True)
    try:
        subscription, created = services.source_follow(
            user=request.user,
            token=form.cleaned_data["token"],
            title=form.cleaned_data["title"],
            folder_id=form.cleaned_data["folder"],
        )
    except FollowError as exc:
        return _manage_answer(request, str(exc), error=True)
    verb = "You now follow" if created else "You already follow"
    return _manage_answer(request, f"{verb} “{subscription.display_title}”.", reset_source_add=True)


# --- OPML ---------------------------------------------------------------------------------------


def opml_import(request):
    form = OpmlUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_OPML_BYTES:
            form.add_error(
                "file", f"This file is too large: the limit is {MAX_OPML_BYTES // (1024 * 1024)} MB."
            )
        else:
            try:
                job = services.opml_import_start(user=request.user, data=upload.read(), filename=upload.name)
            except OpmlError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("subscriptions:opml-import-detail", import_id=job.id)
    imports = selectors.opml_imports_for_user(user=request.user)
    status = 422 if form.errors else 200
    return render(
        request, "subscriptions/follows/import.html", {"form": form, "imports": imports}, status=status
    )


def _import_context(request, import_id: int) -> dict:
    # Items are listed once the import is done; while it runs, the page polls counts only.
    job = selectors.opml_import_get_for_user(user=request.user, import_id=import_id, with_items=False)
    return {
        "job": job,
        "counts": selectors.opml_import_outcome_counts(import_id=job.id),
        "import_items": list(job.items.order_by("position")) if job.is_finished else None,
    }


@require_GET
def opml_import_detail(request, import_id: int):
    return render(request, "subscriptions/follows/import_detail.html", _import_context(request, import_id))


@require_GET
def opml_import_progress(request, import_id: int):
    context = _import_context(request, import_id)
    response = render(request, "subscriptions/follows/_import_progress.html", context)
    return _announce(response, "Import finished.") if context["job"].is_finished else response


@require_GET
def opml_export(request):
    response = HttpResponse(
        services.opml_export(user=request.user), content_type="text/x-opml; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="subscriptions.opml"'
    return response
