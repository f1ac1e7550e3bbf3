"""Every e-mail goes through the outbox: written in the same transaction as what caused it,
delivered after commit, retried by the worker (``manage.py process_outbox``)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


def enqueue_email(*, to: str, template: str, context: dict, dedup_key: str | None = None) -> None:
    """Render ``core/emails/<template>.subject.txt`` and ``.body.txt`` and queue the message.

    With a ``dedup_key``, queuing the same message twice keeps one row.
    """
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.body.txt", context)
    fields = {"to": to, "subject": subject, "body_text": body, "template": template,
              "next_attempt_at": timezone.now()}
    if dedup_key:
        # ON CONFLICT DO NOTHING: a second enqueue of the same message keeps the first row.
        OutboxMessage.objects.bulk_create([OutboxMessage(dedup_key=dedup_key, **fields)], ignore_conflicts=True)
        if settings.FAIRPLACE_OUTBOX_DELIVERY == "on_commit":
            transaction.on_commit(lambda: _deliver_key(dedup_key))
        return
    message = OutboxMessage.objects.create(**fields)
    if settings.FAIRPLACE_OUTBOX_DELIVERY == "on_commit":
        transaction.on_commit(lambda: deliver(message.pk))


def _deliver_key(dedup_key: str) -> None:
    pk = OutboxMessage.objects.filter(dedup_key=dedup_key).values_list("pk", flat=True).first()
    if pk is not None:
        deliver(pk)


def _claim(pk: int) -> OutboxMessage | None:
    now = timezone.now()
    due = OutboxMessage.objects.filter(_claimable(now), pk=pk, next_attempt_at__lte=now)
    if due.update(status=OutboxMessage.Status.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS)) != 1:
        return None
    return OutboxMessage.objects.get(pk=pk)


def _claimable(now) -> Q:
    # A message left "sending" by a worker that died is taken again once its claim expires.
    return Q(status=OutboxMessage.Status.PENDING) | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)


def deliver(pk: int) -> bool:
    """Send one message if nobody else holds it. Returns True when it was sent."""
    message = _claim(pk)
    if message is None:
        return False
    email = EmailMessage(
        subject=message.subject, body=message.body_text, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.to]
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # any transport error: retry later with back-off
        attempts = message.attempts + 1
        status = OutboxMessage.Status.FAILED if attempts >= MAX_ATTEMPTS else OutboxMessage.Status.PENDING
        delay = timedelta(seconds=min(30 * 2**attempts, 6 * 3600))
        OutboxMessage.objects.filter(pk=pk).update(
            status=status, attempts=attempts, last_error=repr(exc)[:2000],
            next_attempt_at=timezone.now() + delay, claimed_until=None,
        )
        logger.warning("outbox: message %s not sent (attempt %s): %r", pk, attempts, exc)
        return False
    OutboxMessage.objects.filter(pk=pk).update(
        status=OutboxMessage.Status.SENT, attempts=message.attempts + 1, sent_at=timezone.now(), claimed_until=None
    )
    return True


def deliver_due(limit: int = 100) -> int:
    """Send the messages that are due. Returns how many were sent."""
    now = timezone.now()
    due_ids = list(
        OutboxMessage.objects.filter(_claimable(now), next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due_ids if deliver(pk))
