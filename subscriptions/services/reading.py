"""Reading: read state, "mark all as read" and its undo, reading lists and saving pages by URL.

Every service takes the user and checks that the objects it touches are theirs (or, for articles, that
they may see them): ids come from URLs and are easy to guess. Another user's id gives Http404, the
same answer as an id that does not exist, so ids leak nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from articles.models import Article
from subscriptions.models import ReadingList, ReadingListItem, ReadState
from subscriptions.reader_cache import READS, reader_changed
from subscriptions.selectors.reading import (
    PageSaveStatus,
    articles_visible_to_user,
    page_save_cache,
    page_save_cache_key,
    reading_list_get_for_user,
    river_scope_for_user,
)

logger = logging.getLogger(__name__)

MAX_LISTS_PER_USER = 200
LIST_NAME_MAX = 100
URL_MAX = 2048
# How long the progress of a save-by-URL is kept; the page polls it for a minute or two at most.
PAGE_SAVE_TTL = 24 * 60 * 60


# --- Read state -------------------------------------------------------------------------------------


def _read_states_insert(*, user, articles: QuerySet[Article], read_at: datetime) -> int:
    """Insert a ReadState for every article of `articles` (a queryset) in ONE statement; return how many.

    INSERT ... SELECT rather than bulk_create: "mark all as read" may cover tens of thousands of
    stories, and neither their ids nor their rows need to travel to Python and back. Rows that exist
    already (read before, or by a concurrent request) are skipped by the unique constraint.
    """
    ids = articles.filter(~Exists(ReadState.objects.filter(user=user, article_id=OuterRef("pk")))).values(
        "id"
    )
    ids = ids.order_by()
    sub_sql, sub_params = ids.query.sql_with_params()
    table = connection.ops.quote_name(ReadState._meta.db_table)
    # `WHERE true` is SQLite's way to tell an upsert's SELECT from its ON CONFLICT clause.
    sql = (
        f"INSERT INTO {table} (user_id, article_id, read_at) "
        f"SELECT %s, sub.id, %s FROM ({sub_sql}) sub WHERE true ON CONFLICT DO NOTHING"
    )
    params = (user.pk, connection.ops.adapt_datetimefield_value(read_at), *sub_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = max(cursor.rowcount, 0)
    if inserted:
        # Fewer unread stories: the river's unread count at its cap is no longer known to be there.
        reader_changed(user_id=user.pk, kind=READS)
    return inserted


def article_mark_read(*, user, article_id: int) -> bool:
    """Mark one article read. True if it was unread. Safe to repeat. Http404 if the user cannot see it."""
    visible = articles_visible_to_user(user=user).filter(pk=article_id)
    if _read_states_insert(user=user, articles=visible, read_at=timezone.now()):
        return True
    if not visible.exists():
        raise Http404("No such article.")
    return False


def article_mark_unread(*, user, article_id: int) -> bool:
    """Mark one article unread (delete the user's ReadState). True if it was read. Safe to repeat.

    Http404 if the user cannot see the article.
    """
    deleted, _ = ReadState.objects.filter(user=user, article_id=article_id).delete()
    if deleted:
        return True
    if not articles_visible_to_user(user=user).filter(pk=article_id).exists():
        raise Http404("No such article.")
    return False


def articles_mark_read(*, user, article_ids: Iterable[int]) -> int:
    """Mark many articles read at once (the client APIs); ids the user cannot see are skipped.

    Returns how many changed from unread to read. One statement. Safe to repeat.
    """
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    visible = articles_visible_to_user(user=user).filter(pk__in=ids)
    return _read_states_insert(user=user, articles=visible, read_at=timezone.now())


def articles_mark_unread(*, user, article_ids: Iterable[int]) -> int:
    """Mark many articles unread; returns how many were read. Only the user's own read state is touched."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    deleted, _ = ReadState.objects.filter(user=user, article_id__in=ids).delete()
    return deleted


def articles_mark_all_read(
    *,
    user,
    feed_id: int | None = None,
    folder_id: int | None = None,
    publisher_id: int | None = None,
    before_id: int | None = None,
    older_than: datetime | None = None,
    read_at: datetime | None = None,
) -> int:
    """Mark read every unread story of the user's river (or of one folder, feed or publisher).

    `before_id` is the largest article id the user had on screen: stories stored after it (a larger
    id) arrived since and stay unread, even if their publication date is older. `older_than` keeps
    stories published later than it unread (the client APIs' timestamp). All new ReadState rows carry
    `read_at` (now when not given), which is the undo token for `articles_mark_all_read_undo`.
    Returns how many stories changed. One statement; safe to repeat.
    """
    scope = river_scope_for_user(user=user, feed_id=feed_id, folder_id=folder_id, publisher_id=publisher_id)
    if before_id is not None:
        scope = scope.filter(id__lte=before_id)
    if older_than is not None:
        scope = scope.filter(published_at__lte=older_than)
    with transaction.atomic():
        return _read_states_insert(user=user, articles=scope, read_at=read_at or timezone.now())


def articles_mark_all_read_undo(*, user, read_at: datetime) -> int:
    """Undo one "mark all as read": delete the user's ReadState rows made by it (those with exactly
    that `read_at`), so stories read before it stay read. Returns how many became unread again."""
    deleted, _ = ReadState.objects.filter(user=user, read_at=read_at).delete()
    return deleted


# --- Reading lists ----------------------------------------------------------------------------------


def reading_list_get_or_create_default(*, user) -> ReadingList:
    """The user's "Read later" list, created the first time it is needed. Safe to repeat and to race."""
    reading_list = ReadingList.objects.filter(user=user, is_default=True).first()
    if reading_list is not None:
        return reading_list
    for name in (ReadingList.READ_LATER, f"{ReadingList.READ_LATER} (saved)"):
        try:
            with transaction.atomic():
                return ReadingList.objects.create(user=user, name=name, is_default=True)
        except IntegrityError:
            # Another request made it first, or (older data) a named list took the name: try again.
            reading_list = ReadingList.objects.filter(user=user, is_default=True).first()
            if reading_list is not None:
                return reading_list
    raise IntegrityError("could not create the Read later list")


def _clean_list_name(*, user, name: str, exclude_id: int | None = None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError("Give the list a name.")
    if len(cleaned) > LIST_NAME_MAX:
        raise ValidationError(f"A list name has at most {LIST_NAME_MAX} characters.")
    if cleaned.casefold() == ReadingList.READ_LATER.casefold():
        raise ValidationError(f"“{ReadingList.READ_LATER}” is the name of your default list.")
    clash = ReadingList.objects.filter(user=user, name__iexact=cleaned)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ValidationError(f"You already have a list called “{cleaned}”.")
    return cleaned


def reading_list_create(*, user, name: str) -> ReadingList:
    """Create a named list. ValidationError for an empty, reserved or duplicate name, or too many lists."""
    cleaned = _clean_list_name(user=user, name=name)
    if ReadingList.objects.filter(user=user).count() >= MAX_LISTS_PER_USER:
        raise ValidationError(f"You can have at most {MAX_LISTS_PER_USER} lists.")
    try:
        with transaction.atomic():
            return ReadingList.objects.create(user=user, name=cleaned)
    except IntegrityError as exc:  # the same name, created by a request that raced this one
        raise ValidationError(f"You already have a list called “{cleaned}”.") from exc


def reading_list_rename(*, user, reading_list_id: int, name: str) -> ReadingList:
    """Rename one of the user's named lists (Read later keeps its name). Http404 for another's list."""
    reading_list = reading_list_get_for_user(user=user, reading_list_id=reading_list_id)
    if reading_list.is_default:
        raise ValidationError(f"“{reading_list.name}” cannot be renamed.")
    cleaned = _clean_list_name(user=user, name=name, exclude_id=reading_list.pk)
    try:
        with transaction.atomic():
            ReadingList.objects.filter(pk=reading_list.pk, user=user).update(name=cleaned)
    except IntegrityError as exc:
        raise ValidationError(f"You already have a list called “{cleaned}”.") from exc
    reading_list.name = cleaned
    return reading_list


def reading_list_delete(*, user, reading_list_id: int) -> None:
    """Delete one of the user's named lists and its items (the articles stay). Read later stays."""
    reading_list = reading_list_get_for_user(user=user, reading_list_id=reading_list_id)
    if reading_list.is_default:
        raise ValidationError(f"“{reading_list.name}” cannot be deleted.")
    ReadingList.objects.filter(pk=reading_list.pk, user=user).delete()


def reading_list_rotate_secret(*, user, reading_list_id: int) -> ReadingList:
    """Give the list's private feed a new secret URL; the old URL stops working at once."""
    reading_list = reading_list_get_for_user(user=user, reading_list_id=reading_list_id)
    reading_list.feed_secret = secrets.token_urlsafe(24)
    reading_list.save(update_fields=["feed_secret"])
    return reading_list


def _target_list(*, user, reading_list_id: int | None) -> ReadingList:
    if reading_list_id is None:
        return reading_list_get_or_create_default(user=user)
    return reading_list_get_for_user(user=user, reading_list_id=reading_list_id)


def _item_put(*, reading_list: ReadingList, article_id: int) -> ReadingListItem:
    """Put the article in the list (bring it back from the archive if it was there). Safe to race."""
    try:
        with transaction.atomic():
            item, created = ReadingListItem.objects.get_or_create(
                reading_list=reading_list, article_id=article_id
            )
    except IntegrityError:  # saved by a concurrent request (a double click)
        item, created = ReadingListItem.objects.get(reading_list=reading_list, article_id=article_id), False
    if not created and item.archived:
        item.archived = False
        item.save(update_fields=["archived"])
    return item


def reading_list_add(*, user, article_id: int, reading_list_id: int | None = None) -> ReadingListItem:
    """Save an article to one of the user's lists (Read later when no list is given). Safe to repeat.

    Http404 if the list is not the user's or the user cannot see the article.
    """
    reading_list = _target_list(user=user, reading_list_id=reading_list_id)
    if not articles_visible_to_user(user=user).filter(pk=article_id).exists():
        raise Http404("No such article.")
    return _item_put(reading_list=reading_list, article_id=article_id)


def reading_list_remove(*, user, article_id: int, reading_list_id: int | None = None) -> bool:
    """Take an article out of one of the user's lists (Read later by default). True if it was there.

    Safe to repeat. Http404 if the list is not the user's, or the article is neither in it nor visible.
    """
    reading_list = _target_list(user=user, reading_list_id=reading_list_id)
    deleted, _ = ReadingListItem.objects.filter(reading_list=reading_list, article_id=article_id).delete()
    if not deleted and not articles_visible_to_user(user=user).filter(pk=article_id).exists():
        raise Http404("No such article.")
    return bool(deleted)


def _item_get_for_user(*, user, item_id: int) -> ReadingListItem:
    item = ReadingListItem.objects.filter(pk=item_id, reading_list__user=user).first()
    if item is None:
        raise Http404("No such item.")
    return item


def reading_list_item_archive(*, user, item_id: int, archived: bool = True) -> ReadingListItem:
    """Archive (or, with archived=False, restore) an item of one of the user's lists. Safe to repeat."""
    item = _item_get_for_user(user=user, item_id=item_id)
    if item.archived != archived:
        item.archived = archived
        item.save(update_fields=["archived"])
    return item


def reading_list_item_delete(*, user, item_id: int) -> ReadingListItem:
    """Remove an item from one of the user's lists; returns the removed (unsaved) item."""
    item = _item_get_for_user(user=user, item_id=item_id)
    ReadingListItem.objects.filter(pk=item.pk).delete()
    return item


# --- Saving any web page by URL ---------------------------------------------------------------------


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9])")


