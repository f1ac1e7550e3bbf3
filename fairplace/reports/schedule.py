"""Periodic work on deadlines: reminders before the platform's deadline, overdue after it.
Run by ``manage.py check_deadlines`` and by the worker; safe to run in several processes."""

from django.db import transaction
from django.utils import timezone

from . import deadlines
from .events import record_event
from .models import Report, ReportEvent
from .states import ReportState
from .workflow import TransitionError, apply_transition, notify_platform

REMINDER_EVENT = "report.answer_reminder_sent"


def mark_overdue_reports() -> int:
    done = 0
    due = Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__lt=timezone.now())
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
    waiting = Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__gte=now).exclude(
        events__code=REMINDER_EVENT)
    for report in waiting.only("pk", "answer_due_at").iterator():
        if deadlines.reminder_at(report.answer_due_at) > now:
            continue
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            already = ReportEvent.objects.filter(report=locked, code=REMINDER_EVENT).exists()
            if locked.state != ReportState.FORWARDED or already:
                continue
            record_event(locked, REMINDER_EVENT, actor_kind="system",
                         payload={"due_at": locked.answer_due_at.isoformat()})
            notify_platform(locked, "platform_answer_reminder")
        done += 1
    return done
