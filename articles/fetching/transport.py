"""httpx transports that connect only to vetted addresses and never outlive the fetch's deadline.

Why a network backend and not a check before the request: if we resolved the name, checked the address
and then let the socket layer resolve it again, a hostile DNS server could answer a public address the
first time and 127.0.0.1 the second (DNS rebinding). Here the backend resolves once, vets every address
and opens the socket to the vetted address itself. The URL, so the Host header, SNI and certificate
checks, keep the host name.

The deadline of the whole exchange lives in a context variable set by `fetch`/`afetch`: every connect,
TLS handshake, read and write gets at most the time left, so a server that dribbles a byte a second
cannot hold a fetch past it. Context variables follow the thread (sync) and the task (async), which is
where httpcore does the I/O of a request.

Connections are pooled per address policy and origin, so a connection opened for a fetch that allowed
private addresses is never reused by one that does not, and each publisher gets at most a few.
"""

from __future__ import annotations

import contextvars
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import anyio
import anyio.to_thread
import httpcore
import httpx

from articles.fetching.addresses import AddressPolicy, Resolver, parse_ip, system_resolver, vetted_addresses

# The request extension that carries the AddressPolicy of one fetch to the transport.
POLICY_EXTENSION = "newsreader.address_policy"

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("fetch_deadline", default=None)


def set_deadline(deadline: float | None) -> contextvars.Token:
    return _deadline.set(deadline)


def reset_deadline(token: contextvars.Token) -> None:
    _deadline.reset(token)


def _budget(timeout: float | None, timeout_error: type[Exception]) -> float | None:
    """The timeout for one network operation: the configured one, cut to what is left of the deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise timeout_error("the fetch ran out of time")
    return remaining if timeout is None else min(timeout, remaining)


def _lookup_failed(host: str, exc: BaseException) -> httpcore.ConnectError:
    return httpcore.ConnectError(f"could not resolve {host}: {exc}")


def _literal(host: str) -> list[str] | None:
    ip = parse_ip(host)
    return None if ip is None else [str(ip)]


# --- Sync ------------------------------------------------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _budget(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves once, vets every address, connects to a vetted one."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or system_resolver
        self._inner = httpcore.SyncBackend()

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        literal = _literal(host)
        if literal is not None:
            return literal
        # getaddrinfo cannot be interrupted; a daemon thread lets the fetch give up on a hung resolver.
        box: list[Any] = []
        done = threading.Event()

        def lookup() -> None:
            try:
                box.append(self._resolver(host, port))
            except BaseException as exc:  # handed back to the fetching thread below
                box.append(exc)
            done.set()

        threading.Thread(target=lookup, name="fetch-dns", daemon=True).start()
        if not done.wait(timeout):
            raise httpcore.ConnectTimeout(f"resolving {host} took too long")
        if isinstance(box[0], BaseException):
            raise _lookup_failed(host, box[0])
        return box[0]

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = vetted_addresses(
            host, self._resolve(host, port, _budget(timeout, httpcore.ConnectTimeout)), self._policy
        )
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address, port, _budget(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("fetching over a Unix socket is not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# --- Async -----------------------------------------------------------------------------------------


class _AsyncDeadlineStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        timeout = _budget(timeout, httpcore.ConnectTimeout)
        return _AsyncDeadlineStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The async twin of GuardedBackend: same resolution, vetting and deadline."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or system_resolver
        self._inner = httpcore.AnyIOBackend()

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        literal = _literal(host)
        if literal is not None:
            return literal
        with anyio.move_on_after(timeout) as scope:
            try:
                return await anyio.to_thread.run_sync(self._resolver, host, port, abandon_on_cancel=True)
            except Exception as exc:
                raise _lookup_failed(host, exc) from exc
        assert scope.cancelled_caught
        raise httpcore.ConnectTimeout(f"resolving {host} took too long")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        resolved = await self._resolve(host, port, _budget(timeout, httpcore.ConnectTimeout))
        addresses = vetted_addresses(host, resolved, self._policy)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, _budget(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
                return _AsyncDeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("fetching over a Unix socket is not allowed")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


# --- Transports ------------------------------------------------------------------------------------


def _install_pool(transport: httpx.HTTPTransport | httpx.AsyncHTTPTransport, pool: Any) -> None:
    # httpx builds its pool without a way to pass a network backend; replace it with one that has ours.
    expected = (
        httpcore.ConnectionPool
        if isinstance(transport, httpx.HTTPTransport)
        else httpcore.AsyncConnectionPool
    )
    if not isinstance(getattr(transport, "_pool", None), expected):
        raise RuntimeError(
            "this httpx version builds its transport differently; cannot install the address guard"
        )
    transport._pool = pool


_default_ssl_context: ssl.SSLContext | None = None


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds: share the default context between clients."""
    global _default_ssl_context
    if verify is not True:
        return httpx.create_ssl_context(verify=verify, trust_env=False)
    if _default_ssl_context is None:
        _default_ssl_context = httpx.create_ssl_context(verify=True, trust_env=False)
    return _default_ssl_context


