"""Case handling in a real browser (issue 3): an agent triages and forwards a report, the
platform answers it, the seller rates the answer. Each journey starts from a state set up
through the real services; people log in through the real login form (and the agent through
the TOTP page)."""

import re

import pytest
from playwright.sync_api import Page, expect

from fairplace.reports.models import PlatformAnswer, Report, ReportEvent, SellerFeedback
from fairplace.reports.workflow import apply_transition
from tests.e2e.case_helpers import (
    AGENT_EMAIL,
    COMPANY_NAME,
    FIRST_NAME,
    LAST_NAME,
    MESSAGE_FOR_ADMINISTRATION,
    MESSAGE_FOR_SELLER,
    PLATFORM_EMAIL,
    SELLER_EMAIL,
    SIREN,
    SIRET,
    answered_report,
    choose,
    current_code,
    error_links_lead_to_fields,
    forwarded_report,
    log_in,
    make_agent,
    make_platform_representative,
    path_re,
    submit_report,
    tick,
    tracking_path,
    unnamed_controls,
    write_pdf,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def shot(shoot):
    """Like shoot(page, step), after checking that every field of the page has a label and every
    button or link a name."""

    def take(page: Page, step: str, **kwargs):
        problems = unnamed_controls(page)
        assert problems == [], f"{step} : {problems}"
        return shoot(page, step, **kwargs)

    return take


def success_message(page: Page):
    return page.locator(".fr-alert--success")


def accordion_button(page: Page, transition: str):
    return page.locator(f'#actions button.fr-accordion__btn[aria-controls="action-{transition}"]')


def run_transition(page: Page, transition: str, label: str) -> None:
    """Open the action's accordion on the case page and press its button."""
    opener = accordion_button(page, transition)
    expect(opener).to_have_text(label)
    opener.click()
    expect(opener).to_have_attribute("aria-expanded", "true")
    panel = page.locator(f"#action-{transition}")
    expect(panel).to_be_visible()
    panel.get_by_role("button", name=label, exact=True).click()


def events_of(report: Report) -> list[tuple]:
    return list(report.events.order_by("id").values_list("code", "actor_kind", "actor__email"))


# 1. The agent ------------------------------------------------------------------------------


def test_an_agent_logs_in_with_totp_triages_and_forwards_a_report(desktop, shot):
    page = desktop
    agent, device = make_agent()
    report = submit_report()
    other = submit_report(email="autre.vendeuse@exemple.fr")
    apply_transition(other, "qualify", actor=agent, actor_kind="agent")  # not "submitted": filtered out

    # The queue asks for a login, then for the code of the authenticator app.
    page.goto("/gestion/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/\?next=/gestion/$"))
    log_in(page, AGENT_EMAIL, shoot=shot)
    expect(page).to_have_url(re.compile(r"/compte/verification/"))
    expect(page.locator("h1")).to_have_text("Confirmez votre identité")
    wrong_code = f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code à 6 chiffres").fill(wrong_code)
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#error-summary")).to_contain_text("Ce code n'est pas valide.")
    error_links_lead_to_fields(page)
    shot(page, "code-errone")
    page.wait_for_timeout(1100)  # django-otp makes the next try wait 1 s after a wrong code
    page.get_by_label("Code à 6 chiffres").fill(current_code(device))
    shot(page, "code")
    page.get_by_role("button", name="Valider").click()

    # The queue: both reports; the filter on "Reçu, en attente d'examen" keeps the new one.
    expect(page).to_have_url(path_re("/gestion/"))
    expect(page.locator("h1")).to_have_text("File des signalements")
    results = page.locator("table")
    expect(results).to_contain_text(report.reference)
    expect(results).to_contain_text(other.reference)
    shot(page, "file")
    filters = page.locator("form", has=page.get_by_role("button", name="Filtrer"))
    tick(page, filters.get_by_label("Reçu, en attente d'examen"))
    filters.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"/gestion/\?.*state=submitted"))
    expect(page.get_by_role("status").first).to_contain_text("1 signalement")
    expect(results).to_contain_text(report.reference)
    expect(results).not_to_contain_text(other.reference)
    expect(filters.get_by_label("Reçu, en attente d'examen")).to_be_checked()
    shot(page, "file-filtree")

    # The case.
    results.get_by_role("link", name=report.reference).click()
    expect(page).to_have_url(path_re(f"/gestion/signalements/{report.reference}/"))
    expect(page.locator("h1")).to_contain_text(report.reference)
    expect(page.locator("#state")).to_have_text("Reçu, en attente d'examen")
    expect(page.locator("#consent")).to_have_text("Transmission anonyme")
    expect(page.locator("#assignee")).to_have_text("Personne")
    shot(page, "dossier")

    page.get_by_role("button", name="M'attribuer le dossier").click()
    expect(success_message(page)).to_have_text(f"Dossier attribué à {AGENT_EMAIL}.")
    expect(page.locator("#assignee")).to_have_text(AGENT_EMAIL)
    expect(page.get_by_role("button", name="M'attribuer le dossier")).to_be_disabled()
    shot(page, "attribue")

    run_transition(page, "qualify", "Qualifier")
    expect(success_message(page)).to_have_text("Action « Qualifier » enregistrée.")
    expect(page.locator("#state")).to_have_text("Examiné par l'observatoire")
    shot(page, "qualifie")

    opener = accordion_button(page, "forward")
    opener.click()
    expect(page.locator("#action-forward")).to_be_visible()
    shot(page, "transmettre-ouvert", full_page=False)
    page.locator("#action-forward").get_by_role("button", name="Transmettre à la plateforme").click()
    expect(success_message(page)).to_have_text("Action « Transmettre à la plateforme » enregistrée.")
    expect(page.locator("#state")).to_have_text("Transmis à la plateforme")
    header = page.locator("dl.fp-summary").first
    expect(header).to_contain_text("Transmis à la plateforme le")
    expect(header).to_contain_text("Pas encore lu")
    # Forwarded: no more qualifying nor forwarding.
    expect(accordion_button(page, "qualify")).to_have_count(0)
    expect(accordion_button(page, "forward")).to_have_count(0)

    timeline = page.locator("#historique")
    for label in (
        "Signalement envoyé",
        "Dossier attribué",
        "Signalement examiné par l'observatoire",
        "Signalement transmis à la plateforme",
    ):
        expect(timeline).to_contain_text(label)
    forwarded_row = timeline.locator("tr", has_text="Signalement transmis à la plateforme")
    expect(forwarded_row).to_contain_text("l'observatoire")
    expect(forwarded_row).to_contain_text(AGENT_EMAIL)
    shot(page, "transmis")
    assert page.js_errors == [], page.js_errors

    report.refresh_from_db()
    assert report.state == "forwarded"
    assert report.assigned_to == agent
    assert report.forwarded_at is not None and report.answer_due_at > report.forwarded_at
    assert report.platform_first_read_at is None
    assert events_of(report) == [
        ("report.submitted", "seller", None),
        ("report.assigned", "agent", AGENT_EMAIL),
        ("report.qualified", "agent", AGENT_EMAIL),
        ("report.forwarded", "agent", AGENT_EMAIL),
    ]
    other.refresh_from_db()
    assert other.state == "qualified"


