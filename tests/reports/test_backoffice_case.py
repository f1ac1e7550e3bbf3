"""The agents' case page (/gestion/signalements/<reference>/) and its actions."""

import html
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fairplace.reports import messaging
from fairplace.reports.events import record_event
from fairplace.reports.feedback import confirm_action, rate_answer
from fairplace.reports.models import (
    Attachment,
    InternalNote,
    MediationReferral,
    Message,
    PlatformAnswer,
    ProblemFamily,
    Report,
)
from fairplace.reports.workflow import apply_transition
from tests.conftest import login_as

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def case_url(report, name="case", *args):
    return reverse(f"backoffice:{name}", args=[report.reference, *args])


def post_transition(client, report, name, **fields):
    data = {"transition": name, **{f"{name}-{key}": value for key, value in fields.items()}}
    return client.post(case_url(report, "case_transition"), data)


def last_event(report):
    return report.events.order_by("-id").first()


def add_attachment(report, name, *, answer=None, scan_status=Attachment.ScanStatus.CLEAN):
    return Attachment.objects.create(
        report=report,
        answer=answer,
        file=f"attachments/test/{name}",
        original_name=name,
        kind="pdf",
        size=2048,
        sha256="0" * 64,
        scan_status=scan_status,
        uploaded_at=timezone.now(),
    )


@pytest.fixture
def agent_client(client, personas):
    return login_as(client, personas, "agent")


@pytest.fixture
def forwarded(make_report):
    """A report forwarded to Cdiscount, anonymous, whose answer is late."""
    now = timezone.now()
    return make_report("forwarded", forwarded_at=now - timedelta(days=40), answer_due_at=now - timedelta(days=1))


# The page ---------------------------------------------------------------------------------


def test_case_page_shows_every_section(agent_client, personas, make_report, forwarded):
    agent = personas["agent"]
    Report.objects.filter(pk=forwarded.pk).update(assigned_to=agent, platform_first_read_at=timezone.now())
    clean_file = add_attachment(forwarded, "capture-suspension.pdf")
    add_attachment(forwarded, "facture-douteuse.pdf", scan_status=Attachment.ScanStatus.PENDING)
    apply_transition(
        forwarded,
        "record_answer",
        actor=personas["platform_a"],
        actor_kind="platform",
        kind="rejected",
        reasons=["fraud_risk"],
        message_for_seller="Votre compte présentait un risque.",
        message_for_administration="Trois signalements de clients en une semaine.",
    )
    add_attachment(forwarded, "preuve-plateforme.pdf", answer=forwarded.platform_answers.get())
    rate_answer(forwarded, value="not_satisfied", comment="Aucune preuve fournie.")
    InternalNote.objects.create(
        report=forwarded, author=agent, body="Vendeur rappelé le 3 mars.", created_at=timezone.now()
    )
    messaging.send_message(forwarded, sender="seller", recipient="platform", body="Pouvez-vous réexaminer ?")
    duplicate = make_report("duplicate", duplicate_of=forwarded, siret="35600000049837", email="b@exemple.fr")

    response = agent_client.get(case_url(forwarded))

    assert response.status_code == 200
    page = page_of(response)
    for expected in [
        forwarded.reference,
        "Réponse de la plateforme reçue",
        "Transmission anonyme",
        "Cdiscount",
        forwarded.family.label,
        "agent@fairplace.test",
        "Première lecture par la plateforme",
        # the seller, their report and their files
        "Atelier Martin",
        "73282932000074",
        "vendeuse@exemple.fr",
        "Camille Martin",
        "suspendu du jour au lendemain",
        "capture-suspension.pdf",
        "analyse antivirus en attente",
        reverse("reports:staff_attachment", args=[clean_file.id]),
        duplicate.reference,
        # the platform's claims, then the seller's word
        "Demande rejetée",
        "Risque de fraude ou de sécurité",
        "Votre compte présentait un risque.",
        "Trois signalements de clients en une semaine.",
        "preuve-plateforme.pdf",
        "Ce que déclare la plateforme",
        "Ce qu'en dit le vendeur",
        "Pas satisfaisante",
        "Aucune preuve fournie.",
        # history, notes, messages, actions
        "Signalement envoyé",
        "Réponse évaluée par le vendeur",
        "l'observatoire",
        "Vendeur rappelé le 3 mars.",
        "Pouvez-vous réexaminer ?",
        "en attente de relecture",
        "Transmettre à la plateforme",
        "Clore",
        "Confier au médiateur",
        "Attribution",
    ]:
        assert expected in page, expected
    assert "Rouvrir" not in page
    # family answers, in French
    assert any(label in page for label, _ in response.context["answers"])
    # the duplicate points back to its original
    page = page_of(agent_client.get(case_url(duplicate)))
    assert f'href="{case_url(forwarded)}" id="original"' in page


