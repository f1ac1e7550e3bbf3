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
