"""Warmup settings, read from the environment.

Every variable is listed in docs/configuration.md. DEBUG defaults to true so that a checkout
just works; development defaults (a throw-away SECRET_KEY, a published encryption key) apply only
when DEBUG is true. With DEBUG=false the system checks in warmup_site/checks.py refuse to start
without real values, and the WSGI application refuses to start unless DEBUG was set explicitly.
"""

import os
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from warmup_site.env import (
    env_bool,
    env_float,
    env_int,
    env_int_list,
    env_list,
    env_map,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
DEBUG_EXPLICIT = bool(os.environ.get("DEBUG", "").strip())

# Published on purpose: it only ever protects development data.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
DEV_ENCRYPTION_KEY = "uP9irbnhJCGuAIUUlQKLsvFjLwHnhDnILtMsJBuqPA0="

SECRET_KEY = env_str("SECRET_KEY") or (DEV_SECRET_KEY if DEBUG else "")
# Without SECRET_KEY in production mode check warmup.E001 stops every command and the WSGI app;
# Django itself refuses an empty key, so keep a placeholder the check recognises.
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    SECRET_KEY = "missing-secret-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

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
    "drf_spectacular_sidecar",
    "django_q",
    "axes",
    "csp",
    "warmup_site",
    "accounts",
    "providers",
    "domains",
    "ips",
    "engagement",
    "reputation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "warmup_site.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database outage answers 503 with Retry-After, not a 500 (warmup_site/outage.py).
    "warmup_site.outage.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "warmup_site.urls"
WSGI_APPLICATION = "warmup_site.wsgi.application"

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
                "accounts.context_processors.current_account",
            ],
        },
    },
]

# The API's hot paths (token lookup, routing) run as prepared statements on PostgreSQL
# (warmup_site/db.py); turn off behind a connection pooler in transaction mode.
WARMUP_DB_PREPARED_STATEMENTS = env_bool("WARMUP_DB_PREPARED_STATEMENTS", True)

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        # A kept connection is checked before the first query of each request, so a database
        # restart costs no request a stale-connection error (warmup_site/postgresql/base.py:
        # without a round trip).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend with a health check that costs no round trip (warmup_site/postgresql).
    DATABASES["default"]["ENGINE"] = "warmup_site.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the scheduler writes; the busy timeout makes writers
    # queue instead of failing with "database is locked"; IMMEDIATE takes the write lock at the
    # start of a transaction so that two writers never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Login lockout (django-axes) ----------------------------------------------------------------
# The login page, the admin's and POST /api/v1/auth/token/ lock a username, and a client
# address, after this many failures within the cool-off; kept in the database (works across
# workers and hosts without Redis). Operators lift a lock early with
# `manage.py axes_reset_username USERNAME` or `axes_reset_ip ADDRESS` (docs/operations.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("WARMUP_LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = env_int("WARMUP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("WARMUP_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
# By username (any address) and by address (any username): each is locked on its own.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Attempts during a lockout do not extend it, so the time the message gives is when it ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "warmup_site.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development static files come from the app folders; only production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind TLS (docs/configuration.md): redirect plain HTTP to HTTPS and ask browsers to use HTTPS
# only (HSTS). Off by default: a deployment without TLS would lock itself out.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Addresses (or networks) of our own reverse proxies: only they are believed about the client's
# address (X-Forwarded-For), for throttling and the login lockout (warmup_site/client_ip.py).
WARMUP_TRUSTED_PROXIES = env_list("WARMUP_TRUSTED_PROXIES")

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from our own origin
# only — pages, the admin, Swagger UI (its start-up script is a separate file, see urls.py) and
# plotly charts (vendored, like every asset). No inline script can run. Inline styles are
# allowed: plotly.js adds a <style> element of its own when it loads (plotly.js issue #2355)
# and sets style attributes, as Swagger UI does; styles cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Django's error reports (and the DEBUG error page) hide credentials inside URL settings too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "warmup_site.debug.ExceptionReporterFilter"

