"""Append-only report history with a hash chain (tamper evidence)."""

import hashlib
import json
from datetime import UTC

from django.utils import timezone

from .models import ReportEvent
from .signals import event_recorded


def event_hash(prev_hash: str, report_id: int, code: str, actor_kind: str, actor_id, payload: dict, created_at) -> str:
    canonical = json.dumps(
        # UTC whatever the caller's time zone, as the database gives it back.
        [prev_hash, report_id, code, actor_kind, actor_id, payload, created_at.astimezone(UTC).isoformat()],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_event(
    report, code: str, *, actor_kind: str, actor=None, payload: dict | None = None, prev_hash: str | None = None
) -> ReportEvent:
    """Append one event. The caller holds the report row lock (or has just created the
    report) so that two events never chain on the same predecessor. ``prev_hash`` may be
    given when the caller knows it (a new report has none)."""
    payload = payload or {}
    if prev_hash is None:
        prev_hash = (
            # Insertion order (the id), not the clock: app servers' clocks may disagree.
            ReportEvent.objects.filter(report=report).order_by("-id").values_list("hash", flat=True).first() or ""
        )
    created_at = timezone.now()
    actor_id = actor.pk if actor else None
    event = ReportEvent.objects.create(
        report=report,
        code=code,
        actor_kind=actor_kind,
        actor=actor,
        payload=payload,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, report.pk, code, actor_kind, actor_id, payload, created_at),
    )
    event_recorded.send(sender=ReportEvent, report_id=report.pk, code=code)
    return event


def verify_chain(report) -> bool:
    prev = ""
    for event in ReportEvent.objects.filter(report=report).order_by("id"):
        expected = event_hash(
            prev, report.pk, event.code, event.actor_kind, event.actor_id, event.payload, event.created_at
        )
        if event.prev_hash != prev or event.hash != expected:
            return False
        prev = event.hash
    return True
