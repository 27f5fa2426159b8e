"""Django settings of the maillage web app, read from the environment.

Environment variables
---------------------
MAILLAGE_WEB_DATA
    Data folder (SQLite database, secret key, study folder of the built-in territory).
    Default: ``$XDG_DATA_HOME/maillage/web`` (``~/.local/share/maillage/web``).
DATABASE_URL
    ``postgres://user:password@host:port/name`` for PostgreSQL; SQLite in the data folder
    when unset (``sqlite:///path`` is accepted too).
MAILLAGE_SECRET_KEY
    Django's secret key; generated once into ``<data>/secret_key`` when unset.
MAILLAGE_ALLOWED_HOSTS
    Comma-separated host names served (default: loopback names).
MAILLAGE_DEBUG
    ``1`` for Django's debug mode (never in production).
MAILLAGE_PROGRAMME_DEBUT
    First year of the 6-year action programme (default 2026).
MAILLAGE_LIMITE_FORMULAIRES
    Submissions of each public form allowed per client and hour (default 20).
MAILLAGE_HTTPS
    ``1`` behind an HTTPS reverse proxy: trust its ``X-Forwarded-Proto`` header, secure
    cookies, HSTS, redirect to HTTPS (``manage.py check --deploy`` is then clean).
MAILLAGE_CSRF_TRUSTED_ORIGINS
    Comma-separated origins trusted for forms (default with ``MAILLAGE_HTTPS``:
    ``https://<host>`` for each allowed host).
MAILLAGE_HSTS_SECONDS, MAILLAGE_HSTS_PRELOAD
    HSTS duration with ``MAILLAGE_HTTPS`` (default 31536000, one year); ``1`` to ask
    browsers' preload list (binds the whole domain).
MAILLAGE_LOGIN_ECHECS
    Failed sign-ins per user name and address before a 15-minute lock (default 5).
MAILLAGE_RESPONSABLE, MAILLAGE_CONTACT_RGPD
    Data controller and GDPR contact named in the personal-data notice.
MAILLAGE_CONSERVATION_ANS
    Years contributors' contact details are kept (default 3; ``purger_donnees``).
MAILLAGE_SMTP_HOST (and _PORT, _USER, _PASSWORD), MAILLAGE_COURRIEL_EXPEDITEUR
    SMTP server for password-reset e-mails; without it the e-mails are written as files
    in ``<data>/courriels/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from maillage.web.middleware import DEFAULT_POLICY

PACKAGE_DIR = Path(__file__).resolve().parent


def default_data_dir() -> Path:
    """The web app's data folder: ``MAILLAGE_WEB_DATA`` or the XDG data home."""
    explicit = os.environ.get("MAILLAGE_WEB_DATA")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "maillage" / "web"


def parse_database_url(url: str | None, *, data_dir: Path) -> dict[str, Any]:
    """Django's ``DATABASES["default"]`` from a ``DATABASE_URL``.

    Examples
    --------
    >>> db = parse_database_url("postgres://u:p%40ss@127.0.0.1:5433/maillage", data_dir=Path("."))
    >>> db["ENGINE"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]
    ('django.db.backends.postgresql', 'u', 'p@ss', '127.0.0.1', '5433', 'maillage')
    >>> parse_database_url(None, data_dir=Path("/d"))["NAME"]
    PosixPath('/d/maillage.sqlite3')
    """
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": data_dir / "maillage.sqlite3"}
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        path = unquote(url.split("://", 1)[1])
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path or ":memory:"}
    raise ValueError(
        f"DATABASE_URL « {parts.scheme}://… » non reconnue. Correction : "
        "postgres://utilisateur:mot-de-passe@hote:port/base ou sqlite:///chemin."
    )


def _secret_key(data_dir: Path) -> str:
    from_env = os.environ.get("MAILLAGE_SECRET_KEY")
    if from_env:
        return from_env
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


DATA_DIR = default_data_dir()
SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = os.environ.get("MAILLAGE_DEBUG") == "1"
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("MAILLAGE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "maillage.web.apps.WebConfig",
]

MIDDLEWARE = [
    "maillage.web.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "maillage.web.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "maillage.web.urls"
WSGI_APPLICATION = "maillage.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.web.views.site_context",
            ],
        },
    }
]

DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL"), data_dir=DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "maillage-web",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/equipe/"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_DIR = PACKAGE_DIR / "static"

# Security: cookies, headers, uploads.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "maillage.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Content-Security-Policy of every page: scripts, styles and maps from the app only.
MAILLAGE_CSP = DEFAULT_POLICY
#: Request bodies (form fields) above this are refused by Django (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
#: Uploaded CSV files above this are refused with a message (bytes).
MAILLAGE_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAILLAGE_MAX_UPLOAD_BYTES
#: Whole request bodies above this (3 MiB) are refused with a French 413 page, before any
#: file part is read; waitress is given the same limit by ``maillage web``.
MAILLAGE_MAX_REQUEST_BYTES = 3 * 1024 * 1024
#: Uploads never go to temporary files: in memory, and cut off past the limit.
FILE_UPLOAD_HANDLERS = ["maillage.web.middleware.LimitedUploadHandler"]

# HTTPS behind a reverse proxy (MAILLAGE_HTTPS=1).
HTTPS = os.environ.get("MAILLAGE_HTTPS") == "1"
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("MAILLAGE_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("MAILLAGE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the whole domain: only on request (MAILLAGE_HSTS_PRELOAD=1).
    SECURE_HSTS_PRELOAD = os.environ.get("MAILLAGE_HSTS_PRELOAD") == "1"
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if not CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if host != "*"]

#: Failed sign-ins per (user name, address) before the account is locked for that address:
#: (count, seconds).
MAILLAGE_LOGIN_LIMIT = (int(os.environ.get("MAILLAGE_LOGIN_ECHECS", "5")), 900)

# GDPR notice and retention.
MAILLAGE_CONTROLLER = os.environ.get(
    "MAILLAGE_RESPONSABLE", "la structure porteuse du schéma (à renseigner : MAILLAGE_RESPONSABLE)"
)
MAILLAGE_GDPR_CONTACT = os.environ.get(
    "MAILLAGE_CONTACT_RGPD", "le délégué à la protection des données de cette structure"
)
MAILLAGE_RETENTION_YEARS = int(os.environ.get("MAILLAGE_CONSERVATION_ANS", "3"))

# E-mail (password reset): SMTP when configured, else files in <data>/courriels/.
DEFAULT_FROM_EMAIL = os.environ.get("MAILLAGE_COURRIEL_EXPEDITEUR", "maillage@localhost")
if os.environ.get("MAILLAGE_SMTP_HOST"):
    _port = int(os.environ.get("MAILLAGE_SMTP_PORT", "587"))
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["MAILLAGE_SMTP_HOST"],
                "port": _port,
                "username": os.environ.get("MAILLAGE_SMTP_USER", ""),
                "password": os.environ.get("MAILLAGE_SMTP_PASSWORD", ""),
                "use_tls": _port == 587,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "courriels")},
        }
    }
PASSWORD_RESET_TIMEOUT = 3600 * 24

FORM_RENDERER = "maillage.web.forms.FormRenderer"

MAILLAGE_PROGRAMME_START = int(os.environ.get("MAILLAGE_PROGRAMME_DEBUT", "2026"))
#: Public form submissions allowed per client and per window: (count, seconds).
MAILLAGE_RATE_LIMIT = (int(os.environ.get("MAILLAGE_LIMITE_FORMULAIRES", "20")), 3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
