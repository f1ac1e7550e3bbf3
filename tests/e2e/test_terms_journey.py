"""The terms observatory in a real browser (Chromium). A journalist follows a change of a marketplace's
seller terms: the observatory's list, the document's timeline, the version's clause diff (words struck
through and underlined), the notice flag. An agent dates a change the text gives no date for with the
notice a seller received (the sellers' notices queue, the link form, the recomputed measure). A seller
reads one marketplace's changes on a phone, filtered by topic. The versions are recorded by the real
engine (``recording.record_snapshot``). Screenshots: tests/e2e/screenshots/."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from fairplace.observatory.terms.models import SellerNotice, TrackedDocument
from fairplace.observatory.terms.recording import record_snapshot
from fairplace.platforms.models import Marketplace
from fairplace.reports import intake
from fairplace.reports.models import Attachment, ReportDraft
from tests.conftest import complete_steps
from tests.e2e.case_helpers import AGENT_EMAIL, current_code, log_in, make_agent, unnamed_controls

pytestmark = pytest.mark.e2e

BEFORE = """# Conditions générales des vendeurs

Dernière mise à jour le 1er mars 2024.

## 1. Commissions

Le vendeur verse une commission de 12 % du prix de vente.

## 2. Suspension du compte

La plateforme peut suspendre le compte après une mise en demeure restée sans effet pendant 30 jours.

## 3. Droit applicable

Les présentes conditions sont soumises au droit français.
"""

AFTER = """# Conditions générales des vendeurs

Mise à jour le 5 août 2024, en vigueur à compter du 10 août 2024.

## 1. Commissions

Le vendeur verse une commission de 15 % du prix de vente, frais de port compris.

## 2. Suspension du compte

La plateforme peut suspendre le compte sans préavis.

## 3. Droit applicable

Les présentes conditions sont soumises au droit français.
"""


def _two_versions(after: str):
    """Cdiscount's seller terms seen on 2 March 2024, then changed to ``after`` on 5 August 2024: the new version."""
    document = TrackedDocument.objects.create(
        marketplace=Marketplace.objects.get(slug="cdiscount"),
        service_name="Cdiscount",
        doc_type="seller_terms",
        title="Conditions des vendeurs",
        urls=["https://marketplace.example/cgv"],
    )
    record_snapshot(
        document, fetched_at=datetime(2024, 3, 2, 6, tzinfo=UTC), markdown=BEFORE, source="fetch", alert=False
    )
    return record_snapshot(
        document, fetched_at=datetime(2024, 8, 5, 6, tzinfo=UTC), markdown=after, source="fetch", alert=False
    ).version


@pytest.fixture
def terms_history(e2e_reference_data):
    return _two_versions(AFTER).document


def test_a_visitor_follows_a_change_of_seller_terms_clause_by_clause(desktop: Page, terms_history, shoot):
    desktop.goto("/observatoire/conditions/")
    expect(desktop.locator("h1")).to_contain_text("conditions")
    desktop.get_by_role("link", name="Conditions des vendeurs").first.click()
    expect(desktop.locator("h1")).to_contain_text("Cdiscount")
    shoot(desktop, "chronologie")
    desktop.get_by_role("link", name="5 août 2024").click()
    # The clauses that changed, with their words, and the notice flag (5 days, P2B art. 3).
    expect(desktop.get_by_text("Les clauses qui ont changé")).to_be_visible()
    commissions = desktop.locator("section, article, div").filter(has_text="1. Commissions").last
    expect(desktop.locator("ins").filter(has_text="15")).to_have_count(1)
    expect(desktop.locator("del").filter(has_text="12")).to_have_count(1)
    assert commissions.count() == 1
    expect(desktop.get_by_text("inférieur à 15 jours").first).to_be_visible()
    assert desktop.get_by_text("Droit applicable").count() == 0  # unchanged clauses are not listed
    assert unnamed_controls(desktop) == []
    shoot(desktop, "differences")
    assert desktop.js_errors == []


# The same change, published without any date: the text alone cannot measure the notice.
SILENT_AFTER = AFTER.replace("Mise à jour le 5 août 2024, en vigueur à compter du 10 août 2024.\n\n", "")
SELLER_ANSWERS = {
    "change_topic": "fees",
    "change_announced_on": "2024-08-01",
    "change_effective_on": "2024-08-05",
    "change_medium": "email",
    "adaptation_needed": "yes",
}


