"""Fever API view, mounted at /api/fever/ (clients append `?api&...`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.forms import client_address
from accounts.services import LoginThrottled
from compat import fever
from compat.greader import item_html
from compat.services import ApiLoginFailed, fever_authenticate
from subscriptions.selectors.follows import folders_for_user, subscriptions_for_user
from subscriptions.selectors.reading import (
    river_articles_by_ids_for_user,
    river_by_id_for_user,
    river_scope_for_user,
    river_stream_for_user,
)
from subscriptions.services import reading as reading_services


def _param(request: HttpRequest, name: str) -> str | None:
    """FreshRSS reads `$_REQUEST`: a flag or value may come in the query string or the form."""
    if name in request.POST:
        return request.POST.get(name, "")
    if name in request.GET:
        return request.GET.get(name, "")
    return None


def _has(request: HttpRequest, flag: str) -> bool:
    return _param(request, flag) is not None


def _unread_ids(user) -> str:
    return fever.id_list(sorted(river_stream_for_user(user=user, read=False).values_list("id", flat=True)))


def _saved_ids(user) -> str:
    return fever.id_list(
        sorted(river_stream_for_user(user=user, starred_only=True).values_list("id", flat=True))
    )


def _mark(request: HttpRequest, user, answer: dict) -> None:
    """`mark=item&as=read|unread|saved|unsaved&id=N`, `mark=feed|group&as=read&id=N&before=T`.
    Sets the state (never toggles); echoes the fresh id list as FreshRSS does. Ids the user cannot see
    change nothing."""
    mark, state = _param(request, "mark"), _param(request, "as")
    if mark == "item":
        pk = fever.id_param(_param(request, "id"))
        actions: dict[str, Callable[..., object]] = {
            "read": reading_services.article_mark_read,
            "unread": reading_services.article_mark_unread,
            "saved": reading_services.reading_list_add,
            "unsaved": reading_services.reading_list_remove,
        }
        action = actions.get(state or "")
        if pk is None or action is None:
            return
        try:
            action(user=user, article_id=pk)
        except Http404:
            pass
        if state in ("read", "unread"):
            answer["unread_item_ids"] = _unread_ids(user)
        else:
            answer["saved_item_ids"] = _saved_ids(user)
    elif mark in ("feed", "group") and state == "read":
        pk = fever.signed_id_param(_param(request, "id"))
        before = fever.time_param(_param(request, "before"))
        older_than = datetime.fromtimestamp(before, tz=UTC) if before is not None else timezone.now()
        if pk is None or (mark == "group" and pk < 0):  # -1 is the Sparks group: we have no sparks
            return
        reading_services.articles_mark_all_read(
            user=user,
            older_than=older_than,
            feed_id=pk if mark == "feed" else None,
            folder_id=pk if mark == "group" and pk else None,  # group 0: everything
        )
        answer["unread_item_ids"] = _unread_ids(user)


def _items(request: HttpRequest, user) -> list:
    with_ids = _param(request, "with_ids")
    if with_ids is not None:
        ids = fever.ids_param(with_ids)
        articles = river_articles_by_ids_for_user(user=user, article_ids=ids) if ids else []
        return sorted(articles, key=lambda a: a.pk)
    since_id = fever.id_param(_param(request, "since_id"))
    if since_id is not None:
        return list(river_by_id_for_user(user=user, above_id=since_id))
    max_id = fever.id_param(_param(request, "max_id"))
    return list(river_by_id_for_user(user=user, below_id=max_id or None))


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> JsonResponse:
    """Authenticate by `api_key`, apply a `mark`, then answer every read flag asked for."""
    try:
        user = fever_authenticate(api_key=_param(request, "api_key") or "", ip=client_address(request))
    except LoginThrottled as exc:
        response = JsonResponse(fever.base(auth=False), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ApiLoginFailed:
        # The protocol's answer to a wrong key (FreshRSS, Miniflux): auth 0, and nothing else.
        return JsonResponse(fever.base(auth=False))

    answer = fever.base(auth=True, now=timezone.now())
    if _has(request, "mark"):
        _mark(request, user, answer)
    subscriptions = (
        list(subscriptions_for_user(user=user)) if _has(request, "groups") or _has(request, "feeds") else []
    )
    if _has(request, "groups"):
        answer["groups"] = [fever.group_json(f) for f in folders_for_user(user=user)]
        answer["feeds_groups"] = fever.feeds_groups_json(subscriptions)
    if _has(request, "feeds"):
        answer["feeds"] = [fever.feed_json(s) for s in subscriptions]
        answer["feeds_groups"] = fever.feeds_groups_json(subscriptions)
    if _has(request, "favicons"):
        answer["favicons"] = fever.favicons_json()
    if _has(request, "items"):
        answer["items"] = [fever.item_json(a, item_html(a)) for a in _items(request, user)]
        answer["total_items"] = river_scope_for_user(user=user).count()
    if _has(request, "links"):
        answer["links"] = []  # hot links are not kept (FreshRSS answers the same)
    if _has(request, "unread_item_ids"):
        answer["unread_item_ids"] = _unread_ids(user)
    if _has(request, "saved_item_ids"):
        answer["saved_item_ids"] = _saved_ids(user)
    return JsonResponse(answer)
