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
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict, deque
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
        self._socket: socket.socket | None = inner.get_extra_info("socket")

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
        if info == "is_readable" and self._socket is not None:
            # Asked of every idle connection before it is reused; anyio would build all of its socket's
            # attributes (a getpeername and more) to answer.
            return _is_readable(self._socket)
        return self._inner.get_extra_info(info)


def _is_readable(sock: socket.socket) -> bool:
    """Whether a read would not block: on an idle keep-alive connection, the server has closed it."""
    if sock.fileno() < 0:
        return True
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([sock], [], [], 0)[0])
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


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


# --- The async connection pool of one origin -------------------------------------------------------


class _Waiter:
    """A request waiting for a connection: handed an idle connection, or the right to open one."""

    __slots__ = ("event", "value", "gone")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.value: httpcore.AsyncHTTPConnection | None = None  # None with event set: open a new one
        self.gone = False


class AsyncOriginPool:
    """The connections to one origin (under one address policy): at most `max_connections` open, idle
    ones reused newest first, requests beyond the limit served in their order of arrival.

    Every step costs the same however many connections are open or requests wait: httpcore's own pool
    rescans all of its connections (a system call for each idle one) and all waiting requests whenever
    a request starts or ends, which at fifty fetches in flight to one origin cost ten times the fetch.
    """

    def __init__(
        self,
        *,
        origin: httpcore.Origin,
        network_backend: httpcore.AsyncNetworkBackend,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        keepalive_expiry: float | None,
    ) -> None:
        self._origin = origin
        self._backend = network_backend
        self._ssl_context = ssl_context
        self._max_connections = max(1, max_connections)
        self._keepalive_expiry = keepalive_expiry
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._open = 0  # connections open or being opened, the idle ones included
        self._waiters: deque[_Waiter] = deque()
        self._closed = False

    def is_idle(self) -> bool:
        """No request in flight or waiting: the pool can be closed without disturbing anyone."""
        return not self._waiters and self._open == len(self._idle)

    @property
    def open_connections(self) -> int:
        return self._open

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if request.url.origin != self._origin:
            raise RuntimeError(f"a request to {request.url.origin} reached the pool of {self._origin}")
        timeout = request.extensions.get("timeout", {}).get("pool")
        while True:
            connection = await self._acquire(timeout)
            try:
                response = await connection.handle_async_request(request)
            except httpcore.ConnectionNotAvailable:
                # The connection closed between our check and the request: try another.
                await self._release(connection)
                continue
            except BaseException:
                await self._release(connection)
                raise
            return httpcore.Response(
                status=response.status,
                headers=response.headers,
                content=_ReleasingStream(response.stream, self, connection),
                extensions=response.extensions,
            )

    async def _acquire(self, timeout: float | None) -> httpcore.AsyncHTTPConnection:
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        while self._idle:
            connection = self._idle.pop()
            if connection.is_closed() or connection.has_expired():
                self._open -= 1
                await self._close(connection)
                continue
            return connection
        if self._open < self._max_connections:
            self._open += 1
            return self._new_connection()
        waiter = _Waiter()
        self._waiters.append(waiter)
        try:
            with anyio.fail_after(timeout):
                await waiter.event.wait()
        except BaseException as exc:
            waiter.gone = True
            if waiter.event.is_set():  # handed something at the last moment: pass it on
                await self._release(waiter.value)
            if isinstance(exc, TimeoutError):
                raise httpcore.PoolTimeout("no connection to the server came free in time") from None
            raise
        if waiter.value is not None:
            return waiter.value
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        return self._new_connection()  # the place of a connection that closed

    def _new_connection(self) -> httpcore.AsyncHTTPConnection:
        return httpcore.AsyncHTTPConnection(
            origin=self._origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._backend,
        )

    async def _release(self, connection: httpcore.AsyncHTTPConnection | None) -> None:
        """Give back a connection whose response is finished (or failed); None gives back the right to
        open one."""
        reusable = (
            connection is not None
            and not self._closed
            and not connection.is_closed()
            and connection.is_idle()
        )
        if connection is not None and not reusable and not connection.is_closed():
            await self._close(connection)
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.gone:
                continue
            waiter.value = connection if reusable else None
            waiter.event.set()
            return
        if reusable:
            assert connection is not None
            self._idle.append(connection)
        else:
            self._open -= 1

    async def _close(self, connection: httpcore.AsyncHTTPConnection) -> None:
        with anyio.CancelScope(shield=True):
            await connection.aclose()

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            await self._close(connection)
        # Requests still waiting get the right to open a connection, which fails at once: the pool is closed.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.gone:
                waiter.event.set()


class _ReleasingStream:
    """A response body that gives its connection back to the pool once it is read or closed."""

    def __init__(self, stream: Any, pool: AsyncOriginPool, connection: httpcore.AsyncHTTPConnection) -> None:
        self._stream = stream
        self._pool = pool
        self._connection = connection
        self._closed = False

    async def __aiter__(self) -> Any:
        try:
            async for part in self._stream:
                yield part
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with anyio.CancelScope(shield=True):
                await self._stream.aclose()
        finally:
            await self._pool._release(self._connection)


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
    many of its feeds are due at once, and a pool's bookkeeping then never mixes hosts. The async side
    uses our own AsyncOriginPool, whose every step is O(1); the sync side (one fetch at a time per
    thread) keeps httpcore's.
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

    def _make(self, policy: AddressPolicy, url: httpx.URL) -> tuple[Any, Any]:
        """(httpx transport, the connection pool inside it) for the origin of `url`."""
        raise NotImplementedError

    def _lookup(self, request: httpx.Request) -> tuple[Any, list[Any]]:
        """The transport for this request, and transports evicted to make room (for the caller to close)."""
        policy = request.extensions.get(POLICY_EXTENSION, self.default_policy)
        key = (policy, request.url.scheme, request.url.host, request.url.port)
        evicted: list[Any] = []
        with self._lock:
            entry = self._pools.get(key)
            if entry is None:
                entry = self._pools[key] = self._make(policy, request.url)
            else:
                self._pools.move_to_end(key)
            for old in list(self._pools)[: max(len(self._pools) - self._max_pools, 0)]:
                transport, pool = self._pools[old]
                if _pool_is_idle(pool):
                    evicted.append(transport)
                    del self._pools[old]
        return entry[0], evicted

    def _all(self) -> list[Any]:
        with self._lock:
            transports = [transport for transport, _pool in self._pools.values()]
            self._pools.clear()
        return transports


def _pool_is_idle(pool: Any) -> bool:
    if isinstance(pool, AsyncOriginPool):
        return pool.is_idle()
    return all(c.is_idle() or c.is_closed() for c in pool.connections)


class GuardedTransport(_PoolRouter, httpx.BaseTransport):
    def _make(
        self, policy: AddressPolicy, url: httpx.URL
    ) -> tuple[httpx.HTTPTransport, httpcore.ConnectionPool]:
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
    def _make(
        self, policy: AddressPolicy, url: httpx.URL
    ) -> tuple[httpx.AsyncHTTPTransport, AsyncOriginPool]:
        transport = httpx.AsyncHTTPTransport(verify=self._ssl_context, trust_env=False)
        port = url.port or (443 if url.scheme == "https" else 80)
        pool = AsyncOriginPool(
            origin=httpcore.Origin(url.raw_scheme, url.raw_host, port),
            network_backend=AsyncGuardedBackend(policy, self._resolver),
            ssl_context=self._ssl_context,
            max_connections=self._pool_options["max_connections"],
            keepalive_expiry=self._pool_options["keepalive_expiry"],
        )
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
