from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from accounts.services import (
    LoginThrottled,
    login_failure_record,
    login_failures_clear,
    login_throttle_check,
)


def client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it, and a
    # spoofable key would make the throttle useless.
    return (request.META.get("REMOTE_ADDR") if request is not None else "") or "unknown"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing to check a password once the attempt limit is reached."""

    throttled = False

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_address(self.request)
        try:
            login_throttle_check(ip=ip, username=username)
        except LoginThrottled as exc:
            self.throttled = True
            raise forms.ValidationError(str(exc), code="throttled") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failure_record(ip=ip, username=username)
            raise
        login_failures_clear(ip=ip, username=username)
        return cleaned


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional. Only used to send you a link if you forget your password."
    )

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs does not declare it
        model = get_user_model()
        fields = ("username", "email")

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That name is taken. Please choose another.", code="unique")
        return username
