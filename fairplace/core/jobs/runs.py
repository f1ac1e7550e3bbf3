"""Periodic jobs: each app declares its own with ``@periodic_job`` in its ``tasks.py``; one-off tasks with
``@db_task``. This module is the only one that talks to Huey's decorators.

A periodic job runs once per scheduled slot, one run at a time, wherever the workers are:

* Huey's scheduler (one per worker process) enqueues the job at each minute its crontab matches;
* the run first claims its slot under a row lock of the job's ``PeriodicJob`` row: a ``JobRun`` unique per
  (job, slot), refused while another run holds an unexpired lease. Two workers, on one machine or several,
  never run the same slot twice nor the same job at once;
* the outcome (success with its result, or failure with the traceback) is written on the run and the job's
  row; the failure is logged and *not* raised, so one failing job never stops another, and the next slot
  runs as usual.
"""

import logging
import os
import socket
import traceback
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from .database import fresh_connections, with_reconnect
from .schedules import Cron, parse_cron

logger = logging.getLogger("fairplace.jobs")


@dataclass
class JobSpec:
    name: str
    default_schedule: str
    description: str
    function: object
    lease: timedelta
    task: object = field(default=None, repr=False)

    @property
    def schedule_text(self) -> str:
        return settings.FAIRPLACE_SCHEDULES.get(self.name, self.default_schedule)

    @property
    def cron(self) -> Cron | None:
        text = self.schedule_text
        return None if text == "off" else parse_cron(text)

    def interval(self, now=None) -> timedelta | None:
        """The time between the job's two latest slots (None when the job is off)."""
        cron = self.cron
        latest = cron and cron.slot(now or timezone.now())
        previous = latest and cron.slot(latest - timedelta(minutes=1))
        return latest - previous if previous else None


JOBS: dict[str, JobSpec] = {}


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def periodic_job(name: str, schedule: str, *, description: str, lease: timedelta = timedelta(minutes=30)):
    """Declare ``function`` as the periodic job ``name`` (crontab ``schedule``, Paris time, overridable by
    ``FAIRPLACE_SCHEDULES``). ``lease``: the longest a run may take before it counts as interrupted. The
    function itself is returned unchanged (commands and tests call it directly)."""
    parse_cron(schedule)

    def decorator(function):
        spec = JOBS.setdefault(name, JobSpec(name, schedule, description, function, lease))
        if spec.task is not None:
            return function  # module imported twice (tests reloading it): keep the first registration

        def due(timestamp) -> bool:
            cron = spec.cron
            return cron is not None and cron.matches(timestamp)

        def run():
            return run_job(spec)

        run.__name__ = run.__qualname__ = name.replace(".", "_")
        run.__module__ = function.__module__
        spec.task = HUEY.periodic_task(due, name=name)(run)
        return function

    return decorator


def db_task(*, retries: int = 0, retry_delay: int = 0, name: str | None = None):
    """A one-off task working on database rows: connections refreshed around it, and an object that no
    longer exists ends the task with a log line instead of a retry."""

    def decorator(function):
        task_name = name or function.__name__

        def run(*args, **kwargs):
            fresh_connections(HUEY.immediate)
            try:
                return function(*args, **kwargs)
            except ObjectDoesNotExist:
                logger.warning("task %s%r: the object no longer exists, nothing to do", task_name, args)
                return None
            except Exception:
                logger.exception("task %s%r failed", task_name, args)
                raise
            finally:
                fresh_connections(HUEY.immediate)

        run.__name__ = run.__qualname__ = function.__name__
        run.__module__ = function.__module__
        return HUEY.task(
            retries=retries, retry_delay=retry_delay, retry_backoff=2 if retry_delay else 0, name=task_name
        )(run)

    return decorator


def run_job(spec: JobSpec, *, now=None, manual: bool = False):
    """Run one slot of ``spec`` (or, ``manual``, a run of its own right now). Returns the ``JobRun``, or None
    when the slot was taken or another run is still going."""
    from fairplace.core.models import JobRun

    fresh_connections(HUEY.immediate)
    now = now or timezone.now()
    slot = now if manual else (spec.cron.slot(now) if spec.cron else None)
    if slot is None:
        return None
    run = with_reconnect(lambda: _claim(spec, slot, now))
    if run is None:
        return None
    try:
        result = spec.function()
    except Exception:
        error = traceback.format_exc()
        logger.error("job %s failed (slot %s, run %s)\n%s", spec.name, slot.isoformat(), run.pk, error)
        with_reconnect(lambda: _finish(run, JobRun.Status.FAILED, error=error))
    else:
        with_reconnect(lambda: _finish(run, JobRun.Status.SUCCEEDED, result=_describe(result)))
    finally:
        fresh_connections(HUEY.immediate)
    return run


def _describe(result) -> str:
    return "" if result is None else str(result)[:200]


def _claim(spec: JobSpec, slot, now):
    from fairplace.core.models import JobRun, PeriodicJob

    job, _ = PeriodicJob.objects.get_or_create(name=spec.name)
    with transaction.atomic():
        job = PeriodicJob.objects.select_for_update().get(pk=job.pk)
        _interrupt_expired(job, now)
        if JobRun.objects.filter(job=job, status=JobRun.Status.RUNNING).exists():
            logger.info("job %s: previous run still going, slot %s skipped", spec.name, slot.isoformat())
            return None
        if JobRun.objects.filter(job=job, slot=slot).exists():
            logger.info("job %s: slot %s already run by another worker", spec.name, slot.isoformat())
            return None
        run = JobRun.objects.create(
            job=job, slot=slot, started_at=now, lease_until=now + spec.lease, worker=worker_id()
        )
        PeriodicJob.objects.filter(pk=job.pk).update(last_started_at=now)
    return run


def _interrupt_expired(job, now) -> None:
    from fairplace.core.models import JobRun, PeriodicJob

    expired = JobRun.objects.filter(job=job, status=JobRun.Status.RUNNING, lease_until__lt=now)
    count = expired.update(
        status=JobRun.Status.INTERRUPTED,
        finished_at=now,
        error="Interrompue : le worker s'est arrêté pendant l'exécution (bail expiré).",
    )
    if count:
        PeriodicJob.objects.filter(pk=job.pk).update(
            last_failed_at=now,
            last_error="Interrompue : le worker s'est arrêté pendant l'exécution.",
            consecutive_failures=F("consecutive_failures") + count,
        )


def _finish(run, status, *, error: str = "", result: str = "") -> None:
    from fairplace.core.models import JobRun, PeriodicJob

    now = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, error=error, result=result)
    if status == JobRun.Status.SUCCEEDED:
        PeriodicJob.objects.filter(pk=run.job_id).update(
            last_succeeded_at=now, consecutive_failures=0, last_result=result
        )
    else:
        PeriodicJob.objects.filter(pk=run.job_id).update(
            last_failed_at=now, last_error=error[-4000:], consecutive_failures=F("consecutive_failures") + 1
        )


def run_now(name: str):
    """Run job ``name`` once, now (``manage.py run_job``, tests): the same claim and record as a slot."""
    return run_job(JOBS[name], manual=True)
