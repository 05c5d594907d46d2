"""The production topology as real processes (bin/stack: gunicorn, a feeds+default worker, an extraction
worker, beat) against Postgres and a private Redis that each test starts on a free port, reading the
simulated publishers. A reader signs in, follows a feed through the web pages and reads the stories there.

The stack uses the test database (committed rows: transactional_db), with PRODUCTION=1 behind a pretend
TLS proxy (X-Forwarded-Proto: https), so secure cookies, HSTS and the manifest static files are in play.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from django.db import connection

from articles.models import Article
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.postgres_only]

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"  # UserFactory's
METRICS_TOKEN = "stack-metrics-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    predicate: Callable[[], object], *, timeout: float, tick: float = 0.5, why: Callable[[], str] = str
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(tick)
    raise AssertionError(f"gave up after {timeout}s\n{why()}")


class RedisServer:
    """A private redis-server (append-only file, like docker-compose.yml's) that a test may restart."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is needed (Debian's redis-server package)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--save", "", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: self._ping(client), timeout=20, tick=0.1)

    @staticmethod
    def _ping(client) -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # redis flushes its append-only file and exits
            self.proc.wait(timeout=20)
        self.proc = None


class Stack:
    def __init__(self, tmp_path: Path, redis_url: str, static_root: Path, **extra: object) -> None:
        db = settings.DATABASES["default"]
        self.port = free_port()
        self.run_dir = tmp_path / "stack"
        self.log_path = tmp_path / "stack.log"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        self.env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "REDIS_URL": redis_url,
            "DATA_DIR": str(tmp_path / "data"),
            "STATIC_ROOT": str(static_root),
            "STACK_RUN_DIR": str(self.run_dir),
            "VENV": str(Path(sys.executable).parent.parent),
            "PORT": str(self.port),
            "PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_PROXY_SSL_HEADER": "1",
            "FETCH_ALLOW_PRIVATE": "1",
            "METRICS_TOKEN": METRICS_TOKEN,
            "HEARTBEAT_INTERVAL": "2",
            "WEB_CONCURRENCY": "2",
            "FEEDS_CONCURRENCY": "2",
            "EXTRACTION_CONCURRENCY": "2",
            "STACK_STOP_TIMEOUT": "30",
        }
        self.env.pop("CELERY_BROKER_URL", None)
        self.env.update({k: str(v) for k, v in extra.items()})
        self.proc: subprocess.Popen | None = None
        self.leftovers: list[int] = []  # processes bin/stack failed to stop (a bug)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        # The test database is migrated by pytest-django and static files are collected once per module.
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "bin" / "stack"), "--no-setup"],
            cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for(self._web_answers, timeout=120, why=self.tail)

    def _web_answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"bin/stack exited with {self.proc.returncode}\n{self.tail()}")
        try:
            return (
                httpx.get(f"{self.base_url}/healthz/live", headers={"Host": "127.0.0.1"}).status_code == 200
            )
        except httpx.TransportError:
            return False

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text())

    def tail(self, n: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    def healthz(self) -> tuple[int, dict]:
        response = httpx.get(f"{self.base_url}/healthz", headers={"Host": "127.0.0.1"}, timeout=10)
        return response.status_code, response.json()

    def metrics(self) -> str:
        headers = {"Host": "127.0.0.1", "Authorization": f"Bearer {METRICS_TOKEN}"}
        return httpx.get(f"{self.base_url}/metrics", headers=headers, timeout=10).text

    def stop(self) -> int | None:
        """SIGTERM to bin/stack, as Ctrl-C or a service manager would; returns its exit status."""
        if self.proc is None:
            return None
        pids = [int(p.read_text()) for p in self.run_dir.glob("*.pid") if p.read_text().strip().isdigit()]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        for pid in pids:  # whatever bin/stack left behind is a bug; don't leave it running either
            try:
                os.killpg(pid, signal.SIGKILL)
                self.leftovers.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
        self.log.close()
        self.proc = None
        return code


class Browser:
    """A reader's browser behind the TLS proxy: cookies kept by hand, since they are Secure."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)

    def _headers(self, path: str) -> dict[str, str]:
        # The proxy's view: https on the public host name, which is all CSRF's Referer check compares.
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if not morsel.value:  # a deletion
                    self.cookies.pop(name, None)
                    continue
                assert morsel["secure"], f"cookie {name} is not Secure in production"
                self.cookies[name] = morsel.value

    def get(self, path: str) -> httpx.Response:
        response = self.client.get(path, headers=self._headers(path))
        self._keep_cookies(response)
        return response

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        response = self.client.post(path, data=data, headers=self._headers(path))
        self._keep_cookies(response)
        return response

    def sign_in(self, username: str) -> None:
        assert self.get("/accounts/login/").status_code == 200
        response = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.text[:2000]
        assert "sessionid" in self.cookies

    def follow(self, feed_url: str) -> None:
        """The 'add any source' page: look the address up, then follow what the preview found."""
        preview = self.post("/subscriptions/add/", {"url": feed_url})
        assert preview.status_code == 200, preview.text[:2000]
        match = re.search(r'<input[^>]*name="token"[^>]*value="([^"]+)"', preview.text)
        assert match, preview.text[:3000]
        followed = self.post(
            "/subscriptions/add/follow/", {"token": html.unescape(match.group(1)), "title": ""}
        )
        assert followed.status_code in (200, 302), followed.text[:2000]


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    if connection.vendor != "postgresql":
        pytest.fail("the stack runs on Postgres: set DATABASE_URL (the SQLite run deselects postgres_only)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """What bin/stack's setup step does, once: hashed, compressed static files for PRODUCTION=1."""
    root = tmp_path_factory.mktemp("static")
    env = {**os.environ, "PRODUCTION": "1", "SECRET_KEY": "collectstatic", "STATIC_ROOT": str(root)}
    env["DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, env=env, check=True
    )
    return root


@pytest.fixture
def make_stack(transactional_db, private_redis, static_root, tmp_path) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def make(**extra: object) -> Stack:
        stack = Stack(tmp_path, private_redis.url, static_root, **extra)
        stacks.append(stack)
        stack.start()
        return stack

    yield make
    for stack in stacks:
        stack.stop()


def extracted(feed_url: str) -> int:
    return Article.objects.filter(feed__url=feed_url, extraction_status=Article.Extraction.EXTRACTED).count()


def test_the_stack_ingests_a_feed_a_reader_follows_and_serves_its_stories(make_stack, publisher_server):
    reader = UserFactory()
    site = publisher_server.site("stack-gazette", n_items=5)
    stack = make_stack()

    browser = Browser(stack.base_url)
    browser.sign_in(reader.username)
    browser.follow(site.feed_url)
    wait_for(lambda: extracted(site.feed_url) == 5, timeout=120, why=stack.tail)

    stories = list(Article.objects.filter(feed__url=site.feed_url))
    assert sorted(a.url for a in stories) == sorted(url for url, _ in site.articles)
    river = browser.get("/")
    assert river.status_code == 200
    assert river.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert river.headers["Strict-Transport-Security"].startswith("max-age=")
    for story in stories:
        assert html.escape(story.title, quote=False) in river.text or html.escape(story.title) in river.text
        page = browser.get(f"/articles/{story.id}/")
        assert page.status_code == 200
        assert story.word_count > 50
        first_paragraph = re.search(r"<p>.*?</p>", story.content_html, flags=re.S)
        assert first_paragraph and first_paragraph.group(0) in page.text

    # Healthy once the scheduler's first heartbeat has reached a worker: HEARTBEAT_INTERVAL (2 s here) after
    # beat starts, which can be after the stories were stored and served.
    def healthy() -> dict | None:
        status, health = stack.healthz()
        return health if status == 200 else None

    health = wait_for(healthy, timeout=30, why=lambda: f"{stack.healthz()}\n{stack.tail()}")
    assert health["checks"]["heartbeat"]["age_seconds"] < 30
    text = stack.metrics()
    assert re.search(r"^newsreader_articles_stored_total 5\.0$", text, flags=re.M), text
    assert re.search(r"^newsreader_extraction_seconds_count 5\.0$", text, flags=re.M), text
    assert re.search(r'^newsreader_feeds_refreshed_total\{status="fetched"\} 1\.0$', text, flags=re.M), text

    # The container health probes of docker-compose.yml, run against this stack.
    for probe in (["web", str(stack.port)], ["worker", "feeds"], ["worker", "extraction"], ["beat"]):
        result = subprocess.run(
            [sys.executable, "-m", "newsreader.probe", *probe],
            cwd=REPO, env=stack.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, (probe, result.stdout, result.stderr)

    assert stack.stop() == 0, stack.tail()
    assert not stack.leftovers
    assert "stopped" in stack.tail(300)


def test_a_worker_killed_mid_extraction_loses_and_duplicates_no_story(make_stack, publisher_server):
    reader = UserFactory()
    site = publisher_server.site("stack-killed", n_items=6)
    # Every story page answers slowly, so the kill lands while pages are being extracted.
    for url, _ in site.articles:
        body = httpx.get(url).content
        publisher_server.route(
            url.removeprefix(publisher_server.base_url),
            body=body,
            headers={"Content-Type": "text/html; charset=utf-8"},
            delay=3,
        )
    publisher_server.clear_requests()
    stack = make_stack(CELERY_VISIBILITY_TIMEOUT=10)
    browser = Browser(stack.base_url)
    browser.sign_in(reader.username)

    browser.follow(site.feed_url)
    article_paths = {url.removeprefix(publisher_server.base_url) for url, _ in site.articles}
    wait_for(
        lambda: any(r.path in article_paths for r in publisher_server.requests), timeout=90, why=stack.tail
    )
    doomed = stack.pid("worker-extraction")
    os.killpg(doomed, signal.SIGKILL)  # the worker and its pool processes, mid-task
    waiting_at_kill = (
        Article.objects.filter(feed__url=site.feed_url).exclude(extraction_status="extracted").count()
    )

    # bin/stack starts another extraction worker; the tasks the dead one held come back after the
    # visibility timeout and are done once.
    wait_for(lambda: extracted(site.feed_url) == 6, timeout=150, tick=1, why=stack.tail)
    assert waiting_at_kill > 0
    assert stack.pid("worker-extraction") != doomed
    log = stack.tail(10**8)
    before_kill, _, after_kill = log.partition("worker-extraction exited with -9")
    held = set(re.findall(r"articles?_extract\[([0-9a-f-]+)\] received", before_kill)) - set(
        re.findall(r"articles?_extract\[([0-9a-f-]+)\] succeeded", before_kill)
    )
    assert held and held <= set(re.findall(r"articles?_extract\[([0-9a-f-]+)\] succeeded", after_kill))
    urls = list(Article.objects.filter(feed__url=site.feed_url).values_list("url", flat=True))
    assert sorted(urls) == sorted(url for url, _ in site.articles)  # none lost, none twice
    assert stack.stop() == 0, stack.tail()


def test_the_stack_recovers_by_itself_after_redis_restarts(make_stack, private_redis, publisher_server):
    reader = UserFactory()
    stack = make_stack()
    browser = Browser(stack.base_url)
    browser.sign_in(reader.username)
    wait_for(lambda: stack.healthz()[0] == 200, timeout=60, why=stack.tail)

    private_redis.stop()
    status, health = wait_for(lambda: (h := stack.healthz())[0] == 503 and h, timeout=30, why=stack.tail)
    assert health["checks"]["broker"]["ok"] is False
    assert health["checks"]["database"]["ok"] is True
    time.sleep(5)  # the workers and beat notice the loss and start retrying
    private_redis.start()
    back_at = time.time()

    # Heartbeats flow again (beat -> Redis -> worker), and a feed followed now is ingested end to end.
    def heartbeat_since_restart() -> bool:
        status, health = stack.healthz()
        return status == 200 and health["checks"]["heartbeat"]["age_seconds"] < time.time() - back_at

    wait_for(heartbeat_since_restart, timeout=90, why=stack.tail)
    site = publisher_server.site("stack-after-restart", n_items=3)
    browser.follow(site.feed_url)
    wait_for(lambda: extracted(site.feed_url) == 3, timeout=120, why=stack.tail)
    assert stack.stop() == 0, stack.tail()


def test_bin_stack_refuses_to_run_without_postgres_and_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATA_DIR"] = str(tmp_path)

    result = subprocess.run(
        [sys.executable, str(REPO / "bin" / "stack")], cwd=REPO, env=env, capture_output=True, text=True
    )

    assert result.returncode == 2
    assert "DATABASE_URL=postgres://" in result.stderr
