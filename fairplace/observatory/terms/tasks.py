"""The terms observatory's background work: a tracking run of every active document, every 12 hours by
default (``terms.track``; ``FAIRPLACE_SCHEDULES="terms.track=…"`` to change it, ``off`` to stop it).

A run takes minutes (hundreds of pages, politely fetched). It runs in a **child process**
(``manage.py track_terms --no-progress``, or ``FAIRPLACE_TERMS_TRACK_COMMAND``, e.g. prefixed with ``nice``)
that the job waits for: Chromium and its threads stay out of the worker, and the worker's other threads go
on sending e-mails and running the other jobs meanwhile. The job's lease (13 hours) keeps a second run from
starting while one is going, on any worker; a run that fails waits for the next slot (its failures are in
the operators' queue)."""

import logging
import shlex
import subprocess
import sys
from datetime import timedelta

from django.conf import settings

from fairplace.core.jobs.runs import JOBS, periodic_job

logger = logging.getLogger(__name__)
RUN_TIMEOUT = timedelta(hours=12)


class TrackingRunFailed(RuntimeError):
    pass


def interval_hours() -> float:
    """Hours between two tracking runs (0 when periodic tracking is off)."""
    interval = JOBS["terms.track"].interval()
    return interval.total_seconds() / 3600 if interval else 0.0


def track_command() -> list[str]:
    """The tracking run's command line: ``FAIRPLACE_TERMS_TRACK_COMMAND`` (split like a shell would, e.g. to
    prefix ``nice``), else this interpreter running ``django track_terms`` with this worker's settings (the child
    inherits the worker's environment; SETTINGS_MODULE is None under override_settings, where it is that)."""
    if settings.FAIRPLACE_TERMS_TRACK_COMMAND:
        return shlex.split(settings.FAIRPLACE_TERMS_TRACK_COMMAND)
    workers = settings.FAIRPLACE_TERMS_TRACK_WORKERS
    command = [sys.executable, "-m", "django", "track_terms", "--no-progress", "--workers", str(workers)]
    module = getattr(settings, "SETTINGS_MODULE", None)
    return [*command, "--settings", module] if module else command


@periodic_job(
    "terms.track",
    "0 */12 * * *",
    lease=RUN_TIMEOUT + timedelta(hours=1),
    description="Relève les documents contractuels suivis (dans un processus à part).",
)
def track_documents() -> str:
    from .models import TrackedDocument

    if not TrackedDocument.objects.filter(is_active=True).exists():
        return "aucun document suivi"
    command = track_command()
    logger.info("terms.track: run started: %s", shlex.join(command))
    # The child's output is the worker's: its summary lands in the worker's log.
    completed = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,  # noqa: S603
        timeout=RUN_TIMEOUT.total_seconds(),
        check=False,
    )
    if completed.returncode != 0:
        raise TrackingRunFailed(f"track_terms ended with status {completed.returncode}")
    return "relevé terminé"
