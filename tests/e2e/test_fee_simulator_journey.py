"""A seller simulates their fees on a phone, in a real browser (Chromium): two product lines,
the ranked table, a third line added with the "Ajouter une ligne" button (JavaScript), the share
link opened in a new page (same ranking), the CSV downloaded. Screenshots:
tests/e2e/screenshots/fees-simulator-*.png."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from fairplace.observatory.fees.loading import load_seed, load_taxonomy
from tests.e2e.case_helpers import unnamed_controls
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

PAGE = "/observatoire/frais/simulateur/"


@pytest.fixture
def fee_grids(e2e_reference_data):
    """The taxonomy and the seed schedules, in the database the live server reads."""
    load_taxonomy()
    load_seed()


@pytest.fixture
def snap():
    """snap(page, step): tests/e2e/screenshots/fees-simulator-<step>.png, after checking that every
    field has a label and every link or button a name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, step: str, *, full_page: bool = True):
        assert unnamed_controls(page) == [], step
        path = SCREENSHOTS / f"fees-simulator-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def fill_line(page: Page, number: int, category: str, price: str, shipping: str, units: str) -> None:
    page.locator(f"#ligne-{number}-categorie").select_option(label=category)
    page.locator(f"#ligne-{number}-prix").fill(price)
    page.locator(f"#ligne-{number}-port").fill(shipping)
    page.locator(f"#ligne-{number}-quantite").fill(units)


def ranking(page: Page) -> list[tuple[str, str]]:
    rows = page.locator("#classement tbody tr[data-marketplace]")
    return [
        (rows.nth(i).get_attribute("data-marketplace"), rows.nth(i).locator("td").first.inner_text().strip())
        for i in range(rows.count())
    ]


def test_seller_simulates_fees_on_a_phone_and_shares_the_result(page: Page, fee_grids, snap):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Simuler mes frais de vente")
    expect(page.locator("[data-line]")).to_have_count(1)

    # Two lines: the second one added by the script, without leaving the page.
    fill_line(page, 1, "Jouets et jeux", "20", "0", "30")
    page.get_by_role("button", name="Ajouter une ligne").click()
    expect(page.locator("[data-line]")).to_have_count(2)
    expect(page.locator("#ligne-2-categorie")).to_be_focused()
    assert page.url.endswith(PAGE)
    fill_line(page, 2, "Consoles de jeux vidéo", "299,99", "", "2")
    snap(page, "01-saisie")

    page.get_by_role("button", name="Calculer mes frais").click()
    expect(page).to_have_url(re.compile(r"\?categorie=jouets&prix=20&port=0&quantite=30&categorie=consoles"))
    table = page.locator("#classement")
    expect(table.locator("caption")).to_contain_text("Frais mensuels estimés")
    # Rakuten Starter 162,00 €, Amazon Individuel 169,68 €, Cdiscount 219,99 €; then the incomplete ones.
    first = ranking(page)
    assert first[:3] == [("rakuten", "1er"), ("amazon", "2e"), ("cdiscount", "3e")]
    assert {slug for slug, rank in first[3:]} == {"ebay", "fnac", "manomano"}
    assert all(rank == "non classé" for _slug, rank in first[3:])
    expect(table.locator('tr[data-marketplace="amazon"]')).to_contain_text("169,68\u00a0€")
    expect(table.locator('tr[data-marketplace="fnac"]')).to_contain_text("au moins 39,99\u00a0€")
    expect(table.locator('tr[data-marketplace="fnac"]')).to_contain_text("commission inconnue")
    page.locator("#resultats").scroll_into_view_if_needed()
    snap(page, "02-classement")

    # The details of one marketplace.
    page.locator("#detail-amazon summary").click()
    expect(page.locator("#detail-amazon")).to_contain_text("Professionnel")
    expect(page.locator("#detail-amazon")).to_contain_text("donnée de référence initiale, à revérifier")
    page.locator("#detail-amazon").scroll_into_view_if_needed()
    snap(page, "03-detail", full_page=False)

    # A third line, added by the script on the results page, then computed again.
    page.get_by_role("button", name="Ajouter une ligne").click()
    expect(page.locator("[data-line]")).to_have_count(3)
    expect(page.locator("#ligne-3-legende")).to_have_text("Produit 3")
    fill_line(page, 3, "Mode (vêtements, chaussures, accessoires)", "12", "3,50", "40")
    page.get_by_role("button", name="Calculer mes frais").click()
    expect(page).to_have_url(re.compile(r"categorie=mode&prix=12&port=3%2C50&quantite=40$"))
    expect(page.locator("[data-line]")).to_have_count(3)
    second = ranking(page)
    assert second != first
    # Mode 12 € + 3,50 € × 40: Rakuten 17 % → 105,40 €, total 267,40 €; Amazon 5 % → 31,00 € + 0,99 € × 72.
    expect(table.locator('tr[data-marketplace="rakuten"]')).to_contain_text("267,40\u00a0€")

    # Copy the share link (button shown by the script), then open it in a new page: same ranking.
    copy = page.get_by_role("button", name="Copier le lien")
    expect(copy).to_be_visible()
    copy.click()
    expect(page.locator("#copier-statut")).to_have_text("Lien copié.")
    shared_url = page.locator("#lien-partage").input_value()
    assert shared_url.startswith("http") and "categorie=mode" in shared_url
    assert page.evaluate("navigator.clipboard.readText()") == shared_url
    page.locator("#partager").scroll_into_view_if_needed()
    snap(page, "04-partage", full_page=False)
    href = page.locator("#lien-simulation").get_attribute("href")
    other = page.context.new_page()
    other.goto(href)
    expect(other.locator("#classement")).to_be_visible()
    assert ranking(other) == second
    expect(other.locator("#ligne-3-prix")).to_have_value("12")
    snap(other, "05-lien-partage")
    other.close()

    # Download the CSV of the same simulation.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger en CSV").click()
    download = download_info.value
    assert download.suggested_filename == "fairplace-simulation-frais.csv"
    raw = download.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["rang", "place de marché", "formule"]
    assert rows[0][-3:] == ["grille en vigueur depuis", "fiabilité", "source"]
    names = {"rakuten": "Rakuten France", "amazon": "Amazon", "cdiscount": "Cdiscount"}
    assert [row[1] for row in rows[1:4]] == [names[slug] for slug, _rank in second[:3]]
    assert page.js_errors == []


