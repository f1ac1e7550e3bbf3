"""The report workflow: every (state × transition) pair, guards, deadlines, tamper evidence."""

from datetime import date, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from fairplace.core.models import OutboxMessage
from fairplace.reports import deadlines
from fairplace.reports.events import verify_chain
from fairplace.reports.models import PlatformAnswer, Report, ReportEvent
from fairplace.reports.schedule import REMINDER_EVENT, mark_overdue_reports, send_answer_reminders
from fairplace.reports.states import Outcome, ReportState
from fairplace.reports.workflow import TRANSITIONS, TransitionError, apply_transition, available_transitions

pytestmark = pytest.mark.django_db
S = ReportState


def happy_payload(name: str, report: Report, make_report) -> dict:
    if name == "mark_duplicate":
        return {"duplicate_of": make_report(siret="35600000049837").reference}
    return {
        "reject_as_not_admissible": {"reason": "Hors du champ de l'observatoire"},
        "record_answer": {"kind": "accepted", "actions": ["reinstatement"], "message_for_seller": "Compte rétabli."},
        "refer_to_mediation": {"seller_consent": True},
        "close": {
            "outcome": Outcome.MEDIATION_AGREEMENT if report.state in (S.REFERRED, S.IN_MEDIATION) else Outcome.RESOLVED
        },
        "reopen": {"reason": "Nouvel élément"},
    }.get(name, {})


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_state_and_transition_pair(make_report, state, name):
    transition = TRANSITIONS[name]
    report = make_report(state, answer_due_at=timezone.now() - timedelta(days=1))
    events_before = report.events.count()
    payload = happy_payload(name, report, make_report)
    if state in transition.sources:
        moved = apply_transition(report, name, **payload)
        assert moved.state == transition.target
        assert Report.objects.get(pk=report.pk).state == transition.target
        last = report.events.order_by("-id").first()
        assert (last.code, last.payload["from"], last.payload["to"]) == (transition.event, state, transition.target)
        assert report.events.count() == events_before + 1
        assert verify_chain(report)
    else:
        with pytest.raises(TransitionError, match="impossible pour un signalement"):
            apply_transition(report, name, **payload)
        assert Report.objects.get(pk=report.pk).state == state
        assert report.events.count() == events_before


def test_forwarding_respects_the_sellers_choice(make_report):
    for consent in ("barometer_only", "mediation"):
        report = make_report(S.QUALIFIED, consent=consent)
        with pytest.raises(TransitionError, match="pas accepté la transmission"):
            apply_transition(report, "forward")
    other = make_report(S.QUALIFIED)
    Report.objects.filter(pk=other.pk).update(marketplace=None, marketplace_other_name="MaPlace")
    with pytest.raises(TransitionError, match="pas dans le registre"):
        apply_transition(other, "forward")


def test_mediation_needs_the_sellers_consent(make_report):
    report = make_report(S.ANSWERED)
    with pytest.raises(TransitionError, match="qu'avec son accord"):
        apply_transition(report, "refer_to_mediation")
    consenting = make_report(S.ANSWERED, consent="mediation")
    assert apply_transition(consenting, "refer_to_mediation").state == S.REFERRED


@pytest.mark.parametrize(
    "name, payload, message",
    [
        ("reject_as_not_admissible", {"reason": "  "}, "Indiquez le motif"),
        ("mark_duplicate", {"duplicate_of": "FP-XXXX-XXXX-XXXX"}, "référence du signalement d'origine"),
        ("close", {"outcome": "perhaps"}, "Indiquez l'issue"),
        ("close", {"outcome": "mediation_agreement"}, "qu'après une saisine du médiateur"),
    ],
)
def test_guards_explain_in_french(make_report, name, payload, message):
    report = make_report(S.QUALIFIED)
    with pytest.raises(TransitionError, match=message):
        apply_transition(report, name, **payload)