def _clean_page_url(url: str) -> str:
    cleaned = (url or "").strip()
    if not cleaned:
        raise ValidationError("Enter the address of a web page.")
    if len(cleaned) > URL_MAX:
        raise ValidationError("That address is too long.")
    if not _SCHEME.match(cleaned):  # "example.org/story" or "example.org:8080/story"
        cleaned = "https://" + cleaned
    try:
        URLValidator(schemes=["http", "https"])(cleaned)
        urlsplit(cleaned).port  # noqa: B018 - raises ValueError for a port out of range
    except (ValidationError, ValueError) as exc:
        raise ValidationError("Only web addresses (http:// or https://) can be saved.") from exc
    return cleaned


def reading_list_save_url(*, user, url: str, reading_list_id: int | None = None) -> PageSaveStatus:
    """Start saving any web page to one of the user's lists; a worker fetches and extracts it.

    Records the save as pending in the shared cache, then enqueues `reading_list_save_url_task` when the
    transaction commits. Poll `page_save_status_for_user` for the outcome. ValidationError for an
    address that is not http(s); Http404 for another user's list. Each call is a new save.
    """
    from subscriptions.tasks import reading_list_save_url as reading_list_save_url_task

    cleaned = _clean_page_url(url)
    reading_list = _target_list(user=user, reading_list_id=reading_list_id)
    token = secrets.token_urlsafe(18)
    status = PageSaveStatus(
        token=token, url=cleaned, state="pending", reading_list_id=reading_list.pk, started_at=time.time()
    )
    _page_save_store(user_id=user.pk, status=status)
    transaction.on_commit(lambda: reading_list_save_url_task.delay(token))
    return status