def test_errors_on_a_phone_are_summarised_and_linked(page: Page, fee_grids, snap):
    page.goto(f"{PAGE}?categorie=jouets&prix=abc&port=&quantite=0")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Le formulaire contient 2 erreurs")
    summary.get_by_role("link", name=re.compile("Ligne 1, prix TTC")).click()
    expect(page.locator("#ligne-1-prix")).to_be_focused()
    expect(page.locator("#ligne-1-prix")).to_have_value("abc")
    snap(page, "06-erreurs")
    assert page.js_errors == []


def test_a_long_mix_shows_one_marketplace_line_by_line_on_demand(page: Page, fee_grids, snap):
    lines = "&".join(f"categorie=jouets&prix={10 + number}&port=0&quantite=5" for number in range(11))
    page.goto(f"{PAGE}?{lines}")
    expect(page.locator("#mix tbody tr")).to_have_count(11)  # a long mix is summed up above the results
    amazon = page.locator("#detail-amazon")
    expect(amazon.locator("table")).to_have_count(0)  # 11 lines: no breakdown until asked
    amazon.locator("summary").click()
    amazon.get_by_role("button", name="Voir le détail ligne par ligne pour Amazon").click()
    expect(page).to_have_url(re.compile(r"detail=amazon#detail-amazon$"))
    amazon = page.locator("#detail-amazon")
    expect(amazon).to_have_attribute("open", "")
    expect(amazon.locator("tbody tr")).to_have_count(11)
    expect(page.locator("#detail-cdiscount table")).to_have_count(0)
    amazon.scroll_into_view_if_needed()
    snap(page, "07-detail-a-la-demande", full_page=False)
    # "Modifier le mix" gives the eleven lines back as fields.
    page.get_by_role("link", name="Modifier le mix").click()
    expect(page.locator("#lignes [data-line]")).to_have_count(11)
    assert page.js_errors == []
