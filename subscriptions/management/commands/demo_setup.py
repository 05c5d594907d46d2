"""`make demo`: a dozen simulated publishers on loopback, a demo account that follows them, one refresh.

Runs beside the web server (bin/run-all starts it when DEMO=1) and keeps serving the publishers until it is
stopped. The publishers' addresses are fixed (DEMO_PUBLISHERS_PORT, default 8765), so a second `make demo`
finds the same feeds and the same account again instead of making new ones.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_ITEMS = 8
# (category, country) per simulated publisher, so that the directory's filters have something to show.
DEMO_FACETS = [
    ("General", "United Kingdom"), ("General", "United States"), ("Business", "United States"),
    ("General", "Canada"), ("Science", "United Kingdom"), ("Travel", "Australia"),
    ("Culture", "Canada"), ("Politics", "United Kingdom"), ("Travel", "Australia"),
    ("Business", "Canada"), ("Science", "United States"), ("Culture", "Ireland"),
]  # fmt: skip
# The demo account follows the first ones, in these folders; the rest wait in the directory to be followed.
DEMO_FOLLOWED = {0: "", 1: "", 2: "Business", 3: "", 4: "Science", 5: "", 6: "", 7: "", 8: ""}


def _repo_root() -> Path:
    return Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Serve simulated publishers on loopback and sign a demo account up to them (for `make demo`)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PUBLISHERS_PORT") or 8765))
        parser.add_argument("--sites", type=int, default=12)
        parser.add_argument("--once", action="store_true", help="set up, then stop serving (for tests)")

    def handle(self, *args, port: int, sites: int, once: bool, **options):
        if not settings.FETCH_ALLOW_PRIVATE:
            raise CommandError(
                "The demo publishers live on loopback: run with FETCH_ALLOW_PRIVATE=1 (make demo does)."
            )
        sys.path.insert(0, str(_repo_root()))
        from tests.publisher_content import DEMO_SITE_NAMES
        from tests.publisher_server import PublisherServer

        try:
            server = PublisherServer("127.0.0.1", port).start()
        except OSError as exc:
            raise CommandError(
                f"Port {port} is taken ({exc}); another demo may be running. Set DEMO_PUBLISHERS_PORT."
            ) from exc
        names = DEMO_SITE_NAMES[:sites]
        site_urls = {
            name: (server.site(name, DEMO_ITEMS).feed_url, server.url(f"/sites/{name}/")) for name in names
        }
        self.stdout.write(f"Simulated publishers at {server.base_url}/")

        feeds = self._publishers(site_urls)
        password = self._account(feeds)
        self._refresh(feeds)

        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo account ready. Sign in at {self._site_url()}/accounts/login/\n"
                f"    user name: {DEMO_USERNAME}\n    password:  {password}\n"
            )
        )
        if once:
            server.stop()
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.is_set():
            stop.wait(3600)
        server.stop()

    def _site_url(self) -> str:
        # bin/run-all serves on $PORT; SITE_URL is what the public address will be, if one is set.
        port = os.environ.get("PORT")
        return f"http://127.0.0.1:{port}" if port and not os.environ.get("SITE_URL") else settings.SITE_URL

    def _publishers(self, site_urls: dict[str, tuple[str, str]]) -> list:
        from articles.models import Feed, Publisher

        feeds = []
        for i, (name, (feed_url, home_url)) in enumerate(site_urls.items()):
            title = name.replace("-", " ").title()
            category, country = DEMO_FACETS[i % len(DEMO_FACETS)]
            # One publisher per simulated site, by slug: they all share one host (loopback), so the
            # usual match of a feed to a publisher by host would fold them into one.
            publisher, _ = Publisher.objects.update_or_create(
                slug=f"demo-{name}",
                defaults={
                    "name": title,
                    "site_url": home_url,
                    "in_catalogue": True,
                    "category": category,
                    "country": country,
                    "language": "en",
                    "description": f"A simulated {category.lower()} publisher, served on this machine for the demo.",
                },
            )
            # The same publisher on another port (DEMO_PUBLISHERS_PORT changed): move its feed, keep its stories.
            if not Feed.objects.filter(url=feed_url).exists():
                moved = Feed.objects.filter(publisher=publisher).order_by("id").first()
                if moved is not None:
                    Feed.objects.filter(id=moved.id).update(url=feed_url)
            feed, _ = Feed.objects.update_or_create(
                url=feed_url,
                # A demo that was stopped for a while starts fresh rather than with a backlog of back-offs.
                defaults={
                    "publisher": publisher, "title": title, "site_url": home_url,
                    "disabled": False, "disabled_reason": "", "error_count": 0,
                },
            )  # fmt: skip
            feeds.append(feed)
        self.stdout.write(f"{len(feeds)} publishers in the directory")
        return feeds

    def _account(self, feeds: list) -> str:
        from subscriptions.services.follows import folder_get_or_create, subscription_create

        User = get_user_model()
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=DEMO_USERNAME, defaults={"email": "demo@localhost"})
        user.set_password(password)
        user.save(update_fields=["password"])
        for i, folder_name in DEMO_FOLLOWED.items():
            if i >= len(feeds):
                break
            folder = folder_get_or_create(user=user, name=folder_name) if folder_name else None
            subscription_create(user=user, feed=feeds[i], folder=folder, refresh=False)
        return password

    def _refresh(self, feeds: list) -> None:
        from django.utils import timezone

        from articles.models import Feed
        from articles.pipeline import feed_claim, feeds_refresh

        ids = [f.id for f in feeds]
        Feed.objects.filter(id__in=ids).update(next_check_at=timezone.now(), lease_until=None)
        claimed = [i for i in ids if feed_claim(feed_id=i)]
        started = time.monotonic()
        outcomes = feeds_refresh(feed_ids=claimed)
        new = sum(o.new for o in outcomes)
        failed = [o for o in outcomes if o.status == "failed"]
        self.stdout.write(
            f"Refreshed {len(outcomes)} feeds in {time.monotonic() - started:.1f}s: {new} new stories"
            + (f", {len(failed)} failed ({failed[0].error})" if failed else "")
        )
