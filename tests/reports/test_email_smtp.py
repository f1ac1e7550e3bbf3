"""E-mails through a real SMTP exchange with a local aiosmtpd server."""

import re

import pytest

from fairplace.core.models import OutboxMessage
from fairplace.core.outbox import deliver_due
from fairplace.reports import intake
from fairplace.reports.models import Report

pytestmark = pytest.mark.django_db


def _text(message) -> str:
    return message.get_payload(decode=True).decode("utf-8")


def test_the_code_and_the_receipt_travel_over_smtp(smtp_server, complete_draft):
    draft = complete_draft(email="vendeuse@exemple.fr")
    intake.send_email_code(draft, "vendeuse@exemple.fr", ip="10.0.0.1")
    assert deliver_due() == 1
    code_mail = smtp_server.messages[-1]
    assert code_mail["To"] == "vendeuse@exemple.fr"
    code = re.search(r"\b(\d{6})\b", _text(code_mail)).group(1)
    intake.verify_email_code(draft, code)

    report = intake.submit_draft(draft.pk, draft.submit_key, ip="10.0.0.1")
    assert deliver_due() == 1
    receipt = smtp_server.messages[-1]
    body = _text(receipt)
    assert report.reference in body
    assert "&#x27;" not in body and "l'observatoire" in body  # plain text, not HTML-escaped
    token_url = re.search(r"(http\S+/suivi/\S+/)", body).group(1)
    assert token_url.startswith("http://testserver/suivi/")
    assert OutboxMessage.objects.filter(status="sent").count() == 2


def test_smtp_failure_keeps_the_message_for_a_retry(settings, complete_draft):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    draft = complete_draft()
    intake.send_email_code(draft, "x@exemple.fr", ip="10.0.0.2")
    assert deliver_due() == 0
    message = OutboxMessage.objects.get()
    assert message.status == "pending" and message.attempts == 1 and message.last_error
    assert message.next_attempt_at > message.created_at


def test_a_message_held_by_another_worker_is_not_sent_twice(smtp_server, complete_draft):
    from datetime import timedelta

    from django.utils import timezone

    from fairplace.core.outbox import deliver

    draft = complete_draft()
    intake.send_email_code(draft, "x@exemple.fr", ip="10.0.0.3")
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert deliver(message.pk) is False and smtp_server.messages == []
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert deliver(message.pk) is True and len(smtp_server.messages) == 1  # the claim expired


def test_receipt_is_queued_in_the_same_transaction_as_the_report(complete_draft):
    draft = complete_draft()
    report = intake.submit_draft(draft.pk, draft.submit_key, ip="10.0.0.4")
    queued = OutboxMessage.objects.get(template="report_receipt")
    assert queued.dedup_key == f"receipt:{report.pk}" and queued.to == report.contact_email
    assert Report.objects.count() == 1