def _page_save_store(*, user_id: int, status: PageSaveStatus) -> None:
    page_save_cache().set(
        page_save_cache_key(status.token),
        {
            "user_id": user_id,
            "url": status.url,
            "state": status.state,
            "reading_list_id": status.reading_list_id,
            "item_id": status.item_id,
            "error": status.error,
            "started_at": status.started_at,
        },
        PAGE_SAVE_TTL,
    )


def reading_list_save_url_complete(*, token: str) -> PageSaveStatus | None:
    """The worker's half of a save by URL: fetch and store the page, then put it in the list.

    Records "done" with the new item, or "failed" with a message for the user. Returns None when the
    save is unknown (expired) or already finished: running it twice does no harm.
    """
    from articles.fetching import FetchError
    from articles.pipeline import page_ingest

    data = page_save_cache().get(page_save_cache_key(token))
    if not isinstance(data, dict) or data.get("state") != "pending":
        return None
    user_id = data["user_id"]
    status = PageSaveStatus(
        token=token,
        url=data["url"],
        state="pending",
        reading_list_id=data["reading_list_id"],
        started_at=data.get("started_at", 0.0),
    )
    try:
        article = page_ingest(url=status.url)
    except FetchError as exc:
        status.state, status.error = "failed", str(exc) or "The page could not be fetched."
    except Exception:
        logger.exception("page save failed", extra={"url": status.url, "user_id": user_id})
        status.state, status.error = "failed", "The page could not be saved. Please try again later."
    else:
        user = get_user_model().objects.filter(pk=user_id).first()
        reading_list = ReadingList.objects.filter(pk=status.reading_list_id, user_id=user_id).first()
        if user is None or reading_list is None:
            status.state, status.error = "failed", "The list was deleted before the page arrived."
        else:
            # No visibility check: the user asked for this very page, so it is theirs to keep.
            item = _item_put(reading_list=reading_list, article_id=article.pk)
            status.state, status.item_id = "done", item.pk
    _page_save_store(user_id=user_id, status=status)
    logger.info(
        "page saved",
        extra={"user_id": user_id, "state": status.state, "reading_list_id": status.reading_list_id},
    )
    return status


