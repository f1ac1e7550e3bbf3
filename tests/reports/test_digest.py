"""The agents' daily digest, delivered through a real SMTP server."""

from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from fairplace.core.models import OutboxMessage
from fairplace.core.outbox import deliver_due
from fairplace.reports import digest
from fairplace.reports.models import Message, Party

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.FAIRPLACE_RATE_LIMITS = dict.fromkeys(settings.FAIRPLACE_RATE_LIMITS, "1000/h")


@pytest.fixture(autouse=True)
def _worker_delivery(settings):
    # Only the worker sends: each test decides when with deliver_due().
    settings.FAIRPLACE_OUTBOX_DELIVERY = "worker"


@pytest.fixture
def busy_queue(make_report, personas):
    """Two new reports, one assigned to the agent, one overdue, one seller message to review."""
    now = timezone.now()
    make_report(submitted_at=now - timedelta(hours=3))
    make_report(submitted_at=now - timedelta(hours=20), assigned_to=personas["agent"], state="qualified")
    make_report(submitted_at=now - timedelta(days=3))  # not new
    make_report(state="overdue", submitted_at=now - timedelta(days=50), answer_due_at=now - timedelta(days=5))
    forwarded = make_report(
        state="forwarded", submitted_at=now - timedelta(days=10), answer_due_at=now + timedelta(days=20)
    )
    Message.objects.create(
        report=forwarded,
        sender=Party.SELLER,
        recipient=Party.PLATFORM,
        body="Pouvez-vous rétablir mon compte ?",
        created_at=now,
    )
    Message.objects.create(
        report=forwarded,
        sender=Party.SELLER,
        recipient=Party.PLATFORM,
        body="Déjà relu",
        created_at=now,
        released_at=now,
        released_by=personas["agent"],
    )
    # Digest e-mails only: the receipts of the set-up are not what this test reads.
    OutboxMessage.objects.all().delete()
    return now


def received(smtp_server) -> dict:
    parsed = [BytesParser(policy=policy.default).parsebytes(m.as_bytes()) for m in smtp_server.messages]
    return {message["To"]: message for message in parsed}


def test_each_agent_and_supervisor_gets_one_digest_with_their_counts(busy_queue, personas, smtp_server):
    assert digest.send_agent_digests() == 2
    assert deliver_due() == 2
    messages = received(smtp_server)
    # Administrators, mediators and platforms get no digest.
    assert set(messages) == {"agent@fairplace.test", "superviseur@fairplace.test"}
    agent_mail = messages["agent@fairplace.test"]
    assert "la file des signalements" in agent_mail["Subject"]
    body = agent_mail.get_content()
    assert "- 2 nouveaux signalements depuis hier" in body
    assert "- 1 dossier en cours vous est attribué" in body
    assert "- 1 signalement sans réponse de la plateforme dans le délai" in body
    assert "- 1 message de vendeur attend votre relecture" in body
    assert "http://testserver/gestion/\n" in body
    assert "http://testserver/gestion/?assigned=me" in body
    assert "http://testserver/gestion/?overdue=1" in body
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f"http://testserver/gestion/?submitted_from={yesterday.isoformat()}" in body
    assert "- Aucun dossier en cours ne vous est attribué" in messages["superviseur@fairplace.test"].get_content()


def test_a_second_run_the_same_day_sends_nothing(busy_queue, smtp_server):
    assert digest.send_agent_digests() == 2
    assert digest.send_agent_digests() == 0
    assert digest.send_agent_digests(now=timezone.now() + timedelta(minutes=30)) == 0
    deliver_due()
    assert deliver_due() == 0
    assert len(smtp_server.messages) == 2
    assert OutboxMessage.objects.filter(template="agent_digest").count() == 2


def test_the_next_day_brings_a_new_digest(busy_queue, smtp_server):
    digest.send_agent_digests()
    assert digest.send_agent_digests(now=timezone.now() + timedelta(days=1)) == 2
    assert OutboxMessage.objects.filter(template="agent_digest").count() == 4


def test_nothing_is_sent_when_there_is_nothing_to_say(personas, make_report, smtp_server):
    make_report(state="closed", submitted_at=timezone.now() - timedelta(days=30))
    OutboxMessage.objects.all().delete()
    assert digest.send_agent_digests() == 0
    assert deliver_due() == 0
    assert smtp_server.messages == []


def test_an_inactive_agent_gets_no_digest(busy_queue, personas):
    personas["supervisor"].is_active = False
    personas["supervisor"].save()
    assert digest.send_agent_digests() == 1
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["agent@fairplace.test"]


def test_the_worker_sends_the_digest_once_a_day_after_seven_paris_time(busy_queue, monkeypatch):
    monkeypatch.setattr(digest, "_last_digest_day", None)
    day = timezone.localdate()
    with time_machine.travel(datetime(day.year, day.month, day.day, 6, 59, tzinfo=PARIS), tick=False):
        assert digest.send_daily_digests_when_due() == 0
    with time_machine.travel(datetime(day.year, day.month, day.day, 7, 1, tzinfo=PARIS), tick=False):
        assert digest.send_daily_digests_when_due() == 2
        assert digest.send_daily_digests_when_due() == 0
    assert OutboxMessage.objects.filter(template="agent_digest").count() == 2


def test_the_command_sends_the_digest(busy_queue, capsys):
    call_command("send_agent_digest")
    assert "2 point(s) quotidien(s)" in capsys.readouterr().out
    assert set(OutboxMessage.objects.filter(template="agent_digest").values_list("to", flat=True)) == {
        "agent@fairplace.test",
        "superviseur@fairplace.test",
    }
