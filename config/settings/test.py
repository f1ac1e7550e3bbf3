"""The test suite: `make test` (SQLite) and `.ci/run` (PostgreSQL through DATABASE_URL)."""

from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
FAIRPLACE_COMPANY_SEARCH_URL = "http://company-search.invalid"
FAIRPLACE_ANTIVIRUS = "disabled"
FAIRPLACE_OUTBOX_DELIVERY = "on_commit"
FAIRPLACE_PUBLIC_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Staff login: the lockout stays on (tests log in with force_login, or through the login page;
# Client.login() would need a request for django-axes). /admin/ does not ask force-logged-in
# staff for a TOTP code; tests/core/test_auth.py turns that back on to check it.
AXES_ENABLED = True
FAIRPLACE_ADMIN_REQUIRES_SECOND_FACTOR = False
PROCONNECT_ENABLED = False
PROCONNECT_DOMAIN = "proconnect.test"
PROCONNECT_CLIENT_ID = "fairplace-test"
PROCONNECT_CLIENT_SECRET = "test-client-secret"  # noqa: S105
PROCONNECT_SIGNING_ALGORITHM = "RS256"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file rather than shared-cache memory: concurrent-submission tests need SQLite's real
    # locking (busy timeout), which shared-cache in-memory databases do not honour.
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"fairplace-test-{os.getpid()}.sqlite3")
    }

# Background work: tasks run inline (Huey's immediate mode) unless a test starts a real worker
# (tests/core/worker.py), which shares this process's queue: a file of its own per test process, or Redis
# (REDIS_URL) under a name of its own.
import os as _os  # noqa: E402
import tempfile as _tempfile  # noqa: E402

from config.env import env_bool as _env_bool  # noqa: E402
from config.env import env_str as _env_str  # noqa: E402

HUEY["name"] = _env_str("FAIRPLACE_HUEY_NAME", f"fairplace-test-{_os.getpid()}")  # noqa: F405
HUEY["immediate"] = _env_bool("FAIRPLACE_HUEY_IMMEDIATE", True)  # noqa: F405
if "filename" in HUEY:  # noqa: F405
    HUEY["filename"] = _env_str(  # noqa: F405
        "FAIRPLACE_HUEY_FILE",
        _os.path.join(_tempfile.gettempdir(), f"fairplace-huey-{_os.getpid()}.sqlite3"),
    )

# The suite keeps its cache in the database, where each test's writes roll back, whatever REDIS_URL says:
# REDIS_URL (CI's PostgreSQL pass) moves the task queue to Redis (HUEY above); the Redis cache and the Redis
# rate-limit path have tests of their own (tests/core/test_ratelimit.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "fairplace_cache"}}
REDIS_URL = ""