def test_the_sellers_word_on_the_promised_action_is_shown_apart(agent_client, personas, forwarded):
    apply_transition(
        forwarded,
        "record_answer",
        actor=personas["platform_a"],
        actor_kind="platform",
        kind="accepted",
        actions=["fee_refund"],
        message_for_seller="Nous remboursons les frais.",
    )
    page = page_of(agent_client.get(case_url(forwarded)))
    assert "Remboursement de frais ou de commissions" in page
    assert "Le vendeur sera interrogé le" in page
    confirm_action(forwarded, value="not_done", comment="Toujours rien reçu.")
    page = page_of(agent_client.get(case_url(forwarded)))
    assert "Non, rien n'a été fait" in page
    assert "Toujours rien reçu." in page


def test_dates_are_french_and_late_answers_are_flagged(agent_client, forwarded):
    Report.objects.filter(pk=forwarded.pk).update(answer_due_at=timezone.make_aware(timezone.datetime(2026, 3, 2, 18)))
    page = page_of(agent_client.get(case_url(forwarded)))
    assert "2 mars 2026 à 18:00" in page
    assert 'id="late"' in page


@pytest.mark.parametrize(
    ("consent", "label"),
    [
        ("anonymous", "Transmission anonyme"),
        ("identified", "Transmission avec identité"),
        ("barometer_only", "Baromètre seulement"),
        ("mediation", "Médiation demandée"),
    ],
)
def test_the_header_says_the_sellers_choice_plainly(agent_client, make_report, consent, label):
    report = make_report(consent=consent)
    response = agent_client.get(case_url(report))
    assert response.context["consent_label"] == label
    assert label in page_of(response)


@pytest.mark.parametrize("persona", ["platform_a", "mediator", "no_role"])
def test_platform_mediator_and_others_are_refused(client, personas, forwarded, persona):
    login_as(client, personas, persona)
    MediationReferral.objects.create(report=forwarded, mediator=personas["mediator"], referred_at=timezone.now())
    assert client.get(case_url(forwarded)).status_code == 403
    assert post_transition(client, forwarded, "mark_overdue").status_code == 403
    assert client.post(case_url(forwarded, "case_note"), {"note-body": "Intrus"}).status_code == 403
    assert not InternalNote.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, forwarded):
    response = client.get(case_url(forwarded))
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]


def test_an_unknown_reference_is_a_404(agent_client, reference_data):
    assert agent_client.get(reverse("backoffice:case", args=["FP-AAAA-BBBB-CCCC"])).status_code == 404
    response = agent_client.post(reverse("backoffice:case_note", args=["FP-AAAA-BBBB-CCCC"]), {"note-body": "x"})
    assert response.status_code == 404


def test_posts_need_the_csrf_token(personas, make_report):
    client = login_as(Client(enforce_csrf_checks=True), personas, "agent")
    report = make_report()
    assert post_transition(client, report, "qualify").status_code == 403
    assert Report.objects.get(pk=report.pk).state == "submitted"


