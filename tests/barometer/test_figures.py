"""Publication rules: suppression, minimum samples, ranks, trends — and the facts from real steps."""

from datetime import date

import pytest

from fairplace.barometer import figures
from fairplace.barometer.compute import aggregate_snapshot, refresh_stale
from fairplace.barometer.facts import NO_ANSWERS, periods_of, quarter_bounds, report_cells
from fairplace.barometer.models import AggregateCell, EditionFigure
from fairplace.platforms.models import Marketplace

Status = EditionFigure.Status


def test_counts_under_five_are_not_stored():
    assert figures.count_figure(0) == {"status": Status.NONE, "n": 0, "value": 0}
    for count in range(1, 5):
        assert figures.count_figure(count) == {"status": Status.BELOW_5, "n": None, "value": None}
    assert figures.count_figure(5)["n"] == 5


@pytest.mark.parametrize(
    "k, n, status, shown_n, has_value",
    [
        (0, 0, Status.NONE, 0, False),
        (2, 3, Status.BELOW_5, None, False),
        (3, 8, Status.INSUFFICIENT, 8, False),
        (3, 40, Status.BELOW_5, 40, False),
        (0, 40, Status.OK, 40, True),
        (38, 40, Status.OK, 40, True),
    ],
)
def test_rate_publication_rules(k, n, status, shown_n, has_value):
    figure = figures.rate_figure(k, n)
    assert figure["status"] == status
    assert figure.get("n") == shown_n
    assert ("value" in figure) is has_value
    if status != Status.OK:
        assert figure.get("k") is None


def test_family_breakdown_hides_cells_whose_sum_could_be_deduced():
    cells = {("family:DEREF", 0): 30, ("family:FEES", 0): 6, ("family:SUSP", 0): 4}
    shares = figures.family_figures(cells, received=40)
    assert shares["DEREF"]["status"] == Status.OK
    # SUSP (4) is hidden; 40 − 30 − 6 would give it back, so FEES is hidden too.
    assert shares["SUSP"]["status"] == shares["FEES"]["status"] == Status.BELOW_5
    assert shares["FEES"]["extra"] == {"secondary": True}
    # With two hidden cells adding up to 5 or more nothing more is hidden.
    cells = {("family:DEREF", 0): 30, ("family:FEES", 0): 3, ("family:SUSP", 0): 4, ("family:KYB", 0): 9}
    shares = figures.family_figures(cells, received=46)
    assert shares["KYB"]["status"] == Status.OK


def test_distribution_keeps_open_cases_apart():
    histogram = {24: 5, 48: 5, 240: 2}  # hours
    figure = figures.distribution_figure(histogram, awaiting=7, awaiting_overdue=3)
    assert figure["status"] == Status.OK and figure["n"] == 12
    assert figure["value"] == 2.0  # 12 answers: the 6th and 7th are 48 h, i.e. 2 days
    assert figure["extra"] == {
        "awaiting": 7,
        "awaiting_status": Status.OK,
        "awaiting_overdue": None,
        "awaiting_overdue_status": Status.BELOW_5,
    }


