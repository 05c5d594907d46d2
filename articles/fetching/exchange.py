"""The fetch policy, without I/O: what to send, how to judge each answer, when to stop.

`fetch` and `afetch` drive an Exchange with a sync or an async client; everything they decide is decided
here, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from articles.fetching.addresses import AddressPolicy, IPNetwork, parse_ip
from articles.fetching.decoding import BodyReader, accept_encoding, human_size
from articles.fetching.errors import (
    FeedGoneError,
    FetchError,
    PermanentFetchError,
    ResponseTooLargeError,
    TransientFetchError,
)
from articles.fetching.result import FetchResult, parse_content_type, parse_max_age, parse_retry_after
from articles.fetching.transport import POLICY_EXTENSION

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
# Accept headers for the two kinds of documents we fetch.
ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.3"
)
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

_DEFAULTS: dict[str, Any] = {
    "FETCH_ALLOW_PRIVATE": False,
    "FETCH_CONNECT_TIMEOUT": 5.0,
    "FETCH_READ_TIMEOUT": 10.0,
    "FETCH_TOTAL_TIMEOUT": 30.0,
    "FETCH_MAX_BYTES": 10 * 1024 * 1024,
    "FETCH_MAX_REDIRECTS": 5,
    "FETCH_USER_AGENT": "Mozilla/5.0 (compatible; Newsreader/0.1; +https://github.com/newsreader)",
}


def setting(name: str) -> Any:
    """The Django setting when Django is set up (read at call time, so tests can change it), else our default."""
    try:
        from django.conf import settings

        if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
            return getattr(settings, name, _DEFAULTS[name])
    except ImportError:
        pass
    return _DEFAULTS[name]


@dataclass(frozen=True)
class FetchOptions:
    connect_timeout: float
    read_timeout: float
    total_timeout: float
    max_bytes: int
    max_redirects: int
    user_agent: str
    policy: AddressPolicy

    @classmethod
    def build(
        cls,
        *,
        allow_private: bool | None = None,
        allow_networks: Iterable[str | IPNetwork] = (),
        max_bytes: int | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_redirects: int | None = None,
        user_agent: str | None = None,
    ) -> FetchOptions:
        def pick(value: Any, name: str) -> Any:
            return setting(name) if value is None else value

        return cls(
            connect_timeout=float(pick(connect_timeout, "FETCH_CONNECT_TIMEOUT")),
            read_timeout=float(pick(read_timeout, "FETCH_READ_TIMEOUT")),
            total_timeout=float(pick(timeout, "FETCH_TOTAL_TIMEOUT")),
            max_bytes=int(pick(max_bytes, "FETCH_MAX_BYTES")),
            max_redirects=int(pick(max_redirects, "FETCH_MAX_REDIRECTS")),
            user_agent=str(pick(user_agent, "FETCH_USER_AGENT")),
            policy=AddressPolicy.build(
                allow_private=pick(allow_private, "FETCH_ALLOW_PRIVATE"), allow_networks=allow_networks
            ),
        )


def check_url(url: str | httpx.URL, policy: AddressPolicy) -> httpx.URL:
    """The URL parsed, or PermanentFetchError: only http(s) with a host; literal addresses are vetted now."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
        raise PermanentFetchError("The address is not a valid URL.", url=str(url)) from None
    if not parsed.scheme:
        raise PermanentFetchError("The address is not a valid URL.", url=str(url))
    if parsed.scheme not in ("http", "https"):
        raise PermanentFetchError(
            f"Only http and https addresses can be fetched, not {parsed.scheme[:20]}.", url=str(url)
        )
    if not parsed.host:
        raise PermanentFetchError("The address has no host name.", url=str(url))
    ip = parse_ip(parsed.host)
    if ip is not None:
        try:
            policy.check(parsed.host, ip)
        except FetchError as exc:
            exc.url = str(url)
            raise
    return parsed.copy_with(fragment=None)


def _clean_header(value: str) -> str:
    """A stored validator goes back into a header: drop it if it holds anything a header cannot."""
    value = (value or "").strip()
    if any(ord(c) < 32 or ord(c) == 127 or ord(c) > 255 for c in value):
        return ""
    return value


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class Step:
    REDIRECT = "redirect"
    NOT_MODIFIED = "not_modified"
    BODY = "body"


