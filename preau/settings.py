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

from preau.lib.addresses import parse_networks
from preau.lib.env import (
    env_bool,
    env_float,
    env_int,
    env_int_map,
    env_int_map_over,
    env_list,
    env_str,
)

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

# HTTPS (README "Production"): redirect plain HTTP, then have browsers remember (HSTS). Behind
# a reverse proxy that terminates TLS, PREAU_PROXY_SSL_HEADER names the header by which it
# says the request came over HTTPS (the proxy must set it on every request, overwriting what
# a client sent).
SECURE_SSL_REDIRECT = env_bool("PREAU_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("PREAU_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PREAU_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("PREAU_HSTS_PRELOAD", False)
_proxy_ssl_header = env_str("PREAU_PROXY_SSL_HEADER").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
# Django warns (check --deploy) until includeSubDomains and preload are on; they are an
# operator's decision about the domain, so setting either variable, to true or to false,
# records the decision and silences its warning.
SILENCED_SYSTEM_CHECKS = [
    check for check, variable in (("security.W005", "PREAU_HSTS_INCLUDE_SUBDOMAINS"),
                                  ("security.W021", "PREAU_HSTS_PRELOAD"))
    if env_str(variable).strip()]

# Django's admin site at /django-admin/, for operators: off unless PREAU_DJANGO_ADMIN=true.
PREAU_DJANGO_ADMIN = env_bool("PREAU_DJANGO_ADMIN", False)

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
    # The second factor of administrators (preau/accounts/second_factor.py): TOTP devices
    # and the recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "preau.accounts",
    "preau.directory",
    "preau.feeds",
    "preau.sharing",
    "preau.documents",
    "preau.messaging",
    "preau.yearchange",
    "preau.sso",
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
    # The SAML exchanges' own session, in a SameSite=None cookie: the IdP's answer is a
    # cross-site POST, which the main session cookie (SameSite=Lax) does not come with.
    "djangosaml2.middleware.SamlSessionMiddleware",
    "preau.lib.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session that passed the password but not yet the second factor reaches nothing else.
    "preau.accounts.middleware.SecondFactorMiddleware",
    "preau.lib.middleware.RefusalMiddleware",
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
    # Sessions opened by a federated login (preau.sso); authenticates nobody by itself.
    "preau.sso.backends.FederatedBackend",
]
# Argon2id with OWASP's parameters (preau/accounts/passwords.py); hashes made with Django's
# defaults are upgraded at the next successful login.
PASSWORD_HASHERS = [
    "preau.accounts.passwords.PreauArgon2PasswordHasher",
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

# Brute force: django-axes, for the web login and every password check, with three
# counters over one window (preau/accounts/bruteforce.py, docs/configuration.md).
PREAU_LOGIN_FAILURE_LIMIT = env_int("PREAU_LOGIN_FAILURE_LIMIT", 5)  # a login, one address
PREAU_LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("PREAU_LOGIN_ACCOUNT_FAILURE_LIMIT", 20)
PREAU_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("PREAU_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed.
PREAU_TRUSTED_PROXIES = parse_networks("PREAU_TRUSTED_PROXIES",
                                       env_list("PREAU_TRUSTED_PROXIES", []))
AXES_HANDLER = "preau.accounts.bruteforce.PreauAxesHandler"
AXES_FAILURE_LIMIT = "preau.accounts.bruteforce.failure_limit"
AXES_COOLOFF_TIME = env_int("PREAU_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_CLIENT_IP_CALLABLE = "preau.accounts.bruteforce.client_ip"
# The rows a success resets: those of its login from its address only (a success must not
# clear the counters of a login's other addresses, or of an address's other logins).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "preau.accounts.bruteforce.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures are what lockouts need; a row per successful login (and its logout) is not.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "code", "old_password", "new_password1",
                             "new_password2"]

# The second factor (TOTP and recovery codes) of every account that administers something
# and logs in with a local password (docs/security.md, "Administrators' second factor"):
# on by default in production, off in debug; `preau demo` serves with it off unless set.
PREAU_ADMIN_SECOND_FACTOR = env_bool("PREAU_ADMIN_SECOND_FACTOR", not DEBUG)
# Wrong codes at the second step, per account, before it is locked for
# PREAU_LOGIN_COOLOFF_MINUTES (the lock is in the account's history).
PREAU_SECOND_FACTOR_FAILURE_LIMIT = env_int("PREAU_SECOND_FACTOR_FAILURE_LIMIT", 5)
if PREAU_SECOND_FACTOR_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("PREAU_SECOND_FACTOR_FAILURE_LIMIT must be at least 1, got "
                               f"{PREAU_SECOND_FACTOR_FAILURE_LIMIT}")
# django-otp's own per-device back-off is off: Préau's per-account counter above decides,
# and says so in French (a right code typed during django-otp's back-off would be refused
# without a reason). A verified TOTP step is never accepted twice (django-otp's last_t).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

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
# Thumbnails (docs/documents.md, *Thumbnails*): made by a background job that decodes each
# image in a child process; no thumbnail for an image of more pixels than this (read from
# its header, before any decode), and the child's memory (address space) and CPU time caps.
PREAU_IMAGE_MAX_PIXELS = env_int("PREAU_IMAGE_MAX_PIXELS", 50_000_000)
PREAU_THUMBNAIL_MEMORY_MIB = env_int("PREAU_THUMBNAIL_MEMORY_MIB", 512)
PREAU_THUMBNAIL_SECONDS = env_int("PREAU_THUMBNAIL_SECONDS", 30)
for _name, _value, _least in (("PREAU_IMAGE_MAX_PIXELS", PREAU_IMAGE_MAX_PIXELS, 1),
                              ("PREAU_THUMBNAIL_MEMORY_MIB", PREAU_THUMBNAIL_MEMORY_MIB, 64),
                              ("PREAU_THUMBNAIL_SECONDS", PREAU_THUMBNAIL_SECONDS, 1)):
    if _value < _least:
        raise ImproperlyConfigured(f"{_name} must be at least {_least}, got {_value}")

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
    # Refusals of actions (preau.lib.errors.Refusal) answer {"detail"} with their status.
    "EXCEPTION_HANDLER": "preau.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "preau.api.metadata.ApiMetadata",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Préau API",
    "DESCRIPTION": "REST API of Préau, the primary-school ENT. Same access rules as the web.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is for the API's users: logged in (session or token), like the API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # preau.lib.converters: ids (integers up to 2**63 - 1) and mail folder keys.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1,
                                        "maximum": 2**63 - 1},
                                 "mailbox": str},
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
    "loggers": {"django.db.backends": {"level": "INFO"},
                # pysaml2's schema library tells at INFO, on every start, that it loaded one.
                "xmlschema": {"level": "WARNING"}},
}

