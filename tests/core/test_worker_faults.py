"""The background work under faults, with real worker processes (``manage.py run_huey``, not immediate mode),
a real queue (SQLite file, or Redis when REDIS_URL is set) and a real SMTP server (aiosmtpd).

(1) a periodic job that raises does not stop the others, and /healthz/worker shows it; (2) the workers'
database connections terminated while 500 e-mails go out: each arrives exactly once; (3) the SMTP server down
for a while: everything is delivered once it is back; (4) two workers started at once never run the same
periodic job twice in the same slot; and a large export requested by an agent is built by the worker."""

import shlex
import sys
import threading
import time

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection, transaction
from django.utils import timezone

from fairplace.core.models import JobRun, OutboxMessage, PeriodicJob
from fairplace.core.outbox import enqueue_email
from tests.conftest import _Collector

from .live_worker import free_port, live_queue, wait_until, workers

pytestmark = pytest.mark.django_db(transaction=True)


class SmtpServer:
    """aiosmtpd on a chosen port, which can be stopped and started again."""

    def __init__(self, port: int):
        self.port, self.handler, self.controller = port, _Collector(), None

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.handler.messages]


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def _env(queue_env: dict, smtp_port: int, **extra) -> dict:
    return {
        **queue_env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
        "FAIRPLACE_OUTBOX_RETRY_SECONDS": "1",
        "FAIRPLACE_OUTBOX_CLAIM_SECONDS": "5",
        **extra,
    }


def _enqueue(count: int, prefix: str) -> None:
    with transaction.atomic():  # the tasks are enqueued when this commits
        for number in range(count):
            enqueue_email(
                to=f"vendeur{number}@exemple.fr",
                template="email_code",
                context={"code": f"{number:06d}", "minutes": 15},
                dedup_key=f"{prefix}:{number}",
            )


def _sent() -> int:
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()


def test_a_failing_job_does_not_stop_the_others_and_healthz_worker_shows_it(client, settings, tmp_path, smtp):
    from fairplace.observatory.terms.models import TrackedDocument

    TrackedDocument.objects.create(
        service_name="Cdiscount", title="Conditions", doc_type="seller_terms", urls=["https://cdiscount.example/cgv"]
    )
    PeriodicJob.objects.create(name="terms.track", consecutive_failures=2)  # two failed runs before this one
    OutboxMessage.objects.create(
        to="agent@fairplace.test", subject="Relance", body_text="…", template="test", next_attempt_at=timezone.now()
    )  # left to the sweep (no task was enqueued)
    failing = shlex.join([sys.executable, "-c", "import sys; sys.exit(3)"])
    with (
        live_queue(tmp_path) as queue,
        workers(
            _env(queue, smtp.port, FAIRPLACE_TERMS_TRACK_COMMAND=failing, FAIRPLACE_SCHEDULES="terms.track=* * * * *"),
            tmp_path,
        ) as [w],
    ):
        wait_until(
            lambda: PeriodicJob.objects.filter(name="terms.track", consecutive_failures=3).exists(),
            timeout=60,
            message="the tracking run to fail",
        )
        wait_until(lambda: _sent() == 1, timeout=60, message="the sweep to send the e-mail")
        wait_until(
            lambda: JobRun.objects.filter(job__name="barometer.refresh", status="succeeded").exists(),
            timeout=60,
            message="another job to run",
        )
        assert w.alive
        response = client.get("/healthz/worker")
        assert response.status_code == 503
        health = response.json()
        assert health["status"] == "error" and any(worker["alive"] for worker in health["workers"])
        assert any("terms.track" in problem and "3 fois" in problem for problem in health["problems"])
        job = next(job for job in health["jobs"] if job["name"] == "terms.track")
        assert job["consecutive_failures"] == 3 and job["last_failed_at"]
        assert job["last_error_type"].endswith("TrackingRunFailed")
        sweep = next(job for job in health["jobs"] if job["name"] == "core.outbox_sweep")
        assert sweep["last_succeeded_at"] and sweep["consecutive_failures"] == 0
        assert "job terms.track failed" in w.output() and "Traceback" in w.output()
    assert [message["Subject"] for message in smtp.handler.messages] == ["Relance"]
    # The worker has stopped: after the stale delay, the page says no worker is seen.
    settings.FAIRPLACE_WORKER_STALE_SECONDS = 1
    time.sleep(1.5)
    assert any("Aucun worker" in problem for problem in client.get("/healthz/worker").json()["problems"])


def _terminate_backends(stop: threading.Event, keep: set[int], killed: list[int]) -> None:
    config = connection.settings_dict
    with psycopg.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
        user=config.get("USER") or "postgres",
        dbname=config["NAME"],
        autocommit=True,
    ) as admin:
        keep = keep | {admin.info.backend_pid}
        while not stop.is_set():
            rows = admin.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> ALL(%s)",
                [list(keep)],
            ).fetchall()
            killed.extend(pid for pid, _ in rows)
            stop.wait(0.2)


