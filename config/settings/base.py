"""Settings shared by every environment. Values that differ per deployment come from the
environment through ``config.env``; ``.env.example`` lists every variable."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_float, env_int, env_list, env_schedules, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("FAIRPLACE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # django.contrib.admin, with an admin site that requires the second factor (TOTP).
    "fairplace.core.auth.apps.SecondFactorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "huey.contrib.djhuey",
    "fairplace.core",
    "fairplace.platforms",
    "fairplace.reports",
    "fairplace.observatory.fees",
    "fairplace.observatory.terms",
    "fairplace.barometer",
    "fairplace.api",
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside every middleware that may read the database: while it is unreachable, a 503 page.
    "fairplace.core.outage.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]
# django-dsfr renders form fields with its own snippets.
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fairplace.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A persistent connection is pinged before its first use in a request or a task, so that a
        # database restart costs a reconnection, not a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer at all (rather than refusing) costs 5 s, then the 503 page.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the server read while the task worker writes; a busy timeout avoids
    # "database is locked" under concurrent writers.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout backend comes first: it refuses a locked-out e-mail + IP before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:account"

# Staff login (fairplace.core.auth). Agents, supervisors, mediators and administrators confirm
# every login with a TOTP code; the admin site asks for it too (off only in the test suite).
FAIRPLACE_ADMIN_REQUIRES_SECOND_FACTOR = True
OTP_TOTP_ISSUER = env_str("FAIRPLACE_TOTP_ISSUER", "Fairplace")
# Lockout after repeated failures (django-axes), counted per e-mail address *and* IP address so
# that nobody can lock an agent out from elsewhere; rows live in the database, shared by every
# app server. A failed second-factor code is throttled by django-otp (doubling delays).
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_TIME", 1)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "fairplace.core.auth.services.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/auth/lockout.html"
AXES_VERBOSE = False

# Background work: Huey (fairplace.core.jobs). The queue lives in a SQLite file by default (nothing to
# install), in Redis when REDIS_URL is set (several workers on several machines). Each app declares its
# periodic jobs in its tasks.py; FAIRPLACE_SCHEDULES overrides their crontabs ("job=m h d M w;…", Paris
# time, or "off"). `manage.py run_huey` is the worker (Procfile, deploy/).
REDIS_URL = env_str("REDIS_URL", "")
HUEY_NAME = env_str("FAIRPLACE_HUEY_NAME", "fairplace")
HUEY = {
    "name": HUEY_NAME,
    "huey_class": f"fairplace.core.jobs.queue.{'RedisHuey' if REDIS_URL else 'SqliteHuey'}",
    "immediate": env_bool("FAIRPLACE_HUEY_IMMEDIATE", False),
    "results": False,  # tasks write their outcome in the database; nothing reads a task's return value
    "utc": True,
    "consumer": {
        "workers": env_int("FAIRPLACE_WORKER_THREADS", 4),
        "worker_type": "thread",
        "check_worker_health": True,
        "max_delay": 1.0,  # an idle worker polls the SQLite queue at least every second (Redis blocks instead)
        "periodic": True,
    },
}
if REDIS_URL:
    HUEY["connection"] = {"url": REDIS_URL}
else:
    HUEY["filename"] = env_str("FAIRPLACE_HUEY_FILE", str(VAR_DIR / "huey.sqlite3"))
FAIRPLACE_SCHEDULES = env_schedules("FAIRPLACE_SCHEDULES")
# /healthz/worker answers 503 when no worker has been seen for this many seconds, when a periodic job
# has failed this many runs in a row, or when the oldest queued task waits longer than this.
FAIRPLACE_WORKER_STALE_SECONDS = env_int("FAIRPLACE_WORKER_STALE_SECONDS", 120)
FAIRPLACE_JOB_FAILURES_ALERT = env_int("FAIRPLACE_JOB_FAILURES_ALERT", 3)
FAIRPLACE_QUEUE_MAX_AGE_SECONDS = env_int("FAIRPLACE_QUEUE_MAX_AGE_SECONDS", 600)

# Cache: the database by default (shared by every app server), Redis by setting.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "fairplace_cache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 7  # a draft report survives a week
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("Anglais"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
# Uploaded evidence lives outside the web root and is never served by URL: only views
# that check access stream it. A local folder by default; with several app servers, an object
# store (S3 API) named by FAIRPLACE_S3_BUCKET, or another backend named by FAIRPLACE_PRIVATE_STORAGE.
PRIVATE_MEDIA_ROOT = Path(env_str("FAIRPLACE_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
_LOCAL_STORAGE = "django.core.files.storage.FileSystemStorage"


def private_storage(location: Path) -> dict:
    """STORAGES["default"] from the environment (tests/core/test_object_storage.py calls it too). On
    the bucket, objects are private (no public grant) and read by the app with its keys; views stream
    them, so the short-lived signed URLs the backend can make are never shown to anyone."""
    backend = env_str("FAIRPLACE_PRIVATE_STORAGE", "") or _LOCAL_STORAGE
    bucket = env_str("FAIRPLACE_S3_BUCKET", "")
    endpoint = env_str("FAIRPLACE_S3_ENDPOINT_URL", "")  # empty: AWS
    region = env_str("FAIRPLACE_S3_REGION", "")
    access_key = env_str("FAIRPLACE_S3_ACCESS_KEY_ID", "")
    secret_key = env_str("FAIRPLACE_S3_SECRET_ACCESS_KEY", "")
    prefix = env_str("FAIRPLACE_S3_PREFIX", "private").strip("/")
    # Path style (endpoint/bucket/key) works on every S3-compatible store (MinIO, OVH, Scaleway, Ceph,
    # moto); on AWS botocore's "auto" picks virtual-hosted names.
    style = env_str("FAIRPLACE_S3_ADDRESSING_STYLE", "") or ("path" if endpoint else "auto")
    # "private": the canned ACL sent with every object; empty: none sent, for buckets whose ACLs are
    # disabled (AWS "bucket owner enforced", the default of new buckets: private by construction).
    acl = env_str("FAIRPLACE_S3_ACL", "private")
    # Server-side encryption asked for every object; empty: the bucket's own default (MinIO without a
    # KMS and some providers refuse the header).
    encryption = env_str("FAIRPLACE_S3_ENCRYPTION", "")
    if not bucket:
        return {"BACKEND": backend, "OPTIONS": {"location": str(location), "base_url": None}}
    if backend != _LOCAL_STORAGE:
        raise ImproperlyConfigured(
            f"FAIRPLACE_PRIVATE_STORAGE={backend!r} and FAIRPLACE_S3_BUCKET={bucket!r} both choose where "
            "evidence files live: unset one of them (FAIRPLACE_S3_BUCKET alone selects the S3 backend)."
        )
    if endpoint and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"FAIRPLACE_S3_ENDPOINT_URL={endpoint!r} is not a URL (https://…).")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "FAIRPLACE_S3_ACCESS_KEY_ID and FAIRPLACE_S3_SECRET_ACCESS_KEY go together "
            "(both empty: boto3's own credential chain)."
        )
    if style not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured(f"FAIRPLACE_S3_ADDRESSING_STYLE={style!r}: auto, path or virtual.")
    if acl not in ("private", ""):
        raise ImproperlyConfigured(f"FAIRPLACE_S3_ACL={acl!r}: evidence is never public (private, or empty).")
    if encryption not in ("", "AES256", "aws:kms"):
        raise ImproperlyConfigured(f"FAIRPLACE_S3_ENCRYPTION={encryption!r}: AES256, aws:kms or empty.")
    from botocore.config import Config

    # boto3 ≥ 1.36 sends CRC checksums by default, which several S3-compatible stores (OVH, older
    # MinIO) refuse: off AWS, only where the operation requires one.
    checksums = (
        {"request_checksum_calculation": "when_required", "response_checksum_validation": "when_required"}
        if endpoint
        else {}
    )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "location": prefix,
            "default_acl": acl or None,
            "object_parameters": {"ServerSideEncryption": encryption} if encryption else {},
            "querystring_auth": True,
            "querystring_expire": 300,  # seconds
            "file_overwrite": False,
            "max_memory_size": 2 * 1024 * 1024,  # a bigger download spools to a temporary file
            "client_config": Config(
                s3={"addressing_style": style},
                signature_version="s3v4",
                connect_timeout=5,
                retries={"mode": "standard", "max_attempts": 3},
                **checksums,
            ),
        },
    }


STORAGES = {
    "default": private_storage(PRIVATE_MEDIA_ROOT),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# E-mail: every message goes through the outbox (fairplace.core.outbox).
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fairplace <ne-pas-repondre@fairplace.example>")
# "on_commit": a task sends each message as soon as its transaction commits (the seller is waiting for
# a code); the periodic sweep retries whatever failed. "worker": leave everything to the sweep.
FAIRPLACE_OUTBOX_DELIVERY = env_str("FAIRPLACE_OUTBOX_DELIVERY", "on_commit")
if FAIRPLACE_OUTBOX_DELIVERY not in {"on_commit", "worker"}:
    raise ImproperlyConfigured(f"FAIRPLACE_OUTBOX_DELIVERY={FAIRPLACE_OUTBOX_DELIVERY!r}: use on_commit or worker.")
# A failed sending is tried again after this many seconds, doubled at each attempt (8 attempts); a worker's
# claim on a message lapses after FAIRPLACE_OUTBOX_CLAIM_SECONDS (a worker killed while sending).
FAIRPLACE_OUTBOX_RETRY_SECONDS = env_int("FAIRPLACE_OUTBOX_RETRY_SECONDS", 30)
FAIRPLACE_OUTBOX_CLAIM_SECONDS = env_int("FAIRPLACE_OUTBOX_CLAIM_SECONDS", 120)
FAIRPLACE_PUBLIC_URL = env_str("FAIRPLACE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Queue exports up to this many rows are built during the request; larger ones by the worker.
FAIRPLACE_EXPORT_SYNC_MAX_ROWS = env_int("FAIRPLACE_EXPORT_SYNC_MAX_ROWS", 5000)

# Company search (API Recherche d'entreprises) adapter.
FAIRPLACE_COMPANY_SEARCH_URL = env_str("FAIRPLACE_COMPANY_SEARCH_URL", "https://recherche-entreprises.api.gouv.fr")
FAIRPLACE_COMPANY_SEARCH_TIMEOUT = env_float("FAIRPLACE_COMPANY_SEARCH_TIMEOUT", 3.0)
FAIRPLACE_COMPANY_SEARCH_ENABLED = env_bool("FAIRPLACE_COMPANY_SEARCH_ENABLED", True)

# Antivirus: "clamd" (needs FAIRPLACE_CLAMD_ADDRESS: host:port or a unix socket path) or
# "disabled" (files stay unscanned: nobody but the seller may download them).
FAIRPLACE_ANTIVIRUS = env_str("FAIRPLACE_ANTIVIRUS", "disabled")
FAIRPLACE_CLAMD_ADDRESS = env_str("FAIRPLACE_CLAMD_ADDRESS", "")

# Rate limits, "count/period" with period s, m, h or d. Counters live in the database or,
# with REDIS_URL set, in Redis.
FAIRPLACE_RATE_LIMITS = {
    "submit_ip": env_str("FAIRPLACE_RATE_SUBMIT_IP", "20/h"),
    "submit_siret": env_str("FAIRPLACE_RATE_SUBMIT_SIRET", "5/d"),
    "code_ip": env_str("FAIRPLACE_RATE_CODE_IP", "10/h"),
    "code_email": env_str("FAIRPLACE_RATE_CODE_EMAIL", "5/h"),
    "lookup_ip": env_str("FAIRPLACE_RATE_LOOKUP_IP", "60/h"),
    "link_email": env_str("FAIRPLACE_RATE_LINK_EMAIL", "5/h"),
}
# Trust X-Forwarded-For from this many proxies in front of the app (0: use REMOTE_ADDR).
FAIRPLACE_TRUSTED_PROXIES = env_int("FAIRPLACE_TRUSTED_PROXIES", 0)
# The lockout reads the client IP with the rate limits' own helper, so that both trust the same
# X-Forwarded-For entry (the one the nearest trusted proxy appended, never a client-supplied
# left-most one); the ipware settings say the same for anything that reads them.
AXES_CLIENT_IP_CALLABLE = "fairplace.core.ratelimit.client_ip"
AXES_IPWARE_PROXY_COUNT = FAIRPLACE_TRUSTED_PROXIES or None
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if FAIRPLACE_TRUSTED_PROXIES else ["REMOTE_ADDR"]
)

# ProConnect (OpenID Connect) login for public agents, next to e-mail + password. The agent's
# account must already exist (matched by e-mail) and the TOTP second factor is still asked.
PROCONNECT_ENABLED = env_bool("PROCONNECT_ENABLED", False)
PROCONNECT_DOMAIN = env_str("PROCONNECT_DOMAIN", "")
PROCONNECT_CLIENT_ID = env_str("PROCONNECT_CLIENT_ID", "")
PROCONNECT_CLIENT_SECRET = env_str("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_SCOPES = env_str("PROCONNECT_SCOPES", "openid email given_name usual_name uid siret")
# The algorithm registered for id_token and userinfo signatures (RS256, ES256 or HS256): fixed
# here rather than read from the token, so that a forged header cannot choose it.
PROCONNECT_SIGNING_ALGORITHM = env_str("PROCONNECT_SIGNING_ALGORITHM", "RS256")
PROCONNECT_TIMEOUT = env_float("PROCONNECT_TIMEOUT", 10.0)
if PROCONNECT_ENABLED and not (PROCONNECT_DOMAIN and PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "PROCONNECT_ENABLED=true needs PROCONNECT_DOMAIN, PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET."
    )
if PROCONNECT_SIGNING_ALGORITHM not in {"RS256", "ES256", "HS256"}:
    raise ImproperlyConfigured(
        f"PROCONNECT_SIGNING_ALGORITHM={PROCONNECT_SIGNING_ALGORITHM!r}: use RS256, ES256 or HS256."
    )

# Contract-terms observatory (fairplace.observatory.terms): fetching the tracked documents over HTTP
# (fetching.py) or with Chromium (rendering.py). The periodic tracking run is the job "terms.track" (its
# crontab through FAIRPLACE_SCHEDULES), in a child process.
FAIRPLACE_TERMS_USER_AGENT = env_str("FAIRPLACE_TERMS_USER_AGENT", "")  # empty: fetching.USER_AGENT
FAIRPLACE_TERMS_CONNECT_TIMEOUT = env_float("FAIRPLACE_TERMS_CONNECT_TIMEOUT", 10.0, above=0)  # seconds
# Seconds: an HTTP read, or a whole Chromium render.
FAIRPLACE_TERMS_TIMEOUT = env_float("FAIRPLACE_TERMS_TIMEOUT", 30.0, above=0)
FAIRPLACE_TERMS_RETRIES = env_int("FAIRPLACE_TERMS_RETRIES", 3, minimum=0)  # HTTP only
FAIRPLACE_TERMS_BACKOFF = env_float("FAIRPLACE_TERMS_BACKOFF", 1.0, minimum=0)  # seconds, doubled at each retry
FAIRPLACE_TERMS_BACKOFF_CAP = env_float("FAIRPLACE_TERMS_BACKOFF_CAP", 60.0, minimum=0)  # longer: not waited
FAIRPLACE_TERMS_PER_HOST = env_int("FAIRPLACE_TERMS_PER_HOST", 2, minimum=1)  # pages at a time per host
FAIRPLACE_TERMS_MAX_BYTES = env_int("FAIRPLACE_TERMS_MAX_BYTES", 15_000_000, minimum=1)
FAIRPLACE_TERMS_CHROMIUM = env_str("FAIRPLACE_TERMS_CHROMIUM", "/usr/bin/chromium")
FAIRPLACE_TERMS_TRACK_WORKERS = env_int("FAIRPLACE_TERMS_TRACK_WORKERS", 4, minimum=1)  # documents at a time
# The tracking run's command line (split like a shell would); empty: this Python running
# `django track_terms --no-progress`.
FAIRPLACE_TERMS_TRACK_COMMAND = env_str("FAIRPLACE_TERMS_TRACK_COMMAND", "")
# The Open Terms Archive corpus (`manage.py import_ota --history`); empty: ../shared/data/ota-p2b beside
# the project (fairplace.observatory.terms.text.corpus.DEFAULT_ROOT).
FAIRPLACE_OTA_CORPUS = Path(_corpus) if (_corpus := env_str("FAIRPLACE_OTA_CORPUS", "")) else None

DSFR_USE_INTEGRITY_CHECKSUMS = True
# DSFR now recommends marking optional fields rather than required ones.
DSFR_MARK_OPTIONAL_FIELDS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step of an edition PDF at INFO.
    "loggers": {
        **{name: {"level": "WARNING"} for name in ("weasyprint", "weasyprint.progress", "fontTools")},
        # The worker's own lines once (run_huey adds a handler of its own to a logger that has none).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Public barometer: publication rules (methodology page, indicators.py, figures.py).
FAIRPLACE_BAROMETER = {
    # A marketplace is ranked on an indicator only with at least this many cases.
    "MIN_SAMPLE_RANK": env_int("FAIRPLACE_BAROMETER_MIN_SAMPLE", 30),
    # A rate or a delay is published only with at least this many cases.
    "MIN_SAMPLE_PUBLISH": env_int("FAIRPLACE_BAROMETER_MIN_PUBLISH", 10),
    # Counts from 1 to SUPPRESS_BELOW - 1 are published as "moins de 5".
    "SUPPRESS_BELOW": 5,
    # Days a frozen edition is shown to the platforms before publication.
    "PREVIEW_DAYS": 15,
}

# Public read-only API (fairplace/api, /api/): JSON only, no account, throttled per client IP
# in the default cache (rates "count/period", period s, m, h or d).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # no browsable API
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],  # read-only: views serve GET only
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": [
        "fairplace.api.throttling.PublicAnonThrottle",
        "fairplace.api.throttling.PublicUserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("FAIRPLACE_API_RATE_ANON", "60/min"),
        "user": env_str("FAIRPLACE_API_RATE_USER", "300/min"),
    },
    # The client IP is the one the nearest trusted proxy saw (same rule as the rate limits).
    "NUM_PROXIES": FAIRPLACE_TRUSTED_PROXIES,
    "DEFAULT_PAGINATION_CLASS": "fairplace.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fairplace — API du baromètre des places de marché",
    "DESCRIPTION": (
        "API publique en lecture seule des données ouvertes du baromètre Fairplace : éditions trimestrielles "
        "publiées et leurs chiffres, registre des indicateurs, places de marché et chartes. Sans inscription ; "
        "nombre de requêtes limité par adresse IP (réponse 429 au-delà). Un chiffre non publiable (moins de 5 cas, "
        "échantillon insuffisant) vaut null, jamais 0.\n\n"
        "Public read-only API of the Fairplace barometer's open data: published quarterly editions and their "
        "figures, the indicator registry, marketplaces and charters. No account; requests are limited per IP "
        "address (429 beyond). A figure that cannot be published (fewer than 5 cases, sample too small) is null, "
        "never 0."
    ),
    "VERSION": "1.0.0",
    "LICENSE": {
        "name": "Licence Ouverte / Open Licence 2.0",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "FigureStatusEnum": ["ok", "none", "below_5", "insufficient", "unknown"],
        "CharterStatusEnum": ["signed", "refused", "withdrawn", "not_signatory"],
        "SignatureStatusEnum": ["signed", "refused", "withdrawn"],
    },
    "TAGS": [
        {"name": "editions", "description": "Éditions publiées et leurs chiffres — Published editions and figures"},
        {
            "name": "reference",
            "description": "Indicateurs, places de marché, chartes — Indicators, marketplaces, charters",
        },
    ],
}
