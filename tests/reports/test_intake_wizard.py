"""The reporting wizard, step by step, through the server (no browser)."""

import pytest
from django.core import mail

from fairplace.core.outbox import deliver_due
from fairplace.reports.events import verify_chain
from fairplace.reports.models import Report, ReportDraft
from tests.reports.wizard import STEP_URL, attach_draft, code_from_outbox, fill_until_summary, post_step, submit

pytestmark = pytest.mark.django_db


def test_a_seller_files_a_report_from_start_to_receipt(client, reference_data):
    fill_until_summary(client)
    summary = client.get(STEP_URL.format("recapitulatif"))
    assert summary.status_code == 200
    for expected in ("Cdiscount", "73282932000074", "Atelier Martin", "47.91B", "sans mon identité"):
        assert expected in summary.content.decode()

    response, key = submit(client)
    assert response.status_code == 302 and response.url == "/signaler/recu/"
    report = Report.objects.get()
    assert str(report.idempotency_key) == key
    assert (report.marketplace.slug, report.family.code, report.siren) == ("cdiscount", "SUSP", "732829320")
    assert report.consent == "anonymous" and report.contact_email == "vendeuse@exemple.fr"
    assert report.occurred_on is not None and report.answers["occurred_on"] == report.occurred_on.isoformat()
    assert list(report.events.values_list("code", flat=True)) == ["report.submitted"]
    assert verify_chain(report)

    receipt = client.get("/signaler/recu/")
    assert report.reference in receipt.content.decode()
    deliver_due()
    assert mail.outbox[-1].to == ["vendeuse@exemple.fr"] and report.reference in mail.outbox[-1].subject


