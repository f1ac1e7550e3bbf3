"""Settings of the real worker processes the fault tests start (tests/core/live_worker.py): the test
settings, with e-mail sent over SMTP to the address in EMAIL_HOST / EMAIL_PORT (a local aiosmtpd server)."""

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
