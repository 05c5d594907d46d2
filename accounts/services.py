"""Sign-in throttling: counts failed attempts in the Django cache, per client address and user name.

Ten failures in fifteen minutes for one (address, name) pair lock that pair out until the window ends; a
larger cap per address alone stops one client from trying a password against many names.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

LOGIN_MAX_FAILURES = 10
LOGIN_MAX_FAILURES_PER_ADDRESS = 50
LOGIN_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class LoginThrottled(Exception):
    retry_after: int  # seconds

    def __str__(self) -> str:
        minutes = max(1, -(-self.retry_after // 60))
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many failed sign-in attempts. Please wait {minutes} {unit} and try again."


def _keys(*, ip: str, username: str) -> list[str]:
    pair = hashlib.sha256(f"{ip}\x00{username.strip().lower()}".encode()).hexdigest()
    addr = hashlib.sha256(ip.encode()).hexdigest()
    return [f"login-fail:pair:{pair}", f"login-fail:addr:{addr}"]


def _limits() -> list[int]:
    return [LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS]


def login_throttle_check(*, ip: str, username: str) -> None:
    """Raise LoginThrottled when this address and name have failed too often. Reads only."""
    now = time.time()
    for key, limit in zip(_keys(ip=ip, username=username), _limits(), strict=True):
        state = cache.get(key)
        # The window is judged by the time stored with the count, not only by the cache's expiry.
        if state and state[0] >= limit and state[1] + LOGIN_WINDOW_SECONDS > now:
            raise LoginThrottled(retry_after=max(1, int(state[1] + LOGIN_WINDOW_SECONDS - now)))


def login_failure_record(*, ip: str, username: str) -> None:
    """Count one failed attempt. The window starts at the first failure and is not extended by later ones."""
    now = time.time()
    for key in _keys(ip=ip, username=username):
        state = cache.get(key)
        if not state or state[1] + LOGIN_WINDOW_SECONDS <= now:
            state = (0, now)
        remaining = max(1, int(state[1] + LOGIN_WINDOW_SECONDS - now))
        # Two failures at the same instant may count once: harmless, the cap is a brake, not a ledger.
        cache.set(key, (state[0] + 1, state[1]), timeout=remaining)


def login_failures_clear(*, ip: str, username: str) -> None:
    """Forget the failures of this (address, name) pair after a successful sign-in. Safe to repeat."""
    cache.delete(_keys(ip=ip, username=username)[0])
