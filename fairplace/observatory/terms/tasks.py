"""Periodic work of the terms observatory, run by ``manage.py run_worker``: a tracking run of every active
document, at most once every ``FAIRPLACE_TERMS_TRACK_HOURS`` hours (default 12).

A run takes minutes (hundreds of pages, politely fetched): it runs in a **child process**
(``manage.py track_terms --no-progress``, or ``FAIRPLACE_TERMS_TRACK_COMMAND``), so the worker goes on
sending e-mails and running the other tasks meanwhile. The worker reaps the child at its next passes (its
summary goes to the worker's own output) and never starts a second one while the first runs.

The interval is kept in the shared cache — ``cache.add`` of a key that expires after the interval succeeds
for one worker only, so two workers never start the same run. A run that fails still waits for the next
interval (its failures are in the operators' queue)."""

import logging
import os
import shlex
import subprocess
import sys

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from fairplace.core.tasks import register_periodic

from .fetching import setting

logger = logging.getLogger(__name__)
LAST_RUN_KEY = "terms.track.last_run"
DEFAULT_HOURS = 12.0
_child: subprocess.Popen | None = None  # the run this worker process started, until reaped


def interval_hours() -> float:
    return setting("FAIRPLACE_TERMS_TRACK_HOURS", DEFAULT_HOURS, float)


def track_command() -> list[str]:
    """The tracking run's command line: ``FAIRPLACE_TERMS_TRACK_COMMAND`` (split like a shell would, e.g. to
    prefix ``nice``), else this interpreter running ``django track_terms`` with this worker's settings."""
    configured = setting("FAIRPLACE_TERMS_TRACK_COMMAND", "")
    if configured:
        return shlex.split(configured)
    workers = setting("FAIRPLACE_TERMS_TRACK_WORKERS", 4, int)
    return [sys.executable, "-m", "django", "track_terms", "--no-progress", "--workers", str(workers)]


def track_when_due() -> subprocess.Popen | None:
    """Start a tracking run in a child process when the last one is older than the interval; the child, or None
    (nothing started: one still running, interval not elapsed, tracking switched off, nothing to track)."""
    from .models import TrackedDocument

    if running():
        return None
    hours = interval_hours()
    if hours <= 0:
        return None  # periodic tracking switched off
    if not TrackedDocument.objects.filter(is_active=True).exists():
        return None
    if not cache.add(LAST_RUN_KEY, timezone.now().isoformat(), timeout=int(hours * 3600)):
        return None  # a run started less than ``hours`` ago
    return _start(track_command())


def running() -> bool:
    """Whether this worker's last run is still going (a finished one is reaped and logged)."""
    global _child
    if _child is None:
        return False
    code = _child.poll()
    if code is None:
        return True
    log = logger.info if code == 0 else logger.error
    log("terms.track: run %s ended with status %s", _child.pid, code)
    _child = None
    return False


def _start(command: list[str]) -> subprocess.Popen:
    global _child
    env = dict(os.environ)
    # The worker's own settings (SETTINGS_MODULE is None under override_settings: the environment has it).
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE")
    if module:
        env["DJANGO_SETTINGS_MODULE"] = module
    # The child's output is the worker's: its summary lands in the worker's log.
    _child = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL)  # noqa: S603
    logger.info("terms.track: run %s started: %s", _child.pid, shlex.join(command))
    return _child


def register() -> None:
    register_periodic("terms.track", track_when_due)
