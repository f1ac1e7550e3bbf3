"""A journalist follows a change of a marketplace's seller terms, in a real browser (Chromium):
the observatory's list, the document's timeline, the version's clause diff (words struck through
and underlined), the notice flag. The two versions are recorded by the real engine
(``recording.record_snapshot``). Screenshots: tests/e2e/screenshots/terms_*.png."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from fairplace.observatory.terms.models import TrackedDocument
from fairplace.observatory.terms.recording import record_snapshot
from fairplace.platforms.models import Marketplace
from tests.e2e.case_helpers import unnamed_controls

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


@pytest.fixture
def terms_history(e2e_reference_data):
    document = TrackedDocument.objects.create(
        marketplace=Marketplace.objects.get(slug="cdiscount"), service_name="Cdiscount", doc_type="seller_terms",
        title="Conditions des vendeurs", urls=["https://marketplace.example/cgv"])
    record_snapshot(document, fetched_at=datetime(2024, 3, 2, 6, tzinfo=UTC), markdown=BEFORE, source="fetch",
                    alert=False)
    record_snapshot(document, fetched_at=datetime(2024, 8, 5, 6, tzinfo=UTC), markdown=AFTER, source="fetch",
                    alert=False)
    return document


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
