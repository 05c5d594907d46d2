"""Production settings come from the environment alone; each case runs Django in a fresh process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def production_env(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "CSRF_", "SESSION_"))
    }
    env.pop("DEBUG", None)
    env.pop("DATABASE_URL", None)  # nothing here touches a database
    env.update(
        PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="news.example.org",
        CSRF_TRUSTED_ORIGINS="https://news.example.org",
        SECURE_PROXY_SSL_HEADER="1",
        SECURE_SSL_REDIRECT="1",
        DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="newsreader.settings",
    )
    return env


def _run(args, env, timeout=120):
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_check_deploy_is_clean_under_production_settings(production_env):
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(production_env):
    production_env.pop("SECRET_KEY")

    result = _run([sys.executable, "manage.py", "check"], production_env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when PRODUCTION=1" in result.stderr


SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
c = Client(HTTP_HOST="news.example.org")
secure = c.get("/healthz/live", HTTP_X_FORWARDED_PROTO="https")
plain_probe = c.get("/healthz/live")
plain_page = c.get("/accounts/login/?next=/")
print(json.dumps({
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "debug": settings.DEBUG,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csp": secure.headers.get("Content-Security-Policy"),
    "probe_status": plain_probe.status_code,
    "page_status": plain_page.status_code,
    "page_location": plain_page.headers.get("Location"),
}))
"""


def test_production_sends_secure_cookies_hsts_csp_and_redirects_to_https(production_env):
    result = _run([sys.executable, "-c", SCRIPT], production_env)
    assert result.returncode == 0, result.stderr

    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["session_cookie_secure"] is True
    assert seen["csrf_cookie_secure"] is True
    assert seen["debug"] is False
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in seen["csp"]
    assert seen["probe_status"] == 200  # health probes stay on plain http inside the network
    assert seen["page_status"] == 301
    assert seen["page_location"] == "https://news.example.org/accounts/login/?next=/"


def test_tls_settings_are_opt_in(production_env):
    production_env.pop("SECURE_SSL_REDIRECT")
    production_env.pop("SECURE_PROXY_SSL_HEADER")
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECURE_SSL_REDIRECT, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )

    result = _run([sys.executable, "-c", script], production_env)

    assert result.stdout.split() == ["False", "None"], result.stderr