class Exchange:
    """One fetch: a request per hop, until a body, a 304 or an error."""

    def __init__(
        self, url: str, *, etag: str, last_modified: str, accept: str | None, options: FetchOptions
    ) -> None:
        self.options = options
        self.started = time.monotonic()
        self.deadline = self.started + options.total_timeout
        self.url = check_url(url, options.policy)
        self.hops: list[int] = []
        self._visited = {str(self.url)}
        self.etag = _clean_header(etag)
        self.last_modified = _clean_header(last_modified)
        self.headers = {
            "User-Agent": options.user_agent,
            "Accept": accept or ACCEPT_FEED,
            "Accept-Encoding": accept_encoding(),
        }
        if self.etag:
            self.headers["If-None-Match"] = self.etag
        if self.last_modified:
            self.headers["If-Modified-Since"] = self.last_modified

    # --- what to send --------------------------------------------------------------------------------

    def timeout(self) -> httpx.Timeout:
        remaining = max(self.deadline - time.monotonic(), 0.001)
        connect = min(self.options.connect_timeout, remaining)
        read = min(self.options.read_timeout, remaining)
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def build_request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        self.check_deadline()
        return client.build_request(
            "GET",
            self.url,
            headers=self.headers,
            timeout=self.timeout(),
            extensions={POLICY_EXTENSION: self.options.policy},
        )

    def check_deadline(self) -> None:
        if time.monotonic() >= self.deadline:
            raise self._timed_out()

    def _timed_out(self) -> TransientFetchError:
        return TransientFetchError(
            f"The server took too long to answer (over {self.options.total_timeout:g} s).", url=str(self.url)
        )

    # --- what came back ------------------------------------------------------------------------------

    def on_response(self, response: httpx.Response) -> str:
        """Step.REDIRECT (self.url has moved on), Step.NOT_MODIFIED, Step.BODY, or a FetchError."""
        status = response.status_code
        if status in REDIRECT_STATUSES:
            self._follow(response)
            return Step.REDIRECT
        if status == 304:
            return Step.NOT_MODIFIED
        if 200 <= status < 300:
            length = response.headers.get("content-length", "").strip()
            if length.isascii() and length.isdigit() and int(length[:20]) > self.options.max_bytes:
                raise ResponseTooLargeError(
                    f"The response is larger than the {human_size(self.options.max_bytes)} limit.",
                    url=str(self.url),
                    status=status,
                )
            return Step.BODY
        raise self._status_error(response)

    def _follow(self, response: httpx.Response) -> None:
        location = response.headers.get("location", "").strip()
        here = str(self.url)
        if not location:
            raise PermanentFetchError("The server sent a redirect without a destination.", url=here)
        if len(self.hops) >= self.options.max_redirects:
            raise PermanentFetchError(
                f"Too many redirects (more than {self.options.max_redirects}).",
                url=here,
                status=response.status_code,
            )
        try:
            target = self.url.join(location)
        except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):
            raise PermanentFetchError("The server redirected to an invalid address.", url=here) from None
        target = check_url(target, self.options.policy)
        if str(target) in self._visited:
            raise PermanentFetchError(
                "The server redirects in a loop.", url=here, status=response.status_code
            )
        self._visited.add(str(target))
        self.hops.append(response.status_code)
        self.url = target

    def _status_error(self, response: httpx.Response) -> FetchError:
        status, url = response.status_code, str(self.url)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 410:
            return FeedGoneError(
                "The server says this address is gone for good (410 Gone).", url=url, status=status
            )
        if status == 429:
            return TransientFetchError(
                "The server asks us to slow down (429 Too Many Requests).",
                url=url,
                status=status,
                retry_after=retry_after,
            )
        if status in (408, 425) or 500 <= status <= 599:
            return TransientFetchError(
                f"The server answered {_phrase(status)}.", url=url, status=status, retry_after=retry_after
            )
        if 400 <= status <= 499:
            return PermanentFetchError(f"The server answered {_phrase(status)}.", url=url, status=status)
        return PermanentFetchError(
            f"The server answered with an unexpected status {status}.", url=url, status=status
        )

    def body_reader(self, response: httpx.Response) -> BodyReader:
        return BodyReader(
            content_encoding=response.headers.get("content-encoding", ""), max_bytes=self.options.max_bytes
        )

    def result(self, response: httpx.Response, content: bytes, *, not_modified: bool) -> FetchResult:
        headers = {key.lower(): value for key, value in response.headers.items()}
        content_type, encoding = parse_content_type(headers.get("content-type", ""))
        etag = headers.get("etag", "").strip()
        last_modified = headers.get("last-modified", "").strip()
        if not_modified:
            etag, last_modified = etag or self.etag, last_modified or self.last_modified
        permanent = bool(self.hops) and all(hop in PERMANENT_REDIRECTS for hop in self.hops)
        return FetchResult(
            url=str(self.url),
            status=response.status_code,
            content=content,
            headers=headers,
            etag=etag,
            last_modified=last_modified,
            content_type=content_type,
            encoding=encoding,
            not_modified=not_modified,
            permanent_redirect_url=str(self.url) if permanent else None,
            max_age=parse_max_age(headers),
            elapsed=time.monotonic() - self.started,
        )

    def annotate(self, exc: FetchError, response: httpx.Response | None) -> None:
        """Say where a failure raised below us (connecting, reading a body) happened."""
        exc.url = exc.url or str(self.url)
        if response is not None:
            exc.status = exc.status or response.status_code

    def error_for(self, exc: Exception) -> FetchError:
        """Our error for anything raised while talking to the server."""
        url = str(self.url)
        if isinstance(exc, FetchError):
            exc.url = exc.url or url
            return exc
        if isinstance(exc, httpx.TimeoutException):
            if time.monotonic() >= self.deadline - 0.01:
                return self._timed_out()
            return TransientFetchError("The server took too long to answer.", url=url)
        if isinstance(exc, httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                return TransientFetchError("The server's TLS certificate could not be verified.", url=url)
            return TransientFetchError("Could not connect to the server.", url=url)
        if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
            return PermanentFetchError("The address cannot be fetched.", url=url)
        if isinstance(exc, httpx.RemoteProtocolError):
            return TransientFetchError("The server sent a malformed or incomplete response.", url=url)
        if isinstance(exc, httpx.HTTPError):
            return TransientFetchError("The connection to the server failed.", url=url)
        raise exc
