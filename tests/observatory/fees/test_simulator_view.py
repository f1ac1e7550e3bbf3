"""The simulator's page and its CSV export (/observatoire/frais/simulateur/)."""

import csv
import html
import io
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fairplace.core import refcache

NBSP = "\u00a0"
# "0,00 €" as an amount (not the end of "100,00 €").
ZERO_EUROS = re.compile(rf"(?<!\d)0,00{NBSP}€")
PAGE = reverse("fees:simulator")
CSV_PAGE = reverse("fees:simulator_csv")


def mix_query(*lines, extra=()) -> str:
    """lines: (categorie, prix, port, quantite) tuples, in the order the form sends them."""
    pairs = []
    for category, price, shipping, units in lines:
        pairs += [("categorie", category), ("prix", price), ("port", shipping), ("quantite", units)]
    return urlencode([*pairs, *extra])


def text(response) -> str:
    return html.unescape(response.content.decode())


def as_text(fragment: str) -> str:
    """What a screen reader reads of an HTML fragment: tags and aria-hidden parts dropped, spaces collapsed."""
    fragment = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', "", fragment, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def row(response, slug: str) -> str:
    """The ranked table's row of a marketplace, as text."""
    found = re.search(rf'<tr data-marketplace="{slug}"[^>]*>(.*?)</tr>', response.content.decode(), re.S)
    assert found, slug
    return as_text(found.group(1))


