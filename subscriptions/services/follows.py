"""Following: subscriptions, folders, publishers from the directory, any source by its address, OPML.

Every function takes the acting user and touches only that user's rows: an id that belongs to someone else
is treated as an id that does not exist (Http404), so no view can act on another user's data.

Every change to what a user follows, or to how it is named or filed, ends with reader_changed(FOLLOWS):
the river caches the user's sources until then (subscriptions/reader_cache.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from articles.models import Feed, Publisher
from subscriptions.models import Folder, OpmlImport, OpmlImportItem, Subscription
from subscriptions.reader_cache import FOLLOWS, reader_changed

logger = logging.getLogger(__name__)

FOLDER_NAME_MAX = 100
TITLE_MAX = 300
PREVIEW_TOKEN_MAX_AGE = 60 * 60  # seconds a previewed source can be followed without looking it up again
_PREVIEW_SALT = "subscriptions.follow-preview"


class FollowError(ValueError):
    """A request we refuse; str() is the message for the user."""


# --- Refreshing ---------------------------------------------------------------------------------


def _refresh_soon(feed_ids: list[int]) -> None:
    """Ask a worker to fetch feeds nobody has fetched yet, once the rows are committed."""
    if not feed_ids:
        return
    from articles.tasks import feed_refresh as feed_refresh_task

    def enqueue() -> None:
        for feed_id in feed_ids:
            try:
                feed_refresh_task.delay(feed_id)
            except Exception:  # a broker hiccup must not fail the follow; the scheduler picks it up
                logger.warning("could not enqueue feed refresh", extra={"feed_id": feed_id}, exc_info=True)

    transaction.on_commit(enqueue)


# --- Folders ------------------------------------------------------------------------------------


def _clean_folder_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise FollowError("A folder needs a name.")
    if len(name) > FOLDER_NAME_MAX:
        raise FollowError(f"Folder names are at most {FOLDER_NAME_MAX} characters.")
    return name


def _folder_for_user(*, user, folder_id: int | None) -> Folder | None:
    if folder_id is None or folder_id == "":
        return None
    folder = Folder.objects.filter(user=user, id=folder_id).first()
    if folder is None:
        raise Http404("No such folder")
    return folder


def folder_create(*, user, name: str) -> Folder:
    """Create a folder. Refuses a name the user already has (any case). Not idempotent."""
    name = _clean_folder_name(name)
    if Folder.objects.filter(user=user, name__iexact=name).exists():
        raise FollowError(f"You already have a folder called “{name}”.")
    try:
        with transaction.atomic():
            folder = Folder.objects.create(user=user, name=name)
    except IntegrityError:
        raise FollowError(f"You already have a folder called “{name}”.") from None
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return folder


def folder_get_or_create(*, user, name: str) -> Folder:
    """The user's folder with this name (any case), created when missing. Safe to repeat."""
    name = _clean_folder_name(name[:FOLDER_NAME_MAX])
    existing = Folder.objects.filter(user=user, name__iexact=name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            folder = Folder.objects.create(user=user, name=name)
    except IntegrityError:  # a concurrent import made it
        return Folder.objects.get(user=user, name=name)
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return folder


def folder_rename(*, user, folder_id: int, name: str) -> Folder:
    folder = _folder_for_user(user=user, folder_id=folder_id)
    assert folder is not None
    name = _clean_folder_name(name)
    if Folder.objects.filter(user=user, name__iexact=name).exclude(id=folder.id).exists():
        raise FollowError(f"You already have a folder called “{name}”.")
    folder.name = name
    folder.save(update_fields=["name"])
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return folder


def folder_delete(*, user, folder_id: int) -> int:
    """Delete a folder; its subscriptions stay, outside any folder. Returns how many were in it."""
    folder = _folder_for_user(user=user, folder_id=folder_id)
    assert folder is not None
    with transaction.atomic():
        moved = Subscription.objects.filter(user=user, folder=folder).update(folder=None)
        folder.delete()
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return moved


# --- Subscriptions ------------------------------------------------------------------------------


def _subscription_for_user(*, user, subscription_id: int) -> Subscription:
    subscription = (
        Subscription.objects.select_related("feed__publisher", "folder")
        .filter(user=user, id=subscription_id)
        .first()
    )
    if subscription is None:
        raise Http404("No such subscription")
    return subscription


def subscription_create(
    *, user, feed: Feed, title: str = "", folder: Folder | None = None, refresh: bool = True
) -> tuple[Subscription, bool]:
    """Follow a feed. Returns (subscription, created); following twice keeps the first subscription.

    Side effect (unless refresh=False): a feed nobody has fetched yet is queued for a refresh, so its
    stories appear soon.
    """
    if folder is not None and folder.user_id != user.id:
        raise Http404("No such folder")
    subscription = Subscription.objects.filter(user=user, feed=feed).first()
    if subscription is not None:
        return subscription, False
    try:
        with transaction.atomic():
            subscription = Subscription.objects.create(
                user=user, feed=feed, title=(title or "")[:TITLE_MAX], folder=folder
            )
    except IntegrityError:  # a double click: the other request created it
        return Subscription.objects.get(user=user, feed=feed), False
    reader_changed(user_id=user.id, kind=FOLLOWS)
    if refresh and feed.last_checked_at is None and not feed.disabled:
        _refresh_soon([feed.id])
    return subscription, True


def subscription_rename(*, user, subscription_id: int, title: str) -> Subscription:
    """Set the name shown for a subscription; an empty title goes back to the feed's own."""
    subscription = _subscription_for_user(user=user, subscription_id=subscription_id)
    subscription.title = " ".join((title or "").split())[:TITLE_MAX]
    subscription.save(update_fields=["title"])
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return subscription


def subscription_move(*, user, subscription_id: int, folder_id: int | None) -> Subscription:
    """Put a subscription in one of the user's folders, or in none."""
    subscription = _subscription_for_user(user=user, subscription_id=subscription_id)
    subscription.folder = _folder_for_user(user=user, folder_id=folder_id)
    subscription.save(update_fields=["folder"])
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return subscription


def subscription_delete(*, user, subscription_id: int) -> Subscription:
    """Unfollow. The feed and its stories stay (other users may follow it). Returns the deleted row."""
    subscription = _subscription_for_user(user=user, subscription_id=subscription_id)
    subscription.delete()
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return subscription


def subscription_feed_retry(*, user, subscription_id: int) -> Feed:
    """Check a failing or stopped feed again now. Side effect: queues a refresh. Safe to repeat."""
    feed = _subscription_for_user(user=user, subscription_id=subscription_id).feed
    now = timezone.now()
    Feed.objects.filter(id=feed.id).update(disabled=False, disabled_reason="", next_check_at=now)
    _refresh_soon([feed.id])
    feed.refresh_from_db()
    return feed


# --- Publishers from the directory --------------------------------------------------------------


def _publisher_with_feeds(publisher_id: int) -> tuple[Publisher, list[Feed]]:
    publisher = Publisher.objects.filter(id=publisher_id).first()
    if publisher is None:
        raise Http404("No such publisher")
    return publisher, list(publisher.feeds.order_by("id"))


def publisher_follow(*, user, publisher_id: int) -> list[Subscription]:
    """Follow every feed of a publisher. Safe to repeat; returns the user's subscriptions to it."""
    publisher, feeds = _publisher_with_feeds(publisher_id)
    if not feeds:
        raise FollowError(f"{publisher.name} has no feed to follow.")
    return [subscription_create(user=user, feed=feed)[0] for feed in feeds]


def publisher_unfollow(*, user, publisher_id: int) -> int:
    """Unfollow every feed of a publisher. Safe to repeat; returns how many subscriptions went."""
    publisher, _ = _publisher_with_feeds(publisher_id)
    deleted, _ = Subscription.objects.filter(user=user, feed__publisher=publisher).delete()
    reader_changed(user_id=user.id, kind=FOLLOWS)
    return deleted


# --- Any source by its address ------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewedSource:
    feed_url: str
    title: str
    site_url: str


def source_preview_token(*, user, feed_url: str, title: str, site_url: str) -> str:
    """A signed, expiring token naming a feed the user has just previewed.

    The confirm step follows only what a lookup found: the token cannot be forged to make the server
    store an address that was never checked.
    """
    payload = {"u": user.id, "f": feed_url, "t": title[:TITLE_MAX], "s": site_url}
    return signing.dumps(payload, salt=_PREVIEW_SALT, compress=True)


def _source_from_token(*, user, token: str) -> PreviewedSource:
    try:
        data = signing.loads(token, salt=_PREVIEW_SALT, max_age=PREVIEW_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise FollowError("This preview is too old. Please look the address up again.") from None
    except signing.BadSignature:
        raise FollowError("This preview is not valid. Please look the address up again.") from None
    if data.get("u") != user.id:
        raise FollowError("This preview is not valid. Please look the address up again.")
    return PreviewedSource(feed_url=data["f"], title=data.get("t", ""), site_url=data.get("s", ""))


def source_follow(
    *, user, token: str, title: str = "", folder_id: int | None = None
) -> tuple[Subscription, bool]:
    """Follow the feed a preview found (see source_preview_token). Safe to repeat."""
    from articles.services import feed_get_or_create

    source = _source_from_token(user=user, token=token)
    folder = _folder_for_user(user=user, folder_id=folder_id)
    feed, _ = feed_get_or_create(url=source.feed_url, title=source.title, site_url=source.site_url)
    custom = title.strip() if title and title.strip() != source.title else ""
    return subscription_create(user=user, feed=feed, title=custom, folder=folder)


# --- OPML ---------------------------------------------------------------------------------------

OPML_REFRESH_CHUNK = 25


def opml_import_start(*, user, data: bytes, filename: str = "") -> OpmlImport:
    """Read an OPML file now (so a bad file is refused at once), then let a worker follow its feeds.

    Raises subscriptions.opml.OpmlError with a message for the user. Side effect: queues opml_import_run.
    """
    from subscriptions.opml import OpmlError, parse_opml
    from subscriptions.tasks import opml_import_run as opml_import_run_task

    document = parse_opml(data)
    if not document.feeds:
        raise OpmlError("This OPML file lists no feeds to follow.")
    with transaction.atomic():
        job = OpmlImport.objects.create(
            user=user,
            filename=(filename or "")[:255],
            title=(document.title or "")[:300],
            total=len(document.feeds),
            skipped_in_file=document.skipped + document.duplicates,
        )
        OpmlImportItem.objects.bulk_create(
            OpmlImportItem(
                opml_import=job,
                position=i,
                title=feed.title[:300],
                xml_url=feed.xml_url,
                folder=feed.folder[:FOLDER_NAME_MAX],
            )
            for i, feed in enumerate(document.feeds)
        )
        transaction.on_commit(lambda: opml_import_run_task.delay(job.id))
    return job


def _claim_import(import_id: int) -> bool:
    # Another worker (a redelivered task) got there first when this updates nothing.
    return (
        OpmlImport.objects.filter(id=import_id, status=OpmlImport.Status.PENDING).update(
            status=OpmlImport.Status.RUNNING
        )
        == 1
    )


def opml_import_run(*, import_id: int) -> OpmlImport | None:
    """Follow each feed of an import and record its outcome; fetch the feeds nobody fetched before.

    Safe to repeat: a finished or running import is left alone, and items already decided keep their outcome.
    """
    from articles.pipeline import feed_claim, feeds_refresh
    from articles.services import feed_get_or_create

    if not _claim_import(import_id):
        return OpmlImport.objects.filter(id=import_id).first()
    job = OpmlImport.objects.select_related("user").get(id=import_id)
    user = job.user
    try:
        followed = set(Subscription.objects.filter(user=user).values_list("feed__url", flat=True))
        to_fetch: dict[int, OpmlImportItem] = {}
        for item in job.items.filter(outcome=OpmlImportItem.Outcome.PENDING):
            if item.xml_url in followed:
                item.outcome, item.message = OpmlImportItem.Outcome.DUPLICATE, "You already follow this feed."
                item.feed = Feed.objects.filter(url=item.xml_url).first()
            else:
                try:
                    with transaction.atomic():
                        folder = (
                            folder_get_or_create(user=user, name=item.folder) if item.folder.strip() else None
                        )
                        feed, _ = feed_get_or_create(url=item.xml_url, title=item.title)
                        subscription_create(user=user, feed=feed, folder=folder, refresh=False)
                except (FollowError, ValueError, IntegrityError) as exc:
                    item.outcome, item.message = OpmlImportItem.Outcome.INVALID, str(exc)[:500]
                else:
                    followed.add(item.xml_url)
                    item.feed = feed
                    item.outcome, item.message = OpmlImportItem.Outcome.ADDED, ""
                    if feed.last_checked_at is None and not feed.disabled:
                        to_fetch[feed.id] = item
                    elif feed.disabled or feed.error_count:
                        item.outcome = OpmlImportItem.Outcome.UNREACHABLE
                        item.message = feed.disabled_reason or feed.last_error
            item.save(update_fields=["outcome", "message", "feed"])
            if item.feed_id not in to_fetch:
                OpmlImport.objects.filter(id=job.id).update(processed=F("processed") + 1)

        # Fetch the new feeds in chunks, so the progress bar moves and a person sees which ones work.
        pending = list(to_fetch)
        for start in range(0, len(pending), OPML_REFRESH_CHUNK):
            chunk = [fid for fid in pending[start : start + OPML_REFRESH_CHUNK] if feed_claim(feed_id=fid)]
            for outcome in feeds_refresh(feed_ids=chunk) if chunk else []:
                item = to_fetch[outcome.feed_id]
                if outcome.status == "failed":
                    item.outcome = OpmlImportItem.Outcome.UNREACHABLE
                    item.message = outcome.error
                elif outcome.status == "fetched":
                    item.message = f"{outcome.new} {'story' if outcome.new == 1 else 'stories'}"
                item.save(update_fields=["outcome", "message"])
            OpmlImport.objects.filter(id=job.id).update(
                processed=F("processed") + len(pending[start : start + OPML_REFRESH_CHUNK])
            )
    except Exception as exc:
        logger.exception("opml import failed", extra={"import_id": job.id})
        OpmlImport.objects.filter(id=job.id).update(
            status=OpmlImport.Status.FAILED,
            error=f"The import stopped: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    OpmlImport.objects.filter(id=job.id).update(
        status=OpmlImport.Status.DONE, processed=job.total, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def opml_export(*, user) -> bytes:
    """The user's subscriptions as an OPML document, folders kept."""
    from subscriptions.opml import OpmlFeed, export_opml

    subscriptions = (
        Subscription.objects.filter(user=user)
        .select_related("feed__publisher", "folder")
        .order_by("folder__name", "title", "feed__title", "id")
    )
    feeds = [
        OpmlFeed(
            title=s.display_title,
            xml_url=s.feed.url,
            html_url=s.feed.site_url or s.feed.publisher.site_url,
            folder=s.folder.name if s.folder else "",
        )
        for s in subscriptions
    ]
    return export_opml(f"{user.get_username()}'s subscriptions", feeds)


# --- Following by address, for the client APIs (engineer `compat`) ------------------------------

URL_MAX = 2048


def subscription_create_from_url(
    *, user, url: str, title: str = "", folder_name: str = ""
) -> tuple[Subscription, bool]:
    """Follow a feed by its address, as a feed-reader app asks (Google Reader's subscribe and quickadd).

    A feed we store already is followed at once; any other address is looked up first (fetched,
    autodiscovered, parsed by `feed_preview`), so only a working feed is stored. `folder_name` puts a
    new subscription in that folder, made when missing. Raises articles.services.FeedLookupError or
    FollowError, each with a message for the user. Safe to repeat (following twice keeps the first
    subscription). Side effect: a new feed is queued for its first refresh.
    """
    from articles.services import feed_get_or_create, feed_preview

    url = (url or "").strip()
    if not url:
        raise FollowError("Give the address of a feed.")
    if len(url) > URL_MAX:
        raise FollowError("That address is too long.")
    feed = Feed.objects.filter(url=url).first()
    if feed is None:
        preview = feed_preview(url=url)
        feed, _ = feed_get_or_create(url=preview.feed_url, title=preview.title, site_url=preview.site_url)
    folder = folder_get_or_create(user=user, name=folder_name) if folder_name.strip() else None
    custom = " ".join((title or "").split())
    return subscription_create(
        user=user, feed=feed, title="" if custom == feed.title else custom, folder=folder
    )
