"""Content-Security-Policy header (Django 5.2 has no built-in CSP).

The policy (settings.CONTENT_SECURITY_POLICY) forbids inline scripts and styles and any third-party code;
images may come from any host because stories show their publishers' pictures, many still on http (on an
https page the browser upgrades them). A view that needs another policy sets the header itself, and this
middleware leaves it alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.header = (
            "Content-Security-Policy-Report-Only"
            if settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
            else "Content-Security-Policy"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response and self.header not in response:
            response[self.header] = self.policy
        return response
