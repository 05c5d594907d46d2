"""Google Reader API views, mounted at /api/greader/ (and /api/greader.php/, FreshRSS's path).

Each view authenticates the token, parses the protocol's parameters (compat/greader.py), calls the same
selector or service as the web pages, and shapes the answer. Every response costs a fixed number of
queries: the token (one), the user's subscriptions when items need their feed's name and folder (one),
the items (one), and for writes the service's own few.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.forms import client_address
from accounts.services import LoginThrottled
from articles.services import FeedLookupError
from compat import greader as gr
from compat.selectors import greader_user_for_token
from compat.services import ApiLoginFailed, greader_login
from subscriptions.selectors.follows import (
    folder_get_by_name_for_user,
    folders_for_user,
    subscription_get_by_feed_for_user,
    subscriptions_for_user,
)
from subscriptions.selectors.reading import (
    cursor_decode,
    cursor_encode,
    river_articles_by_ids_for_user,
    river_newest_by_feed_for_user,
    river_stream_for_user,
    unread_counts_for_user,
)
from subscriptions.services import follows as follow_services
from subscriptions.services import reading as reading_services

DEFAULT_PAGE = 20
SUBSCRIBE_MAX = 5
EDIT_MAX = 100


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _unauthorized() -> HttpResponse:
    # Miniflux's answer: clients read the header as "fetch a new token and retry". Nothing else is said.
    response = _text("Unauthorized", status=401)
    response["X-Reader-Google-Bad-Token"] = "true"
    return response


def _token(request: HttpRequest, params: gr.Params) -> str:
    """`Authorization: GoogleLogin auth=<token>`, else `T` in the request (Liferea sends only that)."""
    scheme, _, rest = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "googlelogin":
        key, _, value = rest.strip().partition("=")
        return value.strip() if key.strip().lower() == "auth" else ""
    return params.get("T")


View = Callable[..., HttpResponse]


def endpoint(methods: list[str]) -> Callable[[View], View]:
    """Authenticate by token (401 and nothing else when it is wrong), parse the parameters, and turn a
    BadRequest into 400. Writes need no separate `T`: the token authenticates them (RSS Guard sends none)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                params = gr.Params.from_request(request)
            except gr.BadRequest as exc:
                return _text(str(exc), status=400)
            user = greader_user_for_token(token=_token(request, params))
            if user is None:
                return _unauthorized()
            try:
                return view(request, user, params, *args, **kwargs)
            except gr.BadRequest as exc:
                return _text(str(exc), status=400)

        return csrf_exempt(login_not_required(require_http_methods(methods)(wrapped)))

    return decorate


GET_POST = ["GET", "POST"]


