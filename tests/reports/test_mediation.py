"""The mediator's space: access, stages, private notes, closing with a mediation outcome."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fairplace.reports.events import verify_chain
from fairplace.reports.mediation import (
    MediationError,
    add_mediator_note,
    close_mediation,
    mediator_notes,
    record_stage,
)
from fairplace.reports.models import MediationReferral, MediatorNote, Report
from fairplace.reports.states import MediationStage, Outcome, ReportState
from fairplace.reports.workflow import apply_transition
from tests.conftest import login_as

pytestmark = pytest.mark.django_db
S = ReportState
TODAY = timezone.localdate


@pytest.fixture
def referred(make_report, personas):
    """A qualified report referred to ``mediator`` (the "mediator" persona by default)."""

    def make(mediator="mediator", **fields) -> Report:
        report = make_report(S.QUALIFIED, **fields)
        return apply_transition(
            report, "refer_to_mediation", actor=personas["agent"], seller_consent=True, mediator=personas[mediator]
        )

    return make


def case_urls(reference):
    return {name: reverse(f"mediation:{name}", args=[reference]) for name in ("case", "stage", "note", "close")}


# Access ------------------------------------------------------------------------------------


def test_other_mediator_gets_404_on_a_case_not_referred_to_them(client, personas, referred):
    report = referred()
    login_as(client, personas, "other_mediator")
    urls = case_urls(report.reference)
    assert client.get(urls["case"]).status_code == 404
    stage = {"stage-stage": "contact_made", "stage-on": TODAY().isoformat()}
    assert client.post(urls["stage"], stage).status_code == 404
    assert client.post(urls["note"], {"note-body": "Intrus"}).status_code == 404
    assert client.post(urls["close"], {"close-outcome": "mediation_failure"}).status_code == 404
    assert Report.objects.get(pk=report.pk).state == S.REFERRED
    assert not MediatorNote.objects.exists()
    assert reverse("mediation:case", args=[report.reference]) not in client.get(reverse("mediation:cases")).text


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator", "platform_a", "no_role"])
def test_non_mediators_get_403_on_mediation_pages(client, personas, referred, persona):
    report = referred()
    login_as(client, personas, persona)
    assert client.get(reverse("mediation:cases")).status_code == 403
    for name, url in case_urls(report.reference).items():
        response = client.get(url) if name == "case" else client.post(url, {})
        assert response.status_code == 403, name


def test_anonymous_is_sent_to_login_and_unverified_mediator_to_the_code(client, personas, referred):
    report = referred()
    response = client.get(reverse("mediation:case", args=[report.reference]))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]
    client.force_login(personas["mediator"])  # password only, no TOTP code yet
    response = client.get(reverse("mediation:cases"))
    assert response.status_code == 302 and reverse("core:verify") in response["Location"]


# The list ----------------------------------------------------------------------------------


def test_cases_list_shows_own_cases_with_referral_age_and_last_stage(client, personas, referred):
    mine = referred()
    MediationReferral.objects.filter(report=mine).update(referred_at=timezone.now() - timedelta(days=12))
    record_stage(mine, mediator=personas["mediator"], stage="platform_contacted", on=TODAY())
    other = referred("other_mediator", siret="35600000049837")
    login_as(client, personas, "mediator")
    response = client.get(reverse("mediation:cases"))
    assert response.status_code == 200
    assert mine.reference in response.text and other.reference not in response.text
    assert "12 jours" in response.text
    assert "Plateforme contactée" in response.text
    assert "Médiation en cours" in response.text


def test_cases_list_query_count_does_not_grow_with_cases(client, personas, referred):
    referred()
    login_as(client, personas, "mediator")
    client.get(reverse("mediation:cases"))  # warm caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("mediation:cases"))
    for siret in ("35600000049837", "73282932000074"):
        report = referred(siret=siret)
        record_stage(report, mediator=personas["mediator"], stage="contact_made", on=TODAY())
    with CaptureQueriesContext(connection) as three:
        response = client.get(reverse("mediation:cases"))
    assert response.text.count("/mediation/FP-") == 3
    assert len(three.captured_queries) == len(one.captured_queries)


# The case page -----------------------------------------------------------------------------


def test_case_page_shows_identity_and_only_the_message_for_the_seller(client, personas, make_report):
    report = make_report(S.FORWARDED)
    apply_transition(
        report,
        "record_answer",
        actor=personas["platform_a"],
        actor_kind="platform",
        kind="rejected",
        reasons=["decision_upheld"],
        message_for_seller="Décision maintenue après réexamen du compte.",
        message_for_administration="Vendeur signalé en interne, ne pas divulguer.",
    )
    apply_transition(
        report, "refer_to_mediation", actor=personas["agent"], seller_consent=True, mediator=personas["mediator"]
    )
    login_as(client, personas, "mediator")
    response = client.get(reverse("mediation:case", args=[report.reference]))
    assert response.status_code == 200
    text = response.text
    assert "Atelier Martin" in text and report.siret in text and "vendeuse@exemple.fr" in text
    assert "Décision maintenue après réexamen du compte." in text
    assert "Vendeur signalé en interne" not in text
    assert "Cas confié au Médiateur des entreprises" in text  # the French timeline


# Private notes -----------------------------------------------------------------------------


def test_notes_are_visible_to_their_author_only(client, personas, referred):
    report = referred()
    login_as(client, personas, "mediator")
    response = client.post(
        reverse("mediation:note", args=[report.reference]),
        {"note-body": "Le vendeur semble prêt à un geste commercial."},
    )
    assert response.status_code == 302
    assert "Le vendeur semble prêt" in client.get(reverse("mediation:case", args=[report.reference])).text
    assert list(mediator_notes(report, personas["other_mediator"])) == []
    assert list(mediator_notes(report, personas["agent"])) == []

    # Reassigned to another mediator: they take the case, not their colleague's notes.
    MediationReferral.objects.filter(report=report).update(mediator=personas["other_mediator"])
    login_as(client, personas, "other_mediator")
    response = client.get(reverse("mediation:case", args=[report.reference]))
    assert response.status_code == 200
    assert "Le vendeur semble prêt" not in response.text
    assert MediatorNote not in admin.site._registry


def test_agents_case_page_does_not_show_mediator_notes(client, personas, referred):
    report = referred()
    add_mediator_note(report, mediator=personas["mediator"], body="Piste : remboursement de la commission.")
    url = reverse("backoffice:case", args=[report.reference])
    login_as(client, personas, "agent")
    response = client.get(url)
    assert response.status_code == 200
    assert "Piste : remboursement" not in response.text


def test_note_must_not_be_empty_and_is_the_mediators_own_case(personas, referred, client):
    report = referred()
    login_as(client, personas, "mediator")
    response = client.post(reverse("mediation:note", args=[report.reference]), {"note-body": "   "})
    assert response.status_code == 422
    with pytest.raises(MediationError, match="pas confié à vous"):
        add_mediator_note(report, mediator=personas["other_mediator"], body="Intrus")
    assert not MediatorNote.objects.exists()


# Stages ------------------------------------------------------------------------------------


def test_first_stage_starts_the_mediation_with_mediator_events(client, personas, referred):
    report = referred()
    login_as(client, personas, "mediator")
    response = client.post(
        reverse("mediation:stage", args=[report.reference]),
        {"stage-stage": "contact_made", "stage-on": TODAY().isoformat(), "stage-detail": "Appel téléphonique"},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == S.IN_MEDIATION
    started, stage = report.events.order_by("-id")[:2][::-1]
    assert (started.code, started.actor_kind, started.actor) == (
        "report.mediation_started",
        "mediator",
        personas["mediator"],
    )
    assert (stage.code, stage.actor_kind, stage.actor) == ("report.mediation_stage", "mediator", personas["mediator"])
    assert stage.payload == {"stage": "contact_made", "on": TODAY().isoformat(), "detail": "Appel téléphonique"}
    assert verify_chain(report)

    record_stage(report, mediator=personas["mediator"], stage="platform_contacted", on=TODAY())
    assert report.events.filter(code="report.mediation_started").count() == 1
    page = client.get(reverse("mediation:case", args=[report.reference])).text
    assert "Contact pris avec le vendeur" in page and "Plateforme contactée" in page


@pytest.mark.parametrize(
    "stage, on, message",
    [
        ("contact_made", 1, "dans le futur"),
        ("contact_made", -3, "précéder la saisine"),
        ("call_the_police", 0, "parmi celles proposées"),
    ],
)
def test_stage_validation(personas, referred, stage, on, message):
    report = referred()
    with pytest.raises(MediationError, match=message):
        record_stage(report, mediator=personas["mediator"], stage=stage, on=TODAY() + timedelta(days=on))
    report.refresh_from_db()
    assert report.state == S.REFERRED
    assert not report.events.filter(code="report.mediation_stage").exists()


def test_stage_only_on_own_open_case(personas, referred):
    report = referred()
    with pytest.raises(MediationError, match="pas confié à vous"):
        record_stage(report, mediator=personas["other_mediator"], stage="contact_made", on=TODAY())
    Report.objects.filter(pk=report.pk).update(state=S.CLOSED)
    with pytest.raises(MediationError, match="pas en médiation"):
        record_stage(report, mediator=personas["mediator"], stage="contact_made", on=TODAY())


def test_invalid_stage_form_keeps_typed_values_with_422(client, personas, referred):
    report = referred()
    login_as(client, personas, "mediator")
    future = (TODAY() + timedelta(days=5)).isoformat()
    response = client.post(
        reverse("mediation:stage", args=[report.reference]),
        {"stage-stage": "meeting_held", "stage-on": future, "stage-detail": "Visioconférence"},
    )
    assert response.status_code == 422
    assert "ne peut pas être dans le futur" in response.text
    assert f'value="{future}"' in response.text and 'value="Visioconférence"' in response.text
    assert 'value="meeting_held" selected' in response.text
    response = client.post(
        reverse("mediation:stage", args=[report.reference]), {"stage-stage": "meeting_held", "stage-on": "31/02/2026"}
    )
    assert response.status_code == 422 and "date valide" in response.text


def test_platform_refusal_suggests_closing_but_does_not_close(client, personas, referred):
    report = referred()
    result = record_stage(report, mediator=personas["mediator"], stage=MediationStage.PLATFORM_REFUSED, on=TODAY())
    assert result.suggested_outcome == Outcome.PLATFORM_DECLINED_MEDIATION
    report.refresh_from_db()
    assert report.state == S.IN_MEDIATION and report.outcome == ""
    login_as(client, personas, "mediator")
    page = client.get(reverse("mediation:case", args=[report.reference])).text
    assert "La plateforme refuse la médiation. Si ce refus est définitif" in page
    assert re.search(r'value="platform_declined_mediation"[^>]* checked', page)
    assert not re.search(r'value="mediation_(agreement|failure)"[^>]* checked', page)


# Closing -----------------------------------------------------------------------------------


def test_close_with_a_non_mediation_outcome_is_refused(client, personas, referred):
    report = referred()
    with pytest.raises(MediationError, match="par l'issue de la médiation"):
        close_mediation(report, mediator=personas["mediator"], outcome=Outcome.RESOLVED)
    login_as(client, personas, "mediator")
    response = client.post(
        reverse("mediation:close", args=[report.reference]),
        {"close-outcome": "resolved", "close-reason": "Accord trouvé"},
    )
    assert response.status_code == 422
    assert 'value="Accord trouvé"' in response.text
    report.refresh_from_db()
    assert report.state == S.REFERRED and report.outcome == ""


def test_close_with_a_mediation_outcome(client, personas, referred):
    report = referred()
    record_stage(report, mediator=personas["mediator"], stage="proposal_made", on=TODAY())
    login_as(client, personas, "mediator")
    response = client.post(
        reverse("mediation:close", args=[report.reference]),
        {"close-outcome": "mediation_agreement", "close-reason": ""},
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.outcome) == (S.CLOSED, Outcome.MEDIATION_AGREEMENT)
    closed = report.events.order_by("-id").first()
    assert (closed.code, closed.actor_kind, closed.actor) == ("report.closed", "mediator", personas["mediator"])
    assert verify_chain(report)
    page = client.get(reverse("mediation:case", args=[report.reference])).text
    assert "Clore le dossier" not in page and "Enregistrer l&#x27;étape" not in page


def test_another_mediator_cannot_close_a_case(personas, referred):
    report = referred()
    with pytest.raises(MediationError, match="pas confié à vous"):
        close_mediation(report, mediator=personas["other_mediator"], outcome=Outcome.MEDIATION_FAILURE)
    assert Report.objects.get(pk=report.pk).state == S.REFERRED