# --- Many at once (the client APIs' star, engineer `compat`) ----------------------------------------


def reading_list_add_many(*, user, article_ids: Iterable[int], reading_list_id: int | None = None) -> int:
    """Save many articles to one of the user's lists (Read later when no list is given) at once.

    The Google Reader and Fever APIs star this way. Ids of articles the user cannot see are skipped;
    archived items come back. Returns how many were added or brought back. The same few queries
    whatever the number of ids. Safe to repeat. Http404 if the list is not the user's.
    """
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    reading_list = _target_list(user=user, reading_list_id=reading_list_id)
    visible = set(articles_visible_to_user(user=user).filter(pk__in=ids).values_list("id", flat=True))
    if not visible:
        return 0
    with transaction.atomic():
        items = ReadingListItem.objects.filter(reading_list=reading_list, article_id__in=visible)
        present = set(items.values_list("article_id", flat=True))
        restored = items.filter(archived=True).update(archived=False)
        now = timezone.now()
        # ignore_conflicts: a concurrent request (another device of the same user) may save one first.
        ReadingListItem.objects.bulk_create(
            [
                ReadingListItem(reading_list=reading_list, article_id=article_id, added_at=now)
                for article_id in sorted(visible - present)
            ],
            ignore_conflicts=True,
        )
    return len(visible - present) + restored


def reading_list_remove_many(*, user, article_ids: Iterable[int], reading_list_id: int | None = None) -> int:
    """Take many articles out of one of the user's lists (Read later by default); returns how many were
    there. One delete whatever the number of ids. Safe to repeat. Http404 if the list is not the user's."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    reading_list = _target_list(user=user, reading_list_id=reading_list_id)
    deleted, _ = ReadingListItem.objects.filter(reading_list=reading_list, article_id__in=ids).delete()
    return deleted