def test_terminated_database_connections_lose_and_duplicate_no_email(tmp_path, smtp):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's: this fault is tested in the PostgreSQL pass")
    connection.ensure_connection()
    stop, killed = threading.Event(), []
    with live_queue(tmp_path) as queue, workers(_env(queue, smtp.port), tmp_path) as [w]:
        _enqueue(500, "terminate")
        killer = threading.Thread(
            target=_terminate_backends, args=(stop, {connection.connection.info.backend_pid}, killed)
        )
        wait_until(lambda: len(smtp.handler.messages) >= 20, timeout=60, message="the first e-mails")
        killer.start()
        try:
            wait_until(
                lambda: len(smtp.handler.messages) >= 300 or not w.alive,
                timeout=120,
                interval=0.5,
                message="e-mails to go on arriving under terminations",
            )
        finally:
            stop.set()
            killer.join()
        assert w.alive and killed, "the worker survives and its connections were really terminated"
        wait_until(lambda: _sent() == 500, timeout=150, interval=0.5, message="every e-mail to be sent")
    ids = smtp.ids()
    assert len(ids) == 500 and len(set(ids)) == 500  # each arrived exactly once
    assert OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).count() == 0


def test_an_smtp_outage_delays_but_loses_and_duplicates_nothing(tmp_path):
    server = SmtpServer(free_port())  # not started: nothing listens on its port yet
    try:
        with live_queue(tmp_path) as queue, workers(_env(queue, server.port), tmp_path) as [w]:
            _enqueue(50, "outage")
            wait_until(
                lambda: OutboxMessage.objects.filter(attempts__gte=2).count() == 50,
                timeout=60,
                message="every message to fail twice",
            )
            assert _sent() == 0 and not OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).exists()
            server.start()
            wait_until(lambda: _sent() == 50, timeout=90, interval=0.5, message="delivery once SMTP is back")
            assert w.alive
        ids = server.ids()
        assert len(ids) == 50 and len(set(ids)) == 50
        assert "not sent (attempt 1 of 8)" in w.output()
    finally:
        server.stop()


def test_two_workers_started_at_once_never_run_a_job_twice_in_one_slot(tmp_path, smtp):
    with live_queue(tmp_path) as queue, workers(_env(queue, smtp.port), tmp_path, count=2) as pair:
        every_minute = ["core.outbox_sweep", "barometer.refresh", "reports.exports", "reports.scan_attachments"]
        wait_until(
            lambda: (
                JobRun.objects.filter(job__name__in=every_minute)
                .exclude(status="running")
                .values("job")
                .distinct()
                .count()
                == len(every_minute)
            ),
            timeout=60,
            message="the first slot",
        )
        time.sleep(3)  # both schedulers enqueued the slot's jobs: let the second copies reach a worker
        assert all(worker.alive for worker in pair)
        output = "".join(worker.output() for worker in pair)
    assert "already run by another worker" in output  # the second copy was refused, not merely absent
    for name in every_minute:
        slots = list(JobRun.objects.filter(job__name=name).values_list("slot", flat=True))
        assert len(slots) == len(set(slots)), name
    assert len({run.worker for run in JobRun.objects.all()}) >= 1


def test_a_large_export_is_built_by_the_worker(settings, tmp_path, smtp, make_report, personas):
    from fairplace.reports.exports import request_export
    from fairplace.reports.models import ExportJob

    for _ in range(3):
        make_report()
    settings.FAIRPLACE_EXPORT_SYNC_MAX_ROWS = 1  # like the demo's 6,000 reports against 5,000
    with live_queue(tmp_path) as queue, workers(_env(queue, smtp.port), tmp_path):
        job = request_export(personas["agent"], query="", export_format="xlsx")
        assert job.status == ExportJob.Status.PENDING
        wait_until(
            lambda: ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).exists(),
            timeout=60,
            message="the export to be built",
        )
    job.refresh_from_db()
    assert job.row_count == 3
    with job.file.open("rb") as built:
        assert built.read(2) == b"PK"  # an XLSX file (a zip), written by the worker where the app reads it


class _SlowCollector(_Collector):
    """Takes 20 ms per message, so that a worker killed at a random moment is caught in the middle of sends."""

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_a_killed_worker_loses_nothing_its_successor_finishes(tmp_path):
    server = SmtpServer(free_port())
    server.handler = _SlowCollector()
    server.start()
    try:
        with live_queue(tmp_path) as queue:
            _enqueue(200, "killed")
            env = _env(queue, server.port)
            with workers(env, tmp_path) as [first]:
                wait_until(lambda: len(server.handler.messages) >= 40, timeout=60, message="sending to be under way")
                first.kill()  # SIGKILL: no clean-up, tasks in flight are lost from the queue
            in_flight = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING).count()
            assert _sent() < 200
            with workers(env, tmp_path) as [second]:
                wait_until(lambda: _sent() == 200, timeout=150, interval=0.5, message="the successor to finish")
                assert second.alive
        ids = server.ids()
        rows = OutboxMessage.objects.values_list("pk", flat=True)
        assert set(ids) == {f"<outbox-{pk}@fairplace.example>" for pk in rows}  # none lost
        # Exactly once, except a message the SMTP server accepted in the instant of the kill (same Message-ID).
        assert len(ids) - len(set(ids)) <= in_flight
    finally:
        server.stop()
