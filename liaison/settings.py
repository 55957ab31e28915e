"""Settings for the liaison station portal.

One file for every environment: everything that differs between a laptop, CI and production comes from
the environment (or a local `.env`, which `make run` writes on first use). `.env.example` documents each
variable with its default; the README repeats them.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is optional: CI and production pass real environment variables, which win over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me" if DEBUG else None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "stations.admin_site.LiaisonAdminConfig",  # django.contrib.admin with an audited default site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "bootstrap",  # Bootstrap 5.3 static files from the django-bootstrap-static wheel (no CDN, nothing copied)
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The API (/api/v1/). Installed as an app so that its docs page loads Swagger UI from the package's own static
    # files (served by WhiteNoise) rather than from a CDN.
    "ninja",
    "stations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /api/ only: JSON for every refusal, whoever answered it, and conditional GET (ETag, 304). Outside every
    # middleware that can answer on its own, so that their answers are covered.
    "stations.api.middleware.ApiResponsesMiddleware",
    "stations.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's SessionMiddleware, renewing an unchanged session at most once a minute (stations.middleware).
    "stations.middleware.SessionRenewalMiddleware",
    "stations.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "stations.middleware.RejectMalformedInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before the absolute timeout, so that a sign-out it forces clears the "was signed in" marker.
    "stations.middleware.SessionEndedMiddleware",
    "stations.middleware.SessionAbsoluteTimeoutMiddleware",
    "stations.middleware.TwoFactorRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
    # After every middleware that sets up the request (session, user, language, CSRF); its process_view answers
    # public pages from the cache, and every middleware above still wraps those answers.
    "stations.caching.PublicPageCacheMiddleware",
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stations.context_processors.session",
                "stations.context_processors.display",
            ],
        },
    },
]

# Database: DATABASE_URL picks it; SQLite is the embedded default. On PostgreSQL the portal serves as a
# runtime role that does not own the tables (it may read and write rows, and only read and add audit
# entries); DATABASE_OWNER_URL names the role that owns them, for the commands that need it (migrate, flush,
# purge_audit: see stations.db_roles). Give it only to those commands, never to the serving processes.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if env("DATABASE_OWNER_URL", default=""):
    _owner = env.db("DATABASE_OWNER_URL")
    # Only as another way into the same database: a process given another DATABASE_URL (a probe, a benchmark)
    # must not migrate, flush or purge the one the owner's URL names.
    same_database = all(_owner.get(key) == DATABASES["default"].get(key) for key in ("ENGINE", "HOST", "PORT", "NAME"))
    if same_database and _owner["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["owner"] = _owner
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN, so two staff
    # saving at once queue behind busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Cache: public pages and feeds (stations/caching.py) and nothing else. CACHE_URL picks it (django-environ's
# cache_url: `redis://127.0.0.1:6379/1` for Redis, which needs the `redis` package). The default is Django's
# database cache in the portal's own database: it needs no server, and every gunicorn process and every node on
# that database shares it, so a change made through one is seen by all (a file cache would be one machine's,
# local memory one process's). Its table is made by `manage.py migrate` (stations' migrate runs
# createcachetable as the owner; on PostgreSQL the runtime role gets its rows through the default privileges of
# migration 0011) and by the test database set-up.
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://portal_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Django's default (300 entries) would cull a province's pages all day long.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", env.int("CACHE_MAX_ENTRIES", default=20000))
CACHES["default"].setdefault("KEY_PREFIX", "liaison")
# Public pages each process keeps in memory in front of the shared cache (stations/caching.py, `_EntryMemo`):
# a hit then reads only the tokens from the shared cache. 0 turns it off; each entry is a page (5-45 KB).
PAGE_MEMO_ENTRIES = env.int("PAGE_MEMO_ENTRIES", default=256)

# The API's lists count their items only this far (stations/api/pagination.py): beyond it they answer
# count_exact false and page on without a total, instead of counting a province's million opinions each time.
API_COUNT_LIMIT = env.int("API_COUNT_LIMIT", default=10_000)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks for a lockout before any other backend sees the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "stations.backends.DistrictAdminPermissionBackend",  # district administrators manage everything by role
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "stations:staff_home"
LOGOUT_REDIRECT_URL = "stations:home"

# Sessions: 30 minutes idle (the server-side expiry moves on with each request), 12 hours at most after
# sign-in (stations.middleware.SessionAbsoluteTimeoutMiddleware). Logout flushes the server-side session.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_ABSOLUTE_AGE = env.int("SESSION_ABSOLUTE_AGE", default=12 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login lockout (django-axes): 5 failed attempts for one user name from one address within 15 minutes lock
# that pair for 30 minutes (and 20 from one address, any user names, lock the address: see below), even
# with the right password; a refused attempt during the lock does not extend it. Axes itself has no
# separate failure window, so stations.lockout.WindowedLockoutHandler counts the failures of the last
# LOGIN_FAILURE_WINDOW from axes' failure log. Administrators unlock in the admin (delete the access
# attempt) or with `manage.py axes_reset_username <name>` (`axes_reset_ip <address>` for an address).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
# Against password spraying (one password tried against many user names): this many failures from one
# address within LOGIN_FAILURE_WINDOW, whatever the user names, lock the address for AXES_COOLOFF_TIME for
# every user name. Raise it when many staff sign in from behind one NAT address.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "stations.lockout.WindowedLockoutHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Sign-ins are recorded in the portal's own audit log; axes' access log would be a second, unpurged copy.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# The lockout and the audit log agree on who the client is (see stations.audit.client_address).
AXES_CLIENT_IP_CALLABLE = "stations.audit.client_address"
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: trust only REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two-factor sign-in (django-otp, TOTP): required for district administrators on /staff/ and /admin/
# (stations.middleware.TwoFactorRequiredMiddleware); the QR code for enrolment is drawn locally.
OTP_TOTP_ISSUER = "Liaison"
OTP_TOTP_THROTTLE_FACTOR = 1
# The admin never shows a device's secret or its QR code: another administrator (or whoever takes over
# their session) could otherwise copy someone's second factor. A lost device is deleted and re-enrolled.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Internationalisation: simplified Chinese first, English complete beside it.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
# A visit or a handling step entered more than this many days after it happened is a late entry: only station
# heads and district administrators may enter it, and it is marked and audited (stations/clock.py: is_late).
LATE_ENTRY_DAYS = env.int("LATE_ENTRY_DAYS", default=31)
USE_I18N = True
USE_TZ = True

# Static and media files. WhiteNoise serves static files from the application (no web server needed).
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env("STATICFILES_BACKEND", default="whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The largest spreadsheet `import_records` and the import page accept (bytes); larger files are refused unread.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=32 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail through Django's mail framework. Until SMTP is configured the default backend sends nothing and logs
# one line per message, recipients and subject masked (stations.mail): Django's console backend would print
# whole messages, voters' addresses and tracking codes with them, into the server's log.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="stations.mail.LogOnlyEmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="liaison@localhost")

# Security headers. Pages carry no inline script or style attribute handlers, so the policy stays strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CSRF_FAILURE_VIEW = "stations.views.errors.csrf_failure"

# Logging: errors with the request path to stderr. Request bodies (which may hold voters' names and phone
# numbers) are never logged; django.request logs only the method, path and status. Every record is masked
# as it is created (stations.log_masking, installed by the app) and the formatter masks the final text,
# tracebacks included, so a mobile number that slips into a message comes out as 138****1234.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "stations.log_masking.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # Each failed sign-in is in the audit log; axes' own step-by-step INFO lines would only be noise.
        "axes": {"level": "WARNING"},
    },
}

# The portal's own settings.
PORTAL_NAME = _("Deputy Liaison Station Portal")
# The portal's address as users reach it, for links in e-mails (sent where no request is at hand).
PORTAL_URL = env("PORTAL_URL", default="http://127.0.0.1:8000")
# Who delivers notices (stations.notifications): e-mail through Django's mail framework. An SMS gateway is
# another class with the same `send` method.
NOTIFIER = env("NOTIFIER", default="stations.notifications.EmailNotifier")
# manage.py send_reminders (run from cron): handling bodies and the station head are reminded this many days
# before an opinion's reply deadline (and once after it has passed); voters are told of answers given within
# the last REMINDER_LOOKBACK_DAYS (so a first run does not write to every voter ever answered).
REMINDER_DEADLINE_DAYS = env.int("REMINDER_DEADLINE_DAYS", default=3)
REMINDER_LOOKBACK_DAYS = env.int("REMINDER_LOOKBACK_DAYS", default=7)
# The development SMS gateway (stations.notifications.FileSmsNotifier) appends each message to this file.
SMS_OUTBOX = env("SMS_OUTBOX", default=str(BASE_DIR / "sms-outbox.log"))
