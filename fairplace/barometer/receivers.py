"""Marks a report stale when an event is appended to it, in the same transaction: the
incremental computation (compute.refresh_stale) then recounts that report alone."""

from django.dispatch import receiver

from fairplace.reports.queries import BAROMETER_EVENT_CODES
from fairplace.reports.signals import event_recorded

from .models import StaleReport


@receiver(event_recorded)
def mark_stale(sender, report_id, code, **kwargs):
    if code in BAROMETER_EVENT_CODES:  # messages, notes, reminders… change no figure
        StaleReport.objects.bulk_create([StaleReport(report_id=report_id)], ignore_conflicts=True)