class _PoolRouter:
    """One connection pool per (address policy, origin), made on first use.

    Per origin for two reasons: a publisher should see at most `max_per_host` connections from us however
    many of its feeds are due at once, and httpcore's pool does work in proportion to its connections
    times its waiting requests on every change, which one shared pool for hundreds of hosts makes slow.
    Beyond `max_pools`, the pools of hosts not asked for in a while are closed once they are idle.
    """

    def __init__(
        self,
        *,
        policy: AddressPolicy,
        resolver: Resolver | None,
        verify: ssl.SSLContext | bool,
        max_per_host: int,
        keepalive_expiry: float,
        max_pools: int = 256,
    ) -> None:
        self.default_policy = policy
        self._resolver = resolver
        self._ssl_context = _ssl_context(verify)
        self._pool_options: dict[str, Any] = {
            "ssl_context": self._ssl_context,
            "max_connections": max_per_host,
            "max_keepalive_connections": max_per_host,
            "keepalive_expiry": keepalive_expiry,
        }
        self._max_pools = max(max_pools, 2)
        self._pools: OrderedDict[tuple, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _make(self, policy: AddressPolicy) -> tuple[Any, Any]:
        """(httpx transport, the httpcore pool inside it)."""
        raise NotImplementedError

    def _lookup(self, request: httpx.Request) -> tuple[Any, list[Any]]:
        """The transport for this request, and transports evicted to make room (for the caller to close)."""
        policy = request.extensions.get(POLICY_EXTENSION, self.default_policy)
        key = (policy, request.url.scheme, request.url.host, request.url.port)
        evicted: list[Any] = []
        with self._lock:
            entry = self._pools.get(key)
            if entry is None:
                entry = self._pools[key] = self._make(policy)
            else:
                self._pools.move_to_end(key)
            for old in list(self._pools)[: max(len(self._pools) - self._max_pools, 0)]:
                transport, pool = self._pools[old]
                if all(c.is_idle() or c.is_closed() for c in pool.connections):
                    evicted.append(transport)
                    del self._pools[old]
        return entry[0], evicted

    def _all(self) -> list[Any]:
        with self._lock:
            transports = [transport for transport, _pool in self._pools.values()]
            self._pools.clear()
        return transports


class GuardedTransport(_PoolRouter, httpx.BaseTransport):
    def _make(self, policy: AddressPolicy) -> tuple[httpx.HTTPTransport, httpcore.ConnectionPool]:
        transport = httpx.HTTPTransport(verify=self._ssl_context, trust_env=False)
        pool = httpcore.ConnectionPool(
            network_backend=GuardedBackend(policy, self._resolver), **self._pool_options
        )
        _install_pool(transport, pool)
        return transport, pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport, evicted = self._lookup(request)
        for old in evicted:
            old.close()
        return transport.handle_request(request)

    def close(self) -> None:
        for transport in self._all():
            transport.close()


class AsyncGuardedTransport(_PoolRouter, httpx.AsyncBaseTransport):
    def _make(self, policy: AddressPolicy) -> tuple[httpx.AsyncHTTPTransport, httpcore.AsyncConnectionPool]:
        transport = httpx.AsyncHTTPTransport(verify=self._ssl_context, trust_env=False)
        backend = AsyncGuardedBackend(policy, self._resolver)
        pool = httpcore.AsyncConnectionPool(network_backend=backend, **self._pool_options)
        _install_pool(transport, pool)
        return transport, pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport, evicted = self._lookup(request)
        for old in evicted:
            await old.aclose()
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._all():
            await transport.aclose()