# 2. The platform ---------------------------------------------------------------------------


def test_the_platform_reads_an_anonymous_report_and_answers_it(desktop, page, shot, tmp_path):
    platform = desktop
    agent, _device = make_agent()
    representative = make_platform_representative()
    report = forwarded_report(agent)
    elsewhere = forwarded_report(agent, email="autre.vendeuse@exemple.fr", marketplace="manomano")

    # No second factor for a platform: the password leads straight to the platform space.
    platform.goto("/plateforme/")
    expect(platform).to_have_url(re.compile(r"/compte/connexion/\?next=/plateforme/$"))
    log_in(platform, PLATFORM_EMAIL, shoot=shot)
    expect(platform).to_have_url(path_re("/plateforme/"))
    expect(platform.locator("h1")).to_have_text("Signalements transmis à Cdiscount")
    rows = platform.locator("table tbody")
    expect(rows).to_contain_text(report.reference)
    expect(rows).not_to_contain_text(elsewhere.reference)  # ManoMano's report
    expect(rows.locator("tr", has_text=report.reference)).to_contain_text("non lu")
    shot(platform, "liste")

    # The report: the seller stays anonymous.
    rows.get_by_role("link", name=report.reference).click()
    expect(platform).to_have_url(path_re(f"/plateforme/signalements/{report.reference}/"))
    expect(platform.locator("#state")).to_have_text("Transmis à la plateforme")
    expect(platform.locator("#anonymous-notice")).to_contain_text("Le vendeur a choisi de rester anonyme.")
    expect(platform.locator("#seller-identity")).to_have_count(0)
    main = platform.locator("main")
    expect(main).to_contain_text("Mon compte a été suspendu du jour au lendemain")
    html = platform.content()
    for secret in (SIRET, SIREN, COMPANY_NAME, FIRST_NAME, LAST_NAME, SELLER_EMAIL):
        assert secret not in html, f"{secret!r} figure sur la page de la plateforme"
    expect(platform.locator("main")).to_contain_text("Signalement lu par la plateforme")
    shot(platform, "signalement-anonyme")
    report.refresh_from_db()
    assert report.platform_first_read_at is not None
    first_read_at = report.platform_first_read_at

    # "Répondre": first with nothing.
    platform.get_by_role("link", name="Répondre au signalement").click()
    expect(platform).to_have_url(path_re(f"/plateforme/signalements/{report.reference}/repondre/"))
    expect(platform.locator("h1")).to_contain_text("Répondre au signalement")
    # The codes of a kind appear once the kind is chosen.
    expect(platform.get_by_label("Réactivation du compte ou des offres")).to_be_hidden()
    shot(platform, "reponse-vide")
    with platform.expect_response(lambda r: r.request.method == "POST" and "/repondre/" in r.url) as posted:
        platform.get_by_role("button", name="Envoyer la réponse").click()
    assert posted.value.status == 422
    summary = platform.locator("#error-summary")
    expect(summary).to_contain_text("Le formulaire contient 2 erreurs")
    expect(summary).to_contain_text("Sens de votre réponse : Indiquez le sens de votre réponse.")
    expect(summary).to_contain_text("Message pour le vendeur : Écrivez un message pour le vendeur.")
    expect(summary).to_be_focused()
    error_links_lead_to_fields(platform)
    shot(platform, "reponse-erreurs")

    # Then a complete answer, with a PDF.
    choose(platform, "kind", "accepted")
    action = platform.get_by_label("Réactivation du compte ou des offres")
    expect(action).to_be_attached()
    expect(platform.get_by_label("Décision maintenue après réexamen")).to_be_hidden()  # a rejection reason
    tick(platform, action)
    platform.get_by_label("Message pour le vendeur").fill(MESSAGE_FOR_SELLER)
    platform.get_by_label("Message pour l'administration seulement").fill(MESSAGE_FOR_ADMINISTRATION)
    proof = tmp_path / "reactivation-compte.pdf"
    write_pdf(proof)
    platform.get_by_label("Pièces jointes (Optionnel)").set_input_files(str(proof))
    shot(platform, "reponse-remplie")
    with platform.expect_response(lambda r: r.request.method == "POST" and "/repondre/" in r.url) as posted:
        platform.get_by_role("button", name="Envoyer la réponse").click()
    assert posted.value.status == 302

    expect(platform).to_have_url(path_re(f"/plateforme/signalements/{report.reference}/"))
    expect(success_message(platform)).to_have_text("Votre réponse a été enregistrée et transmise au vendeur.")
    expect(platform.locator("#state")).to_have_text("Réponse de la plateforme reçue")
    card = platform.locator(".fr-card", has_text="Demande acceptée")
    expect(card).to_contain_text("Réactivation du compte ou des offres")
    expect(card).to_contain_text(MESSAGE_FOR_SELLER)
    expect(card).to_contain_text(MESSAGE_FOR_ADMINISTRATION)  # the platform sees its own note
    expect(card.get_by_role("link", name="reactivation-compte.pdf")).to_be_visible()
    expect(platform.get_by_role("link", name="Répondre au signalement")).to_have_count(0)
    shot(platform, "reponse-enregistree")
    assert platform.js_errors == [], platform.js_errors

    report.refresh_from_db()
    assert report.state == "answered"
    assert report.platform_first_read_at == first_read_at  # the first reading, recorded once
    answer = PlatformAnswer.objects.get(report=report)
    assert (answer.kind, answer.actions, answer.reasons) == ("accepted", ["reinstatement"], [])
    assert answer.message_for_seller == MESSAGE_FOR_SELLER
    assert answer.message_for_administration == MESSAGE_FOR_ADMINISTRATION
    assert answer.author == representative
    assert answer.follow_up_due_at is not None
    [attachment] = answer.attachments.all()
    assert (attachment.original_name, attachment.kind, attachment.report_id) == (
        "reactivation-compte.pdf",
        "pdf",
        report.pk,
    )
    assert events_of(report)[-2:] == [
        ("report.read_by_platform", "platform", PLATFORM_EMAIL),
        ("report.answered", "platform", PLATFORM_EMAIL),
    ]
    assert ReportEvent.objects.filter(report=report, code="report.read_by_platform").count() == 1

    # The seller, on a phone, reads the answer, never the note for the administration.
    page.goto(tracking_path(report) + f"{report.reference}/")
    expect(page.locator("#state")).to_have_text("Réponse de la plateforme reçue")
    answer_section = page.locator("#reponse")
    expect(answer_section).to_contain_text(MESSAGE_FOR_SELLER)
    expect(answer_section.locator("li", has_text="reactivation-compte.pdf")).to_contain_text(
        "analyse antivirus en cours"
    )  # downloadable once the antivirus said clean
    assert MESSAGE_FOR_ADMINISTRATION not in page.content()
    assert "administration" not in answer_section.inner_text()
    shot(page, "vendeur-voit-la-reponse")


