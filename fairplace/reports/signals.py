"""Signals other apps may listen to (reports imports none of them)."""

from django.dispatch import Signal

# Sent inside the transaction that appends an event, with ``report_id`` and ``code``.
event_recorded = Signal()