def test_a_report_cannot_duplicate_itself(make_report):
    report = make_report(S.QUALIFIED)
    with pytest.raises(TransitionError, match="lui-même"):
        apply_transition(report, "mark_duplicate", duplicate_of=report.reference)


def test_answer_needs_a_kind_and_a_message(make_report):
    report = make_report(S.FORWARDED)
    with pytest.raises(TransitionError, match="sens de la réponse"):
        apply_transition(report, "record_answer", kind="maybe", message_for_seller="x")
    with pytest.raises(TransitionError, match="message pour le vendeur"):
        apply_transition(report, "record_answer", kind="rejected", reasons=["terms_breach"], message_for_seller="")


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"kind": "accepted", "actions": []}, "au moins une action promise"),
        ({"kind": "accepted", "actions": ["teleportation"]}, "au moins une action promise"),
        ({"kind": "rejected", "reasons": []}, "au moins un motif"),
        ({"kind": "rejected", "reasons": ["unknown_seller"]}, "au moins un motif"),  # a not-concerned code
        ({"kind": "not_concerned", "reasons": ["terms_breach"]}, "au moins un motif"),  # a rejection code
        ({"kind": "rejected", "reasons": ["terms_breach"], "actions": ["fee_refund"]}, "ne comporte pas d'action"),
    ],
)
def test_a_structured_answer_carries_the_codes_of_its_kind(make_report, payload, message):
    report = make_report(S.FORWARDED)
    with pytest.raises(TransitionError, match=message):
        apply_transition(report, "record_answer", actor_kind="platform", message_for_seller="Réponse", **payload)
    assert not PlatformAnswer.objects.exists()


def test_an_answer_is_stored_with_its_codes_and_the_promised_action_is_followed_up_after_21_days(make_report):
    report = make_report(S.FORWARDED)
    with time_machine.travel(_at(2026, 6, 1), tick=False):
        apply_transition(
            report,
            "record_answer",
            actor_kind="platform",
            kind="accepted",
            actions=["reinstatement", "fee_refund"],
            message_for_seller=" Compte rétabli. ",
            message_for_administration="Erreur de notre outil de détection.",
        )
    answer = PlatformAnswer.objects.get(report=report)
    assert (answer.kind, answer.actions, answer.reasons) == ("accepted", ["reinstatement", "fee_refund"], [])
    assert answer.message_for_seller == "Compte rétabli."
    assert timezone.localtime(answer.follow_up_due_at).date() == date(2026, 6, 22)
    event = report.events.get(code="report.answered")
    # The event records the structure and the answer's id, not the messages.
    assert event.payload == {
        "from": "forwarded",
        "to": "answered",
        "kind": "accepted",
        "reasons": [],
        "actions": ["reinstatement", "fee_refund"],
        "answer_id": answer.pk,
    }
    rejected = make_report(S.OVERDUE)
    apply_transition(
        rejected,
        "record_answer",
        actor_kind="platform",
        kind="rejected",
        reasons=["fraud_risk"],
        message_for_seller="Non.",
    )
    assert PlatformAnswer.objects.get(report=rejected).follow_up_due_at is None


@pytest.mark.parametrize(
    "name, actor_kind",
    [
        ("qualify", "platform"),
        ("forward", "platform"),
        ("qualify", "seller"),
        ("record_answer", "seller"),
        ("record_answer", "mediator"),
        ("close", "platform"),
        ("close", "seller"),
        ("reopen", "mediator"),
        ("withdraw", "platform"),
        ("mark_overdue", "platform"),
        ("start_mediation", "platform"),
    ],
)
def test_each_step_is_taken_only_by_whom_it_belongs_to(make_report, name, actor_kind):
    report = make_report(next(iter(TRANSITIONS[name].sources)))
    with pytest.raises(TransitionError, match="Vous ne pouvez pas effectuer"):
        apply_transition(report, name, actor_kind=actor_kind)
    assert report.events.count() == 1


