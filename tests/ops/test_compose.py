"""docker-compose.yml and the Dockerfile, checked without a Docker engine (none runs on CI machines)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from newsreader.celery import app

REPO = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker-feeds", "worker-extraction", "worker-default", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _env_example_names() -> set[str]:
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), flags=re.M))


def test_it_has_the_whole_topology(compose):
    assert set(compose["services"]) == {"postgres", "redis"} | APP_SERVICES


def test_every_service_has_an_image_or_a_build(compose):
    for name, service in compose["services"].items():
        assert service.get("image") or service.get("build"), name
    for name in APP_SERVICES:
        assert compose["services"][name]["build"] == "."
        assert compose["services"][name]["env_file"] == ".env"


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"  # one-shot
            continue
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
        assert check.get("interval") and check.get("retries"), name


def test_depends_on_points_at_services_that_can_satisfy_it(compose):
    services = compose["services"]
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            if rule["condition"] == "service_healthy":
                assert services[target].get("healthcheck"), f"{name} waits for {target}'s health check"
            else:
                assert rule["condition"] == "service_completed_successfully"
                assert services[target]["restart"] == "no"
    for name in APP_SERVICES - {"migrate"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_postgres_and_redis_keep_their_data_in_volumes(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert any(v.startswith("redisdata:") for v in services["redis"]["volumes"])
    assert "--appendonly" in services["redis"]["command"]
    assert {"pgdata", "redisdata"} <= set(compose["volumes"])


def test_every_celery_queue_has_a_worker_extraction_gets_every_core_and_feeds_two_processes_a_core(compose):
    consumed = {}
    for name, service in compose["services"].items():
        match = re.search(r"celery -A newsreader worker -Q (\S+)", _command(service))
        if match:
            for queue in match.group(1).split(","):
                consumed.setdefault(queue, []).append(name)

    assert set(consumed) == {q.name for q in app.conf.task_queues}
    assert consumed == {
        "feeds": ["worker-feeds"],
        "extraction": ["worker-extraction"],
        "default": ["worker-default"],
    }
    assert "$(nproc)" in _command(compose["services"]["worker-extraction"]).replace("$$", "$")
    assert "$((2 * $(nproc)))" in _command(compose["services"]["worker-feeds"]).replace("$$", "$")


def test_exactly_one_beat_and_web_runs_gunicorn(compose):
    services = compose["services"]
    beats = [name for name, s in services.items() if re.search(r"celery -A newsreader beat\b", _command(s))]
    assert beats == ["beat"]
    assert "replicas" not in str(services["beat"].get("deploy", {}))
    assert "gunicorn newsreader.wsgi" in _command(services["web"])
    assert services["web"]["ports"] == ["${PORT:-8000}:8000"]


def test_every_variable_it_uses_is_in_env_example():
    text = (REPO / "docker-compose.yml").read_text()
    compose_vars = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))  # interpolated by compose
    shell_vars = set(re.findall(r"\$\$\{([A-Z][A-Z0-9_]*)", text))  # left to the container's shell

    assert compose_vars and shell_vars
    assert compose_vars | shell_vars <= _env_example_names()


def test_the_dockerfile_builds_a_slim_non_root_image_with_collected_static_files():
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]  # build stage, then runtime
    assert "requirements.lock" in text
    assert "COPY --from=build /opt/venv /opt/venv" in text
    assert "collectstatic" in text
    user = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert user and user[-1] not in {"root", "0"}
    assert re.search(r"^CMD .*gunicorn newsreader\.wsgi", text, flags=re.M)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env"} <= set(ignored)


def _compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    pytest.fail("no compose client: install Debian's docker-compose (.ci/run does) or the compose plugin")


def test_docker_compose_accepts_the_file(tmp_path):
    # `config` validates and resolves the file with the client alone; .env.example stands in for .env.
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copy(REPO / ".env.example", tmp_path / ".env")

    result = subprocess.run(
        [*_compose_cli(), "config"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    web_env = resolved["services"]["web"]["environment"]
    assert web_env["DATABASE_URL"] == "postgres://newsreader:change-me@postgres:5432/newsreader"
    assert web_env["PRODUCTION"] == "1"
