"""Reads for the client APIs: who a Google Reader token or a Fever api_key belongs to.

Each lookup is one indexed query. Unknown, malformed, revoked and inactive credentials all give None, so a
caller cannot tell them apart (and neither can a client).
"""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q
from django.utils.crypto import constant_time_compare, salted_hmac

from compat.models import ApiPassword

TOKEN_MAX = 300
_FEVER_KEY = re.compile(r"[0-9a-f]{32}")
_TOKEN_SALT = "compat.greader.token"


def digest(value: str) -> str:
    """sha256 hex of a secret the client sends (the Fever api_key): what the database stores instead."""
    return hashlib.sha256(value.encode()).hexdigest()


def fever_key(*, login: str, password: str) -> str:
    """The Fever api_key a client computes: lower-case hex md5 of "login:password"."""
    return hashlib.md5(f"{login}:{password}".encode(), usedforsecurity=False).hexdigest()


def api_password_for_user(*, user) -> ApiPassword | None:
    return ApiPassword.objects.filter(user=user).first()


def greader_token(*, credential: ApiPassword) -> str:
    """The Google Reader auth token: `<username>/<hex>`, an HMAC of the credential under SECRET_KEY.

    Derived, not stored: every ClientLogin gives the same token until the API password changes (new salt)
    or is revoked (no row), and rotating SECRET_KEY logs every app out. No `=` inside: NetNewsWire splits
    the login answer's lines on it.
    """
    mac = salted_hmac(_TOKEN_SALT, f"{credential.pk}:{credential.token_salt}", algorithm="sha256").hexdigest()
    return f"{credential.user.get_username()}/{mac}"


def greader_credential_for_login(*, login: str, password: str) -> ApiPassword | None:
    """The credential whose user name (or e-mail address, when only one account has it) and API password
    match, with its user; None otherwise. Costs one password hash whether or not the name exists."""
    login = (login or "").strip()[:254]
    credential = None
    if login:
        credential = ApiPassword.objects.select_related("user").filter(user__username=login).first()
        if credential is None and "@" in login:
            matches = list(ApiPassword.objects.select_related("user").filter(user__email__iexact=login)[:2])
            credential = matches[0] if len(matches) == 1 else None
    if credential is None or not credential.user.is_active:
        make_password(password)  # the same work as a real check: response times do not reveal names
        return None
    if not check_password(password, credential.password):
        return None
    return credential


def greader_user_for_token(*, token: str):
    """The active user a Google Reader token belongs to, or None. One query."""
    token = (token or "").strip()
    if not token or len(token) > TOKEN_MAX or "/" not in token:
        return None
    username, _, _mac = token.rpartition("/")
    credential = ApiPassword.objects.select_related("user").filter(user__username=username).first()
    if credential is None or not credential.user.is_active:
        return None
    if not constant_time_compare(greader_token(credential=credential), token):
        return None
    return credential.user


def fever_user_for_key(*, api_key: str):
    """The active user whose Fever api_key this is (compared case-insensitively), or None. One query."""
    key = (api_key or "").strip().lower()
    if not _FEVER_KEY.fullmatch(key):
        return None
    hashed = digest(key)
    matches = list(
        ApiPassword.objects.select_related("user").filter(Q(fever_key=hashed) | Q(fever_email_key=hashed))[:2]
    )
    # A user name may look like someone else's e-mail address: the user name's own key wins.
    matches.sort(key=lambda c: c.fever_key != hashed)
    credential = matches[0] if matches else None
    if credential is None or not credential.user.is_active:
        return None
    return credential.user