def test_the_seller_withdraws_an_open_report(make_report):
    report = make_report(S.FORWARDED)
    withdrawn = apply_transition(report, "withdraw", actor_kind="seller", reason="Réglé directement")
    assert (withdrawn.state, withdrawn.outcome) == (S.CLOSED, Outcome.WITHDRAWN)
    assert report.events.get(code="report.withdrawn").payload["outcome"] == Outcome.WITHDRAWN
    with pytest.raises(TransitionError, match="Retirer le signalement"):
        apply_transition(make_report(S.ANSWERED), "close", outcome=Outcome.WITHDRAWN)


def test_the_mediator_closes_only_with_a_mediation_outcome_and_only_their_case(make_report, personas):
    report = make_report(S.QUALIFIED, consent="mediation")
    apply_transition(report, "refer_to_mediation", mediator=personas["mediator"])
    with pytest.raises(TransitionError, match="autre médiateur"):
        apply_transition(report, "start_mediation", actor=personas["other_mediator"], actor_kind="mediator")
    apply_transition(report, "start_mediation", actor=personas["mediator"], actor_kind="mediator")
    with pytest.raises(TransitionError, match="autre médiateur"):
        apply_transition(
            report, "close", actor=personas["other_mediator"], actor_kind="mediator", outcome=Outcome.MEDIATION_FAILURE
        )
    with pytest.raises(TransitionError, match="issue de la médiation"):
        apply_transition(report, "close", actor=personas["mediator"], actor_kind="mediator", outcome=Outcome.RESOLVED)
    closed = apply_transition(
        report, "close", actor=personas["mediator"], actor_kind="mediator", outcome=Outcome.MEDIATION_AGREEMENT
    )
    assert closed.outcome == Outcome.MEDIATION_AGREEMENT
    assert report.events.get(code="report.closed").actor == personas["mediator"]


def test_a_duplicate_points_to_its_original_until_reopened(make_report):
    original = make_report(S.QUALIFIED)
    duplicate = make_report(S.SUBMITTED, siret="35600000049837")
    apply_transition(duplicate, "mark_duplicate", duplicate_of=original.reference)
    assert list(original.duplicates.all()) == [duplicate]
    reopened = apply_transition(Report.objects.get(pk=duplicate.pk), "reopen", reason="Pas le même problème")
    assert reopened.duplicate_of is None


def test_forwarding_tells_the_platforms_representatives_without_the_sellers_identity(make_report, personas):
    report = make_report(S.QUALIFIED, consent="anonymous")
    OutboxMessage.objects.all().delete()
    apply_transition(report, "forward")
    message = OutboxMessage.objects.get(template="report_forwarded_to_platform")
    assert message.to == personas["platform_a"].email  # Cdiscount's representative, not ManoMano's
    assert report.reference in message.body_text and "/plateforme/signalements/" in message.body_text
    for identity in (report.siret, report.siren, report.company_name, report.contact_last_name, report.contact_email):
        assert identity not in message.body_text and identity not in message.subject


def test_seller_is_told_of_each_visible_change(make_report):
    report = make_report(S.QUALIFIED)
    OutboxMessage.objects.all().delete()
    apply_transition(report, "forward")
    message = OutboxMessage.objects.get(template="report_state_changed")
    assert message.to == report.contact_email and "Transmis à la plateforme" in message.subject


def test_reopen_clears_the_outcome(make_report):
    report = make_report(S.ANSWERED)
    closed = apply_transition(report, "close", outcome=Outcome.UNRESOLVED)
    assert closed.outcome == Outcome.UNRESOLVED
    reopened = apply_transition(closed, "reopen", reason="Le vendeur apporte un élément nouveau")
    assert (reopened.state, reopened.outcome) == (S.QUALIFIED, "")


# Deadlines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, expected",
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter(year, expected):
    assert deadlines.easter(year) == expected