def cells(response, slug: str) -> dict[str, str]:
    """The ranked table's cells of a marketplace, by column heading."""
    body = response.content.decode()
    headings = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body.split('id="classement"', 1)[1].split("</thead>")[0])
    found = re.search(rf'<tr data-marketplace="{slug}"[^>]*>(.*?)</tr>', body, re.S).group(1)
    values = [as_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", found, re.S)]
    return dict(zip([html.unescape(h) for h in headings], values, strict=True))


def ranked_slugs(response) -> list[str]:
    table = response.content.decode().split('id="classement"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-marketplace="([^"]+)"', table)


def csv_rows(response) -> list[dict]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for French Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


TOYS = ("jouets", "20", "0", "30")
CONSOLES = ("consoles", "299,99", "", "2")
GARMENTS_OVER_20 = ("mode", "25", "3", "4")


# --- The page ---------------------------------------------------------------------------------


def test_empty_form_on_first_visit(client, fee_seed):
    response = client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert 'id="ligne-1-categorie"' in page
    assert 'id="classement"' not in page
    assert "erreur" not in page.split("<main", 1)[1].split('id="modele-ligne"', 1)[0].lower()
    assert "Hypothèses de calcul" in page


def test_a_valid_mix_shows_the_ranked_table(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(TOYS, CONSOLES)}")
    assert response.status_code == 200
    page = text(response)
    # Complete results first, ranked; incomplete ones after them, unranked.
    slugs = ranked_slugs(response)
    assert slugs[:3] == ["rakuten", "amazon", "cdiscount"]
    assert sorted(slugs[3:]) == ["ebay", "fnac", "manomano"]
    # Rakuten Starter: 17 % × 20 € × 30 = 102,00 € + 10 % × 299,99 € × 2 = 59,998 € → 162,00 €.
    assert row(response, "rakuten").startswith(f"1er Rakuten France Starter 0,00{NBSP}€ 162,00{NBSP}€")
    amazon = row(response, "amazon")
    assert amazon.startswith("2e Amazon Individuel")
    # 15 % × 20 € × 30 = 90,00 € + 8 % × 299,99 € × 2 = 47,9984 € → 138,00 €; 0,99 € × 32 = 31,68 €.
    assert f"138,00{NBSP}€" in amazon
    assert f"31,68{NBSP}€" in amazon
    assert f"169,68{NBSP}€" in amazon  # total
    assert f"14,14{NBSP}%" in amazon  # 169,68 / 1 199,98
    # Incomplete: "au moins", "au plus", and why.
    fnac = row(response, "fnac")
    assert fnac.startswith("non classé Fnac")
    assert f"au moins 39,99{NBSP}€" in fnac
    assert "au plus" in fnac
    assert "commission inconnue : Toutes catégories — 6 % à 16 % selon la catégorie" in fnac
    assert "Résultats incomplets, non classés" in page
    # Per marketplace details, the marketplaces without a grid, the assumptions, share and CSV links.
    assert 'id="detail-amazon"' in page
    assert "donnée de référence initiale, à revérifier" in page
    assert "Professionnel" in page.split('id="detail-amazon"', 1)[1].split("</details>", 1)[0]
    assert re.search(r'id="sans-grille">Pas de grille relevée : .*Temu', page)
    assert "Lien à partager" in page
    assert f'href="{CSV_PAGE}?' in response.content.decode()
    assert "Les prix saisis sont TTC" in page


def test_the_line_by_line_breakdown_is_inline_for_small_mixes_and_on_demand_above(client, fee_seed):
    small = client.get(f"{PAGE}?{mix_query(*[TOYS] * 10)}")
    details = text(small).split('id="detail-cdiscount"', 1)[1].split("</details>", 1)[0]
    assert "frais par ligne et par mois" in details
    assert details.count("<tr>") == 11  # heading + 10 lines

    query = mix_query(*[TOYS] * 11)
    large = client.get(f"{PAGE}?{query}")
    page = text(large)
    assert "frais par ligne et par mois" not in page
    details = page.split('id="detail-cdiscount"', 1)[1].split("</details>", 1)[0]
    # A button of the mix form (form="simulateur"): the typed mix is sent again, with detail=<slug>.
    assert re.search(
        r'<button [^>]*type="submit" form="simulateur" name="detail" value="cdiscount" '
        rf'formaction="{PAGE}#detail-cdiscount">Voir le détail ligne par ligne pour Cdiscount</button>',
        details,
    )
    asked = client.get(f"{PAGE}?{query}&detail=cdiscount")
    assert asked.status_code == 200
    page = text(asked)
    assert '<details class="fr-mb-2w" id="detail-cdiscount" open>' in page
    details = page.split('id="detail-cdiscount"', 1)[1].split("</details>", 1)[0]
    assert details.count("<tr>") == 12
    # 15 % × 20 € = 3,00 € × 30 = 90,00 € on each line.
    assert f"90,00{NBSP}€" in details
    assert page.count("frais par ligne et par mois") == 1  # the other marketplaces stay short
    assert ranked_slugs(asked) == ranked_slugs(large)


def test_an_unknown_component_is_never_shown_as_zero(client, fee_seed):
    """eBay (commission and subscription unknown) and Amazon fashion above 20 € (band not known)."""
    response = client.get(f"{PAGE}?{mix_query(GARMENTS_OVER_20, ('informatique', '100', '5', '1'))}")
    assert response.status_code == 200
    ebay, amazon, fnac = cells(response, "ebay"), cells(response, "amazon"), cells(response, "fnac")
    assert (ebay["Abonnement"], ebay["Commission"]) == ("inconnu", "inconnu")
    assert ebay["Autres frais"] == f"0,76{NBSP}€"  # 0,35 % × ((25 + 3) × 4 + 100 + 5) = 0,7595 €
    assert amazon["Commission"] == "inconnu"
    assert amazon["Abonnement"] == f"0,00{NBSP}€"  # the Individuel plan: a known 0 €
    assert fnac["Commission"] == "inconnu"
    assert (
        f"commission inconnue : Vêtements, chaussures et accessoires, à partir de 20{NBSP}€ — "
        "taux au-delà de 20 € non relevé"
    ) in row(response, "amazon")
    assert "abonnement inconnu — aucune formule d'abonnement relevée" in row(response, "ebay")
    # The per-line breakdown says "inconnu" too, never 0,00 €.
    details = text(response).split('id="detail-ebay"', 1)[1].split("</details>", 1)[0]
    assert "inconnu" in details
    assert not ZERO_EUROS.search(details)


def test_errors_are_given_per_line_and_field_and_what_was_typed_is_kept(client, fee_seed):
    query = mix_query(
        ("jouets", "20", "0", "3"),
        ("vaisseaux", "abc", "-2", "1,5"),
        ("mode", "0", "", "0"),
        ("mode", "2000000", "", "2000000"),
    )
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 422
    page = text(response)
    assert "Le formulaire contient 8 erreurs" in page
    for message in (
        "Ligne 2, catégorie : Catégorie inconnue",
        "Ligne 2, prix TTC : Saisissez un montant en euros",
        "Ligne 2, frais de port : Les frais de port ne peuvent pas être négatifs.",
        "Ligne 2, ventes par mois : Saisissez un nombre entier",
        "Ligne 3, prix TTC : Le prix doit être supérieur à 0 €.",
        "Ligne 3, ventes par mois : Le nombre d'articles par mois doit être compris entre 1 et 1 000 000.",
        "Ligne 4, prix TTC : Le montant ne peut pas dépasser 1 000 000 €.",
        "Ligne 4, ventes par mois : Le nombre d'articles par mois doit être compris entre 1 et 1 000 000.",
    ):
        assert message in page, message
    # The summary links to the fields; the fields keep what was typed.
    assert '<a href="#ligne-2-prix">' in response.content.decode()
    assert 'id="ligne-2-prix" name="prix" value="abc"' in page
    assert 'id="ligne-2-port" name="port" value="-2"' in page
    assert 'id="ligne-2-quantite" name="quantite" value="1,5"' in page
    assert '<option value="vaisseaux" selected>' in page
    assert '<option value="jouets" selected>' in page
    assert 'id="classement"' not in page


def test_decimal_commas_spaces_and_euro_signs_are_accepted(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(('maison-meubles', '1 050,00 €', '4,99', '2'))}")
    assert response.status_code == 200
    # Cdiscount: 15 % × (1 050 € + 4,99 €) × 2 = 316,497 € → 316,50 €.
    assert f"316,50{NBSP}€" in row(response, "cdiscount")


def test_blank_lines_are_ignored_but_an_empty_form_is_an_error(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(('', '', '', ''), TOYS, ('', '', '', ''))}")
    assert response.status_code == 200
    assert 'id="ligne-2-categorie"' not in text(response)
    assert row(response, "amazon")
    response = client.get(f"{PAGE}?{mix_query(('', '', '', ''))}")
    assert response.status_code == 422
    assert "Saisissez au moins une ligne" in text(response)


def test_more_than_100_lines_are_refused(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(*[TOYS] * 101)}")
    assert response.status_code == 422
    assert "Une simulation compte au plus 100 lignes." in text(response)


def test_add_a_line_without_javascript(client, fee_seed):
    """The "Ajouter une ligne" button submits the form with ``ajouter``: one more empty line, no error."""
    response = client.get(f"{PAGE}?{mix_query(TOYS, ('mode', 'abc', '', ''), extra=[('ajouter', '1')])}")
    assert response.status_code == 200
    page = text(response)
    assert 'id="ligne-3-categorie"' in page
    assert 'id="ligne-3-prix" name="prix" value=""' in page
    assert 'id="ligne-2-prix" name="prix" value="abc"' in page  # kept, without an error
    assert "erreur" not in page.split('id="simulateur"', 1)[1].split("</form>", 1)[0].lower()
    assert 'id="classement"' not in page  # nothing to compute until the mix is valid

    # A valid mix stays computed while the line is added.
    response = client.get(f"{PAGE}?{mix_query(TOYS, extra=[('ajouter', '1')])}")
    assert response.status_code == 200
    assert 'id="ligne-2-categorie"' in text(response)
    assert row(response, "amazon")


def test_the_page_includes_its_script_and_no_inline_script(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(TOYS)}")
    body = response.content.decode()
    assert re.search(r'<script src="[^"]*fees/simulator\.js" defer></script>', body)
    assert '<template id="modele-ligne">' in body and 'id="ligne-__N__-prix"' in body
    inline = [script for script in re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S) if script[1].strip()]
    assert inline == []