# --- Signing in --------------------------------------------------------------------------------------


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def client_login(request: HttpRequest) -> HttpResponse:
    """`Email` + `Passwd` (the API password) → plain-text `SID/LSID/Auth` (JSON with `output=json`)."""
    try:
        params = gr.Params.from_request(request)
    except gr.BadRequest as exc:
        return _text(str(exc), status=400)
    try:
        token = greader_login(
            login=params.get("Email"), password=params.get("Passwd"), ip=client_address(request)
        )
    except LoginThrottled as exc:
        response = _text(f"Error=TooManyAttempts\nInfo={exc}\n", status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ApiLoginFailed:
        return _text("Error=BadAuthentication\n", status=401)
    if params.get("output") == "json":
        return JsonResponse({"SID": token, "LSID": token, "Auth": token})
    return _text(gr.login_text(token))


@endpoint(GET_POST)
def token(request, user, params) -> HttpResponse:
    # The action token is the auth token (Miniflux): writes are authenticated by it either way.
    return _text(_token(request, params) + "\n")


@endpoint(GET_POST)
def user_info(request, user, params) -> HttpResponse:
    return JsonResponse(gr.user_info_json(user))


# --- Subscriptions and folders -----------------------------------------------------------------------


@endpoint(GET_POST)
def subscription_list(request, user, params) -> HttpResponse:
    subscriptions = sorted(subscriptions_for_user(user=user), key=lambda s: s.display_title.casefold())
    return JsonResponse({"subscriptions": [gr.subscription_json(s) for s in subscriptions]})


def _subscription_for_stream(user, value: str):
    stream = gr.stream_parse(value)
    if stream.kind != "feed":
        raise gr.BadRequest(f"Not a feed: {value[:80]!r}")
    return subscription_get_by_feed_for_user(user=user, feed_id=stream.feed_id, feed_url=stream.feed_url)


@endpoint(["POST"])
def subscription_edit(request, user, params) -> HttpResponse:
    """ac=subscribe (s=feed/<url>), unsubscribe, or edit (t renames, a=label moves, r=label takes out)."""
    action = params.get("ac")
    # Subscribing looks each address up on the network: a few per request keep the request short.
    streams = params.getlist("s")[: SUBSCRIBE_MAX if action == "subscribe" else EDIT_MAX]
    title = params.get("t")
    add_label = gr.label_of(params.get("a"))
    remove_label = gr.label_of(params.get("r"))
    if not streams or action not in ("subscribe", "unsubscribe", "edit"):
        raise gr.BadRequest("Expected ac=subscribe|unsubscribe|edit and s.")
    try:
        for value in streams:
            if action == "subscribe":
                follow_services.subscription_create_from_url(
                    user=user, url=value.removeprefix("feed/"), title=title, folder_name=add_label or ""
                )
                continue
            subscription = _subscription_for_stream(user, value)
            if action == "unsubscribe":
                follow_services.subscription_delete(user=user, subscription_id=subscription.pk)
                continue
            if title:
                follow_services.subscription_rename(user=user, subscription_id=subscription.pk, title=title)
            if add_label:
                folder = follow_services.folder_get_or_create(user=user, name=add_label)
                follow_services.subscription_move(
                    user=user, subscription_id=subscription.pk, folder_id=folder.pk
                )
            elif (
                remove_label and subscription.folder is not None and subscription.folder.name == remove_label
            ):
                follow_services.subscription_move(user=user, subscription_id=subscription.pk, folder_id=None)
    except Http404:
        return _text("Not found", status=404)
    except (FeedLookupError, follow_services.FollowError) as exc:
        return _text(str(exc), status=400)
    return _text("OK")


@endpoint(["POST"])
def subscription_quickadd(request, user, params) -> HttpResponse:
    url = params.get("quickadd").strip().removeprefix("feed/")
    try:
        subscription, _ = follow_services.subscription_create_from_url(user=user, url=url)
    except (FeedLookupError, follow_services.FollowError) as exc:
        return JsonResponse({"numResults": 0, "query": url, "error": str(exc)})
    feed = subscription.feed
    return JsonResponse(
        {
            "numResults": 1,
            "query": feed.url,
            "streamId": f"feed/{feed.id}",
            "streamName": subscription.title or feed.title or feed.url,
        }
    )


@endpoint(GET_POST)
def tag_list(request, user, params) -> HttpResponse:
    return JsonResponse(gr.tag_list_json(folders_for_user(user=user)))


@endpoint(["POST"])
def rename_tag(request, user, params) -> HttpResponse:
    source, dest = gr.label_of(params.get("s")), gr.label_of(params.get("dest"))
    if source is None or dest is None:
        raise gr.BadRequest("Expected s and dest as user/-/label/<name>.")
    try:
        folder = folder_get_by_name_for_user(user=user, name=source)
        follow_services.folder_rename(user=user, folder_id=folder.pk, name=dest)
    except Http404:
        return _text("Not found", status=404)
    except follow_services.FollowError as exc:
        return _text(str(exc), status=400)
    return _text("OK")


@endpoint(["POST"])
def disable_tag(request, user, params) -> HttpResponse:
    """Delete folders; their feeds stay, in no folder. A folder already gone is fine."""
    for value in params.getlist("s")[:EDIT_MAX]:
        name = gr.label_of(value)
        if name is None:
            continue
        try:
            folder = folder_get_by_name_for_user(user=user, name=name)
            follow_services.folder_delete(user=user, folder_id=folder.pk)
        except Http404:
            continue
    return _text("OK")


@endpoint(GET_POST)
def unread_count(request, user, params) -> HttpResponse:
    counts = unread_counts_for_user(user=user)
    newest = river_newest_by_feed_for_user(user=user)
    folders = {f.pk: f.name for f in folders_for_user(user=user)}
    folder_newest: dict[int, datetime] = {}
    for feed_id, folder_id in subscriptions_for_user(user=user).values_list("feed_id", "folder_id"):
        if folder_id is not None and feed_id in newest:
            folder_newest[folder_id] = max(newest[feed_id], folder_newest.get(folder_id, newest[feed_id]))

    def row(stream_id: str, count: int, moment: datetime | None) -> dict:
        return {
            "id": stream_id,
            "count": count,
            "newestItemTimestampUsec": gr.usec(moment) if moment else "0",
        }

    rows = [row(f"feed/{fid}", n, newest.get(fid)) for fid, n in sorted(counts.by_feed.items())]
    rows += [
        row(gr.label_id(folders[fid]), n, folder_newest.get(fid))
        for fid, n in sorted(counts.by_folder.items())
        if fid in folders
    ]
    rows.append(row(gr.READING_LIST, counts.total, max(newest.values(), default=None)))
    return JsonResponse({"max": counts.total, "unreadcounts": rows})


# --- Streams -----------------------------------------------------------------------------------------


def _stream_filters(user, stream: gr.Stream, params: gr.Params) -> dict | None:
    """The selector arguments for a stream and its `xt`/`it`/`ot`/`nt`/`r`/`c`; None for a stream that
    is empty for this user (a folder or feed they do not have, a state we do not keep)."""
    filters: dict = {}
    if stream.kind == "read":
        filters["read"] = True
    elif stream.kind == "kept-unread":
        filters["read"] = False
    elif stream.kind == "starred":
        filters["starred_only"] = True
    elif stream.kind == "label":
        try:
            filters["folder_id"] = folder_get_by_name_for_user(user=user, name=stream.label).pk
        except Http404:
            return None
    elif stream.kind == "feed":
        if stream.feed_id is not None:
            filters["feed_id"] = stream.feed_id  # the selector keeps only feeds the user follows
        else:
            try:
                filters["feed_id"] = subscription_get_by_feed_for_user(
                    user=user, feed_url=stream.feed_url
                ).feed_id
            except Http404:
                return None
    elif stream.kind != "reading-list":
        return None
    for value, wanted in [(v, False) for v in params.getlist("xt")] + [
        (v, True) for v in params.getlist("it")
    ]:
        target = gr.stream_parse(value).kind
        key = {"read": "read", "starred": "saved", "kept-unread": "read"}.get(target)
        if key is None:
            continue
        wanted = (not wanted) if target == "kept-unread" else wanted
        if filters.get(key, wanted) != wanted:
            return None  # e.g. the read stream excluding read items
        filters[key] = wanted
    filters["stored_after"] = gr.time_param(params.get("ot"))
    filters["stored_before"] = gr.time_param(params.get("nt"))
    filters["oldest_first"] = params.get("r") == "o"
    filters["after"] = cursor_decode(params.get("c")) if params.get("c") else None
    return filters


def _continuation(rows: list, n: int, at, pk) -> tuple[list, str]:
    """Keep n rows; the continuation is a keyset cursor after the last one, present when more exist."""
    if len(rows) <= n:
        return rows, ""
    rows = rows[:n]
    return rows, cursor_encode(at=at(rows[-1]), pk=pk(rows[-1]))


@endpoint(GET_POST)
def stream_items_ids(request, user, params) -> HttpResponse:
    n = gr.count_param(params.get("n"), default=DEFAULT_PAGE, cap=gr.MAX_IDS)
    filters = _stream_filters(user, gr.stream_parse(params.get("s")), params)
    if filters is None:
        return JsonResponse(gr.item_refs_json([], ""))
    rows = list(river_stream_for_user(user=user, **filters).values_list("id", "published_at")[: n + 1])
    rows, continuation = _continuation(rows, n, at=lambda r: r[1], pk=lambda r: r[0])
    return JsonResponse(gr.item_refs_json([pk for pk, _ in rows], continuation))


def _items(user, articles) -> list[dict]:
    by_feed = {s.feed_id: s for s in subscriptions_for_user(user=user)}
    return [gr.item_json(a, by_feed.get(a.feed_id)) for a in articles]


@endpoint(GET_POST)
def stream_contents(request, user, params, stream: str = "") -> HttpResponse:
    """The stream comes in the path, percent-encoded (`feed%2F1`), or as `s` (BazQux style)."""
    stream_id = stream or params.get("s") or gr.READING_LIST
    n = gr.count_param(params.get("n"), default=DEFAULT_PAGE, cap=gr.MAX_CONTENTS)
    filters = _stream_filters(user, gr.stream_parse(stream_id), params)
    now = timezone.now()
    if filters is None:
        return JsonResponse(gr.items_page_json(stream_id=stream_id, items=[], continuation="", now=now))
    articles = list(river_stream_for_user(user=user, **filters)[: n + 1])
    articles, continuation = _continuation(articles, n, at=lambda a: a.published_at, pk=lambda a: a.pk)
    page = gr.items_page_json(
        stream_id=stream_id, items=_items(user, articles), continuation=continuation, now=now
    )
    return JsonResponse(page)


@endpoint(GET_POST)
def stream_items_contents(request, user, params) -> HttpResponse:
    ids = gr.item_ids_parse(params.getlist("i"))
    articles = list(river_articles_by_ids_for_user(user=user, article_ids=ids)) if ids else []
    page = gr.items_page_json(
        stream_id=gr.READING_LIST, items=_items(user, articles), continuation="", now=timezone.now()
    )
    return JsonResponse(page)


# --- Writes ------------------------------------------------------------------------------------------


@endpoint(["POST"])
def edit_tag(request, user, params) -> HttpResponse:
    """`a` adds and `r` removes read or starred on every `i`; other tags (like, broadcast) are ignored."""
    ids = gr.item_ids_parse(params.getlist("i"))
    if not ids:
        raise gr.BadRequest("Expected at least one i.")
    add = {gr.stream_parse(v).kind for v in params.getlist("a")}
    remove = {gr.stream_parse(v).kind for v in params.getlist("r")}
    if "kept-unread" in add:
        remove.add("read")
    if add & remove & {"read", "starred"}:
        raise gr.BadRequest("The same tag cannot be added and removed at once.")
    if "read" in add:
        reading_services.articles_mark_read(user=user, article_ids=ids)
    if "read" in remove:
        reading_services.articles_mark_unread(user=user, article_ids=ids)
    if "starred" in add:
        reading_services.reading_list_add_many(user=user, article_ids=ids)
    if "starred" in remove:
        reading_services.reading_list_remove_many(user=user, article_ids=ids)
    return _text("OK")


@endpoint(["POST"])
def mark_all_as_read(request, user, params) -> HttpResponse:
    """Mark a stream read up to `ts` (stories published later stay unread). A folder or feed the user
    does not have marks nothing."""
    stream = gr.stream_parse(params.get("s"))
    older_than = gr.time_param(params.get("ts")) or timezone.now()
    scope: dict = {}
    if stream.kind == "label":
        try:
            scope["folder_id"] = folder_get_by_name_for_user(user=user, name=stream.label).pk
        except Http404:
            return _text("OK")
    elif stream.kind == "feed":
        try:
            scope["feed_id"] = subscription_get_by_feed_for_user(
                user=user, feed_id=stream.feed_id, feed_url=stream.feed_url
            ).feed_id
        except Http404:
            return _text("OK")
    elif stream.kind != "reading-list":
        raise gr.BadRequest("Expected s as the reading list, a folder or a feed.")
    reading_services.articles_mark_all_read(user=user, older_than=older_than, **scope)
    return _text("OK")


@endpoint(GET_POST)
def unknown(request, user, params) -> HttpResponse:
    # Miniflux's answer to calls it does not implement (export, preferences, ...): friendlier than 404.
    return JsonResponse([], safe=False)
