"""Django settings for Ballotguard.

Everything secret or deployment-specific comes from the environment (see docs/operations.md):

- ``BALLOTGUARD_SECRET_KEY``: Django's signing key.
- ``BALLOTGUARD_FIELD_KEYS``: the keys that encrypt personal fields at rest, ``kid:base64key`` pairs
  separated by commas, newest first. Several keys allow rotation: new data is sealed with the first,
  old data opens with whichever key sealed it.
- ``DATABASE_URL``: ``sqlite:///path`` (default ``var/ballotguard.sqlite3``) or ``postgres://user@host:port/db``.
- ``BALLOTGUARD_DEBUG``: ``1`` for development only.
- ``BALLOTGUARD_ALLOWED_HOSTS``: comma-separated host names.
- ``BALLOTGUARD_EVIDENCE_ROOT``: where sealed evidence files are kept (default ``var/evidence``).
- ``BALLOTGUARD_MATCH_KEY``: the key of the hashes that match observables across incidents (default:
  derived from the secret key; set it once and keep it).

``scripts/run.sh`` writes ``var/secrets.env`` with freshly generated keys on the first demo run, so no
key is ever committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BALLOTGUARD_VAR_DIR", BASE_DIR / "var"))


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(
            f"{name} is not set. Run `make run` once to generate development secrets in var/secrets.env, "
            "or set it in the environment (see docs/operations.md)."
        )
    return value


def _database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        name = path[1:] if path.startswith("//") else path or str(VAR_DIR / "ballotguard.sqlite3")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # WAL lets readers carry on while the task worker writes; IMMEDIATE avoids
                # "database is locked" upgrades from read to write transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
            },
            "TEST": {"NAME": os.environ.get("BALLOTGUARD_SQLITE_TEST_NAME") or None},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "ballotguard",
            "USER": unquote(parsed.username or "postgres"),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "127.0.0.1",
            "PORT": str(parsed.port or 5432),
            "CONN_MAX_AGE": 60,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (use sqlite or postgres)")


DEBUG = os.environ.get("BALLOTGUARD_DEBUG", "0") == "1"
# Commands that only read and write files (``score-messages``, ``detect-campaigns``, training) run
# without the service's secrets, so an analyst can run them anywhere: ``ballotguard.cli`` sets
# BALLOTGUARD_FILE_ONLY for them. Nothing they sign outlives the process, so a throwaway key is safe,
# and with no field keys any attempt to read personal data fails loudly. The web service refuses to
# start in this mode (``wsgi.py``).
FILE_ONLY = os.environ.get("BALLOTGUARD_FILE_ONLY") == "1"
if FILE_ONLY:
    import secrets as _secrets

    SECRET_KEY = os.environ.get("BALLOTGUARD_SECRET_KEY") or _secrets.token_urlsafe(50)
    FIELD_ENCRYPTION_KEYS = os.environ.get("BALLOTGUARD_FIELD_KEYS", "")
else:
    SECRET_KEY = _env("BALLOTGUARD_SECRET_KEY")
    FIELD_ENCRYPTION_KEYS = _env("BALLOTGUARD_FIELD_KEYS")
ALLOWED_HOSTS = [h for h in os.environ.get("BALLOTGUARD_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("BALLOTGUARD_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "ballotguard.accounts",
    "ballotguard.registry",
    "ballotguard.incidents",
    "ballotguard.monitoring",
    "ballotguard.safety",
    "ballotguard.checkins",
    "ballotguard.outreach",
    "ballotguard.insights",
    "ballotguard.sharing",
    "ballotguard.survey",
    "ballotguard.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # English or Welsh: the language cookie set by the toggle on every page, else the browser's
    # Accept-Language, else English (the Welsh Language Standards bind the four Welsh forces).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ballotguard.accounts.middleware.RequireMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so its answers carry the headers above; still before any view or CSRF check reads the body.
    "ballotguard.core.middleware.HostileInputMiddleware",
]

ROOT_URLCONF = "ballotguard.urls"
WSGI_APPLICATION = "ballotguard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ballotguard" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "ballotguard.accounts.context_processors.navigation",
                "ballotguard.core.context_processors.page_assets",
            ],
            "builtins": ["ballotguard.core.templatefilters"],
            # ballotguard.core is not an app, so its template filters are named here.
            "libraries": {"bg_i18n": "ballotguard.core.templatetags.bg_i18n", "bg_sorting": "ballotguard.core.templatetags.bg_sorting"},
        },
    }
]

DATABASES = {"default": _database_from_url(os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ballotguard.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Passwords: Argon2id first; lockout after repeated failures (django-axes) keyed on user and address.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("BALLOTGUARD_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

# Cookies and transport. Browsers treat 127.0.0.1 and localhost as secure contexts, so Secure cookies
# work in the demo too; production sits behind TLS.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_FAILURE_VIEW = "ballotguard.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if os.environ.get("BALLOTGUARD_BEHIND_TLS_PROXY") == "1" else None
SECURE_SSL_REDIRECT = os.environ.get("BALLOTGUARD_SSL_REDIRECT") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("BALLOTGUARD_HSTS_SECONDS", "0"))

STATIC_URL = "static/"

# Content-Security-Policy: no inline script, no third-party origins. GOV.UK Frontend's one inline
# snippet (adding `js-enabled` to <body>) is replaced by a static file.
from csp.constants import NONE, SELF  # noqa: E402

# The one inline script is the import map that lets vega-interpreter (an ES module) find "vega-util"
# (static/js/vega-util-shim.js); it is allowed by its hash, which is computed here from the same text
# the template prints, so the two cannot drift apart.
IMPORT_MAP = json.dumps({"imports": {"vega-util": "/" + STATIC_URL.lstrip("/") + "js/vega-util-shim.js"}}, separators=(",", ":"))
_IMPORT_MAP_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode() + "'"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, _IMPORT_MAP_HASH],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Uploads: refuse anything large before it is read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Uploads (evidence, imports) are streamed to disk by ``core.uploads.LimitedUploadHandler``, which
# stops reading a file as soon as it passes the largest size any upload may have.
FILE_UPLOAD_HANDLERS = ["ballotguard.core.uploads.LimitedUploadHandler"]
EVIDENCE_ROOT = Path(os.environ.get("BALLOTGUARD_EVIDENCE_ROOT", VAR_DIR / "evidence"))
MATCH_KEY = os.environ.get("BALLOTGUARD_MATCH_KEY", "")
BALLOTGUARD_MAX_IMPORT_BYTES = int(os.environ.get("BALLOTGUARD_MAX_IMPORT_BYTES", str(50 * 1024 * 1024)))
# Candidate files larger than this are imported by the task worker, with progress on the imports page
# (the 4,515 GE2024 candidates are 330 kB; 100,000 rows are about 10 MB).
BALLOTGUARD_IMPORT_INLINE_BYTES = int(os.environ.get("BALLOTGUARD_IMPORT_INLINE_BYTES", str(2 * 1024 * 1024)))
# Retention (docs/operations.md, "Retention"): data keys live outside the database, so that
# destroying one erases what it sealed in every database backup too; keep the key store out of
# long-lived backups. Periods in days, applied by `ballotguard apply-retention`.
BALLOTGUARD_KEYSTORE_DIR = Path(os.environ.get("BALLOTGUARD_KEYSTORE_DIR", VAR_DIR / "keystore"))
BALLOTGUARD_RETENTION = {
    # Unsuccessful candidates' handed-over contact details, counted from election day (>= 21: petitions).
    "contact_details_after_election_days": int(os.environ.get("BALLOTGUARD_RETAIN_CONTACT_DAYS", "90")),
    # Where people went on a check-in and their buddy's e-mail and phone, counted from check-out.
    "checkin_locations_days": int(os.environ.get("BALLOTGUARD_RETAIN_CHECKIN_DAYS", "7")),
    # Closed incidents are minimised (content erased, facts and references kept), counted from closure.
    "closed_incidents_minimise_days": int(os.environ.get("BALLOTGUARD_RETAIN_CLOSED_INCIDENT_DAYS", str(365 * 2))),
    # Monitoring messages not promoted to an incident, counted from when they were sent: long enough for
    # a course of conduct and the coordination analysis, short for third parties' words. Their review
    # decisions go with them (retrain with --with-review-feedback within the period to keep the lesson).
    "monitoring_messages_days": int(os.environ.get("BALLOTGUARD_RETAIN_MESSAGE_DAYS", "180")),
    # Safety-plan revisions that are not the candidacy's latest, counted from the revision; all of a
    # candidacy's plans go when its contact details are erased (rule above).
    "safety_plan_revisions_days": int(os.environ.get("BALLOTGUARD_RETAIN_SAFETY_PLAN_DAYS", "365")),
}

LANGUAGE_CODE = "en"
# English and Welsh (docs/welsh.md). The catalogues live in ballotguard/locale/; their compiled .mo
# files are committed, so a fresh machine needs no GNU gettext (a test checks each .mo matches its .po).
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "ballotguard" / "locale"]
# The toggle's choice is remembered for a year in a cookie that holds only "en" or "cy".
LANGUAGE_COOKIE_NAME = "bg_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_ROOT = BASE_DIR / "staticfiles"
# GOV.UK Frontend is installed by npm from package-lock.json; its dist folder is served as /static/govuk/.
STATICFILES_DIRS = [
    BASE_DIR / "ballotguard" / "static",
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    # Charts: Vega, Vega-Lite, vega-embed and the CSP-safe expression interpreter, from package-lock.json.
    ("vega", BASE_DIR / "node_modules" / "vega" / "build"),
    ("vega-lite", BASE_DIR / "node_modules" / "vega-lite" / "build"),
    ("vega-embed", BASE_DIR / "node_modules" / "vega-embed" / "build"),
    ("vega-interpreter", BASE_DIR / "node_modules" / "vega-interpreter" / "build"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# GOV.UK Frontend's stylesheet asks for its fonts and images at /assets/ (its $govuk-assets-path):
# serve that folder at the site's root, as GOV.UK's own setup expects.
WHITENOISE_ROOT = BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
WHITENOISE_AUTOREFRESH = DEBUG

# Background work: Django's task framework (django-tasks backport) with a database-backed worker
# (`ballotguard db_worker`), so nothing but the database needs installing.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A background job (candidate import, campaign detection, insights refresh) that has said nothing for
# this many seconds is taken to have died with its worker (killed, out of memory, the machine
# restarted) and is marked failed with a plain reason, so it is not shown as "running" for ever. The
# slowest real job (a 100,000-row import) reports progress every half second; an hour is far past it.
# On SQLite the import's transaction holds the only write lock, so its progress (and heartbeat) is
# seen only when it commits: there no import may run longer than this (core/jobs.py, progress_writes).
BALLOTGUARD_JOB_STALE_AFTER = int(os.environ.get("BALLOTGUARD_JOB_STALE_AFTER", "3600"))

# Abuse scoring: "default" (the committed n-gram model, 0.743 macro-F1 on OLID, ~20,000 msg/s),
# "embeddings" (MiniLM embeddings stacked on it: 0.753, ~150 msg/s), "finetuned" (fine-tuned
# MiniLM: 0.772, ~350 msg/s, fewer false flags), "finetuned-int8" (the same network quantised to
# int8) or "cascade" (the default model, with the int8 network rescoring only the messages near its
# threshold); the optional ones need requirements-embeddings.txt and a network built on the server
# (docs/model-card-abuse.md, "Faster fine-tuned scorers", for their figures).
BALLOTGUARD_ABUSE_SCORER = os.environ.get("BALLOTGUARD_ABUSE_SCORER", "default")
BALLOTGUARD_ABUSE_ENCODER_DIR = Path(os.environ.get("BALLOTGUARD_ABUSE_ENCODER_DIR", VAR_DIR / "models" / "minilm-l6-v2"))
BALLOTGUARD_ABUSE_FINETUNED_DIR = Path(os.environ.get("BALLOTGUARD_ABUSE_FINETUNED_DIR", VAR_DIR / "models" / "abuse-ft-v1"))
BALLOTGUARD_ABUSE_FINETUNED_INT8_DIR = Path(os.environ.get("BALLOTGUARD_ABUSE_FINETUNED_INT8_DIR", VAR_DIR / "models" / "abuse-ft-v1-int8"))
# Threat scoring: "learned" (the committed learned threat model threat-v2 beside the rules, which stay
# a floor; docs/model-card-threats.md) or "rules" (the hand-written rules alone).
BALLOTGUARD_THREAT_SCORER = os.environ.get("BALLOTGUARD_THREAT_SCORER", "learned")
if BALLOTGUARD_THREAT_SCORER not in ("learned", "rules"):
    raise ImproperlyConfigured(f"BALLOTGUARD_THREAT_SCORER must be 'learned' or 'rules', not {BALLOTGUARD_THREAT_SCORER!r}.")

# E-mail: the console in development and the demo; SMTP settings from the environment in production.
# GOV.UK Notify (checkins/notify.py): with an API key, every e-mail and text message goes through
# Notify unless BALLOTGUARD_EMAIL_BACKEND / BALLOTGUARD_SMS_PROVIDER say otherwise.
BALLOTGUARD_NOTIFY_API_KEY = os.environ.get("BALLOTGUARD_NOTIFY_API_KEY", "")
BALLOTGUARD_NOTIFY_BASE_URL = os.environ.get("BALLOTGUARD_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
BALLOTGUARD_NOTIFY_EMAIL_TEMPLATE = os.environ.get("BALLOTGUARD_NOTIFY_EMAIL_TEMPLATE", "")  # subject ((subject)), body ((body))
BALLOTGUARD_NOTIFY_SMS_TEMPLATE = os.environ.get("BALLOTGUARD_NOTIFY_SMS_TEMPLATE", "")  # ((body))
BALLOTGUARD_NOTIFY_CALLBACK_TOKEN = os.environ.get("BALLOTGUARD_NOTIFY_CALLBACK_TOKEN", "")  # the bearer token Notify sends with receipts
BALLOTGUARD_NOTIFY_ATTEMPTS = int(os.environ.get("BALLOTGUARD_NOTIFY_ATTEMPTS", "3"))
EMAIL_BACKEND = os.environ.get("BALLOTGUARD_EMAIL_BACKEND", "ballotguard.checkins.notify.NotifyEmailBackend" if BALLOTGUARD_NOTIFY_API_KEY
                               else "django.core.mail.backends.console.EmailBackend")
# Check-in alerts hold a row lock while they send (exactly-once delivery), so a dead mail server must fail fast.
EMAIL_TIMEOUT = int(os.environ.get("BALLOTGUARD_EMAIL_TIMEOUT", "10"))
# Text messages for check-in alerts: the provider by name, "notify" (GOV.UK Notify), "console" (the
# demo: standard output) or "locmem" (tests), or the dotted path of an operator's own class with
# send_sms(number, text, reference); checkins.notify.sms_provider() is the one place that reads it.
BALLOTGUARD_CHECKIN_SMS_PROVIDER = os.environ.get("BALLOTGUARD_SMS_PROVIDER", "notify" if BALLOTGUARD_NOTIFY_API_KEY else "console")
EMAIL_HOST = os.environ.get("BALLOTGUARD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("BALLOTGUARD_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("BALLOTGUARD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("BALLOTGUARD_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("BALLOTGUARD_EMAIL_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("BALLOTGUARD_FROM_EMAIL", "Ballotguard <no-reply@ballotguard.invalid>")
BALLOTGUARD_BASE_URL = os.environ.get("BALLOTGUARD_BASE_URL", "http://127.0.0.1:8000")

OTP_TOTP_ISSUER = "Ballotguard"
BALLOTGUARD_SERVICE_NAME = "Ballotguard"
# Roles whose sign-in needs a second factor: they see personal data of many people.
# Returning officers see candidates' home addresses, so they need a second factor too (issue 14).
BALLOTGUARD_MFA_ROLES = {"feoa", "analyst", "admin", "returning_officer"}
BALLOTGUARD_PAGE_SIZE = 50
# Rate limits per user and per address (ballotguard.core.throttling): "count/period", period s, min, h or day.
# Over a limit: 429 with Retry-After. Counted in CACHES (per worker unless a shared cache is configured).
BALLOTGUARD_RATE_LIMITS = {
    "sign_in_address": os.environ.get("BALLOTGUARD_RATE_SIGN_IN_ADDRESS", "30/min"),
    "sign_in_username": os.environ.get("BALLOTGUARD_RATE_SIGN_IN_USERNAME", "10/min"),
    "report_user": os.environ.get("BALLOTGUARD_RATE_REPORT_USER", "30/h"),
    "report_address": os.environ.get("BALLOTGUARD_RATE_REPORT_ADDRESS", "120/h"),
    "api_user": os.environ.get("BALLOTGUARD_RATE_API_USER", "600/min"),
    "api_address": os.environ.get("BALLOTGUARD_RATE_API_ADDRESS", "1200/min"),
}
# API tokens always expire: this many days unless the owner picks fewer, and never more than the maximum.
BALLOTGUARD_TOKEN_DEFAULT_DAYS = int(os.environ.get("BALLOTGUARD_TOKEN_DEFAULT_DAYS", "90"))
BALLOTGUARD_TOKEN_MAX_DAYS = int(os.environ.get("BALLOTGUARD_TOKEN_MAX_DAYS", "365"))

# Logs carry request paths and ids, never personal data: request bodies and query strings are not logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_querystrings": {"()": "ballotguard.logging.RedactQueryStrings"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_querystrings"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("BALLOTGUARD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # fpdf2's font subsetting logs every table it prunes at INFO.
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fpdf": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # GOV.UK Notify's client logs each failed request with Notify's error message, which can
        # quote the address; Ballotguard logs the failure itself, by kind and reference only.
        "notifications_python_client": {"handlers": ["console"], "level": "CRITICAL", "propagate": False},
    },
}

# Live message sources (monitoring/connectors). Jetstream is Bluesky's public JSON firehose; the
# resolver turns candidates' registered handles into the DIDs Jetstream names accounts by.
BALLOTGUARD_BLUESKY_JETSTREAM_URL = os.environ.get("BALLOTGUARD_BLUESKY_JETSTREAM_URL", "wss://jetstream2.us-east.bsky.network/subscribe")
BALLOTGUARD_BLUESKY_RESOLVER_URL = os.environ.get("BALLOTGUARD_BLUESKY_RESOLVER_URL", "https://public.api.bsky.app")
BALLOTGUARD_BLUESKY_OVERLAP_SECONDS = float(os.environ.get("BALLOTGUARD_BLUESKY_OVERLAP_SECONDS", "5"))
BALLOTGUARD_BLUESKY_RESOLVE_EVERY = float(os.environ.get("BALLOTGUARD_BLUESKY_RESOLVE_EVERY", "3600"))
BALLOTGUARD_SOURCE_STALL_SECONDS = int(os.environ.get("BALLOTGUARD_SOURCE_STALL_SECONDS", "300"))

# Democracy Club (registry/democracy_club.py, `ballotguard sync-democracy-club`).
BALLOTGUARD_DC_CANDIDATES_URL = os.environ.get("BALLOTGUARD_DC_CANDIDATES_URL", "https://candidates.democracyclub.org.uk/api/next/ballots/")
BALLOTGUARD_DC_ELECTIONS_URL = os.environ.get("BALLOTGUARD_DC_ELECTIONS_URL", "https://elections.democracyclub.org.uk/api/elections/")