def test_the_share_link_reproduces_the_same_simulation(client, fee_seed):
    response = client.get(f"{PAGE}?{mix_query(('jouets', '20,00', ' 0 ', '30'), CONSOLES)}")
    share = re.search(r'id="lien-simulation" href="([^"]+)"', response.content.decode()).group(1)
    share = html.unescape(share)
    assert (
        share == f"{PAGE}?categorie=jouets&prix=20&port=0&quantite=30&categorie=consoles&prix=299.99&port=0&quantite=2"
    )
    assert f'value="http://testserver{share}"'.replace("&", "&amp;") in response.content.decode()
    again = client.get(share)
    assert again.status_code == 200
    for slug in ("amazon", "rakuten", "cdiscount", "fnac", "ebay", "manomano"):
        assert row(again, slug) == row(response, slug)
    assert ranked_slugs(again) == ranked_slugs(response)


# --- The CSV ------------------------------------------------------------------------------------


def test_csv_export_of_the_same_query(client, fee_seed):
    response = client.get(f"{CSV_PAGE}?{mix_query(TOYS, CONSOLES)}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="fairplace-simulation-frais.csv"'
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "rang",
        "place de marché",
        "formule",
        "abonnement",
        "commission",
        "frais fixes",
        "paiement",
        "logistique",
        "autres frais",
        "total mensuel",
        "complet",
        "chiffre d'affaires",
        "revenu net",
        "taux effectif (%)",
        "grille en vigueur depuis",
        "fiabilité",
        "source",
    ]
    assert [(r["rang"], r["place de marché"], r["total mensuel"]) for r in rows[:3]] == [
        ("1", "Rakuten France", "162,00"),
        ("2", "Amazon", "169,68"),
        ("3", "Cdiscount", "219,99"),
    ]
    amazon = rows[1]
    assert amazon["formule"] == "Individuel"
    assert amazon["abonnement"] == "0,00"
    assert amazon["commission"] == "138,00"
    assert amazon["frais fixes"] == "31,68"
    assert amazon["paiement"] == "non publié"
    assert amazon["complet"] == "oui"
    assert amazon["chiffre d'affaires"] == "1199,98"  # 20 × 30 + 299,99 × 2
    assert amazon["revenu net"] == "1030,30"
    assert amazon["taux effectif (%)"] == "14,14"  # 169,68 / 1 199,98
    assert amazon["grille en vigueur depuis"] == "15/12/2024"
    assert amazon["fiabilité"] == "À vérifier"
    ebay = next(r for r in rows if r["place de marché"] == "eBay")
    assert ebay["rang"] == ""
    assert ebay["complet"] == "non"
    assert ebay["commission"] == "inconnu"
    assert ebay["abonnement"] == "inconnu"
    assert ebay["source"] == "https://espacevendeurs.ebay.fr/frais-vente-professionnels"


