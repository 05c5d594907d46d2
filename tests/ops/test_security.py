from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from newsreader.security import ContentSecurityPolicyMiddleware


def test_every_response_carries_the_content_security_policy(client):
    response = client.get(reverse("healthz-live"))

    policy = response["Content-Security-Policy"]
    assert policy == settings.CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline scripts, no third-party code
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' https: http: data:"  # publishers' pictures
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_a_redirect_for_anonymous_visitors_carries_it_too(client):
    response = client.get("/")

    assert response.status_code in (301, 302)
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_it_leaves_a_views_own_policy_alone():
    def view(request):
        response = HttpResponse("embed")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(HttpRequest())

    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_it_can_only_report(settings):  # noqa: F811 (the pytest-django fixture)
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True

    response = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))(HttpRequest())

    assert response["Content-Security-Policy-Report-Only"] == settings.CONTENT_SECURITY_POLICY
    assert "Content-Security-Policy" not in response
