"""Browser tests: Debian's Chromium driven by Playwright against a live server and the simulated publishers.

Tasks run eagerly inside the live server (no worker process), so following a feed fetches it at once from
the publisher fixture, as a worker would a moment later.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 780}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Module-scoped: Playwright's sync API runs an event loop in this thread while it is started, and
    tests after these (pytest-django reorders by database use) must find no loop running."""
    from playwright.sync_api import expect, sync_playwright

    # A follow runs the feed's first refresh and extraction inside the request here (eager tasks).
    expect.set_options(timeout=20_000)

    # Django's ORM calls in the test body are still synchronous and safe beside Playwright's loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def eager_tasks(settings) -> Iterator[None]:
    from newsreader.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_page(browser) -> Iterator:
    """new_page(viewport=DESKTOP, color_scheme="light") -> a page in a fresh context; all closed afterwards."""
    contexts = []

    def make(viewport: dict | None = None, color_scheme: str = "light"):
        context = browser.new_context(viewport=viewport or DESKTOP, color_scheme=color_scheme)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # Console errors count (a script refused by the CSP shows up there), except pictures from
        # publishers: their hosts cannot be reached from here, and the CSP refuses plain-http ones.
        def on_console(msg) -> None:
            if msg.type == "error" and not any(
                sign in msg.text for sign in ("net::ERR_NAME_NOT_RESOLVED", "Loading the image")
            ):
                errors.append(msg.text)

        page.on("console", on_console)
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()
