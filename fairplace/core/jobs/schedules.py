"""Crontab schedules in Paris time (the time agents and sellers live by), pure Python.

A schedule is the usual five fields, ``minute hour day month day-of-week`` (0 or 7 = Sunday), each ``*``,
``*/n``, ``a``, ``a-b``, ``a-b/n`` or a comma list of those. ``parse_cron`` refuses anything else with a
message naming the field, so a malformed ``FAIRPLACE_SCHEDULES`` stops start-up.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7))


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    text: str
    minutes: frozenset
    hours: frozenset
    days: frozenset
    months: frozenset
    weekdays: frozenset  # 0 = Sunday … 6 = Saturday

    def matches(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware, or naive UTC as Huey's scheduler gives it) falls on the schedule."""
        local = as_paris(moment)
        return (
            local.minute in self.minutes
            and local.hour in self.hours
            and local.day in self.days
            and local.month in self.months
            and (local.isoweekday() % 7) in self.weekdays
        )

    def slot(self, moment: datetime) -> datetime | None:
        """The latest scheduled minute at or before ``moment`` (within 31 days), as an aware UTC datetime:
        the run it belongs to. Two workers running the same job near the same time find the same slot."""
        local = as_paris(moment).replace(second=0, microsecond=0)
        for _ in range(31 * 24 * 60):
            if self.matches(local):
                return local.astimezone(UTC)
            local -= timedelta(minutes=1)
        return None

    def __str__(self) -> str:
        return self.text


def as_paris(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def parse_cron(text: str) -> Cron:
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"{text!r}: five fields are expected (minute hour day month day-of-week)")
    values = [_field(part, name, low, high) for part, (name, low, high) in zip(parts, FIELDS, strict=True)]
    weekdays = frozenset(day % 7 for day in values[4])
    return Cron(" ".join(parts), *values[:4], weekdays)


def _field(part: str, name: str, low: int, high: int) -> frozenset:
    chosen = set()
    for piece in part.split(","):
        base, _, step_text = piece.partition("/")
        step = _number(step_text, name, piece) if step_text else 1
        if step < 1:
            raise CronError(f"{name} {piece!r}: the step must be at least 1")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, name, piece), _number(last, name, piece)
        else:
            start = _number(base, name, piece)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{name} {piece!r}: outside {low}-{high}")
        chosen.update(range(start, end + 1, step))
    return frozenset(chosen)


def _number(text: str, name: str, piece: str) -> int:
    if not text.isdigit():
        raise CronError(f"{name} {piece!r} is not a number, a range, a list or */n")
    return int(text)