# Transitions ------------------------------------------------------------------------------


def test_qualifying_records_the_agent_and_says_so(agent_client, personas, make_report):
    report = make_report()
    response = post_transition(agent_client, report, "qualify")
    assert response.status_code == 302
    assert response["Location"] == case_url(report)
    assert Report.objects.get(pk=report.pk).state == "qualified"
    event = last_event(report)
    assert (event.code, event.actor, event.actor_kind) == ("report.qualified", personas["agent"], "agent")
    page = page_of(agent_client.get(response["Location"]))
    assert "Action « Qualifier » enregistrée." in page


def test_rejecting_needs_a_reason(agent_client, personas, make_report):
    report = make_report()
    response = post_transition(agent_client, report, "reject_as_not_admissible", reason="   ")
    assert response.status_code == 422
    assert "Indiquez le motif." in page_of(response)
    assert Report.objects.get(pk=report.pk).state == "submitted"

    response = post_transition(agent_client, report, "reject_as_not_admissible", reason="Vente entre particuliers")
    assert response.status_code == 302
    event = last_event(report)
    assert (event.code, event.payload["reason"], event.actor) == (
        "report.not_admissible",
        "Vente entre particuliers",
        personas["agent"],
    )


def test_the_guards_french_message_is_shown_with_the_typed_values(agent_client, make_report):
    report = make_report()
    response = post_transition(agent_client, report, "mark_duplicate", duplicate_of=report.reference.lower())
    assert response.status_code == 422
    page = page_of(response)
    assert "Un signalement ne peut pas être le doublon de lui-même." in page
    assert f'value="{report.reference.lower()}"' in page  # as typed
    assert 'aria-expanded="true" aria-controls="action-mark_duplicate"' in page
    assert Report.objects.get(pk=report.pk).state == "submitted"
    assert last_event(report).code == "report.submitted"


def test_an_unknown_action_is_refused(agent_client, make_report):
    report = make_report()
    response = post_transition(agent_client, report, "delete_everything")
    assert response.status_code == 422
    assert "Action inconnue." in page_of(response)


def test_an_action_the_state_does_not_allow_is_refused_in_french(agent_client, make_report):
    report = make_report()  # submitted: not yet forwardable
    response = post_transition(agent_client, report, "forward")
    assert response.status_code == 422
    assert "est impossible pour un signalement à l'état" in page_of(response)


def test_the_close_form_offers_only_the_outcomes_the_state_allows(agent_client, personas, make_report):
    report = make_report("answered")
    form = agent_client.get(case_url(report)).context["transitions"]
    outcomes = {
        value for value, _ in next(i["form"] for i in form if i["transition"].name == "close").fields["outcome"].choices
    }
    assert outcomes == {"", "resolved", "partially_resolved", "unresolved"}

    response = post_transition(agent_client, report, "close", outcome="mediation_agreement", reason="Accord")
    assert response.status_code == 422
    assert "Cette issue n'est pas possible pour ce signalement." in page_of(response)
    assert "Accord" in page_of(response)

    assert post_transition(agent_client, report, "close", outcome="resolved").status_code == 302
    report.refresh_from_db()
    assert (report.state, report.outcome) == ("closed", "resolved")
    assert last_event(report).actor == personas["agent"]


