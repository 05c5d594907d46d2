"""fetch / afetch: drive an Exchange over a guarded httpx client, sync or async.

Pass a client from fetch_client() / async_fetch_client() to reuse connections (keep-alive) across many
fetches; without one, each call opens and closes its own. Clients made any other way are refused: they
would connect without the address guard.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import Iterable
from typing import Any

import httpx

from articles.fetching.addresses import IPNetwork, Resolver
from articles.fetching.errors import FetchError
from articles.fetching.exchange import Exchange, FetchOptions, Step, setting
from articles.fetching.result import FetchResult
from articles.fetching.transport import AsyncGuardedTransport, GuardedTransport, reset_deadline, set_deadline

# A redirect's or a 304's body is read (up to this much, and never kept) to reuse the connection.
_DRAIN_LIMIT = 64 * 1024

# Our clients and their transports. fetch sends through the transport itself: httpx's client would work
# out where a redirect goes (and choke on a hostile Location) before we could judge it.
_transports: weakref.WeakKeyDictionary[
    httpx.Client | httpx.AsyncClient, GuardedTransport | AsyncGuardedTransport
]
_transports = weakref.WeakKeyDictionary()


def _client_parts(
    *,
    allow_private: bool | None,
    allow_networks: Iterable[str | IPNetwork],
    resolver: Resolver | None,
    verify: ssl.SSLContext | bool,
    max_per_host: int,
    keepalive_expiry: float,
    user_agent: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The transport's and the client's keyword arguments, the same for sync and async."""
    options = FetchOptions.build(
        allow_private=allow_private, allow_networks=allow_networks, user_agent=user_agent
    )
    transport = {
        "policy": options.policy,
        "resolver": resolver,
        "verify": verify,
        "max_per_host": max_per_host,
        "keepalive_expiry": keepalive_expiry,
    }
    client = {
        "follow_redirects": False,
        "trust_env": False,  # a proxy from the environment would connect where we did not check
        "headers": {"User-Agent": options.user_agent},
        "timeout": httpx.Timeout(
            connect=setting("FETCH_CONNECT_TIMEOUT"),
            read=setting("FETCH_READ_TIMEOUT"),
            write=setting("FETCH_READ_TIMEOUT"),
            pool=setting("FETCH_CONNECT_TIMEOUT"),
        ),
    }
    return transport, client


def fetch_client(
    *,
    allow_private: bool | None = None,
    allow_networks: Iterable[str | IPNetwork] = (),
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
    max_per_host: int = 6,
    keepalive_expiry: float = 30.0,
    user_agent: str | None = None,
) -> httpx.Client:
    """A keep-alive httpx.Client whose connections go only to vetted addresses.

    allow_private/allow_networks are its default address policy; fetch() passes its own per call.
    At most max_per_host connections are open to one origin; more requests to it wait their turn.
    resolver(host, port) -> [address, ...] replaces getaddrinfo (tests); verify is for TLS as in httpx.
    Close it (or use it as a context manager) when done.
    """
    transport, options = _client_parts(
        allow_private=allow_private,
        allow_networks=allow_networks,
        resolver=resolver,
        verify=verify,
        max_per_host=max_per_host,
        keepalive_expiry=keepalive_expiry,
        user_agent=user_agent,
    )
    guarded = GuardedTransport(**transport)
    client = httpx.Client(transport=guarded, **options)
    _transports[client] = guarded
    return client


def async_fetch_client(
    *,
    allow_private: bool | None = None,
    allow_networks: Iterable[str | IPNetwork] = (),
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
    max_per_host: int = 6,
    keepalive_expiry: float = 30.0,
    user_agent: str | None = None,
) -> httpx.AsyncClient:
    """The async twin of fetch_client(), for many fetches in flight at once (`async with` it)."""
    transport, options = _client_parts(
        allow_private=allow_private,
        allow_networks=allow_networks,
        resolver=resolver,
        verify=verify,
        max_per_host=max_per_host,
        keepalive_expiry=keepalive_expiry,
        user_agent=user_agent,
    )
    guarded = AsyncGuardedTransport(**transport)
    client = httpx.AsyncClient(transport=guarded, **options)
    _transports[client] = guarded
    return client


