"""Django settings. Values from outside come only through `env.read_environment()`."""

from __future__ import annotations

from typing import Any

import dj_database_url

from crisisgov.config.env import DEV_SECRET_KEY, PROJECT_ROOT, read_environment

ENV = read_environment()
PRODUCTION = ENV.production
BASE_DIR = PROJECT_ROOT
VAR_DIR = ENV.var_dir
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = ENV.secret_key or DEV_SECRET_KEY
DEBUG = ENV.debug and not PRODUCTION
ALLOWED_HOSTS = ENV.allowed_hosts or ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "crisisgov.kernel",
    "crisisgov.geo",
    "crisisgov.directory",
    "crisisgov.exchange",
    "crisisgov.earlywarning",
    "crisisgov.citizen",
    "crisisgov.citizen.queries",
    "crisisgov.citizen.reservations",
    "crisisgov.citizen.approvals",
    "crisisgov.citizen.bulletins",
    "crisisgov.opinion",
    "crisisgov.opinion.rumors",
    "crisisgov.opinion.tickets",
    "crisisgov.drills",
    "crisisgov.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crisisgov.kernel.middleware.ActorMiddleware",
    "crisisgov.kernel.middleware.PrivateResponsesMiddleware",
]

ROOT_URLCONF = "crisisgov.config.urls"
WSGI_APPLICATION = "crisisgov.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        config.setdefault("TEST", {})
        return config
    # The embedded default: SQLite in WAL mode, writers take the lock up front so that
    # concurrent requests queue instead of failing with "database is locked".
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "crisisgov.sqlite3",
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": _database(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENV.redis_url,
            "KEY_PREFIX": "crisisgov",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PROJECT_ROOT / "crisisgov" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PROJECT_ROOT / "crisisgov" / "static"]  # vendored front-end libraries
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Bodies larger than this are refused with 413 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
DEFAULT_EXCEPTION_REPORTER = "crisisgov.kernel.pii_logging.PIIExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "crisisgov.kernel.pii_logging.PIIExceptionReporterFilter"

# Personal-data keys: from the environment or a key file, never the database.
PII_KEYS = ENV.pii_keys
PII_KEY_FILE = ENV.pii_key_file or (str(VAR_DIR / "dev-pii-keys.json") if not PRODUCTION else "")
BLIND_INDEX_KEY = ENV.blind_index_key
# Health-token signing keys (kid:base64, newest signs). Outside production, a development
# key file is created on first use, as for the personal-data keys.
CITIZEN_TOKEN_KEYS = ENV.citizen_token_keys
CITIZEN_TOKEN_DEV_KEY_FILE = "" if PRODUCTION else str(VAR_DIR / "dev-citizen-token-keys.txt")
REDIS_URL = ENV.redis_url
# Where the citizen pages reach the surge edge ("/edge/" behind the proxy of docs/edge.md, or
# another origin such as the demo's http://127.0.0.1:8001/edge/); empty: the pages post to
# Django, which makes the same decision more slowly.
EDGE_URL = ENV.edge_url
# Days a public-opinion message is kept after it arrives; a worker sweep deletes it after.
CRISISGOV_OPINION_RETENTION_DAYS = ENV.opinion_retention_days
MQTT_URL = ENV.mqtt_url  # the broker the sensor listener subscribes to

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "crisisgov.kernel.pii_logging.RedactPIIFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_pii"]},
    },
    "root": {"handlers": ["console"], "level": ENV.log_level},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# How a logged-in user becomes an Actor with jurisdiction scopes (kernel stays domain-free).
CRISISGOV_ACTOR_RESOLVER = "crisisgov.directory.facade.actor_for_user"
# Outside production, serve static files straight from the apps (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
