"""Settings come from the environment only; README.md lists every variable with its default.

With nothing set, the reader runs on embedded defaults: SQLite in DATA_DIR and a Celery broker on the
file system, so `make run` needs no server. DATABASE_URL and REDIS_URL switch to Postgres and Redis.
"""

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from newsreader.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("PRODUCTION", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when PRODUCTION=1")
    # Only for local runs and tests: production refuses to start without a key (above).
    SECRET_KEY = "insecure-local-development-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "accounts",
    "articles",
    "subscriptions",
    "discovery",
    "compat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "newsreader.security.ContentSecurityPolicyMiddleware",  # ops: CSP header, see "Production" below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "newsreader.urls"
WSGI_APPLICATION = "newsreader.wsgi.application"
ASGI_APPLICATION = "newsreader.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'newsreader.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat share one file: WAL lets readers go on while a worker writes, and
        # IMMEDIATE transactions wait for the write lock instead of failing half-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # Every query here is short, but LIMITs and per-row subqueries make Postgres estimate some far above
    # jit_above_cost: it then spent 10-12 ms compiling a 3 ms unread count. DB_JIT=1 leaves JIT on.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# The pages' compiled queries run as statements prepared once per connection (newsreader/db.py); 0 behind
# a pooler in transaction mode, where a client's next query may reach another server session.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "newsreader.cache.SharedClientRedisCache", "LOCATION": REDIS_URL}}
    # Every page reads the session: from Redis, with the database behind it (a session survives a Redis
    # flush), instead of one more query a page.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Files, not local memory: gunicorn's workers and the Celery worker must share rate limits and progress.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Celery's Django fixup closes the database connection before and after every task unless this is set,
# and a new Postgres connection costs about 18 ms of CPU (a backend to start, its catalog caches to fill).
# Connections are kept across tasks instead, and newsreader/celery.py closes one that failed or is older
# than CONN_MAX_AGE around each task, as Django does around each request. (The fixup still closes them
# after this many tasks.)
CELERY_DB_REUSE_MAX = 1000

# --- Fetching -------------------------------------------------------------------------------------
# Loopback, private, link-local and metadata addresses are refused unless this is set (tests, demo, bench).
FETCH_ALLOW_PRIVATE = env_bool("FETCH_ALLOW_PRIVATE", False)
FETCH_CONNECT_TIMEOUT = env_float("FETCH_CONNECT_TIMEOUT", 5.0)
FETCH_READ_TIMEOUT = env_float("FETCH_READ_TIMEOUT", 10.0)
FETCH_TOTAL_TIMEOUT = env_float("FETCH_TOTAL_TIMEOUT", 30.0)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 10 * 1024 * 1024)
FETCH_MAX_REDIRECTS = 5
FETCH_USER_AGENT = env_str(
    "FETCH_USER_AGENT", "Mozilla/5.0 (compatible; Newsreader/0.1; +https://github.com/newsreader)"
)

# --- Feeds ----------------------------------------------------------------------------------------
FEED_MIN_INTERVAL = env_int("FEED_MIN_INTERVAL", 5 * 60)
FEED_MAX_INTERVAL = env_int("FEED_MAX_INTERVAL", 24 * 60 * 60)
FEED_MAX_ERRORS = env_int("FEED_MAX_ERRORS", 10)
FEED_BATCH_SIZE = env_int("FEED_BATCH_SIZE", 500)
FEED_MAX_ITEMS = env_int("FEED_MAX_ITEMS", 500)
EXTRACT_FULL_TEXT = env_bool("EXTRACT_FULL_TEXT", True)
# How many feeds one task refreshes, and how many of their fetches are in flight at once.
FEED_TASK_BATCH = env_int("FEED_TASK_BATCH", 100)
FETCH_CONCURRENCY = env_int("FETCH_CONCURRENCY", 50)
# Connections open at once to one publisher's host (scheme, host and port) from one worker process; its
# other fetches wait their turn.
FETCH_MAX_PER_HOST = env_int("FETCH_MAX_PER_HOST", 6)
# A worker holds a feed this long; if it dies, the scheduler gives the feed to another worker afterwards.
FEED_LEASE_SECONDS = env_int("FEED_LEASE_SECONDS", 600)
# A story still waiting for its full text this long lost its task (a worker died): it is queued again.
EXTRACT_STALE_SECONDS = env_int("EXTRACT_STALE_SECONDS", 900)
# How many stories one extraction task takes, and how many of their pages are fetched at once meanwhile.
EXTRACT_TASK_BATCH = env_int("EXTRACT_TASK_BATCH", 25)
EXTRACT_FETCH_CONCURRENCY = env_int("EXTRACT_FETCH_CONCURRENCY", 6)

# --- Accounts -------------------------------------------------------------------------------------
SIGNUP_ENABLED = env_bool("SIGNUP_ENABLED", True)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "newsreader@localhost")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- I18n, static ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("PRODUCTION", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "trafilatura": {"level": "ERROR"},
        "htmldate": {"level": "ERROR"},
    },
}

# --- Production, health, metrics, retention (owner: ops) ------------------------------------------
# PRODUCTION=1 turns on what `manage.py check --deploy` asks for. TLS ends at a proxy in front of gunicorn:
# SECURE_PROXY_SSL_HEADER=1 trusts its X-Forwarded-Proto (only set it when that proxy overwrites the header),
# SECURE_SSL_REDIRECT=1 sends plain-HTTP visitors to https (not the health probes, which stay on http).
PRODUCTION = env_bool("PRODUCTION", False)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# newsreader/security.py sends it; no inline scripts or styles, pictures from publishers over https.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
)
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CONTENT_SECURITY_POLICY_REPORT_ONLY", False)

# Broker resilience: a Redis restart or a dead connection is noticed within seconds and retried forever;
# a task held by a worker that died is handed out again after the visibility timeout (keep it longer than
# the longest task and any countdown).
if CELERY_BROKER_URL != "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
            "socket_timeout": 30,
            "socket_connect_timeout": 10,
            "socket_keepalive": True,
            "health_check_interval": 25,
            "retry_on_timeout": True,
            # Look for such abandoned tasks every 10 s (one cheap sorted-set query) instead of every 100 s.
            "unacked_restore_throttle": 1,
        }
    )
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True

# /metrics answers only with `Authorization: Bearer $METRICS_TOKEN` (404 when unset); counters need REDIS_URL.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Beat sends a heartbeat task every HEARTBEAT_INTERVAL s; /healthz fails when the last one is older than this.
HEARTBEAT_INTERVAL = env_int("HEARTBEAT_INTERVAL", 30)
HEALTH_HEARTBEAT_MAX_AGE = env_int("HEALTH_HEARTBEAT_MAX_AGE", 180)
# Stories older than this that nobody saved are deleted (0 keeps everything), in batches, once an hour.
RETENTION_DAYS = env_int("RETENTION_DAYS", 90)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000)

# LOG_FORMAT=json: one JSON object per line, with `extra` fields and the Celery task id.
LOGGING["filters"] = {"celery_task": {"()": "newsreader.jsonlog.CeleryTaskFilter"}}
LOGGING["formatters"]["json"] = {"()": "newsreader.jsonlog.JsonFormatter"}  # type: ignore[index]
LOGGING["handlers"]["console"]["filters"] = ["celery_task"]  # type: ignore[index]
if env_str("LOG_FORMAT", "plain") == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"  # type: ignore[index]

DATA_DIR.mkdir(parents=True, exist_ok=True)

# The file-system broker needs its folders before a worker or the web process touches them.
if CELERY_BROKER_URL == "filesystem://":
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