# 3. The seller -----------------------------------------------------------------------------


def test_the_seller_rates_the_answer_and_says_whether_the_promise_was_kept(page, shot):
    agent, _device = make_agent()
    representative = make_platform_representative()
    report = answered_report(agent, representative)

    # The personal link of the e-mails lists the seller's reports.
    page.goto(tracking_path(report))
    expect(page.locator("h1")).to_have_text("Mes signalements")
    row = page.locator("table tr", has_text=report.reference)
    expect(row).to_contain_text("Cdiscount")
    expect(row).to_contain_text("Réponse de la plateforme reçue")
    shot(page, "mes-signalements")
    row.get_by_role("link", name=report.reference).click()

    # The answer, as the seller sees it.
    expect(page.locator("h1")).to_contain_text(report.reference)
    expect(page.locator("#state")).to_have_text("Réponse de la plateforme reçue")
    answer_section = page.locator("#reponse")
    expect(answer_section.locator(".fr-card__title")).to_have_text("Demande acceptée")
    expect(answer_section).to_contain_text("Actions promises :")
    expect(answer_section).to_contain_text("Réactivation du compte ou des offres")
    expect(answer_section).to_contain_text("Versement des sommes retenues")
    expect(answer_section).to_contain_text("Message de la plateforme :")
    expect(answer_section).to_contain_text(MESSAGE_FOR_SELLER)
    assert MESSAGE_FOR_ADMINISTRATION not in page.content()
    expect(page.locator("#rating-form")).to_be_visible()
    expect(page.locator("#action-form")).to_be_visible()
    shot(page, "reponse")

    # The rating: sent without a choice first.
    rating_form = page.locator("#rating-form")
    rating_form.get_by_role("button", name="Envoyer mon avis").click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Cette réponse vous satisfait-elle ? : Choisissez votre avis sur la réponse."
    )
    error_links_lead_to_fields(page)
    expect(page.locator("#error-summary")).to_be_focused()  # read first by a screen reader
    shot(page, "avis-erreur")
    rating_form = page.locator("#rating-form")
    for label in ("Satisfaisante", "En partie satisfaisante", "Pas satisfaisante"):
        expect(rating_form.get_by_label(label, exact=True)).to_be_attached()
    tick(page, rating_form.get_by_label("En partie satisfaisante", exact=True))
    rating_form.get_by_label("Commentaire").fill("Le compte est réactivé, mais j'ai perdu trois semaines de ventes.")
    shot(page, "avis")
    rating_form.get_by_role("button", name="Envoyer mon avis").click()
    expect(success_message(page)).to_have_text("Merci : votre avis sur la réponse de la plateforme a été enregistré.")
    expect(page.locator("#rating-given")).to_have_text("Vous avez jugé cette réponse : en partie satisfaisante.")
    expect(page.locator("#rating-form")).to_have_count(0)
    shot(page, "avis-enregistre")

    # The promised action: it happened in part.
    action_form = page.locator("#action-form")
    expect(action_form).to_contain_text("La plateforme a-t-elle réalisé ce qu'elle avait promis ?")
    tick(page, action_form.get_by_label("En partie", exact=True))
    action_form.get_by_label("Commentaire").fill("Le compte est réactivé ; les sommes retenues ne sont pas versées.")
    shot(page, "action")
    action_form.get_by_role("button", name="Envoyer ma réponse").click()
    expect(success_message(page)).to_have_text("Merci : votre réponse sur l'action promise a été enregistrée.")
    expect(page.locator("#confirmation-given")).to_have_text("Action promise — votre réponse : En partie.")
    expect(page.locator("#action-form")).to_have_count(0)
    history = page.locator("main ul", has_text="Signalement envoyé")
    expect(history).to_contain_text("Réponse évaluée par le vendeur")
    expect(history).to_contain_text("Le vendeur a dit si l'action promise a été réalisée")
    shot(page, "action-enregistree")
    assert page.js_errors == [], page.js_errors

    answer = PlatformAnswer.objects.get(report=report)
    feedback = {item.kind: item for item in SellerFeedback.objects.filter(report=report)}
    assert set(feedback) == {"answer_rating", "action_confirmation"}
    assert feedback["answer_rating"].value == "partly_satisfied"
    assert feedback["answer_rating"].comment.startswith("Le compte est réactivé, mais")
    assert feedback["action_confirmation"].value == "partly_done"
    assert feedback["action_confirmation"].comment.endswith("ne sont pas versées.")
    assert {item.answer_id for item in feedback.values()} == {answer.pk}
    rated, confirmed = (
        ReportEvent.objects.get(report=report, code=code) for code in ("report.answer_rated", "report.action_confirmed")
    )
    assert (rated.actor_kind, rated.actor, rated.payload) == (
        "seller",
        None,
        {"answer_id": answer.pk, "value": "partly_satisfied"},
    )
    assert (confirmed.actor_kind, confirmed.payload) == ("seller", {"answer_id": answer.pk, "value": "partly_done"})
    report.refresh_from_db()
    assert report.state == "answered"