def test_csv_cells_cannot_become_formulas(client, fee_seed):
    from fairplace.observatory.fees.models import FeeSchedule
    from fairplace.platforms.models import Marketplace

    FeeSchedule.objects.filter(marketplace__slug="fnac").update(source_url="", source_document='=HYPERLINK("x")')
    Marketplace.objects.filter(slug="fnac").update(name="@Fnac")
    refcache.clear()
    rows = csv_rows(client.get(f"{CSV_PAGE}?{mix_query(TOYS)}"))
    fnac = next(r for r in rows if r["place de marché"].endswith("Fnac"))
    assert fnac["place de marché"] == "'@Fnac"
    assert fnac["source"] == '\'=HYPERLINK("x")'


def test_csv_of_an_invalid_query_is_a_422_in_french(client, fee_seed):
    response = client.get(f"{CSV_PAGE}?{mix_query(('jouets', 'beaucoup', '', '3'))}")
    assert response.status_code == 422
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert "La simulation ne peut pas être calculée" in body
    assert "Ligne 1, prix TTC : Saisissez un montant en euros" in body
    assert client.get(CSV_PAGE).status_code == 422


# --- SQL queries ---------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_queries_are_few_and_do_not_grow_with_the_lines(client, fee_seed, django_assert_max_num_queries):
    one = f"{PAGE}?{mix_query(TOYS)}"
    fifty = f"{PAGE}?{mix_query(*[TOYS, CONSOLES, GARMENTS_OVER_20, ('vins-spiritueux', '12', '6', '7'), ('bebe', '30', '0', '1')] * 10)}"  # noqa: E501
    refcache.clear()
    with django_assert_max_num_queries(6):
        assert client.get(fifty).status_code == 200
    refcache.clear()
    cold_one = count_queries(client, one)
    refcache.clear()
    cold_fifty = count_queries(client, fifty)
    assert cold_one == cold_fifty
    # Warm: categories, schedules and marketplaces come from the reference cache.
    assert count_queries(client, fifty) == 0
    # The CSV: the same reads, fewer (no marketplaces without a grid to list).
    refcache.clear()
    csv_one = count_queries(client, f"{CSV_PAGE}?{mix_query(TOYS)}")
    refcache.clear()
    csv_fifty = count_queries(client, f"{CSV_PAGE}?{mix_query(*[TOYS] * 50)}")
    assert csv_one == csv_fifty <= cold_one


