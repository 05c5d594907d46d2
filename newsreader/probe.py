"""Container health probes: `python -m newsreader.probe web [PORT]|worker NAME|beat`; exit 0 means healthy.

- web: GET /healthz/live on this container's gunicorn (port 8000), with a Host header ALLOWED_HOSTS accepts.
- worker NAME: the Celery worker `NAME@<this hostname>` answers a ping through the broker.
- beat: the scheduler's heartbeat reached a worker recently (see newsreader/health.py).
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request


def _allowed_host() -> str:
    from django.conf import settings

    for host in settings.ALLOWED_HOSTS:
        if host != "*":
            return host.lstrip(".")
    return "localhost"


def probe_web(port: int = 8000) -> bool:
    from django.conf import settings

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz/live", headers={"Host": _allowed_host()}
    )
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        request.add_header("X-Forwarded-Proto", "https")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status == 200


def probe_worker(name: str) -> bool:
    from newsreader.celery import app

    node = f"{name}@{socket.gethostname()}"
    return bool(app.control.ping(destination=[node], timeout=5.0))


def probe_beat() -> bool:
    import django
    from django.conf import settings

    django.setup()
    from newsreader.health import heartbeat_age

    age = heartbeat_age()
    return age is not None and age <= settings.HEALTH_HEARTBEAT_MAX_AGE


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsreader.settings")
    try:
        if argv[:1] == ["web"] and len(argv) <= 2:
            ok = probe_web(int(argv[1]) if len(argv) == 2 else 8000)
        elif argv[:1] == ["worker"] and len(argv) == 2:
            ok = probe_worker(argv[1])
        elif argv[:1] == ["beat"]:
            ok = probe_beat()
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as exc:
        print(f"unhealthy: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print("healthy" if ok else "unhealthy")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
