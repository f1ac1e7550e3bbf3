"""Case-handling services: assignment, internal notes, requalification, duplicates, bulk actions."""

import pytest

from fairplace.platforms.models import Marketplace
from fairplace.reports import casework
from fairplace.reports.casework import CaseworkError
from fairplace.reports.events import verify_chain
from fairplace.reports.models import InternalNote, ProblemFamily, Report, ReportEvent

pytestmark = pytest.mark.django_db

VALID_SIRETS = ["73282932000074", "35600000049837", "35600000000048"]


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.FAIRPLACE_RATE_LIMITS = dict.fromkeys(settings.FAIRPLACE_RATE_LIMITS, "1000/h")


def events(report, code):
    return list(ReportEvent.objects.filter(report=report, code=code).order_by("id"))


# assign ------------------------------------------------------------------------------------


def test_assign_sets_the_agent_and_records_one_event(make_report, personas):
    report = make_report()
    updated = casework.assign(report, assignee=personas["supervisor"], actor=personas["agent"])
    assert updated.assigned_to == personas["supervisor"]
    assert Report.objects.get(pk=report.pk).assigned_to_id == personas["supervisor"].pk
    [event] = events(report, "report.assigned")
    assert event.payload == {"from": None, "to": personas["supervisor"].pk}
    assert event.actor == personas["agent"] and event.actor_kind == "agent"
    assert verify_chain(report)


def test_assign_to_the_same_agent_again_records_nothing(make_report, personas):
    report = make_report()
    casework.assign(report, assignee=personas["agent"], actor=personas["agent"])
    casework.assign(report, assignee=personas["agent"], actor=personas["agent"])
    assert len(events(report, "report.assigned")) == 1


def test_unassign_records_the_previous_agent(make_report, personas):
    report = make_report()
    casework.assign(report, assignee=personas["agent"], actor=personas["agent"])
    casework.assign(report, assignee=None, actor=personas["supervisor"])
    assert Report.objects.get(pk=report.pk).assigned_to is None
    assert events(report, "report.assigned")[-1].payload == {"from": personas["agent"].pk, "to": None}


@pytest.mark.parametrize("persona", ["mediator", "platform_a", "no_role"])
def test_a_case_cannot_be_given_to_someone_outside_the_observatory(make_report, personas, persona):
    report = make_report()
    with pytest.raises(CaseworkError, match="n'est pas un agent actif de l'observatoire"):
        casework.assign(report, assignee=personas[persona], actor=personas["agent"])
    assert Report.objects.get(pk=report.pk).assigned_to is None
    assert events(report, "report.assigned") == []


def test_a_case_cannot_be_given_to_a_deactivated_agent(make_report, personas, django_user_model):
    former = django_user_model.objects.create_user(email="ancien@fairplace.test", role="agent", is_active=False)
    with pytest.raises(CaseworkError):
        casework.assign(make_report(), assignee=former, actor=personas["agent"])


def test_only_observatory_staff_may_assign(make_report, personas):
    with pytest.raises(CaseworkError, match="Seuls les agents"):
        casework.assign(make_report(), assignee=personas["agent"], actor=personas["platform_a"])


# internal notes ----------------------------------------------------------------------------


def test_internal_note_is_stored_trimmed(make_report, personas):
    report = make_report()
    note = casework.add_internal_note(report, author=personas["agent"], body="  Appeler le vendeur lundi.  ")
    assert InternalNote.objects.get(pk=note.pk).body == "Appeler le vendeur lundi."
    assert note.author == personas["agent"] and note.report == report


@pytest.mark.parametrize(
    ("body", "message"), [("", "La note est vide"), ("   \n ", "La note est vide"), ("x" * 5001, "5001 caractères")]
)
def test_internal_note_must_be_non_empty_and_at_most_5000_characters(make_report, personas, body, message):
    report = make_report()
    with pytest.raises(CaseworkError, match=message):
        casework.add_internal_note(report, author=personas["agent"], body=body)
    assert not InternalNote.objects.filter(report=report).exists()


def test_internal_note_of_exactly_5000_characters_is_accepted(make_report, personas):
    note = casework.add_internal_note(make_report(), author=personas["agent"], body="é" * 5000)
    assert len(note.body) == 5000


# requalify ---------------------------------------------------------------------------------


def test_requalify_family_and_marketplace_records_both_changes(make_report, personas):
    report = make_report(state="qualified")
    fees = ProblemFamily.objects.get(code="FEES")
    manomano = Marketplace.objects.get(slug="manomano")
    casework.requalify(
        report,
        actor=personas["agent"],
        family=fees,
        marketplace=manomano,
        reason="Il s'agit de commissions, sur ManoMano.",
    )
    report.refresh_from_db()
    assert report.family == fees and report.marketplace == manomano
    [event] = events(report, "report.requalified")
    assert event.payload == {
        "changes": {"family": {"from": "SUSP", "to": "FEES"}, "marketplace": {"from": "cdiscount", "to": "manomano"}},
        "reason": "Il s'agit de commissions, sur ManoMano.",
    }
    assert verify_chain(report)


