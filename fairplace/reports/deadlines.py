"""Deadlines as data (``data/deadlines.yaml``), counted in calendar or business days.

Business days skip Saturdays, Sundays and French public holidays (Code du travail
L. 3133-1: eleven days, three of them tied to Easter)."""

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml
from django.db.models import Q
from django.utils import timezone

from .states import ReportState

DATA_FILE = Path(__file__).parent / "data" / "deadlines.yaml"


@dataclass(frozen=True)
class Rule:
    code: str
    days: int
    business_days: bool
    label: str
    basis: str


@functools.cache
def rules() -> dict[str, Rule]:
    document = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["rules"]
    return {code: Rule(code=code, **spec) for code, spec in document.items()}


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    lunar = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lunar) // 451
    month = (h + lunar - 7 * m + 114) // 31
    day = (h + lunar - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [sunday + timedelta(days=1), sunday + timedelta(days=39), sunday + timedelta(days=50)]
    return frozenset([date(year, month, day) for month, day in fixed] + movable)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_days(start: date, days: int, *, business: bool) -> date:
    if not business:
        return start + timedelta(days=days)
    current, remaining = start, days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def due_at(rule_code: str, start: datetime) -> datetime:
    """End of the last day of the rule's period, counted from ``start`` (Paris time)."""
    rule = rules()[rule_code]
    local_start = timezone.localtime(start)
    last_day = add_days(local_start.date(), rule.days, business=rule.business_days)
    return timezone.make_aware(datetime.combine(last_day, time(23, 59, 59)))


def reminder_at(due: datetime) -> datetime:
    """When to remind the platform: the reminder rule's days before the deadline."""
    rule = rules()["answer_reminder_before"]
    day = timezone.localtime(due).date()
    remaining = rule.days
    while remaining > 0:
        day -= timedelta(days=1)
        if not rule.business_days or is_business_day(day):
            remaining -= 1
    return timezone.make_aware(datetime.combine(day, time(8, 0)))


def reminders_due_before(now: datetime) -> datetime:
    """The deadlines whose reminder is due at ``now`` are those before the returned instant (a local
    midnight). ``reminder_at`` depends only on the deadline's local date and never decreases with it, so
    the first date whose reminder is still to come bounds them all: the scan is one index range, with no
    per-report computation."""
    day = timezone.localdate(now)
    for _ in range(366):
        if reminder_at(timezone.make_aware(datetime.combine(day, time(12, 0)))) > now:
            break
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(0, 0)))


# "Late" (en retard), the one rule: marked overdue, or forwarded and past the platform's deadline (the worker
# may not have moved it yet). In SQL for querysets, in Python for a report already loaded.
def late_condition(now=None) -> Q:
    now = now or timezone.now()
    return Q(state=ReportState.OVERDUE) | Q(state=ReportState.FORWARDED, answer_due_at__lt=now)


def is_late(report, now=None) -> bool:
    now = now or timezone.now()
    return report.state == ReportState.OVERDUE or (
        report.state == ReportState.FORWARDED and report.answer_due_at is not None and report.answer_due_at < now
    )