def test_business_days_skip_weekends_and_french_public_holidays():
    # From Thursday 30 April 2026: 1 May, 8 May, Ascension (14 May) and Whit Monday (25 May) skipped.
    assert deadlines.add_days(date(2026, 4, 30), 15, business=True) == date(2026, 5, 27)
    assert deadlines.add_days(date(2026, 4, 30), 15, business=False) == date(2026, 5, 15)
    assert not deadlines.is_business_day(date(2026, 7, 14))
    assert deadlines.is_business_day(date(2026, 7, 15))


def _at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour, 0))


def test_forwarding_sets_the_answer_deadline_with_a_frozen_clock(make_report):
    report = make_report(S.QUALIFIED)
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 4, 30)):
        forwarded = apply_transition(report, "forward")
    assert timezone.localtime(forwarded.answer_due_at).date() == date(2026, 5, 27)


def test_reminder_then_overdue_with_a_frozen_clock(make_report):
    report = make_report(S.QUALIFIED)
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 4, 30)):
        apply_transition(report, "forward")
    # The reminder falls 3 business days before 27 May (25 May is Whit Monday): on 21 May.
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 5, 20)):
        assert send_answer_reminders() == 0
        assert mark_overdue_reports() == 0
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 5, 21)):
        assert send_answer_reminders() == 1
        assert send_answer_reminders() == 0  # once only
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 5, 27, 23)):
        assert mark_overdue_reports() == 0  # still the last day
    with mock.patch("django.utils.timezone.now", return_value=_at(2026, 5, 28, 0)):
        assert mark_overdue_reports() == 1
    report.refresh_from_db()
    assert report.state == S.OVERDUE
    assert list(report.events.order_by("id").values_list("code", flat=True)) == [
        "report.submitted",
        "report.forwarded",
        REMINDER_EVENT,
        "report.overdue",
    ]
    assert verify_chain(report)


def test_overdue_is_refused_before_the_deadline(make_report):
    report = make_report(S.FORWARDED, answer_due_at=timezone.now() + timedelta(days=2))
    with pytest.raises(TransitionError, match="pas écoulé"):
        apply_transition(report, "mark_overdue")


# Tamper evidence ------------------------------------------------------------------------


def test_a_rewritten_event_breaks_the_chain_and_the_command_says_so(make_report):
    report = make_report(S.SUBMITTED)
    apply_transition(report, "qualify")
    call_command("verify_event_chains")
    first = report.events.order_by("id").first()
    ReportEvent.objects.filter(pk=first.pk).update(payload={**first.payload, "consent": "identified"})
    assert not verify_chain(report)
    with pytest.raises(CommandError, match=report.reference):
        call_command("verify_event_chains")


def test_steps_the_report_itself_rules_out_are_not_offered(make_report):
    names = lambda report: {t.name for t in available_transitions(report, "agent")}  # noqa: E731
    assert "forward" in names(make_report(S.QUALIFIED, consent="anonymous"))
    assert "forward" not in names(make_report(S.QUALIFIED, consent="barometer_only"))
    assert "mark_overdue" not in names(make_report(S.FORWARDED, answer_due_at=timezone.now() + timedelta(days=3)))
    assert "mark_overdue" in names(make_report(S.FORWARDED, answer_due_at=timezone.now() - timedelta(days=1)))
    assert {t.name for t in available_transitions(make_report(S.FORWARDED), "platform")} == {"record_answer"}


def test_only_a_supervisor_or_an_administrator_reopens(make_report, personas):
    closed = make_report(S.CLOSED)
    with pytest.raises(TransitionError, match="réservé aux superviseurs"):
        apply_transition(closed, "reopen", actor=personas["agent"], reason="Nouvel élément")
    assert "reopen" not in {t.name for t in available_transitions(closed, "agent", actor=personas["agent"])}
    assert "reopen" in {t.name for t in available_transitions(closed, "agent", actor=personas["supervisor"])}
    reopened = apply_transition(closed, "reopen", actor=personas["administrator"], reason="Nouvel élément")
    assert reopened.state == S.QUALIFIED