def test_a_new_schedule_is_seen_at_once(client, fee_seed):
    """Saving a schedule clears the cached compiled schedules (no minute of stale results)."""
    from fairplace.observatory.fees.models import FeeComponent, FeeSchedule

    url = f"{PAGE}?{mix_query(TOYS)}"
    assert "commission inconnue" in row(client.get(url), "fnac")
    fnac = FeeSchedule.objects.get(marketplace__slug="fnac")
    FeeComponent.objects.filter(schedule=fnac, kind="commission").update(rate=12)
    FeeComponent.objects.get(schedule=fnac, kind="commission").save()
    fnac_row = row(client.get(url), "fnac")
    assert "inconnu" not in fnac_row
    # 12 % × 20 € × 30 = 72,00 € + 39,99 € = 111,99 €.
    assert f"111,99{NBSP}€" in fnac_row


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e5", "0x10", "١٢"])
def test_odd_numbers_are_refused(client, fee_seed, value):
    response = client.get(f"{PAGE}?{mix_query(('jouets', value, '', '2'))}")
    assert response.status_code == 422
    assert "Ligne 1, prix TTC : Saisissez un montant en euros" in text(response)


def test_a_long_mix_is_summed_up_above_the_results_and_can_be_edited_again(client, fee_seed):
    query = mix_query(*[TOYS] * 10, ("mode", "12,50", "", "7"))
    response = client.get(f"{PAGE}?{query}")
    page = text(response)
    assert response.status_code == 200
    # The results come first: no 11 fieldsets before them, the mix as a table.
    assert 'name="prix" value="' not in page.split('id="simulateur"', 1)[0]
    mix = page.split('id="mix"', 1)[1].split("</table>", 1)[0]
    assert "Votre mix de produits (11 lignes)" in mix
    assert as_text(mix).count("Jouets et jeux") == 10 and f"12,50{NBSP}€" in mix
    assert page.index('id="mix"') < page.index('id="classement"')
    # The form still holds the mix (hidden) for the line-by-line buttons.
    hidden = page.split('id="simulateur"', 1)[1].split("</form>", 1)[0]
    assert hidden.count('type="hidden" name="prix"') == 11 and 'value="12.5"' in hidden
    # "Modifier le mix" gives the fields back, with what was typed, and the same results.
    edit = re.search(r'href="([^"]*modifier=1[^"]*)"', response.content.decode()).group(1)
    edited = client.get(html.unescape(edit))
    fields = text(edited)
    assert 'id="mix"' not in fields
    assert len(re.findall(r'name="prix" value="\d', fields)) == 11 and 'name="prix" value="12.5"' in fields
    assert ranked_slugs(edited) == ranked_slugs(response)
    # Ten lines or fewer: the fields stay above the results.
    assert 'id="mix"' not in text(client.get(f"{PAGE}?{mix_query(*[TOYS] * 10)}"))


PAYLOADS = ['"><script>alert(1)</script>', "' onmouseover='alert(1)", "</textarea><img src=x onerror=alert(1)>"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_what_a_visitor_types_is_escaped_everywhere_the_hand_built_html_shows_it(client, fee_seed, payload):
    """The simulator's lines are written in Python (simulator_html.py), outside Django's autoescape: every
    typed value, in valid and invalid lines, short and long mixes (the summary table), stays text."""
    short = client.get(f"{PAGE}?{mix_query(TOYS, (payload, payload, payload, payload))}")
    long_mix = [TOYS] * 11 + [("jouets", "20", "0", payload), (payload, "20", "0", "1")]
    long = client.get(f"{PAGE}?{mix_query(*long_mix, extra=[('detail', payload)])}")
    for response in (short, long):
        assert response.status_code in (200, 422)
        body = response.content.decode()
        assert payload not in body  # never the raw text
        assert "<script>alert" not in body and "<img src=x" not in body and "onmouseover='" not in body
        assert html.escape(payload, quote=True) in body or html.escape(payload) in body  # kept, as text
