import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from newsreader.celery import app
from newsreader.jsonlog import CeleryTaskFilter, JsonFormatter

REPO = Path(__file__).resolve().parents[2]


def _capturing_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CeleryTaskFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_it_writes_one_json_object_with_the_extra_fields():
    logger, stream = _capturing_logger("tests.ops.jsonlog.plain")

    logger.info("feed refreshed", extra={"feed_id": 42, "status": 200, "ids": (1, 2), "obj": object()})

    entry = json.loads(stream.getvalue())
    assert entry["message"] == "feed refreshed"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "tests.ops.jsonlog.plain"
    assert entry["feed_id"] == 42 and entry["status"] == 200 and entry["ids"] == [1, 2]
    assert entry["obj"].startswith("<object object")
    assert entry["time"].endswith("+00:00")
    assert "task_id" not in entry


def test_it_keeps_the_traceback():
    logger, stream = _capturing_logger("tests.ops.jsonlog.error")

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("refresh crashed", extra={"feed_id": 7})

    entry = json.loads(stream.getvalue())
    assert "RuntimeError: boom" in entry["exception"]
    assert entry["feed_id"] == 7


@app.task(name="tests.ops.test_jsonlog.log_inside_a_task")
def log_inside_a_task() -> None:
    logging.getLogger("tests.ops.jsonlog.task").info("inside", extra={"feed_id": 9})


def test_it_adds_the_celery_task_id_inside_a_task():
    _, stream = _capturing_logger("tests.ops.jsonlog.task")

    result = log_inside_a_task.apply(task_id="task-1234")

    assert result.successful()
    entry = json.loads(stream.getvalue())
    assert entry["task_id"] == "task-1234"
    assert entry["task_name"] == "tests.ops.test_jsonlog.log_inside_a_task"
    assert entry["feed_id"] == 9


def test_log_format_json_switches_the_console_to_json(tmp_path):
    env = os.environ | {
        "LOG_FORMAT": "json",
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "newsreader.settings",
    }
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('articles.pipeline').warning('feed refresh failed', extra={'feed_id': 5})"
    )

    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True)

    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["message"] == "feed refresh failed"
    assert entry["feed_id"] == 5
    assert entry["level"] == "WARNING"
