"""Follicle's one settings module, driven by the environment.

It fails closed: outside debug there is no default secret key, cookies are secure and HTTPS is
assumed. `make run` writes a local `.env` with debug on; production sets real values (README).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, "")


DEBUG = env_bool("FOLLICLE_DEBUG", False)
TESTING = env_bool("FOLLICLE_TESTING", False)

SECRET_KEY = env_secret("FOLLICLE_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # Only a development or test process may run without a configured key.
        SECRET_KEY = "insecure-development-key-" + "x" * 40  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "FOLLICLE_SECRET_KEY (or FOLLICLE_SECRET_KEY_FILE) must be set when FOLLICLE_DEBUG is off."
        )
# The audit chain is keyed, so a row forged by someone with database access does not verify.
AUDIT_HMAC_KEY = env_secret("FOLLICLE_AUDIT_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("FOLLICLE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("FOLLICLE_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("FOLLICLE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "template_partials",
    "django_htmx",
    "csp",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "follicle.core",
    "follicle.accounts",
    "follicle.reference",
    "follicle.patients",
    "follicle.assessments",
    "follicle.formulations",
    "follicle.treatments",
    "follicle.scheduling",
    "follicle.procedures",
    "follicle.safety",
    "follicle.outcomes",
    "follicle.api",
    "follicle.demo",
]

MIDDLEWARE = [
    "follicle.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "follicle.core.middleware.IdleTimeoutMiddleware",
    "follicle.core.middleware.UserLanguageMiddleware",
    "follicle.core.middleware.ActiveClinicMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

if not (DEBUG or TESTING):
    # Production serves collected, compressed, fingerprinted static files itself (whitenoise);
    # in development and tests Django's staticfiles app serves them from the source tree.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "follicle.urls"
FORM_RENDERER = "follicle.core.forms.FormRenderer"
WSGI_APPLICATION = "follicle.wsgi.application"

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "follicle.core.context_processors.shell",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
VAR_DIR = Path(env_str("FOLLICLE_VAR_DIR", str(PROJECT_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("FOLLICLE_DB_CONN_MAX_AGE", 60))
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "follicle.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers never deadlock
        # upgrading read locks; WAL lets readers go on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
    # A file, not memory, so concurrency tests use real, separate connections.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = env_int("FOLLICLE_PASSWORD_RESET_HOURS", 2) * 3600

# Lockout (django-axes): a user name from one address is locked after this many failures.
AXES_FAILURE_LIMIT = env_int("FOLLICLE_LOCKOUT_ATTEMPTS", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("FOLLICLE_LOCKOUT_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "follicle.accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# Signed-in staff are signed out after this long without a request.
IDLE_TIMEOUT_MINUTES = env_int("FOLLICLE_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = env_int("FOLLICLE_SESSION_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("el", _("Greek"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("FOLLICLE_TIME_ZONE", "Europe/Athens")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("FOLLICLE_STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
# Uploaded images (photos, trichoscopy): refused above these limits (decompression bombs too).
FOLLICLE_UPLOAD_MAX_BYTES = env_int("FOLLICLE_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
FOLLICLE_UPLOAD_MAX_PIXELS = env_int("FOLLICLE_UPLOAD_MAX_PIXELS", 40_000_000)
MEDIA_ROOT = Path(env_str("FOLLICLE_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("FOLLICLE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file-based backend (the local .env default) writes e-mail.
EMAIL_FILE_PATH = Path(env_str("FOLLICLE_EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("FOLLICLE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FOLLICLE_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("FOLLICLE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_secret("FOLLICLE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("FOLLICLE_EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("FOLLICLE_EMAIL_FROM", "Follicle <no-reply@follicle.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks (Huey) ------------------------------------------------------------------
REDIS_URL = env_str("FOLLICLE_REDIS_URL")
HUEY = {
    "name": "follicle",
    "immediate": env_bool("FOLLICLE_TASKS_IMMEDIATE", TESTING),
    "utc": True,
    "consumer": {"workers": env_int("FOLLICLE_WORKERS", 2), "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
_secure = not (DEBUG or TESTING)
SESSION_COOKIE_SECURE = env_bool("FOLLICLE_SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("FOLLICLE_SSL_REDIRECT", _secure)
SECURE_HSTS_SECONDS = env_int("FOLLICLE_HSTS_SECONDS", 31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("FOLLICLE_HSTS_PRELOAD", _secure)
# Turning preload off is a deliberate choice (e.g. subdomains without HTTPS), not an oversight.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD or not _secure else ["security.W021"]
if env_bool("FOLLICLE_BEHIND_PROXY", False):
    # Only behind a TLS-terminating proxy that sets this header and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of us append to X-Forwarded-For (0: use REMOTE_ADDR).
FOLLICLE_PROXY_COUNT = env_int("FOLLICLE_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = FOLLICLE_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if FOLLICLE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# A strict content security policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
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

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
API_TOKEN_PREFIX = "flc_"  # noqa: S105 - a public prefix, not a secret

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("FOLLICLE_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO", "propagate": False},  # the worker adds its own handler
        "django.request": {"level": "ERROR"},
    },
}
