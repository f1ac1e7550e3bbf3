"""Incremental updates and the full recompute give the same aggregates, whatever the events."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairplace.barometer.compute import aggregate_snapshot, full_recompute, refresh_stale
from fairplace.barometer.models import ReportContribution, StaleReport
from fairplace.platforms.models import Marketplace
from fairplace.reports.events import record_event
from fairplace.reports.models import ReportEvent

pytestmark = pytest.mark.django_db

MARKETPLACES = ["cdiscount", "manomano", "amazon", None]
FAMILIES = ["DEREF", "SUSP", "FEES", "CONTACT"]
START = datetime(2026, 2, 20, 10, tzinfo=UTC)


def _step():
    return st.one_of(
        st.tuples(st.just("report.requalified"), st.sampled_from(FAMILIES), st.sampled_from(MARKETPLACES)),
        st.tuples(
            st.sampled_from(
                [
                    "report.duplicate",
                    "report.not_admissible",
                    "report.reopened",
                    "report.forwarded",
                    "report.overdue",
                    "report.answered",
                    "report.referred_to_mediation",
                ]
            ),
            st.none(),
            st.none(),
        ),
        st.tuples(
            st.just("report.answer_rated"),
            st.sampled_from(["satisfied", "partly_satisfied", "not_satisfied"]),
            st.none(),
        ),
        st.tuples(st.just("report.action_confirmed"), st.sampled_from(["done", "partly_done", "not_done"]), st.none()),
        st.tuples(
            st.just("report.closed"),
            st.sampled_from(["resolved", "mediation_agreement", "mediation_failure"]),
            st.none(),
        ),
    )


report_plans = st.lists(
    st.tuples(
        st.sampled_from(MARKETPLACES[:3]),
        st.sampled_from(FAMILIES),
        st.integers(min_value=0, max_value=120),  # submission day after START (crosses months and quarters)
        st.booleans(),  # submission event carries the marketplace (older events do not)
        st.dictionaries(
            st.sampled_from(["statement_received", "statement_before_effect"]), st.sampled_from(["yes", "no"])
        ),
        st.lists(st.tuples(_step(), st.integers(min_value=1, max_value=30 * 24), st.booleans()), max_size=8),
    ),
    min_size=1,
    max_size=4,
)


def _clone(base, marketplace, family, answers):
    from fairplace.reports.models import ProblemFamily, Report

    fields = {
        f.attname: getattr(base, f.attname)
        for f in Report._meta.concrete_fields
        if f.attname not in ("id", "reference", "idempotency_key")
    }
    import uuid

    fields.update(
        reference=f"T{uuid.uuid4().hex[:10].upper()}",
        idempotency_key=uuid.uuid4(),
        marketplace_id=Marketplace.objects.get(slug=marketplace).pk,
        family_id=ProblemFamily.objects.get(code=family).pk,
        answers=answers,
    )
    return Report.objects.create(**fields)


def _at(event, when):
    ReportEvent.objects.filter(pk=event.pk).update(created_at=when)


def _payload(code, value, marketplace_to, report_state):
    if code == "report.requalified":
        changes = {"family": {"from": report_state["family"], "to": value}}
        if marketplace_to != report_state["marketplace"]:
            changes["marketplace"] = {"from": report_state["marketplace"], "to": marketplace_to}
            report_state["marketplace"] = marketplace_to
        report_state["family"] = value
        return {"changes": changes, "reason": "test"}
    if code in ("report.answer_rated", "report.action_confirmed"):
        return {"value": value}
    if code == "report.closed":
        return {"outcome": value}
    return {}


def test_incremental_updates_equal_the_full_recompute(make_report):
    base = make_report()  # the other reports are copies of it, with events of their own

    @given(plans=report_plans)
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def check(plans):
        _check(base, plans)

    check()


def _check(base, plans):
    refresh_stale()
    for marketplace, family, day, with_marketplace, answers, steps in plans:
        report = _clone(base, marketplace, family, answers)
        when = START + timedelta(days=day)
        payload = {"family": family, **({"marketplace": marketplace} if with_marketplace else {})}
        _at(record_event(report, "report.submitted", actor_kind="seller", payload=payload), when)
        state = {"family": family, "marketplace": marketplace}
        for (code, value, marketplace_to), hours_later, refresh_now in steps:
            when += timedelta(hours=hours_later)
            _at(
                record_event(report, code, actor_kind="agent", payload=_payload(code, value, marketplace_to, state)),
                when,
            )
            if refresh_now:
                refresh_stale()
        # The report row follows its requalifications, as casework.requalify does.
        report.marketplace_id = Marketplace.objects.get(slug=state["marketplace"]).pk if state["marketplace"] else None
        report.save(update_fields=["marketplace"])
    refresh_stale()
    assert not StaleReport.objects.exists()
    incremental = aggregate_snapshot()
    contributions = dict(ReportContribution.objects.values_list("report_id", "cells"))
    full_recompute()
    assert aggregate_snapshot() == incremental
    assert dict(ReportContribution.objects.values_list("report_id", "cells")) == contributions


def test_the_worker_updates_the_aggregates_and_the_command_recomputes(make_report):
    from io import StringIO

    from django.core.management import call_command

    report = make_report(marketplace="manomano")
    assert StaleReport.objects.filter(report_id=report.pk).exists()  # written with the event
    call_command("run_job", "barometer.refresh", stdout=StringIO())
    assert not StaleReport.objects.exists()
    manomano = Marketplace.objects.get(slug="manomano").pk
    received = {
        key: count for key, count in aggregate_snapshot().items() if key[0] == manomano and key[2] == "received"
    }
    assert sorted(received.values()) == [1, 1, 1]  # its month, quarter and year
    out = StringIO()
    call_command("compute_barometer", "--full", stdout=out)
    assert "Recalcul complet : 1 signalements" in out.getvalue()
    assert {
        key: count for key, count in aggregate_snapshot().items() if key[0] == manomano and key[2] == "received"
    } == received


def test_only_counted_events_mark_a_report_stale(make_report):
    report = make_report(marketplace="manomano")
    refresh_stale()
    record_event(report, "report.assigned", actor_kind="agent", payload={})
    assert not StaleReport.objects.exists()
    record_event(report, "report.overdue", actor_kind="system", payload={})
    assert StaleReport.objects.filter(report_id=report.pk).exists()
