"""Sellers' "fees" reports are linked to the recorded changes they describe."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from fairplace.observatory.fees import linking
from fairplace.observatory.fees.linking import LINK_THRESHOLD, LinkCursor, score_match
from fairplace.observatory.fees.models import FeeChange, FeeChangeReport, FeeSchedule
from fairplace.reports.models import Report
from fairplace.reports.queries import fee_reports

from .test_changes import commission, make_schedule, subscription

D = Decimal


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T10:00:00"))


# --- Scoring (pure) ------------------------------------------------------------------------------


def change(
    kind="commission",
    measure="rate",
    old="12",
    new="15",
    marketplace_id=1,
    effective=date(2026, 4, 1),
    announced=date(2026, 3, 1),
):
    return FeeChange(
        marketplace_id=marketplace_id,
        kind=kind,
        measure=measure,
        old_value=None if old is None else D(old),
        new_value=None if new is None else D(new),
        schedule=FeeSchedule(effective_on=effective, announced_on=announced),
    )


def report(marketplace_id=1, submitted="2026-04-20", **answers):
    answers.setdefault("fee_type", "commission")
    answers.setdefault("fee_issue", "increase")
    return {
        "id": 1,
        "reference": "R",
        "marketplace_id": marketplace_id,
        "submitted_at": at(submitted),
        "answers": answers,
    }


def test_a_report_giving_the_same_rates_and_date_scores_high():
    score = score_match(report(fee_rate_before="12", fee_rate_after="15", change_effective_on="2026-04-01"), change())
    assert score == linking.SCORE_KIND + linking.SCORE_SAME_WEEK + linking.SCORE_ISSUE + linking.SCORE_VALUES


def test_rates_within_half_a_point_still_match():
    close = score_match(report(fee_rate_before="12.4", fee_rate_after="14.6"), change())
    far = score_match(report(fee_rate_before="12", fee_rate_after="16"), change())
    assert close - far == linking.SCORE_VALUES


def test_a_bare_report_of_the_right_kind_at_the_right_time_reaches_the_threshold():
    assert score_match(report(), change()) >= LINK_THRESHOLD


def test_only_the_new_rate_given_scores_less_than_both():
    both = score_match(report(fee_issue="new_fee", fee_rate_before="12", fee_rate_after="15"), change())
    after = score_match(report(fee_issue="new_fee", fee_rate_after="15"), change())
    assert after == both - linking.SCORE_VALUES + linking.SCORE_VALUE_AFTER


def test_monthly_amounts_match_subscriptions_within_one_euro():
    sub = change(kind="subscription", measure="amount", old="39.99", new="49.99")
    matching = score_match(report(fee_type="subscription", monthly_fee_before="40", monthly_fee_after="50"), sub)
    other = score_match(report(fee_type="subscription", monthly_fee_before="30", monthly_fee_after="50"), sub)
    assert matching - other == linking.SCORE_VALUES


@pytest.mark.parametrize(
    "reported, recorded",
    [
        (report(marketplace_id=2), change()),  # another marketplace
        (report(fee_type="subscription"), change()),  # another kind of fee
        (report(fee_type="logistics"), change(kind="subscription", measure="amount")),
        (report(change_effective_on="2026-05-20"), change()),  # 49 days apart
        (report(submitted="2026-10-20"), change()),  # 202 days after, no date given
        (report(submitted="2026-02-01"), change()),  # before the announcement
        (report(fee_issue="increase"), change(old="15", new="12")),  # a rise reported, a fall recorded
        (report(fee_type=None), change()),
    ],
)
def test_reports_that_cannot_be_about_the_change_do_not_match(reported, recorded):
    assert score_match(reported, recorded) is None


@pytest.mark.parametrize(
    "fee_type, kind, matches",
    [
        ("commission", "commission", True),
        ("commission", "other_rate", True),
        ("commission", "payment", False),
        ("subscription", "subscription", True),
        ("logistics", "fulfilment", True),
        ("logistics", "commission", False),
        ("other", "payment", True),
        ("other", "commission", True),
    ],
)
def test_fee_types_map_to_component_kinds(fee_type, kind, matches):
    score = score_match(report(fee_type=fee_type, change_effective_on="2026-04-01"), change(kind=kind))
    assert (score is not None) is matches


def test_other_fees_without_figures_or_dates_stay_below_the_threshold():
    assert score_match(report(fee_type="other", fee_issue="unclear"), change()) < LINK_THRESHOLD


def test_the_report_is_linked_to_its_best_changes_only():
    changes = [change(old="12", new="15"), change(old="8", new="9"), change(old="12", new="15")]
    for pk, item in enumerate(changes, start=1):
        item.pk = pk
    links = linking.best_links(report(fee_rate_before="12", fee_rate_after="15"), changes)
    assert sorted(links) == [1, 3]


# --- Linking in the database -----------------------------------------------------------------------


def fee_report(make_report, marketplace="cdiscount", submitted="2026-04-10", state="submitted", **answers):
    answers.setdefault("fee_type", "commission")
    answers.setdefault("fee_issue", "increase")
    return make_report(
        family_code="FEES", marketplace=marketplace, state=state, answers=answers, submitted_at=at(submitted)
    )


@pytest.fixture
def raised_commission(reference_data):
    """Cdiscount: default commission 12 % → 15 %, mode 10 % → 11 % on 1 April 2026."""
    make_schedule(effective_on="2026-01-01", components=[commission(12), commission(10, "mode")], alert=False)
    make_schedule(
        effective_on="2026-04-01",
        announced_on="2026-03-01",
        alert=False,
        components=[commission(15), commission(11, "mode")],
    )
    return (FeeChange.objects.get(category__isnull=True), FeeChange.objects.get(category__code="mode"))


def test_fee_reports_lists_submitted_fee_reports_without_identity(make_report, raised_commission):
    kept = fee_report(make_report, fee_rate_before="12")
    fee_report(make_report, state="duplicate")
    make_report(family_code="SUSP", marketplace="cdiscount")
    rows = fee_reports()
    assert [row["id"] for row in rows] == [kept.pk]
    assert set(rows[0]) == {"id", "reference", "marketplace_id", "submitted_at", "answers"}
    assert rows[0]["answers"] == {"fee_type": "commission", "fee_issue": "increase", "fee_rate_before": "12"}
    assert fee_reports(after_id=kept.pk) == []


def test_new_reports_are_linked_once_and_the_cursor_moves_on(make_report, raised_commission):
    default_change, mode_change = raised_commission
    precise = fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    vague = fee_report(make_report)
    fee_report(make_report, marketplace="manomano")
    assert linking.link_new_reports() == 2 + 1  # the vague one ties on both changes
    links = set(FeeChangeReport.objects.values_list("change_id", "report_id"))
    assert links == {(default_change.pk, precise.pk), (default_change.pk, vague.pk), (mode_change.pk, vague.pk)}
    assert LinkCursor.objects.get().last_report_id == Report.objects.order_by("-pk").first().pk
    assert linking.link_new_reports() == 0
    assert FeeChangeReport.objects.count() == 3


def test_reports_just_submitted_wait_for_the_next_run(make_report, raised_commission):
    fee_report(make_report, submitted=timezone.localdate().isoformat())
    Report.objects.update(submitted_at=timezone.now())
    linking.link_new_reports()
    assert LinkCursor.objects.get().last_report_id == 0


def test_recording_a_version_links_the_reports_already_received(make_report, reference_data):
    make_schedule(effective_on="2026-01-01", components=[subscription("39.99")], alert=False)
    sent_early = fee_report(
        make_report,
        fee_type="subscription",
        monthly_fee_before="39.99",
        monthly_fee_after="49.99",
        change_effective_on="2026-04-01",
        submitted="2026-03-20",
    )
    make_schedule(effective_on="2026-04-01", components=[subscription("49.99")], alert=False)
    link = FeeChangeReport.objects.get()
    assert link.report_id == sent_early.pk and link.score >= LINK_THRESHOLD + linking.SCORE_VALUES


def test_an_announced_change_counts_the_reports_linked_to_it(make_report, raised_commission):
    default_change, mode_change = raised_commission
    for _ in range(3):
        fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    fee_report(make_report, fee_rate_before="10", fee_rate_after="11")
    linking.link_marketplace(default_change.marketplace)
    assert linking.reported_counts([default_change.pk, mode_change.pk, 999]) == {
        default_change.pk: 3,
        mode_change.pk: 1,
        999: 0,
    }
    assert default_change.schedule.announced_on == date(2026, 3, 1)


def test_rescanning_a_marketplace_is_idempotent_and_drops_links_that_no_longer_hold(make_report, raised_commission):
    default_change, _mode = raised_commission
    first = fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    second = fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    assert linking.link_marketplace(default_change.marketplace) == 2
    assert linking.link_marketplace(default_change.marketplace) == 0
    Report.objects.filter(pk=second.pk).update(state="duplicate", duplicate_of=first)
    linking.link_marketplace(default_change.marketplace)
    assert list(FeeChangeReport.objects.values_list("report_id", flat=True)) == [first.pk]


def test_links_follow_a_version_inserted_later(make_report, reference_data):
    make_schedule(effective_on="2026-01-01", components=[commission(10)], alert=False)
    make_schedule(effective_on="2026-07-01", components=[commission(14)], alert=False)
    report_ = fee_report(
        make_report, fee_rate_before="12", fee_rate_after="14", change_effective_on="2026-07-01", submitted="2026-07-05"
    )
    linking.link_new_reports()
    old_link = FeeChangeReport.objects.get()
    assert old_link.change.old_value == D(10)
    make_schedule(effective_on="2026-04-01", components=[commission(12)], alert=False)
    live = FeeChangeReport.objects.filter(change__withdrawn_at__isnull=True)
    assert [(link.change.old_value, link.change.new_value) for link in live] == [(D(12), D(14))]
    assert FeeChangeReport.objects.filter(pk=old_link.pk, report=report_).exists()  # kept on the withdrawn change


def test_the_management_command_rescans_everything(make_report, raised_commission):
    fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    LinkCursor.objects.create(name=linking.CURSOR_NAME, last_report_id=10**9)  # as if already past it
    call_command("link_fee_reports")
    assert not FeeChangeReport.objects.exists()
    call_command("link_fee_reports", "--all")
    assert FeeChangeReport.objects.count() == 1


def test_reports_older_than_the_window_are_not_linked(make_report, raised_commission):
    fee_report(make_report, submitted=(date(2026, 4, 1) + timedelta(days=200)).isoformat())
    assert linking.link_new_reports() == 0
