"""One event loop thread and one async client per process, for batch after batch of fetches.

A worker refreshes feeds in batches; giving each batch its own thread, event loop and client would open
every connection again (and load nothing else worth keeping). Here the loop and its clients live as long
as the process, so keep-alive connections carry over from one batch to the next.

Made on first use, in the process that uses it: a process forked from one that had a loop (a prefork
worker child) sees a different pid and makes its own; the parent's thread does not exist in the child.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from articles.fetching.client import async_fetch_client
from articles.fetching.exchange import setting

T = TypeVar("T")

# Clients kept at once (one per combination of the settings a client is built from; normally one).
MAX_CLIENTS = 4

_lock = threading.Lock()
_pid = 0
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_clients: OrderedDict[tuple, httpx.AsyncClient] = OrderedDict()


def _running_loop() -> asyncio.AbstractEventLoop:
    global _pid, _loop, _thread, _clients
    with _lock:
        if _loop is None or _pid != os.getpid() or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="fetch-loop", daemon=True)
            thread.start()
            # A forked child's copies of the parent's loop and clients are dropped, never used or closed:
            # their sockets belong to the parent.
            _pid, _loop, _thread, _clients = os.getpid(), loop, thread, OrderedDict()
        return _loop


async def _client(max_per_host: int) -> httpx.AsyncClient:
    """The loop's client for these settings (called in the loop thread only)."""
    key = (
        max_per_host,
        setting("FETCH_CONNECT_TIMEOUT"),
        setting("FETCH_READ_TIMEOUT"),
        setting("FETCH_USER_AGENT"),
        setting("FETCH_ALLOW_PRIVATE"),
    )
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = async_fetch_client(max_per_host=max_per_host)
        while len(_clients) > MAX_CLIENTS:
            _key, old = _clients.popitem(last=False)
            await old.aclose()
    else:
        _clients.move_to_end(key)
    return client


def submit(
    work: Callable[[httpx.AsyncClient], Awaitable[T]], *, max_per_host: int
) -> concurrent.futures.Future[T]:
    """Run `work(client)` in this process's fetch loop with its shared client; returns at once.

    Cancelling the returned future cancels the work in the loop.
    """

    async def run() -> T:
        return await work(await _client(max_per_host))

    return asyncio.run_coroutine_threadsafe(run(), _running_loop())