def _transport(client: httpx.Client | httpx.AsyncClient) -> Any:
    transport = _transports.get(client)
    if transport is None:
        raise TypeError("fetch needs a client made by fetch_client() or async_fetch_client()")
    return transport


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    accept: str | None = None,
    allow_private: bool | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    client: httpx.Client | None = None,
    allow_networks: Iterable[str | IPNetwork] = (),
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    max_redirects: int | None = None,
    user_agent: str | None = None,
) -> FetchResult:
    """GET `url` politely and safely; a FetchResult for 2xx and 304, a FetchError for anything else.

    etag/last_modified are sent as If-None-Match/If-Modified-Since. timeout is the deadline in seconds
    for the whole exchange, redirects and body included. Every None falls back to the FETCH_* setting.
    """
    exchange = Exchange(
        url,
        etag=etag,
        last_modified=last_modified,
        accept=accept,
        options=FetchOptions.build(
            allow_private=allow_private,
            allow_networks=allow_networks,
            max_bytes=max_bytes,
            timeout=timeout,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_redirects=max_redirects,
            user_agent=user_agent,
        ),
    )
    if client is None:
        with fetch_client(allow_private=allow_private, allow_networks=allow_networks) as own:
            return _run(exchange, own)
    _transport(client)
    return _run(exchange, client)


def _run(exchange: Exchange, client: httpx.Client) -> FetchResult:
    token = set_deadline(exchange.deadline)
    try:
        while True:
            request = exchange.build_request(client)
            try:
                response = _transport(client).handle_request(request)
                response.request = request
            except FetchError as exc:  # refused at connect time
                exchange.annotate(exc, None)
                raise
            except Exception as exc:
                raise exchange.error_for(exc) from exc
            try:
                step = exchange.on_response(response)
                if step in (Step.REDIRECT, Step.NOT_MODIFIED):
                    # Finish the (empty or small) body so the connection can serve the next request.
                    drained = 0
                    for chunk in response.iter_raw():
                        drained += len(chunk)
                        if drained > _DRAIN_LIMIT:
                            break
                    if step == Step.REDIRECT:
                        continue
                    return exchange.result(response, b"", not_modified=True)
                reader = exchange.body_reader(response)
                for chunk in response.iter_raw():
                    reader.feed(chunk)
                    exchange.check_deadline()
                return exchange.result(response, reader.finish(), not_modified=False)
            except FetchError as exc:
                exchange.annotate(exc, response)
                raise
            except Exception as exc:
                raise exchange.error_for(exc) from exc
            finally:
                response.close()
    finally:
        reset_deadline(token)


async def afetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    accept: str | None = None,
    allow_private: bool | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    client: httpx.AsyncClient | None = None,
    allow_networks: Iterable[str | IPNetwork] = (),
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    max_redirects: int | None = None,
    user_agent: str | None = None,
) -> FetchResult:
    """The async twin of fetch(): same arguments, rules, result and errors."""
    exchange = Exchange(
        url,
        etag=etag,
        last_modified=last_modified,
        accept=accept,
        options=FetchOptions.build(
            allow_private=allow_private,
            allow_networks=allow_networks,
            max_bytes=max_bytes,
            timeout=timeout,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_redirects=max_redirects,
            user_agent=user_agent,
        ),
    )
    if client is None:
        async with async_fetch_client(allow_private=allow_private, allow_networks=allow_networks) as own:
            return await _arun(exchange, own)
    _transport(client)
    return await _arun(exchange, client)


async def _arun(exchange: Exchange, client: httpx.AsyncClient) -> FetchResult:
    token = set_deadline(exchange.deadline)
    try:
        while True:
            request = exchange.build_request(client)
            try:
                response = await _transport(client).handle_async_request(request)
                response.request = request
            except FetchError as exc:  # refused at connect time
                exchange.annotate(exc, None)
                raise
            except Exception as exc:
                raise exchange.error_for(exc) from exc
            try:
                step = exchange.on_response(response)
                if step in (Step.REDIRECT, Step.NOT_MODIFIED):
                    # Finish the (empty or small) body so the connection can serve the next request.
                    drained = 0
                    async for chunk in response.aiter_raw():
                        drained += len(chunk)
                        if drained > _DRAIN_LIMIT:
                            break
                    if step == Step.REDIRECT:
                        continue
                    return exchange.result(response, b"", not_modified=True)
                reader = exchange.body_reader(response)
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
                    exchange.check_deadline()
                return exchange.result(response, reader.finish(), not_modified=False)
            except FetchError as exc:
                exchange.annotate(exc, response)
                raise
            except Exception as exc:
                raise exchange.error_for(exc) from exc
            finally:
                await response.aclose()
    finally:
        reset_deadline(token)
