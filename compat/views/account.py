"""The API password panel of the account page: set or replace it, revoke it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from compat.forms import ApiPasswordForm
from compat.selectors import api_password_for_user
from compat.services import api_password_revoke, api_password_set


def account_panel_context(request: HttpRequest) -> dict:
    """What templates/compat/_account_panel.html shows: the state, the form and the addresses to paste."""
    greader_login = reverse("compat:greader:client-login")
    credential = api_password_for_user(user=request.user)
    return {
        "credential": credential,
        "email_works_for_fever": bool(credential and credential.fever_email_key),
        "form": ApiPasswordForm(),
        "greader_url": request.build_absolute_uri(greader_login.removesuffix("/accounts/ClientLogin")),
        "fever_url": request.build_absolute_uri(reverse("compat:fever")),
    }


def _back() -> HttpResponse:
    return redirect(reverse("account") + "#api-password")


# /api/ is open to anonymous requests (the apps sign in their own way): these two ask for a session.
@login_required
@require_POST
def api_password_set_view(request: HttpRequest) -> HttpResponse:
    form = ApiPasswordForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [e for errs in form.errors.values() for e in errs]:
            messages.error(request, str(error))
        return _back()
    try:
        api_password_set(user=request.user, password=form.cleaned_data["password1"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _back()
    messages.success(request, "API password saved. Apps signed in with the old one must sign in again.")
    return _back()


@login_required
@require_POST
def api_password_revoke_view(request: HttpRequest) -> HttpResponse:
    if api_password_revoke(user=request.user):
        messages.success(request, "API password revoked. Every app signed in with it is signed out.")
    return _back()
