"""Every page needs a signed-in user, except the few that cannot (sign-in, sign-up, password reset) and
those that authenticate in their own way (the client APIs, secret list feeds, health checks)."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpResponse
from django.shortcuts import resolve_url

# Path prefixes open to anyone. Views elsewhere may also use @login_not_required.
DEFAULT_OPEN_PREFIXES = (
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/api/",
    "/healthz",
    "/metrics",
    "/readyz",
    "/lists/feed/",
    "/static/",
    "/favicon.ico",
    "/robots.txt",
)


class LoginRequired(LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        prefixes = getattr(settings, "LOGIN_OPEN_PREFIXES", DEFAULT_OPEN_PREFIXES)
        if request.path_info.startswith(tuple(prefixes)):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            # A redirect would swap the sign-in page into a fragment; send the whole page there instead.
            response = HttpResponse(status=401)
            response["HX-Redirect"] = resolve_url(self.get_login_url(view_func))
            return response
        return super().handle_no_permission(request, view_func)
