"""Links sellers' reports of the "fees" family to the recorded fee changes they describe.

A seller who reports a fee problem (family FEES, reports/data/families.yaml) says which fee
(``fee_type``), what happened (``fee_issue``), sometimes the rate or monthly amount before and
after, and when the change was announced and applied. ``score_match`` scores one report against
one change (pure); a report is linked (``FeeChangeReport``) to its best-scoring live changes
when the best score reaches ``LINK_THRESHOLD`` — several changes when they tie (a commission
raised by the same points in several categories).

Reports are read only through ``reports.queries.fee_reports`` (no seller identity).

- ``link_new_reports()`` (periodic task ``fees.link_reports``) links the reports submitted since
  the last run (a cursor on report ids, ``LinkCursor``);
- ``link_marketplace(marketplace)`` recomputes every link of a marketplace's live changes
  (called when a schedule version is recorded: reports sent before the version was entered get
  linked too). Links that no longer hold (report requalified, marked duplicate, a better change
  recorded) are removed; links to withdrawn changes are kept as they were;
- ``manage.py link_fee_reports [--all]``.

Not seen by the cursor: a report requalified into the FEES family after the cursor passed it is
linked at the next version recorded for its marketplace, or by ``link_fee_reports --all``.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from .models import ComponentKind, FeeChange, FeeChangeReport, LinkCursor

CURSOR_NAME = "reports"
BATCH_SIZE = 500
# Reports younger than this are left for the next run: a report whose transaction commits
# after one with a higher id would otherwise be skipped by the cursor.
SETTLE_DELAY = timedelta(minutes=2)

# Which recorded components each answer to "De quels frais s'agit-il ?" may be about.
# "advertising" (mandatory advertising or promotion fees) is charged as a share of sales when
# a schedule records it at all: "other proportional fees". "other": any component.
FEE_TYPE_KINDS = {
    "commission": {ComponentKind.COMMISSION, ComponentKind.OTHER_RATE},
    "subscription": {ComponentKind.SUBSCRIPTION},
    "logistics": {ComponentKind.FULFILMENT},
    "advertising": {ComponentKind.OTHER_RATE},
    "other": None,
}

# The report's effective date lies within this many days of the change's.
EFFECTIVE_DATE_WINDOW = 45
# Without one, the report was submitted between the announcement (or the effective date) and
# this many days after the effective date.
SUBMITTED_WINDOW = 180
RATE_TOLERANCE = Decimal("0.5")  # percentage points
AMOUNT_TOLERANCE = Decimal("1")  # euros per month

# Scores (a link needs LINK_THRESHOLD: the right kind of fee at the right time).
SCORE_KIND = 20  # fee type names this component's kind
SCORE_ANY_KIND = 5  # fee type "other"
SCORE_SAME_WEEK = 30  # effective dates at most 7 days apart
SCORE_SAME_PERIOD = 20  # effective dates at most EFFECTIVE_DATE_WINDOW days apart
SCORE_SUBMITTED = 10  # no effective date given, submitted in the window
SCORE_VALUES = 50  # rates (or monthly amounts) before and after both match
SCORE_VALUE_AFTER = 25  # only the new rate (or amount) is given, and it matches
SCORE_ISSUE = 10  # "increase" for a rise, "new fee" for an added component
LINK_THRESHOLD = 30


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _submitted_on(report: dict) -> date | None:
    submitted = report.get("submitted_at")
    if submitted is None:
        return None
    if isinstance(submitted, date) and not hasattr(submitted, "hour"):
        return submitted
    return timezone.localtime(submitted).date() if timezone.is_aware(submitted) else submitted.date()


def _close(a: Decimal | None, b, tolerance: Decimal) -> bool:
    return a is not None and b is not None and abs(a - Decimal(b)) <= tolerance


def score_match(report: dict, change) -> int | None:
    """How well a FEES report (a dict of ``reports.queries.fee_reports``) matches a recorded
    change; None when it cannot be about it (other marketplace, other kind of fee, other time,
    a rise reported against a fall)."""
    if report.get("marketplace_id") != change.marketplace_id:
        return None
    answers = report.get("answers") or {}
    fee_type = answers.get("fee_type")
    if fee_type not in FEE_TYPE_KINDS:
        return None
    kinds = FEE_TYPE_KINDS[fee_type]
    if kinds is not None and change.kind not in kinds:
        return None
    score = SCORE_ANY_KIND if kinds is None else SCORE_KIND

    effective = change.schedule.effective_on
    reported_effective = _date(answers.get("change_effective_on"))
    if reported_effective is not None:
        gap = abs((reported_effective - effective).days)
        if gap > EFFECTIVE_DATE_WINDOW:
            return None
        score += SCORE_SAME_WEEK if gap <= 7 else SCORE_SAME_PERIOD
    else:
        submitted = _submitted_on(report)
        announced = change.schedule.announced_on
        start = min(announced, effective) if announced is not None else effective
        if submitted is None or not start <= submitted <= effective + timedelta(days=SUBMITTED_WINDOW):
            return None
        score += SCORE_SUBMITTED

    old, new = change.old_value, change.new_value
    issue = answers.get("fee_issue")
    if issue == "increase" and old is not None and new is not None:
        if new < old:
            return None  # the seller reports a rise, this is a fall
        if new > old:
            score += SCORE_ISSUE
    elif issue == "new_fee" and old is None and new is not None and new > 0:
        score += SCORE_ISSUE

    if change.measure == "rate":
        before, after, tolerance = answers.get("fee_rate_before"), answers.get("fee_rate_after"), RATE_TOLERANCE
    elif change.measure == "amount" and change.kind == ComponentKind.SUBSCRIPTION:
        before, after = answers.get("monthly_fee_before"), answers.get("monthly_fee_after")
        tolerance = AMOUNT_TOLERANCE
    else:
        before = after = None
        tolerance = Decimal(0)
    before, after = _decimal(before), _decimal(after)
    if before is not None and after is not None:
        if _close(before, old, tolerance) and _close(after, new, tolerance):
            score += SCORE_VALUES
    elif after is not None and _close(after, new, tolerance):
        score += SCORE_VALUE_AFTER
    return score


def best_links(report: dict, changes) -> dict[int, int]:
    """{change id: score} of the changes ``report`` is linked to: the best-scoring ones, if
    they reach LINK_THRESHOLD."""
    scores = {}
    for change in changes:
        score = score_match(report, change)
        if score is not None and score >= LINK_THRESHOLD:
            scores[change.pk] = score
    if not scores:
        return {}
    best = max(scores.values())
    return {pk: score for pk, score in scores.items() if score == best}


def _live_changes(marketplace_ids):
    return (
        FeeChange.objects.filter(marketplace_id__in=list(marketplace_ids), withdrawn_at__isnull=True)
        .select_related("schedule")
        .order_by("pk")
    )


def link_marketplace(marketplace) -> int:
    """Recompute the links of ``marketplace``'s live changes with all its FEES reports
    (idempotent). Returns the number of links created."""
    from fairplace.reports.queries import fee_reports

    changes = list(_live_changes([marketplace.pk]))
    wanted: dict[tuple[int, int], int] = {}
    if changes:
        for report in fee_reports(marketplace_id=marketplace.pk):
            for change_id, score in best_links(report, changes).items():
                wanted[(change_id, report["id"])] = score
    with transaction.atomic():
        existing = {
            (link.change_id, link.report_id): link
            for link in FeeChangeReport.objects.filter(
                change__marketplace_id=marketplace.pk, change__withdrawn_at__isnull=True
            )
        }
        stale = [link.pk for key, link in existing.items() if key not in wanted]
        if stale:
            FeeChangeReport.objects.filter(pk__in=stale).delete()
        for key, link in existing.items():
            if key in wanted and link.score != wanted[key]:
                FeeChangeReport.objects.filter(pk=link.pk).update(score=wanted[key])
        missing = [
            FeeChangeReport(change_id=change_id, report_id=report_id, score=score)
            for (change_id, report_id), score in wanted.items()
            if (change_id, report_id) not in existing
        ]
        FeeChangeReport.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def _link_reports(reports: list[dict]) -> int:
    changes_by_marketplace: dict[int, list] = {}
    for change in _live_changes({report["marketplace_id"] for report in reports}):
        changes_by_marketplace.setdefault(change.marketplace_id, []).append(change)
    links = []
    for report in reports:
        candidates = changes_by_marketplace.get(report["marketplace_id"], [])
        links += [
            FeeChangeReport(change_id=change_id, report_id=report["id"], score=score)
            for change_id, score in best_links(report, candidates).items()
        ]
    existing = set(
        FeeChangeReport.objects.filter(report_id__in=[report["id"] for report in reports]).values_list(
            "change_id", "report_id"
        )
    )
    missing = [link for link in links if (link.change_id, link.report_id) not in existing]
    FeeChangeReport.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def link_new_reports(batch_size: int = BATCH_SIZE) -> int:
    """Link the FEES reports submitted since the last run (periodic task). Returns the number
    of links created."""
    from fairplace.reports.queries import fee_reports

    LinkCursor.objects.get_or_create(name=CURSOR_NAME)
    settled = timezone.now() - SETTLE_DELAY
    created = 0
    while True:
        with transaction.atomic():
            cursor = LinkCursor.objects.select_for_update().get(name=CURSOR_NAME)
            reports = fee_reports(after_id=cursor.last_report_id, limit=batch_size, submitted_before=settled)
            if not reports:
                return created
            created += _link_reports(reports)
            cursor.last_report_id = reports[-1]["id"]
            cursor.save(update_fields=["last_report_id", "updated_at"])


def reported_counts(change_ids) -> dict[int, int]:
    """Number of distinct reports linked to each change (0 for those without), one query."""
    change_ids = list(change_ids)
    counts = dict.fromkeys(change_ids, 0)
    if change_ids:
        rows = (
            FeeChangeReport.objects.filter(change_id__in=change_ids)
            .values("change_id")
            .annotate(reports=Count("report_id", distinct=True))
        )
        counts.update({row["change_id"]: row["reports"] for row in rows})
    return counts
