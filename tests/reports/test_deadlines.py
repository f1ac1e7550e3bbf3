"""The reminder scan's bound agrees with the reminder rule, day by day, around weekends and holidays."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from fairplace.reports.deadlines import reminder_at, reminders_due_before


def test_the_scan_bound_selects_exactly_the_deadlines_whose_reminder_is_due():
    start = datetime(2026, 4, 20, 5, 0, tzinfo=UTC)  # through Ascension, Whit Monday, 1 and 8 May
    checked = 0
    for hours in range(0, 24 * 60, 7):
        now = start + timedelta(hours=hours)
        bound = reminders_due_before(now)
        for days in range(0, 20):
            due = timezone.make_aware(
                datetime.combine(
                    timezone.localdate(now) + timedelta(days=days), datetime.max.time().replace(microsecond=0)
                )
            )
            assert (due < bound) == (reminder_at(due) <= now), (now, due)
            checked += 1
    assert checked > 4000
