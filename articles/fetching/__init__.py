"""HTTP only: conditional GET, timeouts and a deadline, a size cap, checked redirects, Retry-After.

    result = fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified, accept=ACCEPT_FEED)
    if result.not_modified: ...

    async with async_fetch_client() as client:          # many fetches in flight, connections reused
        results = await asyncio.gather(*(afetch(u, client=client) for u in urls))

No ORM here, and no parsing: bytes in FetchResult, or a FetchError whose str() a reader can be shown.
Defaults come from the FETCH_* settings and every one can be overridden by keyword.
"""

from articles.fetching.addresses import AddressPolicy, address_block_reason
from articles.fetching.client import afetch, async_fetch_client, fetch, fetch_client
from articles.fetching.errors import (
    BlockedAddressError,
    FeedGoneError,
    FetchError,
    PermanentFetchError,
    ResponseTooLargeError,
    TransientFetchError,
)
from articles.fetching.exchange import ACCEPT_FEED, ACCEPT_HTML
from articles.fetching.result import FetchResult, parse_max_age, parse_retry_after

__all__ = [
    "ACCEPT_FEED",
    "ACCEPT_HTML",
    "AddressPolicy",
    "BlockedAddressError",
    "FeedGoneError",
    "FetchError",
    "FetchResult",
    "PermanentFetchError",
    "ResponseTooLargeError",
    "TransientFetchError",
    "address_block_reason",
    "afetch",
    "async_fetch_client",
    "fetch",
    "fetch_client",
    "parse_max_age",
    "parse_retry_after",
]
