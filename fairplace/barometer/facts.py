"""What one report contributes to the barometer, computed from its events alone.

``report_cells`` folds a report's events (in insertion order) into what it adds to the
monthly aggregates: its marketplace, month, measures and hours to answer. It is
the only definition of the measures: the incremental update and the full recompute both call
it, so they cannot disagree on what a measure means.

A report belongs to the month (Paris time) of its ``report.submitted`` event: every indicator
of a period is about the reports received in that period.
"""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from fairplace.reports import queries as report_queries

PARIS = ZoneInfo("Europe/Paris")
DELISTING_FAMILIES = {"DEREF", "SUSP"}
TERMINATION_FAMILY = "SUSP"
NOTICE_DAYS = 30
MEDIATION_OUTCOMES = {"mediation_agreement", "mediation_failure", "platform_declined_mediation"}
YES = {"yes", True, "True", "true", "oui"}
NO = {"no", False, "False", "false", "non"}
_UNSET = object()


@lru_cache(maxsize=4096)
def _due_for_day(day: date) -> datetime:
    return report_queries.platform_answer_due(datetime(day.year, day.month, day.day, 12, tzinfo=PARIS))


def answer_due(forwarded_at: datetime) -> datetime:
    """The deadline depends on the Paris calendar day of forwarding only (deadlines.due_at)."""
    return _due_for_day(forwarded_at.astimezone(PARIS).date())


NO_ANSWERS = (None, None, None, None)


def report_cells(events, current_marketplace_id, answers: tuple, marketplace_ids: dict) -> list | None:
    """``events``: iterable of ``(code, created_at, family, marketplace, changes, answer_due_at,
    value, outcome)`` — the payload keys read, as ``reports.queries.barometer_events`` gives
    them. ``current_marketplace_id`` is used only for reports whose submission event predates
    the marketplace in its payload and that were never requalified to another marketplace
    (a null marketplace is "autre", whose current marketplace is null too). ``marketplace_ids``
    maps slug → id. ``answers``: the seller's (statement_received, statement_before_effect,
    suspension_type, notice_days_given) at submission.

    Returns the report's contribution ``[marketplace_id, "YYYY-MM", [measure, …], hours to
    answer or None]`` (each measure counts one in that month; the hours go to the
    ``answer_hours`` histogram), or None when the report counts nowhere."""
    submitted_at = family = None
    marketplace = _UNSET
    excluded = overdue = referred = False
    forwarded_at = due = answered_at = rating = action = mediation_outcome = None
    for code, at, event_family, event_marketplace, changes, due_text, value, outcome in events:
        if code == "report.submitted":
            submitted_at, family = at, event_family
            if event_marketplace:
                marketplace = marketplace_ids.get(event_marketplace)
        elif code == "report.requalified":
            changes = changes or {}
            if "family" in changes:
                family = changes["family"]["to"]
            if "marketplace" in changes:
                if marketplace is _UNSET:
                    origin = changes["marketplace"]["from"]
                    marketplace = marketplace_ids.get(origin) if origin else None
                target = changes["marketplace"]["to"]
                marketplace = marketplace_ids.get(target) if target else None
        elif code in ("report.duplicate", "report.not_admissible"):
            excluded = True
        elif code == "report.reopened":
            excluded = False
        elif code == "report.forwarded":
            if forwarded_at is None:
                forwarded_at = at
                due = datetime.fromisoformat(due_text) if due_text else answer_due(at)
        elif code == "report.overdue":
            overdue = True
        elif code == "report.answered" and forwarded_at is not None and answered_at is None:
            answered_at = at
        elif code == "report.answer_rated":
            rating = value
        elif code == "report.action_confirmed":
            action = value
        elif code == "report.referred_to_mediation":
            referred = True
        elif code == "report.closed" and outcome in MEDIATION_OUTCOMES:
            mediation_outcome = outcome
    if marketplace is _UNSET:
        marketplace = current_marketplace_id
    if submitted_at is None or marketplace is None or excluded:
        return None
    measures = ["received", f"family:{family}"]
    hours = None
    if forwarded_at is not None:
        if answered_at is not None:
            measures += ["answered", "answer_decided"]
            if answered_at <= due:
                measures.append("answered_in_time")
            hours = max(0, int((answered_at - forwarded_at).total_seconds() // 3600))
        else:
            measures.append("awaiting_answer")
            if overdue:
                measures += ["answer_decided", "awaiting_answer_overdue"]
    if rating:
        measures.append("rated")
        if rating == "satisfied":
            measures.append("rated_satisfactory")
    if action:
        measures.append("action_checked")
        if action == "done":
            measures.append("action_done")
    if referred:
        measures.append("referred")
    if mediation_outcome:
        measures.append("mediation_concluded")
        if mediation_outcome == "mediation_agreement":
            measures.append("mediation_agreement")
    if family in DELISTING_FAMILIES:
        received, before_effect, suspension_type, notice = answers
        if received in YES or received in NO:
            measures.append("statement_asked")
            if received in YES and before_effect in YES:
                measures.append("statement_in_time")
        if family == TERMINATION_FAMILY and suspension_type == "termination" and notice not in (None, ""):
            measures.append("termination")
            if int(notice) >= NOTICE_DAYS:
                measures.append("termination_30d")
    return [marketplace, _month(submitted_at), measures, hours]


_MONTHS: dict[tuple[int, int], str] = {}


def _month(at: datetime) -> str:
    """ "YYYY-MM" of an instant in Paris time (memoised: a million reports share a few months)."""
    local = at.astimezone(PARIS)
    key = (local.year, local.month)
    month = _MONTHS.get(key)
    if month is None:
        month = _MONTHS[key] = f"{local.year}-{local.month:02d}"
    return month


def periods_of(month: str) -> tuple[str, str, str]:
    """ "2026-08" → ("2026-08", "2026-T3", "2026")."""
    return month, quarter_of(date(int(month[:4]), int(month[5:7]), 1)), month[:4]


def quarter_of(day: date) -> str:
    """2026-08-14 → "2026-T3"."""
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def quarter_bounds(code: str) -> tuple[date, date]:
    """ "2026-T3" → (2026-07-01, 2026-09-30)."""
    year, quarter = int(code[:4]), int(code[6:])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def previous_quarter(code: str) -> str:
    year, quarter = int(code[:4]), int(code[6:])
    return f"{year - 1}-T4" if quarter == 1 else f"{year}-T{quarter - 1}"