def test_periods_and_quarters():
    assert periods_of("2026-08") == ("2026-08", "2026-T3", "2026")
    assert quarter_bounds("2026-T4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("2026-T1") == (date(2026, 1, 1), date(2026, 3, 31))


def _cells(rows, marketplace_id, period):
    for marketplace, measure, value in rows:
        AggregateCell.objects.create(marketplace_id=marketplace, period=period, measure=measure, count=value)


@pytest.mark.django_db
def test_build_figures_ranks_only_big_enough_and_separated(reference_data):
    a, b, c = (Marketplace.objects.get(slug=slug).pk for slug in ("cdiscount", "manomano", "amazon"))
    rows = [
        (a, "received", 200),
        (a, "answer_decided", 100),
        (a, "answered_in_time", 90),
        (b, "received", 200),
        (b, "answer_decided", 100),
        (b, "answered_in_time", 40),
        (c, "received", 20),
        (c, "answer_decided", 20),
        (c, "answered_in_time", 20),
    ]
    _cells(rows, None, "2026-T2")
    built = {
        (row["marketplace_id"], row["indicator"]): row
        for row in figures.build_figures("2026-T2", [a, b, c])
        if not row["breakdown"]
    }
    assert built[(a, "answered_in_time")]["rank"] == 1
    assert built[(b, "answered_in_time")]["rank"] == 2
    assert built[(b, "answered_in_time")]["ranked_count"] == 2
    # 20 cases: published (≥ 10) but not ranked (< 30).
    assert built[(c, "answered_in_time")]["status"] == Status.OK
    assert "rank" not in built[(c, "answered_in_time")]
    assert built[(a, "reports_per_1000_sellers")]["status"] == Status.UNKNOWN


@pytest.mark.django_db
def test_real_workflow_steps_feed_the_aggregates(make_report, personas):
    from fairplace.reports.feedback import rate_answer
    from fairplace.reports.workflow import apply_transition

    report = make_report(state="qualified", marketplace="cdiscount")
    apply_transition(report, "forward", actor=personas["agent"])
    apply_transition(
        report,
        "record_answer",
        actor=personas["platform_a"],
        actor_kind="platform",
        kind="accepted",
        actions=["reinstatement"],
        reasons=[],
        message_for_seller="Nous avons rétabli vos offres.",
    )
    rate_answer(report, value="satisfied")
    refresh_stale()
    cdiscount = Marketplace.objects.get(slug="cdiscount").pk
    month = report.submitted_at.astimezone(figures_tz()).strftime("%Y-%m")
    snapshot = aggregate_snapshot()
    for measure in ("received", "answered", "answer_decided", "answered_in_time", "rated", "rated_satisfactory"):
        assert snapshot[(cdiscount, month, measure, 0)] == 1, measure
    assert (
        sum(
            count
            for (m, period, measure, _b), count in snapshot.items()
            if m == cdiscount and period == month and measure == "answer_hours"
        )
        == 1
    )


def figures_tz():
    from fairplace.barometer.facts import PARIS

    return PARIS


def test_old_submission_events_take_the_marketplace_from_requalification():
    from datetime import UTC, datetime

    at = datetime(2026, 5, 2, tzinfo=UTC)

    def event(code, family=None, marketplace=None, changes=None):
        return (code, at, family, marketplace, changes, None, None, None)

    events = [
        event("report.submitted", family="FEES"),
        event("report.requalified", changes={"marketplace": {"from": "a", "to": "b"}}),
    ]
    contribution = report_cells(events, current_marketplace_id=2, answers=NO_ANSWERS, marketplace_ids={"a": 1, "b": 2})
    assert contribution == [2, "2026-05", ["received", "family:FEES"], None]
    # Without the requalification, the current marketplace is the original one.
    assert report_cells(events[:1], 7, NO_ANSWERS, {})[0] == 7
    # A duplicate counts nowhere; reopened, it counts again.
    assert report_cells(events[:1] + [event("report.duplicate")], 7, NO_ANSWERS, {}) is None
    assert report_cells(events[:1] + [event("report.duplicate"), event("report.reopened")], 7, NO_ANSWERS, {})


def test_delisting_answers_give_the_p2b_measures():
    from datetime import UTC, datetime

    at = datetime(2026, 5, 2, tzinfo=UTC)
    submitted = [("report.submitted", at, "SUSP", "a", None, None, None, None)]
    measures = report_cells(submitted, None, ("yes", "yes", "termination", "30"), {"a": 1})[2]
    assert {"statement_asked", "statement_in_time", "termination", "termination_30d"} <= set(measures)
    measures = report_cells(submitted, None, ("yes", "no", "termination", 29), {"a": 1})[2]
    assert "statement_asked" in measures and "statement_in_time" not in measures
    assert "termination" in measures and "termination_30d" not in measures
    assert not {"statement_asked", "termination"} & set(report_cells(submitted, None, NO_ANSWERS, {"a": 1})[2])
