"""Load benchmark (``bench/intake.py``): production-like (DEBUG off, PostgreSQL, persistent
connections, receipts queued in the outbox for the worker) but plain HTTP on 127.0.0.1 and
rate limits out of the way, since every simulated client shares one IP address."""

import dj_database_url

from config.env import env_int, env_str

from .base import *  # noqa: F403
from .base import FAIRPLACE_RATE_LIMITS, LOGGING, STORAGES

SECRET_KEY = "bench-secret-key-not-for-production-0123456789-abcdefghijklmnop"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
# The site's URLs plus /bench/trivial/, the baseline of bench/barometer.py.
ROOT_URLCONF = "config.urls_bench"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fairplace_bench"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
    )
}

# Receipts are written to the outbox in the submitting transaction and left to the worker
# (manage.py run_worker), as in production behind a queue: no SMTP in the measured path.
FAIRPLACE_OUTBOX_DELIVERY = env_str("FAIRPLACE_OUTBOX_DELIVERY", "worker")  # bench/worker.py (c): on_commit
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
FAIRPLACE_COMPANY_SEARCH_ENABLED = False
FAIRPLACE_PUBLIC_URL = "http://127.0.0.1"

# Every client comes from 127.0.0.1: limits so high they never trip (the counters are
# still incremented, as in production).
_UNLIMITED = "1000000000/d"
FAIRPLACE_RATE_LIMITS = dict.fromkeys(FAIRPLACE_RATE_LIMITS, _UNLIMITED)

# No collectstatic for a benchmark: error pages must still render without a manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": env_str("DJANGO_LOG_LEVEL", "WARNING")}}
