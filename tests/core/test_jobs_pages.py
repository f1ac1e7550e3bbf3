"""/healthz/worker and the administrators' page of the background work, in immediate mode (the real worker
processes are in test_worker_faults.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fairplace.core.jobs.heartbeat import beat
from fairplace.core.jobs.runs import run_now
from fairplace.core.models import OutboxMessage, PeriodicJob

from ..conftest import login_as

pytestmark = pytest.mark.django_db


def test_healthz_worker_is_503_without_a_worker_and_200_with_one(client):
    response = client.get("/healthz/worker")
    assert response.status_code == 503 and response["Cache-Control"].startswith("max-age=0")
    assert any("Aucun worker" in problem for problem in response.json()["problems"])
    beat()
    response = client.get("/healthz/worker")
    assert response.status_code == 200, response.json()
    health = response.json()
    assert health["status"] == "ok" and health["queue"]["depth"] == 0
    assert {job["name"] for job in health["jobs"]} >= {"reports.overdue", "core.outbox_sweep"}


def test_three_failures_in_a_row_make_it_503_and_the_error_text_stays_private(client):
    beat()
    PeriodicJob.objects.create(
        name="reports.overdue",
        consecutive_failures=3,
        last_failed_at=timezone.now(),
        last_error="Traceback …\nsmtplib.SMTPRecipientsRefused: {'vendeuse@exemple.fr': …}",
    )
    response = client.get("/healthz/worker")
    assert response.status_code == 503
    job = next(job for job in response.json()["jobs"] if job["name"] == "reports.overdue")
    assert job["last_error_type"] == "smtplib.SMTPRecipientsRefused"
    assert "vendeuse@exemple.fr" not in response.content.decode()
    run_now("reports.overdue")  # a success resets the count
    assert client.get("/healthz/worker").status_code == 200


def test_an_old_heartbeat_is_no_worker(client):
    beat()
    from fairplace.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update(last_seen_at=timezone.now() - timedelta(minutes=3))
    assert client.get("/healthz/worker").status_code == 503


def test_an_administrator_sees_the_jobs_and_sends_a_failed_email_again(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    message = OutboxMessage.objects.create(
        to="vendeuse@exemple.fr",
        subject="Votre code",
        body_text="123456",
        template="email_code",
        status=OutboxMessage.Status.FAILED,
        attempts=8,
        last_error="SMTPServerDisconnected('Connection unexpectedly closed')",
        next_attempt_at=timezone.now(),
    )
    login_as(client, personas, "administrator")
    page = client.get("/gestion/taches/")
    content = page.content.decode()
    assert page.status_code == 200 and "reports.overdue" in content and "SMTPServerDisconnected" in content
    assert "Aucun worker vu" in content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/gestion/taches/courriels/{message.pk}/renvoyer/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 1  # a fresh series, sent at once
    assert [sent.subject for sent in mailoutbox] == ["Votre code"]
    again = client.post(f"/gestion/taches/courriels/{message.pk}/renvoyer/", follow=True)
    assert "n’est pas en échec" in again.content.decode()
