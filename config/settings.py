"""Settings for Custom Models, read from the environment.

Every knob an operator needs is an environment variable with a default that
works on one machine: SQLite under var/, local media, the ORM as the queue
broker. PostgreSQL, Redis and S3 are switched on by setting their variables.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    # A stable key without configuration: generated once and kept under var/.
    if key := env_str("SECRET_KEY"):
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_q",
    "axes",
    "csp",
    "accounts",
    "custom_models",
    "datasets",
    "training",
    "panel",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "panel.context_processors.membership",
            ],
        },
    },
]

# Database: DATABASE_URL, else a SQLite file under var/ in WAL mode so the web
# server and the qcluster workers can read while one of them writes.
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}
if DATABASE_URL:
    # Health checks drop a connection the server closed (a database restart) before it is reused.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # A SQLite file named by URL (the tests hand theirs to worker processes so) is shared the same way.
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Opening a connection (and its PRAGMAs) per request cost ~2 ms of a ~7 ms status poll.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory, so the integration tests' qcluster and trainer processes share it.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every web worker process (rate limits count in a table of their own: accounts.RateWindow).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table"}
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "panel:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username, or from
# one client address, lock further log-ins for LOGIN_COOLOFF_MINUTES after the last one. Every
# form that checks a password (the panel's, the admin's) goes through the backend below.
AUTHENTICATION_BACKENDS = [
    "accounts.authentication.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "panel.views.login_locked_out"
# Trying while locked out starts the wait again (the lockout page says so).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# Successful log-ins are Django's `last_login`; a table of them per log-in would only grow.
AXES_DISABLE_ACCESS_LOG = True
# The client's address. Behind a reverse proxy every request comes from the proxy: name the
# header the proxy sets (and overwrites) with the client's address, e.g. CLIENT_IP_HEADER=X-Real-IP
# (read through django-ipware; docs/deploy.md).
if CLIENT_IP_HEADER := env_str("CLIENT_IP_HEADER"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_" + CLIENT_IP_HEADER.upper().replace("-", "_"), "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# HTTPS: SECURE_SSL_REDIRECT=true (the app redirects http to https) or HTTPS_ONLY=true (the
# proxy does) marks the site as HTTPS-only: cookies are sent over HTTPS only, and browsers are
# told by HSTS to use nothing else for SECURE_HSTS_SECONDS (default one year).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
HTTPS_ONLY = env_bool("HTTPS_ONLY", SECURE_SSL_REDIRECT)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)

# Content-Security-Policy (django-csp): scripts only from this site's own files (static/vendor
# holds htmx and Uppy), no inline script, no eval (htmx's hx-on and trigger filters are not used).
CONTENT_SECURITY_POLICY = {
    # drf-spectacular's Swagger page is an inline script loading its assets from a CDN.
    "EXCLUDE_URL_PREFIXES": ["/api/v3/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # No inline style attributes or <style> either: htmx's indicator style is switched off
        # (base.html) and Uppy sets styles through the DOM, which the policy allows.
        "style-src": [SELF],
        # data: is the blank favicon, blob: Uppy's previews of the files being uploaded.
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request until collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Uploads are staged on local disk (tus chunks, multipart parts) and moved into
# storage once complete; Django streams request parts larger than this to disk.
UPLOAD_STAGING_DIR = Path(env_str("UPLOAD_STAGING_DIR", str(VAR_DIR / "uploads")))
UPLOAD_STAGING_DIR.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(UPLOAD_STAGING_DIR)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024**3)
TUS_UPLOAD_EXPIRY_HOURS = env_int("TUS_UPLOAD_EXPIRY_HOURS", 24)
SIGNED_URL_SECONDS = env_int("SIGNED_URL_SECONDS", 300)
# The panel spec's floor for training data, in minutes of matched audio.
DATASET_MIN_MINUTES = float(env_str("DATASET_MIN_MINUTES", "10"))
# Text-only training (README "Text-only training"): sentences of text that stand in for the audio
# minimum, the text a model may hold, the longest line, and how many sentences a run speaks.
DATASET_MIN_TEXT_SENTENCES = env_int("DATASET_MIN_TEXT_SENTENCES", 200)
DATASET_MAX_TEXT_BYTES = env_int("DATASET_MAX_TEXT_BYTES", 200 * 1024 * 1024)
DATASET_MAX_TEXT_LINE_CHARS = env_int("DATASET_MAX_TEXT_LINE_CHARS", 1000)
TRAINING_MAX_SYNTHETIC_SENTENCES = env_int("TRAINING_MAX_SYNTHETIC_SENTENCES", 2000)

# Storage: local files by default, S3 (or any S3-compatible endpoint) when a
# bucket is named.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY") or None
    AWS_QUERYSTRING_EXPIRE = env_int("SIGNED_URL_SECONDS", 300)
    AWS_S3_SIGNATURE_VERSION = env_str("AWS_S3_SIGNATURE_VERSION", "s3v4")
    AWS_DEFAULT_ACL = None

# Where base models live when a catalogue entry gives a relative path, and
# where trained custom models are packaged (same layout).
MODELS_DIR = Path(env_str("MODELS_DIR", str(BASE_DIR / "models")))
TRAINED_MODELS_DIR = Path(env_str("TRAINED_MODELS_DIR", str(VAR_DIR / "trained")))
# Minutes of the base's general speech mixed into fine-tuning (at most as much as the
# customer's own), so a custom model does not forget everyday language; 0 turns it off.
TRAINING_REHEARSAL_MINUTES = float(env_str("TRAINING_REHEARSAL_MINUTES", "10"))
# Epochs of every run; 0 lets the engine choose from the amount of data (what users want; the
# integration tests set 1 to keep a real run short).
TRAINING_EPOCHS = env_int("TRAINING_EPOCHS", 0)
# The peak learning rate of every run; 0 lets the engine choose from the amount of data.
TRAINING_LEARNING_RATE = float(env_str("TRAINING_LEARNING_RATE", "0"))
# A custom model worse than its base on the anchor set (everyday speech, training/anchor.py) by
# more than this many WER points ends in Success but is not enabled; an admin may enable it anyway.
TRAINING_MAX_REGRESSION = float(env_str("TRAINING_MAX_REGRESSION", "2"))
# The shares of the trained change a Whisper run may ship (e.g. "1.0" keeps every trained weight);
# empty lets the engine measure its own list (training/engine/whisper/brain.py SHARES).
TRAINING_BLEND_SHARES = tuple(float(x) for x in env_str("TRAINING_BLEND_SHARES", "").split(",") if x.strip())
TRAINING_WORK_DIR = Path(env_str("TRAINING_WORK_DIR", str(VAR_DIR / "training")))
# A run whose trainer shows no sign of life for this long is failed by the sweeper,
# and so is a run still queued after TRAINING_QUEUE_TIMEOUT.
TRAINING_HEARTBEAT_TIMEOUT = env_int("TRAINING_HEARTBEAT_TIMEOUT", 180)
TRAINING_QUEUE_TIMEOUT = env_int("TRAINING_QUEUE_TIMEOUT", 6 * 3600)
# A run whose trainer dies (worker killed, process lost) is queued again and resumes from its
# last epoch's checkpoint (kept in storage under checkpoints/, so any worker can read it); after
# this many trainers have taken it, it fails as before.
TRAINING_MAX_ATTEMPTS = env_int("TRAINING_MAX_ATTEMPTS", 3)

# Background work. Training gets its own, longer timeout per task; the cluster's
# retry must stay longer than any task's timeout or a running task is handed out twice.
TRAINING_TIMEOUT = env_int("TRAINING_TIMEOUT", 4 * 3600)
Q_CLUSTER = {
    "name": "custom_models",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": TRAINING_TIMEOUT,
    "retry": TRAINING_TIMEOUT + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    # How often an idle ORM-broker worker looks for a task (one indexed read): a queued
    # transcription waited 0.5 s on average at 1 s, a tenth of a 10-minute file's work.
    "poll": 0.2,
}
# Training can have a queue of its own, served by `Q_CLUSTER_NAME=<queue> manage.py qcluster`
# on GPU machines; empty means the default cluster trains too.
TRAINING_QUEUE = env_str("TRAINING_QUEUE")
if TRAINING_QUEUE:
    Q_CLUSTER["ALT_CLUSTERS"] = {TRAINING_QUEUE: {"workers": env_int("TRAINING_WORKERS", 1)}}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "model_create": env_str("THROTTLE_MODEL_CREATE", "10/hour"),
        "training_start": env_str("THROTTLE_TRAINING_START", "5/hour"),
        "status_check": env_str("THROTTLE_STATUS_CHECK", "100/min"),
        "data_upload": env_str("THROTTLE_DATA_UPLOAD", "50/hour"),
        # POST /stt and /alignments: production traffic, not training data, so a budget of its own.
        "transcription": env_str("THROTTLE_TRANSCRIPTION", "1000/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `?format=vtt|srt` names a subtitle format in this API, not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Custom Models API",
    "DESCRIPTION": "Train speech-recognition models on your own audio and transcripts.",
    "VERSION": "3",
    "SERVE_INCLUDE_SCHEMA": False,
    # File fields become binary parts of the multipart request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    # config/schema.py: tus HEAD, the error responses, the spec's paths and the links between operations.
    "PREPROCESSING_HOOKS": ["config.schema.head_endpoints"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.schema.postprocess"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
