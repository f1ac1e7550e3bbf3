"""Local development: `make run`."""

from config.env import env_str

from .base import *  # noqa: F403
from .base import VAR_DIR  # noqa: F401

DEBUG = True
# In development the codes and receipts are printed in the terminal of `make run`.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
