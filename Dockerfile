# syntax=docker/dockerfile:1
# Newsreader: one image for every process (web, workers, beat, migrate); docker-compose.yml picks the command.

# --- Build: a virtualenv with the pinned runtime dependencies only (no test or dev tools) ------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml requirements.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --quiet "pip==25.3" \
 && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
 && /opt/venv/bin/pip install --quiet -r runtime.txt -c requirements.lock

# --- Runtime -------------------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=newsreader.settings \
    PRODUCTION=1 \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 newsreader \
 && useradd --system --uid 10001 --gid newsreader --home-dir /app --no-create-home --shell /usr/sbin/nologin newsreader \
 && mkdir -p /data /app && chown newsreader:newsreader /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app
# Static files are collected (hashed and compressed for whitenoise) into the image; the key exists for this step only.
RUN SECRET_KEY=collectstatic-only-not-a-secret DATA_DIR=/app/.build-data python manage.py collectstatic --noinput -v0 \
 && rm -rf /app/.build-data
USER newsreader
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "newsreader.probe", "web"]
CMD ["sh", "-c", "exec gunicorn newsreader.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --access-logfile - --max-requests 2000 --max-requests-jitter 200"]