def test_an_agent_records_an_answer_received_by_post(agent_client, personas, forwarded):
    assert "Enregistrer la réponse de la plateforme" in page_of(agent_client.get(case_url(forwarded)))
    response = post_transition(
        agent_client, forwarded, "record_answer", kind="accepted", message_for_seller="Votre compte est rétabli."
    )
    assert response.status_code == 422
    page = page_of(response)
    assert "Indiquez au moins une action promise." in page
    assert "Votre compte est rétabli." in page

    response = post_transition(
        agent_client,
        forwarded,
        "record_answer",
        kind="not_concerned",
        not_concerned_reasons=["unknown_seller"],
        rejection_reasons=["fraud_risk"],
        message_for_seller="Inconnu.",
    )
    assert response.status_code == 422
    assert "Ces motifs ne valent pas pour une réponse « Plateforme non concernée »." in page_of(response)

    response = post_transition(
        agent_client,
        forwarded,
        "record_answer",
        kind="accepted",
        actions=["reinstatement", "fee_refund"],
        message_for_seller="Votre compte est rétabli.",
        message_for_administration="Courrier du 2 mars.",
    )
    assert response.status_code == 302
    answer = PlatformAnswer.objects.get(report=forwarded)
    assert (answer.kind, answer.actions, answer.reasons, answer.author) == (
        "accepted",
        ["reinstatement", "fee_refund"],
        [],
        personas["agent"],
    )
    assert answer.message_for_administration == "Courrier du 2 mars."
    assert last_event(forwarded).actor_kind == "agent"


def test_referral_needs_the_sellers_consent_and_names_the_mediator(agent_client, personas, make_report):
    report = make_report("qualified")
    mediator = personas["mediator"]
    response = post_transition(agent_client, report, "refer_to_mediation", mediator=mediator.pk)
    assert response.status_code == 422
    page = page_of(response)
    assert "Le vendeur n'a pas demandé la médiation" in page
    assert f'<option value="{mediator.pk}" selected>' in page

    response = post_transition(agent_client, report, "refer_to_mediation", mediator=mediator.pk, seller_consent="on")
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).state == "referred_to_mediation"
    assert MediationReferral.objects.get(report=report).mediator == mediator


def test_the_mediator_list_holds_only_active_mediators(agent_client, personas, make_report):
    report = make_report("qualified")
    response = post_transition(
        agent_client, report, "refer_to_mediation", mediator=personas["agent"].pk, seller_consent="on"
    )
    assert response.status_code == 422
    assert "Choisissez un médiateur de la liste." in page_of(response)


def test_reopening_is_for_supervisors_only(client, personas, make_report):
    report = make_report("closed", outcome="resolved")
    login_as(client, personas, "agent")
    assert "Rouvrir" not in page_of(client.get(case_url(report)))
    assert post_transition(client, report, "reopen", reason="Nouvel élément").status_code == 403
    assert Report.objects.get(pk=report.pk).state == "closed"

    login_as(client, personas, "supervisor")
    assert "Rouvrir" in page_of(client.get(case_url(report)))
    assert post_transition(client, report, "reopen", reason="").status_code == 422
    assert post_transition(client, report, "reopen", reason="Nouvel élément").status_code == 302
    assert Report.objects.get(pk=report.pk).state == "qualified"
    assert last_event(report).actor == personas["supervisor"]


# Assignment, notes, requalification, merge ----------------------------------------------


def test_assigning_to_me_to_someone_and_to_nobody(agent_client, personas, make_report):
    report = make_report()
    agent, supervisor = personas["agent"], personas["supervisor"]
    url = case_url(report, "case_assign")

    response = agent_client.post(url, {"assign-assignee": agent.pk})
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).assigned_to == agent
    event = last_event(report)
    assert (event.code, event.actor, event.payload["to"]) == ("report.assigned", agent, agent.pk)
    assert "Dossier attribué à agent@fairplace.test." in page_of(agent_client.get(case_url(report)))

    assert agent_client.post(url, {"assign-assignee": supervisor.pk}).status_code == 302
    assert Report.objects.get(pk=report.pk).assigned_to == supervisor

    assert agent_client.post(url, {"assign-assignee": ""}).status_code == 302
    assert Report.objects.get(pk=report.pk).assigned_to is None
    assert "Le dossier n'est plus attribué." in page_of(agent_client.get(case_url(report)))


def test_a_case_is_not_assigned_outside_the_observatory(agent_client, personas, make_report):
    report = make_report()
    response = agent_client.post(case_url(report, "case_assign"), {"assign-assignee": personas["platform_a"].pk})
    assert response.status_code == 422
    assert "Choisissez un agent de l'observatoire." in page_of(response)
    assert Report.objects.get(pk=report.pk).assigned_to is None