def test_references_are_unguessable(client, complete_draft):
    from fairplace.reports.intake import new_reference

    references = {new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(len(ref) == 17 and ref.startswith("FP-") for ref in references)
    assert not any(set("ILOU") & set(ref[3:]) for ref in references)


def test_steps_cannot_be_skipped(client, reference_data):
    response = client.get(STEP_URL.format("entreprise"))
    assert response.status_code == 302 and response.url == STEP_URL.format("plateforme")
    post_step(client, "plateforme", {"marketplace": "amazon"})
    response = client.get(STEP_URL.format("recapitulatif"))
    assert response.url == STEP_URL.format("probleme")


def test_unknown_step_is_a_404(client):
    assert client.get("/signaler/nimporte-quoi/").status_code == 404


def test_errors_are_explained_in_french_and_typed_values_are_kept(client, reference_data):
    post_step(client, "plateforme", {"marketplace": "cdiscount"})
    post_step(client, "probleme", {"family": "FEES"})
    response = post_step(client, "details", {"fee_rate_before": "12,5", "turnover_share": "abc"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Le formulaire contient" in html and 'id="error-summary"' in html
    assert "Saisissez un nombre." in html
    assert 'value="12,5"' in html  # what was typed is still there

    # Leaving the step and coming back finds the typed values again.
    client.post(STEP_URL.format("details"), {"action": "back", "fee_rate_before": "12,5"})
    page = client.get(STEP_URL.format("details"))
    assert 'value="12,5"' in page.content.decode()


def test_other_marketplace_needs_a_name(client, reference_data):
    response = post_step(client, "plateforme", {"marketplace": "autre", "other_url": "pas une url"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["other_name"] == ["Indiquez le nom de la place de marché."]
    assert "other_url" in errors
    response = post_step(
        client, "plateforme", {"marketplace": "autre", "other_name": "MaPlace", "other_url": "www.maplace.fr"}
    )
    assert response.url == STEP_URL.format("probleme")


def test_switching_family_keeps_the_answers_of_each_family(client, reference_data):
    post_step(client, "plateforme", {"marketplace": "cdiscount"})
    post_step(client, "probleme", {"family": "FEES"})
    client.post(STEP_URL.format("details"), {"action": "back", "fee_rate_before": "8"})
    post_step(client, "probleme", {"family": "SUSP"})
    assert 'name="fee_rate_before"' not in client.get(STEP_URL.format("details")).content.decode()
    post_step(client, "probleme", {"family": "FEES"})
    assert 'value="8"' in client.get(STEP_URL.format("details")).content.decode()


def test_company_step_explains_bad_siret_and_naf_and_keeps_the_rest(client, complete_draft):
    attach_draft(client, complete_draft())
    response = post_step(
        client,
        "entreprise",
        {"siret": "73282932000075", "naf_code": "4791", "company_name": "Atelier Martin", "company_size": "micro"},
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "mal recopié" in errors["siret"][0]
    assert errors["naf_code"] == ["Le code NAF s'écrit sous la forme 47.91B."]
    assert 'value="Atelier Martin"' in response.content.decode()
    # What was typed is stored even though it is invalid, and the summary is no longer reachable.
    assert ReportDraft.objects.get().steps["entreprise"]["siret"] == "73282932000075"
    assert client.get(STEP_URL.format("recapitulatif")).url == STEP_URL.format("entreprise")


def test_email_code_wrong_then_right(client, reference_data):
    post_step(client, "plateforme", {"marketplace": "cdiscount"})
    post_step(client, "probleme", {"family": "OTHER"})
    from fairplace.reports.models import ProblemFamily
    from tests.conftest import details_for

    post_step(client, "details", details_for(ProblemFamily.objects.get(code="OTHER")))
    post_step(client, "description", {"description": "Aucun interlocuteur depuis trois mois malgré mes relances."})
    post_step(client, "entreprise", {"siret": "35600000049837", "company_name": "La Poste", "company_size": "large"})
    post_step(client, "contact", {"first_name": "A", "last_name": "B", "email": "Vendeur@Exemple.FR"})
    code = code_from_outbox()
    assert mail.outbox[-1].to == ["vendeur@exemple.fr"]
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/signaler/code/", {"action": "verify", "code": wrong})
    assert response.status_code == 422
    assert "Il vous reste 4 essai(s)" in response.content.decode()
    assert client.get(STEP_URL.format("choix")).url == STEP_URL.format("contact")  # not confirmed yet
    response = client.post("/signaler/code/", {"action": "verify", "code": code})
    assert response.url == STEP_URL.format("choix")
    assert ReportDraft.objects.get().email_verified == "vendeur@exemple.fr"


def test_email_code_locks_after_five_wrong_attempts_and_expires(client, complete_draft):
    from datetime import timedelta

    from django.utils import timezone

    from fairplace.reports import intake

    draft = complete_draft()
    intake.send_email_code(draft, "x@exemple.fr", ip="1.2.3.4")
    code = code_from_outbox()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(intake.IntakeError):
            intake.verify_email_code(draft, wrong)
    with pytest.raises(intake.IntakeError, match="Trop d'essais"):
        intake.verify_email_code(draft, code)

    intake.send_email_code(draft, "x@exemple.fr", ip="1.2.3.4")
    draft.email_code_expires_at = timezone.now() - timedelta(seconds=1)
    with pytest.raises(intake.IntakeError, match="expiré"):
        intake.verify_email_code(draft, code_from_outbox())


def test_changing_email_after_confirmation_asks_for_a_new_code(client, reference_data):
    fill_until_summary(client)
    response = post_step(
        client, "contact", {"first_name": "Camille", "last_name": "Martin", "email": "autre@exemple.fr"}
    )
    assert response.url == "/signaler/code/"
    assert client.get(STEP_URL.format("recapitulatif")).url == STEP_URL.format("contact")


def test_summary_requires_the_certification(client, reference_data):
    fill_until_summary(client)
    page = client.get(STEP_URL.format("recapitulatif"))
    key = page.context["form"]["submit_key"].value()
    response = client.post(STEP_URL.format("recapitulatif"), {"submit_key": key})
    assert response.status_code == 422
    assert "Cochez la case" in response.content.decode()
    assert not Report.objects.exists()
