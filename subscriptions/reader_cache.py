"""What the river reads about one reader on every page, cached until the reader changes it.

Each reader has a *version* in the cache for each kind of change: FOLLOWS (what they follow and how it
is named or filed) and READS (stories marked read). A version is a random token. A cached entry
remembers the versions it was computed under and counts only while they are still the reader's.
Every service that makes such a change calls `reader_changed`, which gives the reader a new version of
that kind: their next page reads the database again.

It does so twice: at once, so that the rest of the same transaction (and a test, which never commits)
sees the change; and again once the transaction commits, because a page drawn in between read the rows
from before the commit and may have stored them under the first new version. A token, not a counter: an
entry written late under an old version is never read again, even after the cache is flushed.

Whatever changes without the reader doing anything (a feed's own title, filled in by its first fetch;
stories arriving) is for each caller to allow for, with the entry's lifetime (`ttl`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

FOLLOWS = "follows"
READS = "reads"


def _version_key(user_id: int, kind: str) -> str:
    return f"reader:{int(user_id)}:{kind}"


def _entry_key(user_id: int, name: str) -> str:
    return f"reader:{int(user_id)}:cached:{name}"


def _new_version(user_id: int, kind: str) -> None:
    cache.set(_version_key(user_id, kind), secrets.token_hex(8), None)


def reader_changed(*, user_id: int, kind: str) -> None:
    """Forget everything cached that depends on this kind of change of the user's: now, and again when
    the transaction commits (see the module's docstring). Safe to repeat; two cache writes."""
    _new_version(user_id, kind)
    transaction.on_commit(lambda: _new_version(user_id, kind))


def reader_cached(
    *,
    user_id: int,
    name: str,
    depends_on: tuple[str, ...],
    compute: Callable[[], T],
    ttl: Callable[[T], int],
) -> T:
    """`compute()`, from the cache while the user's versions of `depends_on` are those it was computed
    under. One cache read when it is there. `ttl(value)` is its lifetime in seconds (0: not stored).

    The versions are read before `compute()` reads the database, so a change committed in between gives
    a new version, and this value, stored under the old one, is never used.
    """
    keys = [_version_key(user_id, kind) for kind in depends_on]
    entry_key = _entry_key(user_id, name)
    found = cache.get_many([*keys, entry_key])
    versions = tuple(found.get(key) for key in keys)
    entry = found.get(entry_key)
    if entry is not None and None not in versions and entry[0] == versions:
        return entry[1]
    if None in versions:
        made = []
        for key, version in zip(keys, versions, strict=True):
            if version is None:
                version = secrets.token_hex(8)
                if not cache.add(key, version, None):
                    version = cache.get(key, version)  # another page made one first
            made.append(version)
        versions = tuple(made)
    value = compute()
    lifetime = ttl(value)
    if lifetime > 0:
        cache.set(entry_key, (versions, value), lifetime)
    return value