def test_internal_notes(agent_client, personas, make_report):
    report = make_report()
    url = case_url(report, "case_note")
    response = agent_client.post(url, {"note-body": "  "})
    assert response.status_code == 422
    assert "Écrivez la note." in page_of(response)

    response = agent_client.post(url, {"note-body": "x" * 5001})
    assert response.status_code == 422
    assert "x" * 5001 in page_of(response)

    response = agent_client.post(url, {"note-body": "Le vendeur a envoyé un courrier."})
    assert response.status_code == 302
    note = InternalNote.objects.get(report=report)
    assert (note.author, note.body) == (personas["agent"], "Le vendeur a envoyé un courrier.")
    page = page_of(agent_client.get(case_url(report)))
    assert "Note ajoutée." in page
    assert "Le vendeur a envoyé un courrier." in page


def test_requalifying(agent_client, personas, make_report):
    report = make_report()
    url = case_url(report, "case_requalify")
    other_family = ProblemFamily.objects.exclude(pk=report.family_id).first()
    page = page_of(agent_client.get(case_url(report)))
    assert "Qualifier" in page
    assert f'action="{url}"' in page

    response = agent_client.post(
        url,
        {
            "requalify-family": report.family.code,
            "requalify-marketplace": "cdiscount",
            "requalify-reason": "Rien ne change",
        },
    )
    assert response.status_code == 422
    page = page_of(response)
    assert "Rien à changer" in page
    assert "Rien ne change" in page

    response = agent_client.post(
        url,
        {
            "requalify-family": other_family.code,
            "requalify-marketplace": "manomano",
            "requalify-reason": "Erreur de famille et de plateforme",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.family, report.marketplace.slug) == (other_family, "manomano")
    event = last_event(report)
    assert (event.code, event.actor, event.payload["reason"]) == (
        "report.requalified",
        personas["agent"],
        "Erreur de famille et de plateforme",
    )
    assert "Signalement requalifié." in page_of(agent_client.get(case_url(report)))


def test_a_forwarded_report_is_no_longer_requalified(agent_client, forwarded):
    assert agent_client.get(case_url(forwarded)).context["requalify_form"] is None
    other_family = ProblemFamily.objects.exclude(pk=forwarded.family_id).first()
    response = agent_client.post(
        case_url(forwarded, "case_requalify"),
        {"requalify-family": other_family.code, "requalify-marketplace": "cdiscount", "requalify-reason": "Erreur"},
    )
    assert response.status_code == 422
    assert "ne peut plus être requalifié" in page_of(response)


def test_merging_a_duplicate(agent_client, personas, make_report):
    original = make_report()
    report = make_report(siret="35600000049837", email="b@exemple.fr")
    url = case_url(report, "case_merge")

    response = agent_client.post(url, {"merge-original": "FP-ZZZZ-ZZZZ-ZZZZ", "merge-reason": "Même litige"})
    assert response.status_code == 422
    page = page_of(response)
    assert "Aucun signalement ne porte la référence FP-ZZZZ-ZZZZ-ZZZZ." in page
    assert "Même litige" in page

    response = agent_client.post(url, {"merge-original": report.reference})
    assert response.status_code == 422
    assert "Un signalement ne peut pas être le doublon de lui-même." in page_of(response)

    response = agent_client.post(url, {"merge-original": original.reference, "merge-reason": "Même litige"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.state, report.duplicate_of) == ("duplicate", original)
    event = last_event(report)
    assert (event.code, event.actor) == ("report.duplicate", personas["agent"])
    assert f"Signalement rattaché à {original.reference}." in page_of(agent_client.get(case_url(report)))
    assert report.reference in page_of(agent_client.get(case_url(original)))


# Messages ---------------------------------------------------------------------------------


def test_writing_to_the_seller(agent_client, personas, make_report):
    report = make_report()
    response = agent_client.post(
        case_url(report, "case_message"), {"message-recipient": "seller", "message-body": "Pouvez-vous préciser ?"}
    )
    assert response.status_code == 302
    message = Message.objects.get(report=report)
    assert (message.sender, message.recipient, message.author) == ("observatory", "seller", personas["agent"])
    event = last_event(report)
    assert (event.code, event.actor) == ("report.message_sent", personas["agent"])
    assert "Message envoyé au vendeur." in page_of(agent_client.get(case_url(report)))


def test_writing_to_a_platform_that_has_not_received_the_report_is_refused(agent_client, make_report):
    report = make_report("qualified")
    response = agent_client.post(
        case_url(report, "case_message"), {"message-recipient": "platform", "message-body": "Bonjour"}
    )
    assert response.status_code == 422
    page = page_of(response)
    assert "Le signalement n'a pas été transmis à la plateforme" in page
    assert "Bonjour" in page
    assert not Message.objects.exists()

    response = agent_client.post(
        case_url(report, "case_message"), {"message-recipient": "mediator", "message-body": ""}
    )
    assert response.status_code == 422
    assert "Choisissez le vendeur ou la plateforme." in page_of(response)
    assert "Écrivez le message." in page_of(response)


def test_a_held_message_is_released_by_an_agent(agent_client, personas, forwarded, make_report):
    held = messaging.send_message(forwarded, sender="seller", recipient="platform", body="Mon SIRET est 732 829 320")
    page = page_of(agent_client.get(case_url(forwarded)))
    assert "en attente de relecture" in page
    release_url = case_url(forwarded, "case_message_release", held.pk)
    assert f'action="{release_url}"' in page

    response = agent_client.post(release_url)
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.released_by, held.released_at is not None) == (personas["agent"], True)
    event = last_event(forwarded)
    assert (event.code, event.actor, event.payload.get("released")) == ("report.message_sent", personas["agent"], True)
    page = page_of(agent_client.get(case_url(forwarded)))
    assert "Message transmis à la plateforme." in page
    assert "en attente de relecture" not in page

    response = agent_client.post(release_url)
    assert response.status_code == 422
    assert "Ce message a déjà été transmis." in page_of(response)

    other = make_report("forwarded", forwarded_at=timezone.now(), siret="35600000049837", email="b@exemple.fr")
    assert agent_client.post(case_url(other, "case_message_release", held.pk)).status_code == 404


# Queries ----------------------------------------------------------------------------------

QUERY_BOUND = 15


def test_the_case_page_runs_a_bounded_number_of_queries(
    agent_client, personas, forwarded, django_assert_max_num_queries
):
    agent = personas["agent"]
    Report.objects.filter(pk=forwarded.pk).update(assigned_to=agent)
    for index in range(6):  # + the submission event and the three messages' events: 10
        record_event(forwarded, "report.assigned", actor_kind="agent", actor=agent, payload={"n": index})
    for index in range(3):
        InternalNote.objects.create(report=forwarded, author=agent, body=f"note {index}", created_at=timezone.now())
        messaging.send_message(forwarded, sender="seller", recipient="observatory", body=f"message {index}")
    add_attachment(forwarded, "a.pdf")
    add_attachment(forwarded, "b.pdf")
    assert forwarded.events.count() == 10
    url = case_url(forwarded)

    with django_assert_max_num_queries(QUERY_BOUND), CaptureQueriesContext(connection) as first:
        assert agent_client.get(url).status_code == 200

    for index in range(20):
        record_event(forwarded, "report.assigned", actor_kind="agent", actor=agent, payload={"more": index})
    with django_assert_max_num_queries(QUERY_BOUND), CaptureQueriesContext(connection) as second:
        response = agent_client.get(url)
    assert len(response.context["timeline"]) == 30
    assert len(second.captured_queries) == len(first.captured_queries)
