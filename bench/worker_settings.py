"""Settings of bench/worker.py: ``config.settings.bench`` (FAIRPLACE_OUTBOX_DELIVERY from the environment) with

* the e-mail backend from ``EMAIL_BACKEND`` (part a: the SMTP backend towards the script's aiosmtpd server,
  ``EMAIL_HOST`` / ``EMAIL_PORT``; otherwise bench.py's dummy backend, so that no request ever talks SMTP);
* the cache keys in Redis prefixed with the run's queue name (``FAIRPLACE_HUEY_NAME``), so that the script
  deletes its own keys and nobody else's."""

from config.env import env_str
from config.settings.bench import *  # noqa: F403
from config.settings.bench import CACHES, HUEY_NAME

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": HUEY_NAME}}
