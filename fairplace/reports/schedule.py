"""Periodic work on deadlines: reminders before the platform's deadline, overdue after it.
Run by ``manage.py check_deadlines`` and by the worker; safe to run in several processes."""

from django.db import transaction
from django.db.models import Exists, IntegerField, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from fairplace.core.outbox import enqueue_email

from . import deadlines
from .answers import code_labels
from .events import record_event
from .messaging import seller_report_url
from .models import PlatformAnswer, Report, ReportEvent, SellerFeedback
from .states import Outcome, ReportState
from .workflow import TransitionError, apply_transition, notify_platform

REMINDER_EVENT = "report.answer_reminder_sent"


def mark_overdue_reports() -> int:
    done = 0
    # order_by(): no sort of the due rows; (state, answer_due_at) is indexed (report_state_due_idx).
    due = Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__lt=timezone.now()).order_by()
    for report in due.only("pk", "state", "answer_due_at").iterator():
        try:
            apply_transition(report, "mark_overdue", actor_kind="system")
        except TransitionError:  # answered or moved by someone else meanwhile
            continue
        done += 1
    return done


def send_answer_reminders() -> int:
    done = 0
    now = timezone.now()
    # Only the deadlines whose reminder is due: one index range on (state, answer_due_at), no sort.
    waiting = (
        Report.objects.filter(
            state=ReportState.FORWARDED, answer_due_at__gte=now, answer_due_at__lt=deadlines.reminders_due_before(now)
        )
        .exclude(events__code=REMINDER_EVENT)
        .order_by()
    )
    for report in waiting.only("pk", "answer_due_at").iterator():
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            already = ReportEvent.objects.filter(report=locked, code=REMINDER_EVENT).exists()
            if locked.state != ReportState.FORWARDED or already:
                continue
            record_event(
                locked, REMINDER_EVENT, actor_kind="system", payload={"due_at": locked.answer_due_at.isoformat()}
            )
            notify_platform(locked, "platform_answer_reminder")
        done += 1
    return done


FOLLOW_UP_EVENT = "report.action_follow_up_sent"


def send_action_follow_ups() -> int:
    """Ask the seller whether the action a platform promised happened, once per answer, from
    the answer's ``follow_up_due_at`` on (unless the seller already said so)."""
    confirmation = SellerFeedback.Kind.ACTION_CONFIRMATION
    already_asked = ReportEvent.objects.annotate(
        answer_id=Cast(KeyTextTransform("answer_id", "payload"), IntegerField())
    ).filter(report=OuterRef("report"), code=FOLLOW_UP_EVENT, answer_id=OuterRef("pk"))
    due = (
        PlatformAnswer.objects.filter(follow_up_due_at__lte=timezone.now())
        .exclude(feedback__kind=confirmation)
        .exclude(Exists(already_asked))
        .exclude(report__outcome=Outcome.WITHDRAWN)
    )
    done = 0
    for answer in due.only("pk", "report_id", "kind", "actions").iterator():
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=answer.report_id)
            if (
                ReportEvent.objects.filter(report=locked, code=FOLLOW_UP_EVENT, payload__answer_id=answer.pk).exists()
                or SellerFeedback.objects.filter(answer=answer, kind=confirmation).exists()
            ):
                continue  # done by another worker meanwhile
            record_event(locked, FOLLOW_UP_EVENT, actor_kind="system", payload={"answer_id": answer.pk})
            enqueue_email(
                to=locked.contact_email,
                template="action_follow_up",
                dedup_key=f"action-follow-up:{answer.pk}",
                context={
                    "reference": locked.reference,
                    "marketplace": locked.marketplace_label,
                    "actions": code_labels(answer),
                    "url": seller_report_url(locked),
                },
            )
        done += 1
    return done