def test_requalify_only_the_family_leaves_the_marketplace(make_report, personas):
    report = make_report()
    casework.requalify(
        report, actor=personas["agent"], family=ProblemFamily.objects.get(code="FEES"), reason="Mauvaise famille"
    )
    report.refresh_from_db()
    assert report.marketplace.slug == "cdiscount"
    assert set(events(report, "report.requalified")[0].payload["changes"]) == {"family"}


def test_requalify_needs_a_reason(make_report, personas):
    report = make_report()
    with pytest.raises(CaseworkError, match="motif"):
        casework.requalify(report, actor=personas["agent"], family=ProblemFamily.objects.get(code="FEES"), reason=" ")
    assert Report.objects.get(pk=report.pk).family.code == "SUSP"


def test_requalify_without_any_change_is_refused(make_report, personas):
    report = make_report()
    with pytest.raises(CaseworkError, match="Rien à changer"):
        casework.requalify(report, actor=personas["agent"], family=report.family, reason="Rien")
    assert events(report, "report.requalified") == []


@pytest.mark.parametrize("state", ["forwarded", "answered", "closed", "duplicate"])
def test_requalify_is_refused_once_forwarded_or_finished(make_report, personas, state):
    report = make_report(state=state)
    with pytest.raises(CaseworkError, match="ne peut plus être requalifié"):
        casework.requalify(
            report, actor=personas["agent"], family=ProblemFamily.objects.get(code="FEES"), reason="Trop tard"
        )
    assert Report.objects.get(pk=report.pk).family.code == "SUSP"


# merge_duplicate ---------------------------------------------------------------------------


def test_merge_duplicate_links_the_duplicate_to_the_original(make_report, personas):
    original = make_report(state="qualified")
    duplicate = make_report(email="autre@exemple.fr")
    merged = casework.merge_duplicate(duplicate, original=original, actor=personas["agent"])
    assert merged.state == "duplicate" and merged.duplicate_of == original
    assert list(original.duplicates.all()) == [duplicate]
    [event] = events(duplicate, "report.duplicate")
    assert event.payload["duplicate_of"] == original.reference
    assert not InternalNote.objects.filter(report=duplicate).exists()
    # Nothing moved to the original.
    assert Report.objects.get(pk=original.pk).state == "qualified"


def test_merge_duplicate_keeps_the_reason_as_an_internal_note(make_report, personas):
    original, duplicate = make_report(), make_report(email="autre@exemple.fr")
    casework.merge_duplicate(
        duplicate, original=original, actor=personas["agent"], reason="Même dossier déposé deux fois"
    )
    [note] = InternalNote.objects.filter(report=duplicate)
    assert original.reference in note.body and "Même dossier déposé deux fois" in note.body


def test_merge_duplicate_refusals_are_casework_errors(make_report, personas):
    report = make_report()
    with pytest.raises(CaseworkError, match="doublon de lui-même"):
        casework.merge_duplicate(report, original=report, actor=personas["agent"])
    first_duplicate = make_report(state="duplicate", email="b@exemple.fr")
    with pytest.raises(CaseworkError, match="lui-même un doublon"):
        casework.merge_duplicate(report, original=first_duplicate, actor=personas["agent"])
    forwarded = make_report(state="forwarded", email="c@exemple.fr")
    with pytest.raises(CaseworkError, match="impossible pour un signalement"):
        casework.merge_duplicate(forwarded, original=report, actor=personas["agent"])
    assert Report.objects.get(pk=report.pk).state == "submitted"


def test_merge_duplicate_reason_note_is_not_kept_when_the_merge_is_refused(make_report, personas):
    report = make_report()
    with pytest.raises(CaseworkError):
        casework.merge_duplicate(report, original=report, actor=personas["agent"], reason="Erreur")
    assert not InternalNote.objects.filter(report=report).exists()


# bulk actions ------------------------------------------------------------------------------


def test_bulk_qualify_reports_each_refusal_and_goes_on(make_report, personas):
    first = make_report()
    already = make_report(state="qualified", email="b@exemple.fr")
    last = make_report(email="c@exemple.fr")
    result = casework.apply_bulk_action(
        [first.reference, already.reference, last.reference, "FP-0000-0000-0000"],
        action="qualify",
        actor=personas["agent"],
    )
    assert result.done == [first.reference, last.reference]
    assert len(result.failures) == 2
    assert result.failures[0].startswith(f"{already.reference} : qualification impossible : ")
    assert result.failures[1] == "FP-0000-0000-0000 : qualification impossible : signalement introuvable"
    assert set(Report.objects.filter(state="qualified").values_list("pk", flat=True)) == {first.pk, already.pk, last.pk}


def test_bulk_assign_to_requires_an_assignee(make_report, personas):
    with pytest.raises(CaseworkError, match="Choisissez l'agent"):
        casework.apply_bulk_action([make_report().reference], action="assign_to", actor=personas["agent"])


def test_bulk_action_by_someone_outside_the_observatory_is_refused(make_report, personas):
    report = make_report()
    with pytest.raises(CaseworkError):
        casework.apply_bulk_action([report.reference], action="qualify", actor=personas["mediator"])
    assert Report.objects.get(pk=report.pk).state == "submitted"
