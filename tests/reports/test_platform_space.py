"""The platform space: only one's own forwarded reports, never an anonymous seller's identity,
a structured answer form, messages, the CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fairplace.reports.models import Attachment, Message, PlatformAnswer, Report, ReportEvent
from fairplace.reports.states import ReportState
from fairplace.reports.workflow import apply_transition
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
IDENTITY = {
    "siret": "73282932000074",
    "siren": "732829320",
    "company_name": "Boutique Zéphyrine",
    "contact_first_name": "Philibert",
    "contact_last_name": "Vautrin-Lacombe",
    "contact_email": "philibert.vautrin@exemple.fr",
    "contact_phone": "06 98 76 54 32",
}
IDENTITY_STRINGS = [value.encode() for value in IDENTITY.values()]


def forward(make_report, *, consent="anonymous", marketplace="cdiscount", **fields):
    """A report forwarded through the real workflow, with a recognisable identity."""
    email = fields.pop("email", IDENTITY["contact_email"])
    report = make_report(
        "qualified",
        consent=consent,
        marketplace=marketplace,
        email=email,
        **{**{k: v for k, v in IDENTITY.items() if k not in ("siret", "contact_email")}, **fields},
    )
    return apply_transition(report, "forward")


def answer_data(**overrides) -> dict:
    return {
        "kind": "accepted",
        "actions": ["reinstatement"],
        "message_for_seller": "Votre compte est rétabli.",
        "message_for_administration": "Faux positif de notre outil.",
        **overrides,
    }


def assert_no_identity(content: bytes):
    for value in IDENTITY_STRINGS:
        assert value not in content, value


# Who may come in -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona, status", [("agent", 403), ("supervisor", 403), ("mediator", 403), ("no_role", 403), ("platform_a", 200)]
)
def test_only_platform_representatives_enter_the_platform_space(client, personas, persona, status):
    login_as(client, personas, persona)
    assert client.get("/plateforme/").status_code == status
    assert client.get("/plateforme/export.csv").status_code == status


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, personas, make_report):
    report = forward(make_report)
    for url in ("/plateforme/", f"/plateforme/signalements/{report.reference}/", "/plateforme/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/compte/connexion/")


def test_a_platform_sees_only_its_own_forwarded_reports(client, personas, make_report):
    mine = forward(make_report)
    theirs = forward(make_report, marketplace="manomano", siret="35600000049837")
    not_forwarded = make_report("qualified", consent="anonymous")
    login_as(client, personas, "platform_a")
    listing = client.get("/plateforme/").content.decode()
    assert mine.reference in listing
    assert theirs.reference not in listing and not_forwarded.reference not in listing
    assert client.get(f"/plateforme/signalements/{not_forwarded.reference}/").status_code == 404


def test_another_platform_gets_404_on_every_page_of_a_report(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_b")
    base = f"/plateforme/signalements/{report.reference}/"
    assert client.get(base).status_code == 404
    assert client.get(base + "repondre/").status_code == 404
    assert client.post(base + "repondre/", answer_data()).status_code == 404
    assert client.post(base + "messages/", {"recipient": "seller", "body": "Bonjour"}).status_code == 404
    assert not PlatformAnswer.objects.exists() and not Message.objects.exists()
    assert Report.objects.get(pk=report.pk).platform_first_read_at is None
    assert report.reference not in client.get("/plateforme/export.csv").getvalue().decode()


# Identity ------------------------------------------------------------------------------


def _platform_pages(client, report) -> list[bytes]:
    base = f"/plateforme/signalements/{report.reference}/"
    return [
        client.get("/plateforme/").content,
        client.get(base).content,
        client.get(base + "repondre/").content,
        client.post(base + "messages/", {"recipient": "seller", "body": ""}).content,  # re-rendered with errors
        client.post(base + "repondre/", answer_data(actions=[])).content,
        client.get("/plateforme/export.csv").getvalue(),
    ]


def test_an_anonymous_sellers_identity_appears_on_no_platform_page_nor_in_the_csv(client, personas, make_report):
    report = forward(make_report, contact_phone=IDENTITY["contact_phone"])
    Attachment.objects.create(
        report=report,
        original_name="kbis-boutique.pdf",
        kind="pdf",
        size=10,
        sha256="0" * 64,
        file="x",
        scan_status="clean",
        uploaded_at=timezone.now(),
    )
    login_as(client, personas, "platform_a")
    for content in _platform_pages(client, report):
        assert_no_identity(content)
        assert b"kbis-boutique" not in content
    detail = client.get(f"/plateforme/signalements/{report.reference}/").content.decode()
    assert "Le vendeur a choisi de rester anonyme" in detail


def test_an_identified_sellers_identity_is_shown_to_the_platform(client, personas, make_report):
    report = forward(make_report, consent="identified", contact_phone=IDENTITY["contact_phone"])
    login_as(client, personas, "platform_a")
    detail = client.get(f"/plateforme/signalements/{report.reference}/").content
    for value in IDENTITY_STRINGS:
        assert value in detail
    assert b"rester anonyme" not in detail
    rows = list(
        csv.DictReader(io.StringIO(client.get("/plateforme/export.csv").getvalue().decode("utf-8-sig")), delimiter=";")
    )
    assert rows[0]["SIRET"] == IDENTITY["siret"] and rows[0]["Raison sociale"] == IDENTITY["company_name"]
    assert rows[0]["Courriel"] == IDENTITY["contact_email"] and rows[0]["Vendeur identifié"] == "oui"


def test_the_seller_evidence_is_offered_to_the_platform_only_when_identified_and_clean(client, personas, make_report):
    def evidence(report, status):
        attachment = Attachment(
            report=report,
            original_name="preuve.pdf",
            kind="pdf",
            size=len(PDF),
            sha256="0" * 64,
            scan_status=status,
            uploaded_at=timezone.now(),
        )
        attachment.file.save(attachment.id.hex, SimpleUploadedFile("preuve.pdf", PDF), save=False)
        attachment.save()
        return attachment

    identified = forward(make_report, consent="identified")
    anonymous = forward(make_report, siret="35600000049837", email="autre@exemple.fr")
    clean, pending = evidence(identified, "clean"), evidence(identified, "pending")
    hidden = evidence(anonymous, "clean")
    login_as(client, personas, "platform_a")
    url = "/plateforme/signalements/{}/pieces/{}/"
    assert client.get(url.format(identified.reference, clean.id)).status_code == 200
    assert client.get(url.format(identified.reference, pending.id)).status_code == 404
    assert client.get(url.format(anonymous.reference, hidden.id)).status_code == 404
    assert client.get(url.format(identified.reference, hidden.id)).status_code == 404  # another report's file


# Reading -------------------------------------------------------------------------------


def test_opening_a_report_records_the_first_reading_once(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    assert "non lu" in client.get("/plateforme/").content.decode()
    client.get(f"/plateforme/signalements/{report.reference}/")
    first = Report.objects.get(pk=report.pk).platform_first_read_at
    client.get(f"/plateforme/signalements/{report.reference}/")
    assert first is not None and Report.objects.get(pk=report.pk).platform_first_read_at == first
    assert report.events.filter(code="report.read_by_platform").count() == 1
    assert "non lu" not in client.get("/plateforme/").content.decode()


def test_the_platform_timeline_leaves_out_the_agents_internal_events(client, personas, make_report):
    from django.db import transaction

    from fairplace.reports.events import record_event

    report = forward(make_report)
    with transaction.atomic():
        record_event(report, "report.assigned", actor_kind="agent", payload={"to": 1})
        record_event(report, "report.requalified", actor_kind="agent", payload={"changes": {}})
        record_event(report, "report.answer_reminder_sent", actor_kind="system")
    login_as(client, personas, "platform_a")
    html = client.get(f"/plateforme/signalements/{report.reference}/").content.decode()
    assert "Signalement transmis à la plateforme" in html and "Plateforme relancée" in html
    assert "Signalement lu par la plateforme" in html
    assert "attribué" not in html and "requalifié" not in html and "report." not in html


# The list ------------------------------------------------------------------------------


def test_the_list_shows_deadlines_filters_and_pages_in_bounded_queries(
    client, personas, make_report, settings, django_assert_max_num_queries
):
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "submit_ip": "100/h", "submit_siret": "100/d"}
    late = forward(make_report)
    Report.objects.filter(pk=late.pk).update(answer_due_at=timezone.now() - timedelta(days=1))
    overdue = forward(make_report, siret="35600000049837")
    Report.objects.filter(pk=overdue.pk).update(state=ReportState.OVERDUE)
    on_time = forward(make_report, siret="35600000000048")
    login_as(client, personas, "platform_a")
    html = client.get("/plateforme/").content.decode()
    assert html.count("en retard") >= 2 and "jours restants" in html
    only_late = client.get("/plateforme/?retard=1").content.decode()
    assert late.reference in only_late and overdue.reference in only_late and on_time.reference not in only_late
    by_state = client.get("/plateforme/?etat=overdue").content.decode()
    assert overdue.reference in by_state and late.reference not in by_state
    assert 'href="/plateforme/export.csv?etat=overdue"' in by_state
    exported = client.get("/plateforme/export.csv?retard=1").getvalue().decode("utf-8-sig")
    assert late.reference in exported and overdue.reference in exported and on_time.reference not in exported
    assert client.get("/plateforme/?etat=nimporte").status_code == 200  # an unknown filter is ignored

    for _ in range(27):
        Report.objects.filter(pk=forward(make_report, siret="35600000000048").pk).update(
            platform_first_read_at=timezone.now()
        )
    with django_assert_max_num_queries(8):
        first_page = client.get("/plateforme/")
    assert first_page.status_code == 200 and "30 signalements" in first_page.content.decode()
    with django_assert_max_num_queries(8):
        assert client.get("/plateforme/?page=2").status_code == 200


# Answering -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, error",
    [
        ({"kind": ""}, "Indiquez le sens de votre réponse."),
        ({"kind": "accepted", "actions": []}, "Cochez au moins une action promise."),
        ({"kind": "rejected", "actions": ["reinstatement"]}, "Cochez au moins un motif."),
        ({"kind": "not_concerned", "rejection_reasons": ["terms_breach"]}, "Cochez au moins un motif."),
        ({"kind": "accepted", "actions": ["teleportation"]}, "Sélectionnez un choix valide"),
        ({"message_for_seller": "  "}, "Écrivez un message pour le vendeur."),
    ],
)
def test_the_answer_form_refuses_incomplete_answers_and_keeps_what_was_typed(
    client, personas, make_report, data, error
):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    response = client.post(
        f"/plateforme/signalements/{report.reference}/repondre/",
        answer_data(message_for_administration="Note interne très précise", **data),
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert error in html
    assert "Note interne très précise" in html
    assert not PlatformAnswer.objects.exists() and Report.objects.get(pk=report.pk).state == ReportState.FORWARDED


@pytest.mark.parametrize(
    "data, kind, reasons, actions",
    [
        (
            {"kind": "accepted", "actions": ["reinstatement", "fee_refund"], "rejection_reasons": ["fraud_risk"]},
            "accepted",
            [],
            ["reinstatement", "fee_refund"],
        ),
        (
            {"kind": "rejected", "rejection_reasons": ["fraud_risk"], "actions": ["reinstatement"]},
            "rejected",
            ["fraud_risk"],
            [],
        ),
        (
            {"kind": "not_concerned", "not_concerned_reasons": ["unknown_seller"]},
            "not_concerned",
            ["unknown_seller"],
            [],
        ),
    ],
)
def test_each_kind_of_answer_is_recorded_with_only_its_own_codes(
    client, personas, make_report, data, kind, reasons, actions
):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    response = client.post(f"/plateforme/signalements/{report.reference}/repondre/", answer_data(**data), follow=True)
    assert response.redirect_chain[-1][0] == f"/plateforme/signalements/{report.reference}/"
    assert "Votre réponse a été enregistrée" in response.content.decode()
    answer = PlatformAnswer.objects.get(report=report)
    assert (answer.kind, answer.reasons, answer.actions) == (kind, reasons, actions)
    assert answer.author == personas["platform_a"]
    assert Report.objects.get(pk=report.pk).state == ReportState.ANSWERED


def test_a_double_submit_records_one_answer(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    url = f"/plateforme/signalements/{report.reference}/repondre/"
    client.post(url, answer_data())
    second = client.post(url, answer_data(), follow=True)
    assert "a déjà reçu une réponse" in second.content.decode()
    assert PlatformAnswer.objects.filter(report=report).count() == 1
    assert report.events.filter(code="report.answered").count() == 1
    assert client.get(url).status_code == 302  # the form is no longer offered


def test_an_answer_with_files_stores_them_under_the_answer(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    files = [SimpleUploadedFile("justificatif.pdf", PDF), SimpleUploadedFile("capture.pdf", PDF)]
    response = client.post(f"/plateforme/signalements/{report.reference}/repondre/", {**answer_data(), "files": files})
    assert response.status_code == 302
    answer = PlatformAnswer.objects.get(report=report)
    assert sorted(a.original_name for a in answer.attachments.all()) == ["capture.pdf", "justificatif.pdf"]
    assert all(a.report_id == report.pk for a in answer.attachments.all())
    html = client.get(f"/plateforme/signalements/{report.reference}/").content.decode()
    assert "justificatif.pdf" in html and "Faux positif de notre outil." in html


def test_a_refused_file_refuses_the_whole_answer(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    files = [SimpleUploadedFile("ok.pdf", PDF), SimpleUploadedFile("programme.pdf", b"MZ\x90\x00binary")]
    response = client.post(
        f"/plateforme/signalements/{report.reference}/repondre/",
        {**answer_data(message_for_seller="Texte gardé"), "files": files},
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "n&#x27;est pas d&#x27;un type accepté" in html and "La réponse n&#x27;a pas été enregistrée" in html
    assert "Texte gardé" in html and "choisissez-les à nouveau" in html
    assert not PlatformAnswer.objects.exists() and not Attachment.objects.exists()


# Messages ------------------------------------------------------------------------------


def test_the_platform_writes_to_the_seller_and_reads_the_thread(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    response = client.post(
        f"/plateforme/signalements/{report.reference}/messages/",
        {"recipient": "seller", "body": "Pouvez-vous préciser la date ?"},
        follow=True,
    )
    html = response.content.decode()
    assert "Votre message a été envoyé." in html and "Pouvez-vous préciser la date ?" in html
    message = Message.objects.get()
    assert (message.sender, message.recipient, message.author) == ("platform", "seller", personas["platform_a"])
    assert message.released_at is not None


def test_a_message_error_keeps_the_text_and_says_why(client, personas, make_report):
    report = forward(make_report)
    login_as(client, personas, "platform_a")
    response = client.post(
        f"/plateforme/signalements/{report.reference}/messages/", {"recipient": "", "body": "Texte tapé"}
    )
    assert response.status_code == 422
    assert "Texte tapé" in response.content.decode() and "Ce champ est obligatoire" in response.content.decode()
    assert not Message.objects.exists()


# Export --------------------------------------------------------------------------------


def test_the_csv_export_lists_the_platforms_reports_with_dates_and_answers(client, personas, make_report):
    answered = forward(make_report)
    apply_transition(
        answered,
        "record_answer",
        actor_kind="platform",
        kind="rejected",
        reasons=["fraud_risk"],
        message_for_seller="Non.",
    )
    waiting = forward(make_report, siret="35600000049837")
    forward(make_report, marketplace="manomano", siret="35600000000048")
    login_as(client, personas, "platform_a")
    response = client.get("/plateforme/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig")), delimiter=";"))
    assert {row["Référence"] for row in rows} == {answered.reference, waiting.reference}
    by_reference = {row["Référence"]: row for row in rows}
    assert by_reference[answered.reference]["Répondu le"] and not by_reference[waiting.reference]["Répondu le"]
    assert by_reference[waiting.reference]["Réponse attendue avant le"]
    assert all(row["SIRET"] == "" and row["Courriel"] == "" and row["Vendeur identifié"] == "non" for row in rows)


def test_the_csv_neutralises_spreadsheet_formulas(client, personas, make_report):
    forward(make_report, consent="identified", company_name='=HYPERLINK("http://x")')
    login_as(client, personas, "platform_a")
    row = next(
        csv.DictReader(io.StringIO(client.get("/plateforme/export.csv").getvalue().decode("utf-8-sig")), delimiter=";")
    )
    assert row["Raison sociale"].startswith("'=")


def test_no_event_of_another_report_or_platform_leaks_into_the_page(client, personas, make_report):
    report = forward(make_report)
    other = forward(make_report, marketplace="manomano", siret="35600000049837")
    Message.objects.create(
        report=other,
        sender="observatory",
        recipient="platform",
        body="Secret ManoMano",
        created_at=timezone.now(),
        released_at=timezone.now(),
    )
    login_as(client, personas, "platform_a")
    assert "Secret ManoMano" not in client.get(f"/plateforme/signalements/{report.reference}/").content.decode()
    assert ReportEvent.objects.filter(report=other, code="report.read_by_platform").count() == 0


def test_the_forwarding_e_mail_to_the_platform_carries_no_anonymous_identity(personas, make_report, smtp_server):
    from fairplace.core.outbox import deliver_due

    report = forward(make_report, contact_phone=IDENTITY["contact_phone"])
    deliver_due()
    to_platform = [mail for mail in smtp_server.messages if mail["To"] == "rep@cdiscount.test"]
    assert len(to_platform) == 1
    body = to_platform[0].get_payload(decode=True)
    assert f"/plateforme/signalements/{report.reference}/".encode() in body
    assert_no_identity(body)