# The largest request body accepted (bytes): a documented batch of 10,000 delivery events with
# long SMTP replies (a realistic one is about 2.9 MB). Larger bodies get a JSON 413.
WARMUP_MAX_REQUEST_BYTES = env_int("WARMUP_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = WARMUP_MAX_REQUEST_BYTES

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAccountMember"],
    # JSON only: form data has no types (a missing boolean reads as false, "0" as a number),
    # so it could not mean what the schema says; any other body is a 415.
    "DEFAULT_PARSER_CLASSES": ["warmup_site.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "warmup_site.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "warmup_site.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Warmup API",
    "DESCRIPTION": (
        "Routing decisions and delivery events for the sending pipeline, and domain and IP "
        "warm-up for customers. Authenticate with `Authorization: Token <token>` "
        "(POST /api/v1/auth/token/)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers, declared once (warmup_site/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "warmup_site.openapi.error_responses",
    ],
}

# --- Scheduler (django-q2) ------------------------------------------------------------------------
Q_CLUSTER = {
    # The queue's name (its Redis keys start with django_q:<name>:): installations, or test
    # runs, that share one Redis need different names.
    "name": env_str("WARMUP_Q_NAME", "warmup"),
    "workers": env_int("WARMUP_Q_WORKERS", 2, minimum=1),
    "timeout": 600,
    "retry": 720,
    "max_attempts": 3,
    "catch_up": False,  # our jobs catch up themselves, keyed by date
    "save_limit": 1000,
    "label": "Task queue",
    # A qcluster started with Q_CLUSTER_NAME=<name> serves a queue of its own, for tasks sent
    # with async_task(..., cluster=<name>) (django-q2 needs this key to be present for it).
    "ALT_CLUSTERS": {},
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Warmup ---------------------------------------------------------------------------------------
WARMUP_ENCRYPTION_KEYS = env_list("WARMUP_ENCRYPTION_KEYS") or (
    [DEV_ENCRYPTION_KEY] if DEBUG else []
)
WARMUP_DNS_NAMESERVERS = env_list("WARMUP_DNS_NAMESERVERS")
WARMUP_DNS_TIMEOUT = env_float("WARMUP_DNS_TIMEOUT", 3.0, minimum=0.1)
WARMUP_DNS_CONCURRENCY = env_int("WARMUP_DNS_CONCURRENCY", 64, minimum=1)
WARMUP_SMTP_URL = env_str("WARMUP_SMTP_URL")
WARMUP_SPF_INCLUDE = env_str("WARMUP_SPF_INCLUDE", "_spf.warmup.invalid")
WARMUP_RETURN_PATH_TARGET = env_str("WARMUP_RETURN_PATH_TARGET", "bounces.warmup.invalid")
# Verified domains (domains app): <prefix>-<yyyymm>-<4 hex>._domainkey.<domain> for DKIM,
# <prefix>.<domain> CNAME WARMUP_RETURN_PATH_TARGET for the return path, and how often one
# domain may be checked on demand ("verify now"; the background job is not limited).
WARMUP_DKIM_SELECTOR_PREFIX = env_str("WARMUP_DKIM_SELECTOR_PREFIX", "warmup").lower()
WARMUP_RETURN_PATH_PREFIX = env_str("WARMUP_RETURN_PATH_PREFIX", "bounces").lower()
WARMUP_VERIFY_MIN_INTERVAL = env_int("WARMUP_VERIFY_MIN_INTERVAL", 60, minimum=1)
WARMUP_SANDBOX = env_bool("WARMUP_SANDBOX", False)
# Dedicated IPs (ips app): the DNS blocklists every IP is checked against before and during
# warm-up, and how often IPs that are sending are re-checked.
WARMUP_DNSBL_ZONES = env_list(
    "WARMUP_DNSBL_ZONES", "zen.spamhaus.org,bl.spamcop.net,b.barracudacentral.org"
)
WARMUP_IP_RECHECK_HOURS = env_int("WARMUP_IP_RECHECK_HOURS", 6, minimum=1)
# API authentication keeps digest → credential per process this long (0: never); a revoked
# token stops working in other processes within it (accounts/selectors.py).
WARMUP_TOKEN_CACHE_SECONDS = env_int("WARMUP_TOKEN_CACHE_SECONDS", 5, minimum=0)
# Loopback addresses (127.0.0.0/8, ::1) as sending IPs: only for integration tests and labs that
# run an MTA and its "providers" on one machine (integrations/haraka's end-to-end test).
WARMUP_ALLOW_LOOPBACK_IPS = env_bool("WARMUP_ALLOW_LOOPBACK_IPS", False)
# Routing keeps each account's pool and IP configuration per process this long (0: never);
# caps, suspensions and readiness are checked by every claim regardless (ips/services/routing.py).
WARMUP_ROUTING_CACHE_SECONDS = env_int("WARMUP_ROUTING_CACHE_SECONDS", 5, minimum=0)
# Domain warm-up (engagement app). See docs/configuration.md for each one.
WARMUP_SENDER_LOCALPART = env_str("WARMUP_SENDER_LOCALPART", "hello")
# Messages per provider per day, day 1 to the last day of the ramp.
WARMUP_DOMAIN_RAMP = env_int_list("WARMUP_DOMAIN_RAMP", "5,8,12,18,25,35,50", minimum=1)
# Sends are spread over these UTC hours [start, end) with jitter.
WARMUP_WAKING_HOURS = env_int_list("WARMUP_WAKING_HOURS", "7,22", length=2)
# A spam spike (a day's spam share above this, and up 20 points on the day before) holds the
# volume for two days.
WARMUP_SPAM_HOLD_THRESHOLD = env_float("WARMUP_SPAM_HOLD_THRESHOLD", 0.2, minimum=0)
WARMUP_GRADUATE_INBOX_RATE = env_float("WARMUP_GRADUATE_INBOX_RATE", 0.9, minimum=0)
WARMUP_GRADUATE_MIN_PLACEMENTS = env_int("WARMUP_GRADUATE_MIN_PLACEMENTS", 20, minimum=1)
WARMUP_ATTENTION_AFTER_DAYS = env_int("WARMUP_ATTENTION_AFTER_DAYS", 21, minimum=1)
# Faster along the ramp when yesterday's inbox rate was at least this (and most of it was
# engaged with), but never more than WARMUP_DOMAIN_MAX_GROWTH times yesterday's volume.
WARMUP_DOMAIN_FAST_INBOX_RATE = env_float("WARMUP_DOMAIN_FAST_INBOX_RATE", 0.8, minimum=0)
WARMUP_DOMAIN_MAX_GROWTH = env_float("WARMUP_DOMAIN_MAX_GROWTH", 2.0, minimum=1)
# A plan stops by itself when the seeds engaged with none of this many days' mail.
WARMUP_DOMAIN_STALL_DAYS = env_int("WARMUP_DOMAIN_STALL_DAYS", 4, minimum=2)
# Per provider: maintenance after graduation, the re-warm threshold and the limits of the
# customer's own mail (a TOML data file; docs/operations.md).
WARMUP_DOMAIN_PLAN_FILE = Path(
    env_str("WARMUP_DOMAIN_PLAN_FILE", str(BASE_DIR / "domains" / "warmup_plan.toml"))
)
# A provider with consumer mailboxes needs at least this many active seeds (operator alert).
WARMUP_SEEDS_PER_PROVIDER = env_int("WARMUP_SEEDS_PER_PROVIDER", 3, minimum=1)
# What seeds do with a message they found (probabilities 0..1) and how long they wait first.
WARMUP_RESCUE_PROBABILITY = env_float("WARMUP_RESCUE_PROBABILITY", 1.0, minimum=0)
WARMUP_READ_PROBABILITY = env_float("WARMUP_READ_PROBABILITY", 0.9, minimum=0)
WARMUP_FLAG_PROBABILITY = env_float("WARMUP_FLAG_PROBABILITY", 0.35, minimum=0)
WARMUP_REPLY_PROBABILITY = env_float("WARMUP_REPLY_PROBABILITY", 0.25, minimum=0)
WARMUP_THREAD_PROBABILITY = env_float("WARMUP_THREAD_PROBABILITY", 0.3, minimum=0)
WARMUP_ACTION_DELAY_MINUTES = env_int_list("WARMUP_ACTION_DELAY_MINUTES", "5,90", length=2)
WARMUP_FILE_DELAY_MINUTES = env_int_list("WARMUP_FILE_DELAY_MINUTES", "60,360", length=2)
WARMUP_MISSING_AFTER_HOURS = env_int("WARMUP_MISSING_AFTER_HOURS", 6, minimum=1)
WARMUP_RETENTION_DAYS = env_int("WARMUP_RETENTION_DAYS", 14, minimum=1)
WARMUP_FOLDER = env_str("WARMUP_FOLDER", "Warmup")
# Placement tests of a customer's own campaign are looked for this long, then expire.
WARMUP_PLACEMENT_TEST_HOURS = env_int("WARMUP_PLACEMENT_TEST_HOURS", 24, minimum=1)

# Seed mailboxes (engagement/seedclient): IMAP timeouts and the per-host connection limit.
# The limit is held with slot files under WARMUP_IMAP_SLOT_DIR, so it covers every worker
# process on this machine (engagement/seedclient/limits.py); Gmail allows about 15.
WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST = env_int(
    "WARMUP_IMAP_MAX_CONNECTIONS_PER_HOST", 10, minimum=1
)
WARMUP_IMAP_CONNECTION_WAIT = env_float("WARMUP_IMAP_CONNECTION_WAIT", 60.0, minimum=0.0)
WARMUP_IMAP_TIMEOUT = env_float("WARMUP_IMAP_TIMEOUT", 30.0, minimum=1.0)
# A seed's IMAP connection is kept open this long after a sweep, for the next one (0: never).
WARMUP_IMAP_KEEP_SECONDS = env_int("WARMUP_IMAP_KEEP_SECONDS", 900, minimum=0)
WARMUP_IMAP_SLOT_DIR = Path(
    env_str("WARMUP_IMAP_SLOT_DIR", str(Path(tempfile.gettempdir()) / "warmup-imap-slots"))
)
# false accepts self-signed certificates on seed IMAP/SMTP connections (a test server only).
WARMUP_IMAP_TLS_VERIFY = env_bool("WARMUP_IMAP_TLS_VERIFY", True)
# The sandbox world (engagement/sandbox, docs/sandbox.md): an SMTP server standing in for the
# mailbox providers, delivering into maildirs under WARMUP_SANDBOX_DIR.
WARMUP_SANDBOX_DIR = Path(env_str("WARMUP_SANDBOX_DIR", str(BASE_DIR / ".sandbox")))
# `make run PORT=8001` must be able to run beside `make run`: unless they are set, the sandbox's
# ports follow the web port (PORT, which make run exports): 2525 and 2526 for 8000, 2527 and
# 2528 for 8001, … (ports below 8000, or too high, keep 2525 and 2526).
_WEB_PORT = env_int("PORT", 8000, minimum=1)
_SANDBOX_BASE = 2525 + 2 * (_WEB_PORT - 8000) if 8000 <= _WEB_PORT < 8000 + 30000 else 2525
WARMUP_SANDBOX_SMTP_PORT = env_int("WARMUP_SANDBOX_SMTP_PORT", _SANDBOX_BASE, minimum=1)
# The world's reputation model, per provider (a TOML data file; docs/sandbox.md).
WARMUP_SANDBOX_MODEL_FILE = Path(
    env_str(
        "WARMUP_SANDBOX_MODEL_FILE", str(BASE_DIR / "engagement" / "sandbox" / "reputation.toml")
    )
)
if WARMUP_SANDBOX and not WARMUP_SMTP_URL:
    # In sandbox mode warm-up mail goes to the world unless a relay is configured explicitly;
    # the engagement app reads only WARMUP_SMTP_URL, so both modes share one sending path.
    WARMUP_SMTP_URL = f"smtp://127.0.0.1:{WARMUP_SANDBOX_SMTP_PORT}?tls=none"

# Reputation (reputation app, docs/reputation.md): daily snapshots per (subject, provider, day).
# The verdict looks at a window of this many days ending on the snapshot's day.
WARMUP_REPUTATION_WINDOW_DAYS = env_int("WARMUP_REPUTATION_WINDOW_DAYS", 2, minimum=1)
# The first run computes this many past days; later runs catch up every day they missed.
WARMUP_REPUTATION_BACKFILL_DAYS = env_int("WARMUP_REPUTATION_BACKFILL_DAYS", 7, minimum=0)
# A day's snapshots are final once computed this long after the day ended (late events).
WARMUP_REPUTATION_FINALIZE_MINUTES = env_int("WARMUP_REPUTATION_FINALIZE_MINUTES", 60, minimum=0)
WARMUP_REPUTATION_RETENTION_DAYS = env_int("WARMUP_REPUTATION_RETENTION_DAYS", 400, minimum=30)
WARMUP_DELIVERY_EVENT_RETENTION_DAYS = env_int(
    "WARMUP_DELIVERY_EVENT_RETENTION_DAYS", 90, minimum=7
)
# Overrides of the verdict's thresholds (reputation/verdict.py Thresholds), key=value pairs.
WARMUP_REPUTATION_THRESHOLDS = env_map("WARMUP_REPUTATION_THRESHOLDS")
# The providers' feeds. In sandbox mode they default to the sandbox's feed server.
WARMUP_SANDBOX_FEEDS_PORT = env_int("WARMUP_SANDBOX_FEEDS_PORT", _SANDBOX_BASE + 1, minimum=1)
_FEEDS = f"http://127.0.0.1:{WARMUP_SANDBOX_FEEDS_PORT}" if WARMUP_SANDBOX else ""
WARMUP_POSTMASTER_API_URL = env_str(
    "WARMUP_POSTMASTER_API_URL",
    f"{_FEEDS}/postmaster" if _FEEDS else "https://gmailpostmastertools.googleapis.com",
)
WARMUP_GOOGLE_TOKEN_URL = env_str(
    "WARMUP_GOOGLE_TOKEN_URL",
    f"{_FEEDS}/token" if _FEEDS else "https://oauth2.googleapis.com/token",
)
WARMUP_SNDS_URL = env_str(
    "WARMUP_SNDS_URL",
    f"{_FEEDS}/snds" if _FEEDS else "https://sendersupport.olc.protection.outlook.com/snds",
)
WARMUP_FEED_INTERVAL_HOURS = env_int("WARMUP_FEED_INTERVAL_HOURS", 6, minimum=1)
WARMUP_FEED_LOOKBACK_DAYS = env_int("WARMUP_FEED_LOOKBACK_DAYS", 30, minimum=1)
WARMUP_FEED_TIMEOUT = env_float("WARMUP_FEED_TIMEOUT", 20.0, minimum=1.0)
# Notifications: mail through Django's e-mail backend, signed webhooks through the task queue.
WARMUP_SITE_URL = env_str("WARMUP_SITE_URL", f"http://127.0.0.1:{_WEB_PORT}").rstrip("/")
WARMUP_OPERATOR_EMAILS = env_list("WARMUP_OPERATOR_EMAILS")
WARMUP_NOTIFY_MAX_AGE_HOURS = env_int("WARMUP_NOTIFY_MAX_AGE_HOURS", 48, minimum=1)
WARMUP_WEBHOOK_TIMEOUT = env_float("WARMUP_WEBHOOK_TIMEOUT", 10.0, minimum=1.0)
WARMUP_WEBHOOK_MAX_ATTEMPTS = env_int("WARMUP_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Warmup <warmup@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# make run prints mail on the console; production sets EMAIL_BACKEND/EMAIL_HOST (Django's own).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if WARMUP_SANDBOX
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "no_permission_denied_traceback": {
            "()": "warmup_site.logfilters.NoPermissionDeniedTraceback"
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its own (in
        # DEBUG) and lets it propagate to ours: every 404 and 403 was printed twice.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["no_permission_denied_traceback"]},
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every login at INFO; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
        # aiosmtpd (the sandbox world, test sinks) logs every SMTP command and connection at
        # INFO: the console of `make run` would be nothing but HELO, MAIL, RCPT, DATA.
        "mail.log": {"level": "WARNING"},
    },
}