@pytest.fixture
def silent_change(e2e_reference_data):
    return _two_versions(SILENT_AFTER)


def _seller_report():
    """A seller's report "La plateforme a changé ses conditions sans prévenir", with the e-mail received."""
    steps = complete_steps("TCCHG", email="vendeuse@exemple.fr")
    steps["details.TCCHG"].update(SELLER_ANSWERS)
    draft = ReportDraft.objects.create(steps=steps, email_verified="vendeuse@exemple.fr", submit_key=uuid.uuid4())
    report = intake.submit_draft(draft.pk, draft.submit_key, ip="192.0.2.1")
    notice = Attachment(
        report=report,
        original_name="courriel-cdiscount-1er-aout.pdf",
        kind="pdf",
        size=9,
        sha256="0" * 64,
        uploaded_at=report.submitted_at,
        scan_status=Attachment.ScanStatus.CLEAN,
    )
    notice.file.save(notice.id.hex, ContentFile(b"%PDF-1.4 avis"), save=False)
    notice.save()
    return report


def test_an_agent_dates_a_silent_change_with_the_notice_a_seller_received(desktop: Page, silent_change, shoot):
    page = desktop
    agent, device = make_agent()
    report = _seller_report()
    assert silent_change.notice.status == "unknown"

    page.goto("/gestion/conditions/avis-vendeurs/")
    log_in(page, AGENT_EMAIL)
    page.get_by_label("Code à 6 chiffres").fill(current_code(device))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text("Avis transmis par les vendeurs")
    row = page.locator(f'tr[data-report="{report.reference}"]')
    expect(row).to_contain_text("prévenu le 01/08/2024 (par courriel)")
    shoot(page, "file")
    row.get_by_role("link", name="Rattacher à « Conditions des vendeurs », version du 05/08/2024").click()

    # The version's page: the measure unknown, the seller's dates pre-filled, the notice to tick.
    expect(page.locator("h1")).to_contain_text("Avis des vendeurs : Cdiscount — Conditions des vendeurs")
    expect(page.get_by_text("préavis inconnu").first).to_be_visible()
    expect(page.get_by_label("Date à laquelle le vendeur a été prévenu")).to_have_value("2024-08-01")
    expect(page.get_by_label("Date d’entrée en vigueur annoncée")).to_have_value("2024-08-05")
    page.locator("label[for=id_attachments_0]").click()  # DSFR hides the checkbox behind its label
    page.get_by_label("Note interne").fill("Courriel de Cdiscount du 1er août lu : application le 5 août.")
    assert unnamed_controls(page) == []
    shoot(page, "rattachement")
    page.get_by_role("button", name="Rattacher et recalculer le préavis").click()

    expect(page.get_by_text("le préavis a été recalculé")).to_be_visible()
    expect(page.locator("h2").filter(has_text="1 avis rattaché")).to_be_visible()
    expect(page.locator("[data-notice-status]")).to_have_attribute("data-notice-status", "short")
    expect(page.get_by_text("préavis inférieur à 15 jours").first).to_be_visible()
    shoot(page, "preavis-recalcule")
    [linked] = SellerNotice.objects.all()
    assert linked.attachment_ids == [str(report.attachments.get().pk)] and linked.linked_by == agent

    # The public page: the measure and its source, never the report.
    page.goto(f"/observatoire/conditions/versions/{silent_change.pk}/")
    expect(page.get_by_text("avis reçus par des vendeurs, transmis avec leurs signalements")).to_be_visible()
    expect(page.get_by_text("Signalé par moins de 5 vendeurs")).to_be_visible()
    assert report.reference not in page.content()
    assert page.js_errors == []


def test_a_seller_reads_one_marketplaces_changes_on_a_phone(page: Page, terms_history, shoot):
    page.goto("/observatoire/conditions/")
    page.get_by_role("link", name="toutes les modifications des conditions de Cdiscount").click()
    expect(page.locator("h1")).to_have_text("Cdiscount : les modifications de ses conditions")
    expect(page.get_by_role("status")).to_contain_text("1 modification")
    page.get_by_label("Thème").select_option("ranking")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucune modification ne correspond à ces filtres.")).to_be_visible()
    page.get_by_label("Thème").select_option("fees")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("li[data-version]")).to_have_count(1)
    expect(page.get_by_text("préavis inférieur à 15 jours").first).to_be_visible()
    assert unnamed_controls(page) == []
    shoot(page, "chronologie-place-de-marche")
    assert page.js_errors == []
