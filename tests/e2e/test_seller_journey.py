"""A seller files a report from the home page to the receipt, in a real browser (Chromium,
phone-sized, French), with a real SMTP server for the e-mail code and the receipt."""

import re
import struct
import time
import zlib
from datetime import date, timedelta
from email.message import Message
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from fairplace.reports.models import Report

pytestmark = pytest.mark.e2e

SIRET_TYPED = "732 829 320 00074"
SIRET = "73282932000074"
EMAIL = "camille.martin@atelier-martin.example"
DESCRIPTION = (
    "Le 2 mars, mon compte vendeur a été suspendu sans préavis. Le message de la plateforme ne cite "
    "aucun produit ni aucune commande ; mes demandes au support restent sans réponse."
)
REFERENCE_RE = re.compile(r"^FP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


# Helpers -------------------------------------------------------------------------------


def write_png(path, width: int = 24, height: int = 16) -> None:
    """A real (tiny) PNG image: the server checks the content, not the name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 120)) for x in range(width)) for y in range(height)
    )  # filter byte 0, then RGB pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def choose(page: Page, name: str, value: str) -> None:
    """Choose a DSFR radio button: the input is visually hidden behind its label."""
    tick(page, page.locator(f'input[name="{name}"][value="{value}"]'))


def tick(page: Page, field) -> None:
    page.locator(f'label[for="{field.get_attribute("id")}"]').click()
    expect(field).to_be_checked()


def continue_to(page: Page, path: str) -> None:
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def question(page: Page, qid: str):
    return page.locator(f'.fp-question[data-question="{qid}"]')


def wait_for_mail(smtp_server, count: int, timeout: float = 10.0) -> Message:
    deadline = time.monotonic() + timeout
    while len(smtp_server.messages) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} message(s) attendu(s), {len(smtp_server.messages)} reçu(s)")
        time.sleep(0.05)
    return smtp_server.messages[count - 1]


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def started_on() -> str:
    return (date.today() - timedelta(days=40)).isoformat()


def start_report(page: Page, shoot=None) -> None:
    """Home page -> "Signaler un problème" -> Cdiscount -> family SUSP."""
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Vous vendez sur une place de marché")
    if shoot:
        shoot(page, "accueil")
    page.locator("main").get_by_role("link", name="Signaler un problème").click()
    expect(page).to_have_url(re.compile(r"/signaler/plateforme/$"))
    expect(page.locator("h1")).to_contain_text("La place de marché")
    expect(page.locator("h1")).to_contain_text("Étape 1 sur 8")
    expect(page.locator("[data-show-if] #id_other_name")).to_be_hidden()
    choose(page, "marketplace", "cdiscount")
    if shoot:
        shoot(page, "plateforme")
    continue_to(page, "/signaler/probleme/")
    choose(page, "family", "SUSP")
    if shoot:
        shoot(page, "probleme")
    continue_to(page, "/signaler/details/")
    expect(page.locator(".fr-text--lead")).to_have_text("Mon compte vendeur a été suspendu ou fermé")


def answer_details_quickly(page: Page) -> None:
    page.get_by_label("Quand le problème a-t-il commencé ?").fill(started_on())
    choose(page, "statement_received", "no")
    choose(page, "complaint_used", "no")
    choose(page, "suspension_type", "suspension")
    choose(page, "account_still_suspended", "yes")
    continue_to(page, "/signaler/description/")


def fill_company(page: Page) -> None:
    page.locator("#id_siret").fill(SIRET_TYPED)
    page.locator("#id_company_name").fill("Atelier Martin")
    choose(page, "company_size", "micro")


def fill_contact_and_confirm(page: Page, smtp_server, shoot=None) -> None:
    page.locator("#id_first_name").fill("Camille")
    page.locator("#id_last_name").fill("Martin")
    page.locator("#id_email").fill(EMAIL)
    if shoot:
        shoot(page, "contact")
    sent_before = len(smtp_server.messages)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/signaler/code/$"))
    expect(page.locator("main")).to_contain_text(EMAIL)
    message = wait_for_mail(smtp_server, sent_before + 1)
    assert message["To"] == EMAIL
    code = re.search(r"^\s*(\d{6})\s*$", body_of(message), re.MULTILINE).group(1)
    assert code in message["Subject"]
    page.locator("#id_code").fill(code)
    if shoot:
        shoot(page, "code")
    page.get_by_role("button", name="Confirmer").click()
    expect(page).to_have_url(re.compile(r"/signaler/choix/$"))
    expect(page.locator(".fr-alert--success")).to_contain_text("Adresse électronique confirmée")


# The journey ---------------------------------------------------------------------------


def test_seller_files_a_report_from_home_to_receipt(page, live_server, smtp_server, settings, shoot, tmp_path):
    settings.FAIRPLACE_PUBLIC_URL = live_server.url
    start_report(page, shoot)

    # Details: questions generated from families.yaml (timeline, statement, complaint, SUSP).
    for hidden in (
        "statement_medium",
        "statement_before_effect",
        "complaint_lodged_on",
        "complaint_outcome",
        "notice_days_given",
        "days_suspended",
    ):
        expect(question(page, hidden)).to_be_hidden()
    page.get_by_label("Quand le problème a-t-il commencé ?").fill(started_on())
    choose(page, "statement_received", "yes")
    # "Oui" makes the questions about the written statement appear.
    expect(question(page, "statement_medium")).to_be_visible()
    expect(question(page, "statement_medium")).to_contain_text("Comment avez-vous reçu cette explication ?")
    expect(question(page, "statement_specific_facts")).to_be_visible()
    choose(page, "statement_medium", "email")
    choose(page, "complaint_used", "no")
    expect(question(page, "complaint_outcome")).to_be_hidden()
    choose(page, "suspension_type", "suspension")
    expect(question(page, "notice_days_given")).to_be_hidden()
    page.get_by_label("Quelle somme la plateforme vous doit-elle et garde-t-elle bloquée (en euros) ?").fill("1200,50")
    page.get_by_label("Combien d'emplois sont menacés").fill("2")
    # "Votre compte est-il toujours bloqué aujourd'hui ?" (required) is left unanswered.
    page.get_by_role("button", name="Continuer").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Le formulaire contient 1 erreur")
    expect(summary).to_contain_text("Votre compte est-il toujours bloqué aujourd'hui ? : Ce champ est obligatoire.")
    expect(page).to_have_url(re.compile(r"/signaler/details/$"))
    shoot(page, "details-erreur")
    # Everything typed is still there, and the conditional question is still shown.
    expect(page.get_by_label("Quand le problème a-t-il commencé ?")).to_have_value(started_on())
    expect(page.locator('input[name="statement_received"][value="yes"]')).to_be_checked()
    expect(question(page, "statement_medium")).to_be_visible()
    expect(page.locator('input[name="statement_medium"][value="email"]')).to_be_checked()
    expect(page.locator('input[name="complaint_used"][value="no"]')).to_be_checked()
    expect(page.locator('input[name="suspension_type"][value="suspension"]')).to_be_checked()
    expect(page.locator("#id_funds_withheld")).to_have_value("1200,50")
    expect(page.locator("#id_jobs_at_risk")).to_have_value("2")
    choose(page, "account_still_suspended", "yes")
    expect(question(page, "days_suspended")).to_be_hidden()
    shoot(page, "details")
    continue_to(page, "/signaler/description/")

    # Description and an attachment.
    page.locator("#id_description").fill(DESCRIPTION)
    screenshot_file = tmp_path / "capture-message-plateforme.png"
    write_png(screenshot_file)
    page.locator("#id_attachments").set_input_files(str(screenshot_file))
    page.get_by_role("button", name="Ajouter les fichiers").click()
    expect(page).to_have_url(re.compile(r"/signaler/description/$"))
    expect(page.locator(".fp-attachments")).to_contain_text("capture-message-plateforme.png")
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    shoot(page, "description")
    continue_to(page, "/signaler/entreprise/")

    # Company: typed by hand (the company-search API is not reachable from the tests).
    fill_company(page)
    shoot(page, "entreprise")
    continue_to(page, "/signaler/contact/")

    # Contact and e-mail code, read from the message the real SMTP server received.
    fill_contact_and_confirm(page, smtp_server, shoot)

    # Consent: the default is "without my identity".
    expect(page.locator('input[name="consent"][value="anonymous"]')).to_be_checked()
    shoot(page, "choix")
    continue_to(page, "/signaler/recapitulatif/")

    # Summary, certification, sending.
    main = page.locator("main")
    expect(main).to_contain_text("Cdiscount")
    expect(main).to_contain_text(SIRET)
    expect(main).to_contain_text("Atelier Martin")
    expect(main).to_contain_text("capture-message-plateforme.png")
    expect(main).to_contain_text("Par e-mail")
    expect(main).to_contain_text("1200,50 €")
    expect(main).to_contain_text(EMAIL)
    tick(page, page.locator("#id_accuracy"))
    shoot(page, "recapitulatif")
    page.get_by_role("button", name="Envoyer mon signalement").click()

    # Receipt.
    expect(page).to_have_url(re.compile(r"/signaler/recu/$"))
    expect(page.locator("h1")).to_have_text("Votre signalement a bien été envoyé")
    reference = page.locator("#reference").inner_text().strip()
    assert REFERENCE_RE.match(reference), reference
    shoot(page, "recu")
    assert Report.objects.count() == 1
    report = Report.objects.get(reference=reference)
    assert (report.siret, report.marketplace.slug, report.family.code) == (SIRET, "cdiscount", "SUSP")
    assert report.consent == "anonymous"
    assert report.answers["statement_medium"] == "email"
    assert report.attachments.count() == 1

    receipt = wait_for_mail(smtp_server, 2)
    assert receipt["To"] == EMAIL
    assert reference in receipt["Subject"]
    receipt_body = body_of(receipt)
    assert reference in receipt_body
    tracking_link = re.search(r"https?://\S+/suivi/\S+", receipt_body).group(0)
    assert tracking_link.startswith(live_server.url + "/suivi/"), tracking_link

    # The personal tracking link lists the report.
    page.goto(tracking_link)
    expect(page.locator("h1")).to_have_text("Mes signalements")
    expect(page.locator("table")).to_contain_text(reference)
    expect(page.locator("table")).to_contain_text("Cdiscount")
    shoot(page, "suivi")


def test_back_button_keeps_the_description_and_a_double_submit_files_one_report(
    page, live_server, smtp_server, settings, shoot
):
    settings.FAIRPLACE_PUBLIC_URL = live_server.url
    start_report(page)
    answer_details_quickly(page)
    page.locator("#id_description").fill(DESCRIPTION)
    continue_to(page, "/signaler/entreprise/")
    fill_company(page)

    # The browser's own "back" button: the description typed is still there, also after a reload.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/signaler/description/$"))
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    page.reload()
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    shoot(page, "retour-description")
    continue_to(page, "/signaler/entreprise/")
    fill_company(page)
    continue_to(page, "/signaler/contact/")
    fill_contact_and_confirm(page, smtp_server)
    continue_to(page, "/signaler/recapitulatif/")
    tick(page, page.locator("#id_accuracy"))
    form_data = page.evaluate("""() => {
        const form = document.getElementById("submit-form");
        return {action: form.action, fields: [...new FormData(form).entries()]};
    }""")

    # A double click on "Envoyer mon signalement" files one report...
    page.get_by_role("button", name="Envoyer mon signalement").dblclick()
    expect(page).to_have_url(re.compile(r"/signaler/recu/$"))
    reference = page.locator("#reference").inner_text().strip()
    shoot(page, "double-clic-recu")
    assert list(Report.objects.values_list("reference", flat=True)) == [reference]

    # ...and so does the same form posted again afterwards (a browser retry): it leads to the same receipt.
    replay = page.evaluate(
        """async ({action, fields}) => {
        const body = new FormData();
        for (const [name, value] of fields) body.append(name, value);
        const response = await fetch(action, {method: "POST", body, credentials: "same-origin"});
        return {status: response.status, url: response.url, text: await response.text()};
    }""",
        form_data,
    )
    assert replay["status"] == 200, replay["status"]
    assert urlsplit(replay["url"]).path == "/signaler/recu/"
    assert reference in replay["text"]
    assert Report.objects.count() == 1
    assert len([m for m in smtp_server.messages if reference in (m["Subject"] or "")]) == 1


def test_phone_header_offers_the_menu_without_script_errors(page, shoot):
    """On a phone, DSFR hides the header's links and moves them into the burger menu; that menu
    must exist, otherwise "Suivre mes signalements" cannot be reached and DSFR's script fails."""
    page.goto("/")
    page.wait_for_load_state("load")
    shoot(page, "entete")
    assert page.js_errors == [], f"erreurs JavaScript sur la page d'accueil : {page.js_errors}"
    page.locator(".fr-header__navbar .fr-btn--menu").click()
    expect(page.locator(".fr-header__menu").get_by_role("link", name="Suivre mes signalements")).to_be_visible()
    shoot(page, "menu-ouvert", full_page=False)


def test_wizard_buttons_show_their_whole_label_on_a_phone(page, shoot):
    """ "Précédent" and "Continuer" carry an icon: inside a DSFR buttons group without
    fr-btns-group--icon-left/right, DSFR treats them as icon-only buttons (40 px, label cut)."""
    start_report(page)
    page.locator("main form .fr-btns-group").scroll_into_view_if_needed()
    shoot(page, "boutons")
    clipped = page.evaluate("""() => [...document.querySelectorAll("main form button")]
        .filter(button => button.scrollWidth > button.clientWidth + 1)
        .map(button => `${button.textContent.trim()} (${button.clientWidth}px)`)""")
    assert clipped == [], f"libellés de boutons tronqués : {clipped}"
