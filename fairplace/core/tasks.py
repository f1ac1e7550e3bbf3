"""The core's background work: sending the outbox's e-mails (a task per message, enqueued on commit, and a
sweep every minute), purges, and the worker's heartbeat. Every app declares its own jobs in its
``tasks.py`` with ``fairplace.core.jobs.runs.periodic_job``; docs/taches-de-fond.md lists them all."""

import time
from datetime import timedelta

from django.utils import timezone
from huey.contrib.djhuey import HUEY

from . import outbox
from .jobs import heartbeat
from .jobs.runs import db_task, periodic_job
from .ratelimit import purge_expired

SWEEP_SECONDS = 45  # a sweep stops sending after this, so that the next minute's sweep finds it done


@HUEY.on_startup()
def start_heartbeat():
    heartbeat.start()


@db_task(retries=5, retry_delay=5)
def deliver_message(pk: int) -> bool:
    """Send one outbox message; after a failed attempt the task comes back when the message is due again
    (the sweep would also find it). A database error is retried by Huey (5 times, 5 s doubling)."""
    if outbox.deliver(pk):
        return True
    due = outbox.next_attempt(pk)
    if due is not None and due > timezone.now():
        deliver_message.schedule((pk,), eta=due)
    return False


@periodic_job(
    "core.outbox_sweep",
    "* * * * *",
    lease=timedelta(minutes=2),
    description="Envoie les courriels en attente que nul n'a envoyés (nouvelle tentative, tâche perdue).",
)
def sweep_outbox() -> int:
    sent, deadline = 0, time.monotonic() + SWEEP_SECONDS
    while time.monotonic() < deadline:
        batch = outbox.due_ids(100)
        if not batch:
            break
        sent += sum(1 for pk in batch if time.monotonic() < deadline and outbox.deliver(pk))
    return sent


@periodic_job("core.purge_rate_limits", "15 3 * * *", description="Supprime les compteurs de débit expirés.")
def purge_rate_limits() -> int:
    return purge_expired()


@periodic_job(
    "core.purge_job_runs",
    "30 3 * * *",
    description="Supprime l'historique des exécutions de plus de 30 jours et les workers disparus.",
)
def purge_job_runs() -> int:
    from .models import JobRun, WorkerHeartbeat

    limit = timezone.now() - timedelta(days=30)
    runs, _ = JobRun.objects.filter(started_at__lt=limit).exclude(status=JobRun.Status.RUNNING).delete()
    workers, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=timezone.now() - timedelta(days=7)).delete()
    return runs + workers
