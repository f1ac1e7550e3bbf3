"""Every e-mail goes through the outbox: the row is written in the same transaction as what caused it;
after commit a task (``core.tasks.deliver_message``) sends it from the worker, and the periodic sweep
(``core.outbox_sweep``) sends whatever is due and was not sent (a task lost with a killed worker, a retry).

A worker claims a row with a conditional UPDATE, so that two workers never send the same message; once
the SMTP server has accepted it, the "sent" mark survives a dropped database connection
(``with_reconnect``), so that the message is never sent twice. A failure backs off (``30 s × 2ⁿ`` by
default, capped at 6 hours); after ``MAX_ATTEMPTS`` the message is "failed" and shown to administrators
(``/gestion/taches/``), who may send it again."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from .jobs.database import with_reconnect
from .models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def enqueue_email(*, to: str, template: str, context: dict, dedup_key: str | None = None) -> None:
    """Render ``core/emails/<template>.subject.txt`` and ``.body.txt`` and queue the message.

    With a ``dedup_key``, queuing the same message twice keeps one row.
    """
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.body.txt", context)
    fields = {"to": to, "subject": subject, "body_text": body, "template": template, "next_attempt_at": timezone.now()}
    if dedup_key:
        # ON CONFLICT DO NOTHING: a second enqueue of the same message keeps the first row.
        OutboxMessage.objects.bulk_create([OutboxMessage(dedup_key=dedup_key, **fields)], ignore_conflicts=True)
        if settings.FAIRPLACE_OUTBOX_DELIVERY == "on_commit":
            transaction.on_commit(lambda: _enqueue_key(dedup_key), robust=True)
        return
    message = OutboxMessage.objects.create(**fields)
    if settings.FAIRPLACE_OUTBOX_DELIVERY == "on_commit":
        transaction.on_commit(lambda: _enqueue(message.pk), robust=True)


def _enqueue(pk: int) -> None:
    # robust=True: a queue that cannot be reached (Redis down) leaves the row to the periodic sweep.
    from .tasks import deliver_message

    deliver_message(pk)


def _enqueue_key(dedup_key: str) -> None:
    pk = OutboxMessage.objects.filter(dedup_key=dedup_key).values_list("pk", flat=True).first()
    if pk is not None:
        _enqueue(pk)


def resend(pk: int) -> bool:
    """An administrator sends a failed message again: a fresh series of attempts, starting now."""
    now = timezone.now()
    updated = OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=now, claimed_until=None
    )
    if updated:
        transaction.on_commit(lambda: _enqueue(pk), robust=True)
    return bool(updated)


def _claim(pk: int) -> OutboxMessage | None:
    """Take the message for this worker. The claim's end, to the microsecond, is the claim's token: if
    the connection drops after the UPDATE committed, trying again recognises our own claim."""
    now = timezone.now()
    token = now + timedelta(seconds=settings.FAIRPLACE_OUTBOX_CLAIM_SECONDS)

    def take():
        due = OutboxMessage.objects.filter(
            _claimable(now), pk=pk, next_attempt_at__lte=now
        ) | OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.SENDING, claimed_until=token)
        if due.update(status=OutboxMessage.Status.SENDING, claimed_until=token) != 1:
            return None
        return OutboxMessage.objects.get(pk=pk)

    return with_reconnect(take)


def _claimable(now) -> Q:
    # A message left "sending" by a worker that died is taken again once its claim expires.
    return Q(status=OutboxMessage.Status.PENDING) | Q(status=OutboxMessage.Status.SENDING, claimed_until__lt=now)


def message_id(pk: int) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "fairplace.invalid"
    return f"<outbox-{pk}@{domain}>"


def deliver(pk: int) -> bool:
    """Send one message if nobody else holds it. Returns True when it was sent."""
    message = _claim(pk)
    if message is None:
        return False
    email = EmailMessage(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        # One Message-ID per outbox row, the same at every attempt: should a worker die between the SMTP
        # server's "accepted" and the "sent" mark, mail software recognises the second copy.
        headers={"Message-ID": message_id(message.pk)},
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # any transport error: retry later with back-off
        attempts = message.attempts + 1
        status = OutboxMessage.Status.FAILED if attempts >= MAX_ATTEMPTS else OutboxMessage.Status.PENDING
        delay = timedelta(seconds=min(settings.FAIRPLACE_OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1), 6 * 3600))
        error = repr(exc)[:2000]
        with_reconnect(
            lambda: OutboxMessage.objects.filter(pk=pk).update(
                status=status,
                attempts=attempts,
                last_error=error,
                next_attempt_at=timezone.now() + delay,
                claimed_until=None,
            )
        )
        log = logger.error if status == OutboxMessage.Status.FAILED else logger.warning
        log("outbox: message %s not sent (attempt %s of %s): %r", pk, attempts, MAX_ATTEMPTS, exc)
        return False
    # Accepted by the SMTP server: this mark must land, or the message would go out a second time.
    with_reconnect(
        lambda: OutboxMessage.objects.filter(pk=pk).update(
            status=OutboxMessage.Status.SENT, attempts=message.attempts + 1, sent_at=timezone.now(), claimed_until=None
        ),
        attempts=8,
    )
    return True


def due_ids(limit: int = 100) -> list[int]:
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(_claimable(now), next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(limit: int = 100) -> int:
    """Send the messages that are due, in this process. Returns how many were sent."""
    return sum(1 for pk in due_ids(limit) if deliver(pk))


def next_attempt(pk: int):
    """When a message left pending after a failed attempt is due again (None: nothing left to try)."""
    return (
        OutboxMessage.objects.filter(pk=pk, status=OutboxMessage.Status.PENDING)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
