"""What an operator needs to trust the background work: the workers seen, the queue's depth and the age of
its oldest task, and for each periodic job its schedule, last start, last success and last failure. Read by
``/healthz/worker`` (JSON, 503 when something is wrong) and the administrators' page."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY

from .queue import queue_state
from .runs import JOBS


@dataclass
class Health:
    ok: bool
    problems: list[str]
    workers: list[dict]
    queue: dict
    jobs: list[dict]


def worker_health(now=None) -> Health:
    from fairplace.core.models import JobRun, PeriodicJob, WorkerHeartbeat

    now = now or timezone.now()
    problems = []
    stale = timedelta(seconds=settings.FAIRPLACE_WORKER_STALE_SECONDS)
    workers = [
        {
            "worker": beat.worker,
            "hostname": beat.hostname,
            "pid": beat.pid,
            "started_at": beat.started_at,
            "last_seen_at": beat.last_seen_at,
            "alive": now - beat.last_seen_at <= stale,
        }
        for beat in WorkerHeartbeat.objects.filter(last_seen_at__gte=now - timedelta(days=1)).order_by("-last_seen_at")
    ]
    if not any(worker["alive"] for worker in workers):
        problems.append(_("Aucun worker vu depuis %(seconds)s secondes.") % {"seconds": stale.seconds})
    try:
        queue = queue_state(HUEY)
    except Exception as exc:  # the queue's storage (Redis, SQLite file) cannot be read
        queue = {"depth": None, "scheduled": None, "oldest_age_seconds": None, "error": type(exc).__name__}
        problems.append(_("La file des tâches est illisible (%(error)s).") % {"error": type(exc).__name__})
    oldest = queue.get("oldest_age_seconds")
    if oldest is not None and oldest > settings.FAIRPLACE_QUEUE_MAX_AGE_SECONDS:
        problems.append(
            _("La plus ancienne tâche en file attend depuis %(minutes)s minutes.") % {"minutes": round(oldest / 60)}
        )
    rows = {job.name: job for job in PeriodicJob.objects.all()}
    running = set(
        JobRun.objects.filter(status=JobRun.Status.RUNNING, lease_until__gte=now).values_list("job__name", flat=True)
    )
    jobs = []
    for name, spec in sorted(JOBS.items()):
        row = rows.get(name)
        failures = row.consecutive_failures if row else 0
        if failures >= settings.FAIRPLACE_JOB_FAILURES_ALERT:
            problems.append(_("La tâche %(job)s a échoué %(count)s fois de suite.") % {"job": name, "count": failures})
        jobs.append(
            {
                "name": name,
                "description": spec.description,
                "schedule": spec.schedule_text,
                "running": name in running,
                "consecutive_failures": failures,
                "last_started_at": row and row.last_started_at,
                "last_succeeded_at": row and row.last_succeeded_at,
                "last_failed_at": row and row.last_failed_at,
                "last_error": row.last_error if row else "",
                "last_result": row.last_result if row else "",
            }
        )
    return Health(not problems, problems, workers, queue, jobs)


def error_type(error: str) -> str | None:
    """The exception's name from a traceback's last line ("smtplib.SMTPServerDisconnected: …" → its name)."""
    if not error:
        return None
    last = error.strip().splitlines()[-1]
    name = last.split(":", 1)[0].strip()
    return name if name.replace(".", "").replace("_", "").isalnum() else "Error"
