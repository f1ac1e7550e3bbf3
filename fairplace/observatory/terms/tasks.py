"""Periodic work of the terms observatory, run by ``manage.py run_worker``: a tracking run of every active
document, at most once every ``FAIRPLACE_TERMS_TRACK_HOURS`` hours (default 12).

The worker calls its tasks every few seconds: the interval is kept in the cache — ``cache.add`` of a key that
expires after the interval succeeds for one worker only, so two workers never start the same run. A run
that fails still waits for the next interval (its failures are in the operators' queue)."""

import logging

from django.core.cache import cache
from django.utils import timezone

from fairplace.core.tasks import register_periodic

from .fetching import setting

logger = logging.getLogger(__name__)
LAST_RUN_KEY = "terms.track.last_run"
DEFAULT_HOURS = 12.0


def interval_hours() -> float:
    return setting("FAIRPLACE_TERMS_TRACK_HOURS", DEFAULT_HOURS, float)


def track_when_due():
    """Track every active document when the last run is older than the interval; the report, or None."""
    from .models import TrackedDocument
    from .tracking import track

    hours = interval_hours()
    if hours <= 0:
        return None  # periodic tracking switched off
    if not TrackedDocument.objects.filter(is_active=True).exists():
        return None
    if not cache.add(LAST_RUN_KEY, timezone.now().isoformat(), timeout=int(hours * 3600)):
        return None  # a run started less than ``hours`` ago
    workers = setting("FAIRPLACE_TERMS_TRACK_WORKERS", 4, int)
    report = track(TrackedDocument.objects.filter(is_active=True).order_by("pk"), workers=workers)
    logger.info("terms.track: %s", report.summary())
    return report


def register() -> None:
    register_periodic("terms.track", track_when_due)
