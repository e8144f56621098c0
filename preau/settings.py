"""Préau's single settings module, read from typed environment variables.

Every value comes from the environment (see docs/configuration.md); the defaults are the
embedded ones: SQLite, local disk and database-backed jobs under PREAU_DATA_DIR, so a
fresh laptop needs no service at all.
"""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from preau.lib.env import env_bool, env_float, env_int, env_int_map, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("PREAU_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
for _sub in ("logs", "static", "media", "uploads"):
    (DATA_DIR / _sub).mkdir(exist_ok=True)


def _secret_key() -> str:
    """PREAU_SECRET_KEY, or a key generated once and kept in the data directory."""
    key = env_str("PREAU_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("PREAU_DEBUG", False)
ALLOWED_HOSTS = env_list("PREAU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("PREAU_CSRF_TRUSTED_ORIGINS", [])
SECURE_COOKIES = env_bool("PREAU_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("PREAU_SESSION_SECONDS", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "csp",
    "preau.accounts",
    "preau.directory",
    "preau.feeds",
    "preau.sharing",
    "preau.documents",
    "preau.messaging",
    "preau.yearchange",
    "preau.console",
    "preau.api",
    "preau.demo",
    # After Préau's apps: preau.feeds' `db_worker` command replaces django-tasks-db's
    # (the first app that has a command wins).
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "preau.lib.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "preau.urls"
WSGI_APPLICATION = "preau.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "preau" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "preau.lib.context.navigation",
                "preau.documents.context.quota_gauge",
            ],
        },
    },
]

_sqlite_path = DATA_DIR / "preau.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_sqlite_path}"), conn_max_age=0
    )
}
# PostgreSQL: persistent connections. Each thread of a server process (and the worker)
# keeps its connection between requests, for PREAU_DB_CONN_MAX_AGE seconds, checked once at
# the start of each request (a connection that PostgreSQL dropped, restarted or killed is
# replaced before the request uses it). Why not psycopg's pool: docs/configuration.md,
# "Database connections". SQLite keeps Django's defaults.
PREAU_DB_CONN_MAX_AGE = env_int("PREAU_DB_CONN_MAX_AGE", 300)
if PREAU_DB_CONN_MAX_AGE < 0:
    raise ImproperlyConfigured(
        f"PREAU_DB_CONN_MAX_AGE must be 0 or more seconds, got {PREAU_DB_CONN_MAX_AGE}")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = PREAU_DB_CONN_MAX_AGE
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Préau's sessions are named in pg_stat_activity (DATABASE_URL's ?application_name=
    # overrides it, e.g. to tell the worker from the web servers).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("application_name", "preau")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (feed imports from the console): stored in the database, run by
# `preau db_worker`; "immediate" runs them inline (tests, demo).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS.get(
    env_str("PREAU_TASKS_BACKEND", "database"), _TASK_BACKENDS["database"])}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "preau.accounts.backends.LocalPasswordBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("login", "first_name", "last_name", "email")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("PREAU_PASSWORD_MIN_LENGTH", 8)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "preau.accounts.passwords.CharacterClassValidator"},
    {"NAME": "preau.accounts.passwords.HistoryValidator",
     "OPTIONS": {"depth": env_int("PREAU_PASSWORD_HISTORY", 5)}},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute force: django-axes, for the web login and every password check.
AXES_FAILURE_LIMIT = env_int("PREAU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("PREAU_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "code", "old_password", "new_password1",
                             "new_password2"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "preau" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "preau" / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# The Espace documentaire's bytes (docs/documents.md): local disk by default, S3 on demand.
PREAU_STORAGE = env_str("PREAU_STORAGE", "local")
if PREAU_STORAGE not in ("local", "s3"):
    raise ValueError("PREAU_STORAGE must be 'local' or 's3'")
_documents_storage: dict[str, object]
if PREAU_STORAGE == "s3":
    _documents_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("PREAU_S3_BUCKET", "preau"),
            "endpoint_url": env_str("PREAU_S3_ENDPOINT_URL") or None,
            "region_name": env_str("PREAU_S3_REGION") or None,
            "access_key": env_str("PREAU_S3_ACCESS_KEY") or None,
            "secret_key": env_str("PREAU_S3_SECRET_KEY") or None,
            "location": env_str("PREAU_S3_PREFIX", "documents"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _documents_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "documents"), "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": _documents_storage,
}
# Uploads are spooled to disk beside the documents (a local store then moves, not copies).
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_HANDLERS = [
    "preau.documents.uploads.SizeLimitUploadHandler",
    "preau.documents.uploads.MemoryUploadHandler",
    "preau.documents.uploads.DiskUploadHandler",
]
PREAU_UPLOAD_MAX_BYTES = env_int("PREAU_UPLOAD_MAX_BYTES", 2 * 1024**3)

EMAIL_HOST = env_str("PREAU_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("PREAU_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("PREAU_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("PREAU_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("PREAU_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("PREAU_EMAIL_FROM", "preau@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "preau.accounts.tokens.PersonalTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Préau API",
    "DESCRIPTION": "REST API of Préau, the primary-school ENT. Same access rules as the web.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Two choice sets share the field name "kind": name their enums.
    "ENUM_NAME_OVERRIDES": {
        "GroupKindEnum": "preau.directory.models.GroupKind",
        "NodeKindEnum": "preau.documents.models.NodeKind",
    },
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(DATA_DIR / "logs" / "preau.log"),
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console", "file"], "level": env_str("PREAU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Préau's own settings.
PREAU_ENT_NAME = env_str("PREAU_ENT_NAME", "Préau")
PREAU_SUPPORT_TEXT = env_str("PREAU_SUPPORT_TEXT", "")
PREAU_DEMO_PASSWORD = "Preau-demo-2023"

# Feeds: the missing-account life cycle and the safety hold (docs/feeds.md).
PREAU_PREDELETE_DAYS = env_int("PREAU_PREDELETE_DAYS", 90)
PREAU_DELETE_DAYS = env_int("PREAU_DELETE_DAYS", 90)
PREAU_PREDELETE_DAYS_BY_PROFILE = env_int_map("PREAU_PREDELETE_DAYS_BY_PROFILE")
PREAU_DELETE_DAYS_BY_PROFILE = env_int_map("PREAU_DELETE_DAYS_BY_PROFILE")
PREAU_FEED_MISSING_THRESHOLD = env_float("PREAU_FEED_MISSING_THRESHOLD", 0.10)
# AAF runs whose files weigh this many MiB or more are parsed by a second process while
# the run writes (preau/feeds/parsers/ahead.py); 0: every AAF run; negative: never.
PREAU_FEED_PARSE_AHEAD_MIB = env_int("PREAU_FEED_PARSE_AHEAD_MIB", 8)
PREAU_FEED_HOLD_MIN_ACCOUNTS = env_int("PREAU_FEED_HOLD_MIN_ACCOUNTS", 10)