# Préau's own settings.
PREAU_ENT_NAME = env_str("PREAU_ENT_NAME", "Préau")
PREAU_SUPPORT_TEXT = env_str("PREAU_SUPPORT_TEXT", "")
# The name authenticator apps show beside the login (the second factor's QR code).
OTP_TOTP_ISSUER = PREAU_ENT_NAME
PREAU_DEMO_PASSWORD = "Preau-demo-2023"

# Single sign-on (SAML, docs/sso.md): Préau is the service provider, the IdPs are rows
# (console or `preau sso idp add`). The SP's URLs start with PREAU_SAML_BASE_URL (else the
# request's scheme and host); its key pair is made once in PREAU_DATA_DIR/saml/ unless both
# files are given.
PREAU_SAML_BASE_URL = env_str("PREAU_SAML_BASE_URL").strip().rstrip("/")
PREAU_SAML_KEY_FILE = env_str("PREAU_SAML_KEY_FILE")
PREAU_SAML_CERT_FILE = env_str("PREAU_SAML_CERT_FILE")
if bool(PREAU_SAML_KEY_FILE) != bool(PREAU_SAML_CERT_FILE):
    raise ImproperlyConfigured("Set both PREAU_SAML_KEY_FILE and PREAU_SAML_CERT_FILE, or "
                               "neither (a pair is then made in PREAU_DATA_DIR/saml/).")
PREAU_SAML_XMLSEC_BINARY = env_str("PREAU_SAML_XMLSEC_BINARY")
PREAU_SAML_CLOCK_SKEW_SECONDS = env_int("PREAU_SAML_CLOCK_SKEW_SECONDS", 60)
SAML_CONFIG_LOADER = "preau.sso.config.config_loader"
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_SESSION_COOKIE_NAME = "preau_saml"
SAML_CREATE_UNKNOWN_USER = False
SAML_CSP_HANDLER = ""  # redirect binding only: no form posted to the IdP from our pages
SAML_IGNORE_LOGOUT_ERRORS = False

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

# Messagerie: sending limits per profile, checked at every send (docs/messaging.md, *Sending
# limits*). A negative value removes that limit for the profile. ENT admins are exempt from
# the hourly limits, not from the attachment caps. The caps count attachment bytes times the
# people reached, and are set in MiB (held here in bytes).
_PROFILES = ("Teacher", "Personnel", "Student", "Relative", "Guest")  # accounts' Profile


def _mib_to_bytes(values: dict[str, int]) -> dict[str, int]:
    return {key: value * 1024**2 if value >= 0 else value for key, value in values.items()}


PREAU_MAIL_MESSAGES_PER_HOUR = env_int_map_over(
    "PREAU_MAIL_MESSAGES_PER_HOUR_BY_PROFILE",
    {"Teacher": 100, "Personnel": 100, "Student": 15, "Relative": 30, "Guest": 30}, _PROFILES)
PREAU_MAIL_RECIPIENTS_PER_HOUR = env_int_map_over(
    "PREAU_MAIL_RECIPIENTS_PER_HOUR_BY_PROFILE",
    {"Teacher": 3000, "Personnel": 3000, "Student": 30, "Relative": 60, "Guest": 60},
    _PROFILES)
PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE = _mib_to_bytes(env_int_map_over(
    "PREAU_MAIL_ATTACHMENT_MIB_PER_MESSAGE_BY_PROFILE",
    {"Teacher": 8192, "Personnel": 8192, "Student": 50, "Relative": 100, "Guest": 100},
    _PROFILES))
PREAU_MAIL_ATTACHMENT_BYTES_PER_DAY = _mib_to_bytes(env_int_map_over(
    "PREAU_MAIL_ATTACHMENT_MIB_PER_DAY_BY_PROFILE",
    {"Teacher": 32768, "Personnel": 32768, "Student": 200, "Relative": 500, "Guest": 500},
    _PROFILES))
