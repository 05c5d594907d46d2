"""Writes for the client APIs: the per-user API password, and the logins that count failures."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.services import login_failure_record, login_failures_clear, login_throttle_check
from compat.models import ApiPassword, new_token_salt
from compat.selectors import (
    digest,
    fever_key,
    fever_user_for_key,
    greader_credential_for_login,
    greader_token,
)

API_PASSWORD_MAX = 128
# Fever requests carry no user name: their failures are counted per client address under this name.
FEVER_THROTTLE_NAME = "\x00fever"


class ApiLoginFailed(Exception):
    """Wrong user name or API password (or no API password set)."""


def api_password_set(*, user, password: str) -> ApiPassword:
    """Set (or replace) the user's API password. Side effect: every token and Fever key of the old one
    stops working. ValidationError for a weak password, or one equal to the sign-in password."""
    password = password or ""
    if not password.strip():
        raise ValidationError("Enter an API password.")
    if len(password) > API_PASSWORD_MAX:
        raise ValidationError(f"An API password has at most {API_PASSWORD_MAX} characters.")
    if password != password.strip():
        raise ValidationError("An API password cannot start or end with a space (apps often trim them).")
    validate_password(password, user)
    if user.check_password(password):
        raise ValidationError("Choose an API password different from the password you sign in with.")

    username_key = digest(fever_key(login=user.get_username(), password=password))
    email_key = digest(fever_key(login=user.email, password=password)) if user.email else ""
    with transaction.atomic():
        # Two accounts with one e-mail address and one API password would share a Fever key: then
        # only the user name works for Fever (the page says which to type).
        if email_key and ApiPassword.objects.filter(fever_email_key=email_key).exclude(user=user).exists():
            email_key = ""
        credential, _ = ApiPassword.objects.update_or_create(
            user=user,
            defaults={
                "password": make_password(password),
                "fever_key": username_key,
                "fever_email_key": email_key,
                "token_salt": new_token_salt(),
            },
        )
    return credential


def api_password_revoke(*, user) -> bool:
    """Delete the user's API password: every app signed in with it is refused from the next request.
    True if there was one. Safe to repeat."""
    deleted, _ = ApiPassword.objects.filter(user=user).delete()
    return bool(deleted)


def greader_login(*, login: str, password: str, ip: str) -> str:
    """Google Reader's ClientLogin: the auth token for this user name (or e-mail) and API password.

    Raises accounts.services.LoginThrottled after too many failures from this address for this name, and
    ApiLoginFailed for wrong credentials (counted). A success clears the count.
    """
    login = (login or "").strip()[:254]
    login_throttle_check(ip=ip, username=login)
    credential = greader_credential_for_login(login=login, password=password or "")
    if credential is None:
        login_failure_record(ip=ip, username=login)
        raise ApiLoginFailed("Wrong user name or API password.")
    login_failures_clear(ip=ip, username=login)
    return greader_token(credential=credential)


def fever_authenticate(*, api_key: str, ip: str):
    """The user of a Fever api_key. Raises LoginThrottled after too many wrong keys from this address,
    and ApiLoginFailed for a wrong key (counted)."""
    login_throttle_check(ip=ip, username=FEVER_THROTTLE_NAME)
    user = fever_user_for_key(api_key=api_key)
    if user is None:
        login_failure_record(ip=ip, username=FEVER_THROTTLE_NAME)
        raise ApiLoginFailed("Wrong api_key.")
    return user
