"""Messages about a report between the seller, the observatory and the platform.

A platform never learns an anonymous seller's identity through a message: the seller's
messages to the platform are held until an agent has re-read them (the text may name the
company), the platform's e-mails carry the reference and a link only, and the platform side
calls the seller "Le vendeur".
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError
from fairplace.core.outbox import enqueue_email

from .events import record_event
from .intake import tracking_token
from .models import Consent, Message, Party, Report
from .workflow import notify_platform

MAX_BODY = 5000
SELLER, OBSERVATORY, PLATFORM = Party.SELLER, Party.OBSERVATORY, Party.PLATFORM
ALLOWED_PAIRS = {
    (SELLER, OBSERVATORY),
    (OBSERVATORY, SELLER),
    (OBSERVATORY, PLATFORM),
    (PLATFORM, OBSERVATORY),
    (SELLER, PLATFORM),
    (PLATFORM, SELLER),
}
# The report event's actor kind for each sending party.
ACTOR_KINDS = {SELLER: "seller", OBSERVATORY: "agent", PLATFORM: "platform"}
EVENT_CODE = "report.message_sent"


class MessagingError(DomainError):
    """A refused message; ``message`` is French and shown as is."""


def can_write(report: Report, sender: str, recipient: str) -> bool:
    """Whether ``sender`` may write to ``recipient`` about ``report`` now (no error text)."""
    return _refusal(report, sender, recipient) is None


def _refusal(report: Report, sender: str, recipient: str) -> str | None:
    if (sender, recipient) not in ALLOWED_PAIRS:
        return _("Ce destinataire n'est pas possible pour ce message.")
    if PLATFORM in (sender, recipient) and report.forwarded_at is None:
        return _(
            "Le signalement n'a pas été transmis à la plateforme : elle ne peut pas encore recevoir "
            "ni envoyer de message à son sujet."
        )
    if {sender, recipient} == {SELLER, PLATFORM} and report.consent not in (Consent.ANONYMOUS, Consent.IDENTIFIED):
        return _(
            "Le vendeur n'a pas accepté la transmission à la plateforme : les messages directs entre "
            "le vendeur et la plateforme ne sont pas possibles."
        )
    return None


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise MessagingError(_("Écrivez votre message."))
    if len(body) > MAX_BODY:
        raise MessagingError(
            _("Votre message dépasse %(max)d caractères (il en compte %(n)d).") % {"max": MAX_BODY, "n": len(body)}
        )
    return body


def send_message(report: Report, *, sender: str, recipient: str, body: str, author=None) -> Message:
    """Record a message and notify its recipient by e-mail (through the outbox, sent after
    commit). A seller's message to the platform is held for an agent's review while the
    seller is anonymous; every other message is delivered at once."""
    body = _clean_body(body)
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        refusal = _refusal(locked, sender, recipient)
        if refusal:
            raise MessagingError(refusal)
        now = timezone.now()
        held = sender == SELLER and recipient == PLATFORM and locked.consent != Consent.IDENTIFIED
        message = Message.objects.create(
            report=locked,
            sender=sender,
            recipient=recipient,
            author=author,
            body=body,
            created_at=now,
            released_at=None if held else now,
        )
        record_event(
            locked,
            EVENT_CODE,
            actor_kind=ACTOR_KINDS[sender],
            actor=author,
            payload={"from": sender, "to": recipient, "message_id": message.pk, "held": held},
        )
        if held:
            _notify_observatory(locked, message, template="message_to_review")
        else:
            _notify_recipient(locked, message)
    return message


def release_message(message: Message, *, agent) -> Message:
    """Deliver a held seller→platform message once an agent has re-read it."""
    if not getattr(agent, "works_the_queue", False):
        raise MessagingError(_("Seul un agent de l'observatoire peut transmettre ce message."))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=message.report_id)
        current = Message.objects.select_for_update().get(pk=message.pk)
        if current.released_at is not None:
            raise MessagingError(_("Ce message a déjà été transmis."))
        current.released_at, current.released_by = timezone.now(), agent
        current.save(update_fields=["released_at", "released_by"])
        # The platform receives the message now: the history says so, with the agent as actor.
        record_event(
            locked,
            EVENT_CODE,
            actor_kind="agent",
            actor=agent,
            payload={
                "from": current.sender,
                "to": current.recipient,
                "message_id": current.pk,
                "held": False,
                "released": True,
            },
        )
        _notify_recipient(locked, current)
    return current


def messages_for(report: Report, party: str) -> QuerySet:
    """The messages ``party`` may read, oldest first. The observatory reads everything; the
    seller and the platform read only released messages they sent or received."""
    messages = Message.objects.filter(report=report).order_by("created_at", "id")
    if party == OBSERVATORY:
        return messages
    if party in (SELLER, PLATFORM):
        return messages.filter(Q(sender=party) | Q(recipient=party), released_at__isnull=False)
    return messages.none()


def held_messages_of_seller(report: Report) -> QuerySet:
    """The seller's own messages still waiting for an agent's review (shown to the seller only)."""
    return Message.objects.filter(report=report, sender=SELLER, released_at__isnull=True).order_by("created_at", "id")


def party_label(party: str, *, viewer: str, report: Report) -> str:
    """How ``viewer`` sees ``party`` named. The platform always reads "Le vendeur": never a
    company or a person's name, whatever the consent; nobody sees a representative's e-mail."""
    if party == viewer:
        return _("Vous")
    if party == SELLER:
        return _("Le vendeur")
    if party == OBSERVATORY:
        return _("L'observatoire")
    return report.marketplace.name if report.marketplace_id else _("La plateforme")


def display_messages(report: Report, viewer: str) -> list[dict]:
    """The thread as ``viewer`` reads it, ready for a template."""
    return [
        {
            "id": message.pk,
            "at": message.created_at,
            "body": message.body,
            "sender": party_label(message.sender, viewer=viewer, report=report),
            "recipient": party_label(message.recipient, viewer=viewer, report=report),
            "mine": message.sender == viewer,
            "held": message.released_at is None,
        }
        for message in messages_for(report, viewer)
    ]


def _notify_recipient(report: Report, message: Message) -> None:
    if message.recipient == SELLER:
        enqueue_email(
            to=report.contact_email,
            template="message_to_seller",
            context={
                "reference": report.reference,
                "sender": party_label(message.sender, viewer=SELLER, report=report),
                "url": seller_report_url(report),
            },
        )
    elif message.recipient == PLATFORM:
        notify_platform(
            report, "message_to_platform", sender=party_label(message.sender, viewer=PLATFORM, report=report)
        )
    else:
        _notify_observatory(report, message, template="message_to_observatory")


def _notify_observatory(report: Report, message: Message, *, template: str) -> None:
    # The assigned agent only; unassigned cases are seen in the agents' queue.
    agent = report.assigned_to
    if agent is None or not agent.is_active:
        return
    enqueue_email(
        to=agent.email,
        template=template,
        context={
            "reference": report.reference,
            "sender": party_label(message.sender, viewer=OBSERVATORY, report=report),
            "recipient": party_label(message.recipient, viewer=OBSERVATORY, report=report),
            "url": settings.FAIRPLACE_PUBLIC_URL + reverse("backoffice:case", args=[report.reference]),
        },
    )


def seller_report_url(report: Report) -> str:
    """The seller's personal link to this report (signed, no account)."""
    return settings.FAIRPLACE_PUBLIC_URL + reverse(
        "reports:tracking_detail", args=[tracking_token(report.contact), report.reference]
    )
