"""The agents' daily digest: what waits in the queue, by e-mail, once a day.

``send_agent_digests`` may run any number of times and in several workers: the outbox's
dedup key ``digest:<user id>:<Paris date>`` keeps one message per agent per day.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from fairplace.core.models import OutboxMessage, Role
from fairplace.core.outbox import enqueue_email

from .deadlines import late_condition
from .models import Message, Party, Report
from .workflow import OPEN_STATES

# Paris time after which the worker sends the day's digest.
DIGEST_HOUR = 7
DIGEST_ROLES = (Role.AGENT, Role.SUPERVISOR)


def _queue_url(query: str = "") -> str:
    return settings.FAIRPLACE_PUBLIC_URL + reverse("backoffice:queue") + (f"?{query}" if query else "")


def _start_of_yesterday(now) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now) - timedelta(days=1), time.min))


def _shared_counts(now) -> dict:
    """What every recipient is told. Agents and supervisors see every report
    (``Report.objects.visible_to``), so these counts are computed once for all of them."""
    return {
        # "Since yesterday" from 0:00 Paris time, as the queue's date filter linked from the e-mail counts.
        "new": Report.objects.filter(submitted_at__gte=_start_of_yesterday(now)).count(),
        "late": Report.objects.filter(late_condition(now)).count(),
        # A seller's message to the platform waits for an agent's review while the seller is anonymous.
        "messages_waiting": Message.objects.filter(
            sender=Party.SELLER, recipient=Party.PLATFORM, released_at__isnull=True
        ).count(),
    }


def send_agent_digests(now=None) -> int:
    """Queue today's digest for each active agent and supervisor who has something to read.
    Returns how many digests were queued by this call."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    recipients = get_user_model().objects.filter(is_active=True, role__in=DIGEST_ROLES).order_by("pk")
    shared = _shared_counts(now)
    assigned = dict(
        Report.objects.filter(state__in=OPEN_STATES, assigned_to__isnull=False)
        .values_list("assigned_to")
        .annotate(n=Count("id"))
        .values_list("assigned_to", "n")
    )
    already = set(
        OutboxMessage.objects.filter(dedup_key__startswith="digest:", dedup_key__endswith=f":{today}").values_list(
            "dedup_key", flat=True
        )
    )
    queued = 0
    for user in recipients.only("pk", "email", "first_name"):
        key = f"digest:{user.pk}:{today.isoformat()}"
        counts = {**shared, "assigned": assigned.get(user.pk, 0)}
        if key in already or not any(counts.values()):
            continue
        enqueue_email(
            to=user.email,
            template="agent_digest",
            dedup_key=key,
            context={
                "user": user,
                "date": today,
                **counts,
                "queue_url": _queue_url(),
                "new_url": _queue_url(f"submitted_from={timezone.localdate(_start_of_yesterday(now)).isoformat()}"),
                "assigned_url": _queue_url("assigned=me"),
                "late_url": _queue_url("overdue=1"),
            },
        )
        queued += 1
    return queued


_last_digest_day = None


def send_daily_digests_when_due(now=None) -> int:
    """For the worker loop: send the day's digests once, after 7:00 Paris time. Remembering
    the day in the process only saves queries; the dedup key is what guarantees one a day."""
    global _last_digest_day
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR or _last_digest_day == local.date():
        return 0
    queued = send_agent_digests(now)
    _last_digest_day = local.date()
    return queued
