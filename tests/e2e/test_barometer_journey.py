"""A visitor uses the public barometer in a real browser (Chromium): opens "Choisir sa place de
marché", ticks two marketplaces, compares them side by side, opens one marketplace's page and
downloads the edition's CSV; then reads the English pages on a phone. Screenshots:
tests/e2e/screenshots/barometer-*.png."""

import csv
import io
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from fairplace.barometer import published
from fairplace.barometer.charters import load_charters
from fairplace.barometer.models import PlatformReply
from fairplace.platforms.models import Marketplace
from tests.barometer.test_public_pages import figure, full_edition, make_edition, rate
from tests.e2e.case_helpers import unnamed_controls
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

REPLY = "Nous traitons chaque signalement sous 48 heures ouvrées.\n\nNos chiffres internes diffèrent."


@pytest.fixture
def barometer(e2e_reference_data, django_user_model):
    """Two published editions (2026-T1, 2026-T2), a preview one, and Cdiscount's reply."""
    cache.clear()  # the cache table outlives the flush between browser tests…
    published.forget_local()  # …and the server thread remembers pages
    load_charters()
    older = make_edition("2026-T1")
    figure(older, "cdiscount", "answered_in_time", **rate(100, 200, 0.4314, 0.5686))
    figure(older, "manomano", "answered_in_time", **rate(30, 50, 0.4614, 0.7231))
    edition = full_edition("2026-T2")
    make_edition("2026-T3", status="preview")
    author = django_user_model.objects.create_user(email="rep@cdiscount.example", password="x" * 20, role="platform")
    PlatformReply.objects.create(
        edition=edition, marketplace=Marketplace.objects.get(slug="cdiscount"), author=author, text=REPLY
    )
    yield edition
    cache.clear()
    published.forget_local()


@pytest.fixture
def snap():
    """snap(page, step): tests/e2e/screenshots/barometer-<step>.png, after checking that every
    field has a label and every link or button a name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, step: str, *, full_page: bool = True):
        assert unnamed_controls(page) == [], step
        path = SCREENSHOTS / f"barometer-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def tick(page: Page, name: str) -> None:
    box = page.get_by_role("checkbox", name=name, exact=True)
    page.locator(f'label[for="{box.get_attribute("id")}"]').click()  # the DSFR input sits under its label
    expect(box).to_be_checked()


def test_visitor_compares_two_marketplaces_and_downloads_the_csv(desktop: Page, barometer, snap):
    page = desktop
    page.goto("/barometre/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir sa place de marché")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    overview = page.locator("#tableau-ensemble")
    expect(overview.locator("caption")).to_contain_text("2e trimestre 2026")
    expect(overview.locator('tr[data-marketplace="amazon"] td').nth(1)).to_have_text("moins de 5")
    expect(page.locator("#graphique-ensemble")).to_have_attribute("role", "img")
    expect(page.get_by_text("2026-T3")).to_have_count(0)  # the preview edition is not public
    snap(page, "01-choisir")

    # Compare two marketplaces (a plain GET form: no script needed).
    tick(page, "Cdiscount")
    tick(page, "ManoMano")
    page.get_by_role("button", name="Comparer", exact=True).click()
    expect(page).to_have_url(re.compile(r"/barometre/\?comparer=cdiscount&comparer=manomano#comparaison$"))
    comparison = page.locator("#tableau-comparaison")
    expect(comparison.locator("thead th")).to_have_text(["Indicateur", "Cdiscount", "ManoMano"])
    answered = comparison.locator('tr[data-indicator="answered_in_time"] td')
    expect(answered.nth(0)).to_contain_text("75,0 %")
    expect(answered.nth(0)).to_contain_text("[68,6 % – 80,4 %]")
    expect(answered.nth(1)).to_contain_text("68,9 %")
    expect(comparison.get_by_role("link", name="Lire la réponse de Cdiscount")).to_be_visible()
    expect(page.locator("#comparaison-answered_in_time")).to_be_visible()  # the chart
    expect(page.locator("#comparaison-answered_in_time-tableau tbody tr")).to_have_count(2)  # and its table
    page.locator("#comparaison").scroll_into_view_if_needed()
    snap(page, "02-comparaison")

    # One marketplace's page: figures, the platform's reply, the time series, the charters.
    comparison.get_by_role("link", name="Cdiscount", exact=True).click()
    expect(page).to_have_url(re.compile(r"/barometre/places-de-marche/cdiscount/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cdiscount")
    reply = page.locator("#reponse")
    expect(reply).to_contain_text("Droit de réponse de Cdiscount")
    expect(reply).to_contain_text("Nous traitons chaque signalement sous 48 heures ouvrées.")
    expect(reply.locator("blockquote p")).to_have_count(2)
    expect(page.locator("#serie-answered_in_time-tableau tbody th")).to_have_text(["2026-T1", "2026-T2"])
    expect(page.locator("#graphique-familles-tableau")).to_contain_text("Offres retirées ou bloquées")
    expect(page.get_by_role("heading", name="Chartes et engagements")).to_be_visible()
    snap(page, "03-place-de-marche")

    # Download the edition's CSV.
    with page.expect_download() as download_info:
        page.locator("#donnees-titre + .fp-downloads").get_by_role("link", name=re.compile("CSV")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    content = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content), delimiter=";"))
    assert {"edition", "marketplace", "indicator", "status"} <= set(rows[0])
    assert {row["edition"] for row in rows} == {"2026-T2"}
    cdiscount = next(
        row for row in rows if row["marketplace"] == "cdiscount" and row["indicator"] == "answered_in_time"
    )
    assert cdiscount["status"] == "ok"
    assert {row["marketplace"] for row in rows} >= {"cdiscount", "manomano", "amazon"}
    assert page.js_errors == []


def test_english_visitor_on_a_phone(page: Page, barometer, snap):
    page.goto("/en/barometre/?comparer=cdiscount&comparer=manomano")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your marketplace")
    expect(page.locator("#tableau-comparaison thead th").first).to_have_text("Indicator")
    expect(page.locator('#tableau-comparaison tr[data-indicator="answered_in_time"] td').first).to_contain_text("75.0%")
    snap(page, "04-telephone-anglais")

    # The DSFR language switch (in the header menu on a phone) leads to the same comparison in French.
    page.get_by_role("button", name="Menu").click()
    menu = page.locator("#menu-principal")
    menu.locator(".fr-translate__btn").click()
    menu.get_by_role("link", name="FR - Français").click()
    expect(page).to_have_url(re.compile(r"/barometre/\?comparer=cdiscount&comparer=manomano$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir sa place de marché")
    assert page.js_errors == []
