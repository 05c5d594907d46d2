"""Fetch failures, named after what the caller should do next.

Every exception's str() is a short sentence fit to show a reader ("The server answered 404 Not Found.").
`url` and `status` say where it happened when known. Catch `TransientFetchError` to retry later (honouring
`retry_after`), `PermanentFetchError` to stop trying until someone changes the URL.
"""

from __future__ import annotations


class FetchError(Exception):
    """Base class: the URL could not be fetched."""

    def __init__(
        self,
        message: str = "The address could not be fetched.",
        *,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status

    def __str__(self) -> str:
        return self.message


class TransientFetchError(FetchError):
    """Try again later: timeouts, connection failures, 5xx, 429, 408.

    `retry_after` is the server's Retry-After in seconds (from seconds or an HTTP-date), else None.
    """

    def __init__(
        self,
        message: str = "The server could not be reached for now.",
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """Trying again will not help: 404 and other 4xx, bad scheme or URL, redirect loops."""


class FeedGoneError(PermanentFetchError):
    """The server answered 410 Gone: the publisher removed the resource on purpose."""


class BlockedAddressError(PermanentFetchError):
    """The host resolves to an address we refuse to connect to (loopback, private, link-local, ...)."""


class ResponseTooLargeError(PermanentFetchError):
    """The body (on the wire or once decompressed) is larger than the configured cap."""
