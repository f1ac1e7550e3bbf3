"""The public pages of the fee observatory: today's fees, one marketplace, the timeline."""

import html
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from fairplace.observatory.fees import wording
from fairplace.observatory.fees.models import (
    FeeCategory,
    FeeChange,
    FeeChangeReport,
    FeeComponent,
    FeeSchedule,
)
from fairplace.platforms.models import Marketplace
from fairplace.reports.models import Report

NBSP = "\u00a0"
TODAY = timezone.localdate()
# "0 %" as a figure (not the end of "10 %" or "0,35 %").
ZERO_PERCENT = re.compile(rf"(?<![\d,]){'0'}{NBSP}?%")


# --- Building data with the ORM ------------------------------------------------------------------


def page_text(response) -> str:
    """The page as a reader sees it (HTML entities decoded)."""
    return html.unescape(response.content.decode())


def categories():
    rows = [
        ("mode", "Mode (vêtements, chaussures, accessoires)"),
        ("informatique", "Informatique"),
        ("jouets", "Jouets et jeux"),
    ]
    return {
        code: FeeCategory.objects.create(code=code, label=label, position=index)
        for index, (code, label) in enumerate(rows)
    }


def schedule(slug, effective_on, *, announced_on=None, components=(), **fields):
    fields = {
        "observed_on": TODAY,
        "source_url": f"https://{slug}.example/tarifs",
        "source_document": f"Grille tarifaire {slug}",
        "reliability": "primary",
        **fields,
    }
    version = FeeSchedule.objects.create(
        marketplace=Marketplace.objects.get(slug=slug), effective_on=effective_on, announced_on=announced_on, **fields
    )
    for component in components:
        FeeComponent.objects.create(schedule=version, **component)
    return version


def change(previous, version, *, severity="moderate", **fields):
    return FeeChange.objects.create(
        marketplace=version.marketplace,
        previous=previous,
        schedule=version,
        notice_days=version.notice_days,
        severity=severity,
        **fields,
    )


def link_reports(change_row, report, count):
    """Link ``count`` reports of distinct sellers to ``change_row`` (copies of ``report``)."""
    for index in range(count):
        report.pk = None
        report.reference = f"T-{uuid.uuid4().hex[:12]}"
        report.idempotency_key = uuid.uuid4()
        report.siret = f"{index + 1:014d}"
        report.save()
        FeeChangeReport.objects.create(change=change_row, report=report, score=80)


@pytest.fixture
def cdiscount(reference_data):
    """Cdiscount: an old version, the one in force (with a change of the Mode rate and of the
    subscription), and one announced for later."""
    cats = categories()
    old = schedule(
        "cdiscount",
        TODAY - timedelta(days=400),
        announced_on=TODAY - timedelta(days=430),
        components=[
            {"kind": "subscription", "plan": "Standard", "amount": Decimal("39.99")},
            {
                "kind": "commission",
                "category": cats["mode"],
                "platform_category": "Mode",
                "rate": Decimal("7"),
                "price_to": Decimal("15"),
            },
            {"kind": "commission", "rate": Decimal("15")},
        ],
    )
    current = schedule(
        "cdiscount",
        TODAY - timedelta(days=30),
        announced_on=TODAY - timedelta(days=35),
        components=[
            {"kind": "subscription", "plan": "Standard", "amount": Decimal("49.99")},
            {"kind": "subscription", "plan": "Pro", "amount": Decimal("59.99")},
            {
                "kind": "commission",
                "category": cats["mode"],
                "platform_category": "Mode",
                "rate": Decimal("5"),
                "price_to": Decimal("15"),
            },
            {
                "kind": "commission",
                "category": cats["mode"],
                "platform_category": "Mode",
                "rate": Decimal("15"),
                "price_from": Decimal("15"),
                "price_to": Decimal("20"),
                "min_per_item": Decimal("0.30"),
            },
            {
                "kind": "commission",
                "category": cats["mode"],
                "platform_category": "Mode",
                "rate": Decimal("20"),
                "price_from": Decimal("20"),
            },
            {
                "kind": "commission",
                "category": cats["informatique"],
                "platform_category": "Informatique",
                "rate": None,
                "notes": "Taux non publié par la plateforme",
            },
            {"kind": "commission", "rate": Decimal("15")},
            {"kind": "payment", "rate": Decimal("0.35"), "base": "incl_vat", "includes_shipping": True},
        ],
        notes="Grille relevée sur la page tarifaire.",
    )
    upcoming = schedule("cdiscount", TODAY + timedelta(days=20), announced_on=TODAY - timedelta(days=1))
    mode = change(
        old,
        current,
        kind="commission",
        category=cats["mode"],
        platform_category="Mode",
        band=wording.band_label(None, Decimal("15")),
        measure="rate",
        old_value=Decimal("7"),
        new_value=Decimal("5"),
        severity="info",
    )
    subscription = change(
        old,
        current,
        kind="subscription",
        plan="Standard",
        measure="amount",
        old_value=Decimal("39.99"),
        new_value=Decimal("49.99"),
        severity="high",
    )
    return {
        "categories": cats,
        "old": old,
        "current": current,
        "upcoming": upcoming,
        "mode": mode,
        "subscription": subscription,
    }


# --- Wording ---------------------------------------------------------------------------------------


def test_a_rate_change_reads_as_a_french_sentence(cdiscount):
    assert wording.change_sentence(cdiscount["mode"]) == (
        f"Commission Mode, jusqu'à 15{NBSP}€ : 7{NBSP}% → 5{NBSP}% (−2{NBSP}pts, −29{NBSP}%, ×{NBSP}0,71)"
    )


def test_an_amount_change_reads_in_euros(cdiscount):
    assert wording.change_sentence(cdiscount["subscription"]) == (
        f"Abonnement Standard : 39,99{NBSP}€ → 49,99{NBSP}€ (+10,00{NBSP}€, +25{NBSP}%, ×{NBSP}1,25)"
    )


def test_an_unknown_value_is_never_zero_in_a_sentence(cdiscount):
    row = change(
        cdiscount["old"],
        cdiscount["current"],
        kind="commission",
        platform_category="Informatique",
        category=cdiscount["categories"]["informatique"],
        measure="rate",
        old_value=Decimal("10"),
        new_value=None,
    )
    assert wording.change_sentence(row) == f"Commission Informatique : 10{NBSP}% → inconnu"


def test_a_new_or_removed_amount_reads_as_such(cdiscount):
    new = FeeChange(kind="per_item", measure="amount", old_value=None, new_value=Decimal("0.99"))
    gone = FeeChange(
        kind="commission", platform_category="Mode", measure="max_per_item", old_value=Decimal("50"), new_value=None
    )
    assert wording.change_sentence(new) == f"Frais fixes par article : nouveau, 0,99{NBSP}€"
    assert wording.change_sentence(gone) == f"Commission Mode, plafond par article : supprimé (auparavant 50,00{NBSP}€)"


def test_a_basis_change_has_no_figures(cdiscount):
    change_row = FeeChange(kind="commission", measure="basis", old_value=None, new_value=None)
    assert wording.change_sentence(change_row) == "Commission par défaut (autres catégories) : assiette modifiée"
    diff = SimpleNamespace(
        kind="commission",
        plan="",
        category=None,
        platform_category="Mode",
        band="",
        measure="basis",
        old_value=None,
        new_value=None,
        abs_change=None,
        note="frais de port désormais inclus dans l'assiette",
    )
    assert wording.change_sentence(diff) == "Commission Mode : frais de port désormais inclus dans l'assiette"


@pytest.mark.parametrize(
    ("price_from", "price_to", "label"),
    [
        (None, None, ""),
        (None, Decimal("15"), f"jusqu'à 15{NBSP}€"),
        (Decimal("15"), Decimal("20"), f"de 15 à 20{NBSP}€"),
        (Decimal("20"), None, f"à partir de 20{NBSP}€"),
        (Decimal("0"), Decimal("7.5"), f"jusqu'à 7,50{NBSP}€"),
    ],
)
def test_price_bands_are_labelled(price_from, price_to, label):
    assert wording.band_label(price_from, price_to) == label


@pytest.mark.parametrize(
    ("days", "flag"),
    [
        (None, "préavis inconnu"),
        (-3, "effet rétroactif (règlement P2B, art. 8)"),
        (0, "préavis inférieur à 15 jours (règlement P2B, art. 3)"),
        (14, "préavis inférieur à 15 jours (règlement P2B, art. 3)"),
        (15, ""),
        (60, ""),
    ],
)
def test_notice_is_flagged_below_15_days_or_retroactive(days, flag):
    assert wording.notice_flag(days) == flag


@pytest.mark.parametrize(
    ("count", "label"),
    [
        (0, ""),
        (1, "Signalé par moins de 5 vendeurs"),
        (4, "Signalé par moins de 5 vendeurs"),
        (5, "Signalé par 5 vendeurs"),
        (12, "Signalé par 12 vendeurs"),
    ],
)
def test_small_report_counts_are_suppressed(count, label):
    assert wording.reported_label(count) == label


# --- Index -------------------------------------------------------------------------------------------


def test_index_shows_todays_schedule_with_ranges_and_unknowns(client, cdiscount):
    page = page_text(client.get(reverse("fees:index")))
    row = re.search(r'<tr data-marketplace="cdiscount">(.*?)</tr>', page, re.S).group(1)
    assert reverse("fees:marketplace", args=["cdiscount"]) in row
    assert f"49,99{NBSP}€ – 59,99{NBSP}€" in row
    # Known rates 5 % to 20 %; Informatique is unknown, so is Jouets? No: the default row covers it.
    assert f"5{NBSP}% – 20{NBSP}% et inconnus pour 1 catégorie" in row
    assert "Frais de paiement" in row
    assert "fr-badge--success" in row and "Source primaire" in row
    assert "https://cdiscount.example/tarifs" in row
    assert not ZERO_PERCENT.search(row)


def test_index_says_unknown_when_nothing_was_recorded(client, reference_data):
    categories()
    schedule("manomano", TODAY - timedelta(days=10), reliability="to_verify", is_seed=True)
    page = page_text(client.get(reverse("fees:index")))
    row = re.search(r'<tr data-marketplace="manomano">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[1] == "inconnu" and cells[2] == "inconnu"  # subscription, commission
    assert "non relevés" in cells[3]
    assert "fr-badge--warning" in row and "donnée de référence initiale, à revérifier" in row
    assert not ZERO_PERCENT.search(row)


def test_index_lists_marketplaces_without_a_schedule(client, cdiscount):
    page = page_text(client.get(reverse("fees:index")))
    without = re.search(r'id="sans-grille">(.*?)</p>', page, re.S).group(1)
    assert "Pas encore de grille relevée pour :" in without
    assert "Boulanger" in without and "Cdiscount" not in without
    assert reverse("fees:simulator") in page and reverse("fees:timeline") in page


def test_index_ignores_versions_not_yet_in_force(client, cdiscount):
    page = page_text(client.get(reverse("fees:index")))
    row = re.search(r'<tr data-marketplace="cdiscount">(.*?)</tr>', page, re.S).group(1)
    assert date_format(cdiscount["current"].effective_on, "j F Y") in row
    announced = re.search(r'id="a-venir-titre"(.*?)</section>', page, re.S).group(1)
    assert date_format(cdiscount["upcoming"].effective_on, "j F Y") in announced


def test_index_queries_do_not_grow_with_marketplaces(client, cdiscount, django_assert_max_num_queries):
    for slug in ("fnac", "ebay", "rakuten", "amazon"):
        schedule(
            slug,
            TODAY - timedelta(days=5),
            components=[
                {"kind": "subscription", "amount": Decimal("39")},
                {"kind": "commission", "rate": Decimal("12"), "category": cdiscount["categories"]["jouets"]},
            ],
        )
    with django_assert_max_num_queries(6):
        assert client.get(reverse("fees:index")).status_code == 200


# --- One marketplace ---------------------------------------------------------------------------------


def test_marketplace_page_details_the_schedule_in_force(client, cdiscount):
    page = page_text(client.get(reverse("fees:marketplace", args=["cdiscount"])))
    assert "5 jours" in page and "préavis de" not in page.split("Les évolutions des frais sur")[0]
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in page
    assert "Grille relevée sur la page tarifaire." in page
    subscriptions = re.search(r'<table id="abonnements">(.*?)</table>', page, re.S).group(1)
    assert "<caption>" in subscriptions and 'scope="col"' in subscriptions and 'scope="row"' in subscriptions
    assert f"59,99{NBSP}€" in subscriptions and "Pro" in subscriptions
    commissions = re.search(r'<table id="commissions">(.*?)</table>', page, re.S).group(1)
    for text in (
        f"jusqu'à 15{NBSP}€",
        f"de 15 à 20{NBSP}€",
        f"à partir de 20{NBSP}€",
        f"0,30{NBSP}€",
        "prix TTC + port",
        "Toutes les autres catégories",
        "Taux non publié par la plateforme",
    ):
        assert text in commissions, text
    informatique = re.search(r"<tr[^>]*>\s*<th scope=\"row\">Informatique</th>(.*?)</tr>", commissions, re.S).group(1)
    assert "<td>inconnu</td>" in informatique
    assert not ZERO_PERCENT.search(commissions)
    others = re.search(r'<table id="autres-frais">(.*?)</table>', page, re.S).group(1)
    assert f"0,35{NBSP}%" in others and "Frais de paiement" in others


def test_marketplace_page_lists_categories_without_any_row_as_unknown(client, reference_data):
    cats = categories()
    schedule(
        "fnac",
        TODAY - timedelta(days=3),
        components=[
            {"kind": "commission", "category": cats["mode"], "platform_category": "Mode", "rate": Decimal("12")}
        ],
    )
    page = page_text(client.get(reverse("fees:marketplace", args=["fnac"])))
    commissions = re.search(r'<table id="commissions">(.*?)</table>', page, re.S).group(1)
    for label in ("Informatique", "Jouets et jeux"):
        row = re.search(rf"<th scope=\"row\">{label}</th>(.*?)</tr>", commissions, re.S).group(1)
        assert "<td>inconnu</td>" in row and "absente de la grille" in row
    assert "préavis inconnu" in page
    assert "Abonnement : inconnu" in page


def test_marketplace_page_lists_versions_with_compare_links(client, cdiscount):
    page = page_text(client.get(reverse("fees:marketplace", args=["cdiscount"])))
    versions = re.search(r'id="versions"(.*?)</section>', page, re.S).group(1)
    compare = reverse("fees:compare", args=["cdiscount"])
    old, current, upcoming = cdiscount["old"], cdiscount["current"], cdiscount["upcoming"]
    assert f"{compare}?de={old.id}&a={current.id}" in versions
    assert f"{compare}?de={current.id}&a={upcoming.id}" in versions
    assert "en vigueur" in versions and "à venir" in versions
    changes = re.search(r'id="evolutions"(.*?)</section>', page, re.S).group(1)
    assert f"7{NBSP}% → 5{NBSP}%" in changes


def test_unknown_marketplace_is_a_404(client, reference_data):
    assert client.get(reverse("fees:marketplace", args=["nulle-part"])).status_code == 404


def test_marketplace_without_schedule_says_so(client, reference_data):
    response = client.get(reverse("fees:marketplace", args=["boulanger"]))
    assert response.status_code == 200
    assert "Pas encore de grille relevée pour Boulanger" in page_text(response)


def test_marketplace_page_queries_are_bounded(client, cdiscount, django_assert_max_num_queries):
    for days in (200, 100):
        schedule("cdiscount", TODAY - timedelta(days=days), components=[{"kind": "commission", "rate": Decimal(9)}])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("fees:marketplace", args=["cdiscount"])).status_code == 200


# --- Timeline ----------------------------------------------------------------------------------------


def test_timeline_groups_changes_by_version_with_report_counts(client, cdiscount, make_report):
    report = make_report(family_code="SUSP")
    link_reports(cdiscount["mode"], report, 3)
    link_reports(cdiscount["subscription"], report, 6)
    page = page_text(client.get(reverse("fees:timeline")))
    group = re.search(rf'id="version-{cdiscount["current"].id}"(.*?)</article>', page, re.S).group(1)
    assert "Cdiscount" in group
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in group
    assert f"Commission Mode, jusqu'à 15{NBSP}€ : 7{NBSP}% → 5{NBSP}% (−2{NBSP}pts, −29{NBSP}%, ×{NBSP}0,71)" in group
    assert "Signalé par moins de 5 vendeurs" in group and "Signalé par 6 vendeurs" in group
    assert "Signalé par 3" not in group
    assert "fr-badge--warning" in group  # the "high" change
    # No seller data: only counts.
    for private in ("Atelier Martin", "Camille", "vendeuse@exemple.fr", report.reference, report.siret):
        assert private not in page


def test_timeline_without_reports_shows_no_count(client, cdiscount):
    page = page_text(client.get(reverse("fees:timeline")))
    assert "Signalé par" not in page.split('id="version-')[1]


def test_withdrawn_changes_are_not_shown(client, cdiscount):
    FeeChange.objects.filter(pk=cdiscount["mode"].pk).update(withdrawn_at=timezone.now())
    page = page_text(client.get(reverse("fees:timeline")))
    assert "Commission Mode" not in page and "Abonnement Standard" in page


def test_timeline_is_newest_effective_date_first(client, cdiscount):
    newer = schedule("cdiscount", TODAY - timedelta(days=2), announced_on=TODAY - timedelta(days=40))
    change(cdiscount["current"], newer, kind="commission", measure="rate", old_value=Decimal(15), new_value=Decimal(16))
    page = page_text(client.get(reverse("fees:timeline")))
    assert page.index(f'id="version-{newer.id}"') < page.index(f'id="version-{cdiscount["current"].id}"')


def test_timeline_filters_by_marketplace_and_severity(client, cdiscount):
    fnac_old = schedule("fnac", TODAY - timedelta(days=90))
    fnac_new = schedule("fnac", TODAY - timedelta(days=9))
    change(
        fnac_old,
        fnac_new,
        kind="subscription",
        measure="amount",
        old_value=Decimal(39),
        new_value=Decimal(49),
        severity="critical",
    )
    only_fnac = page_text(client.get(reverse("fees:timeline"), {"place": "fnac"}))
    assert f'id="version-{fnac_new.id}"' in only_fnac and f'id="version-{cdiscount["current"].id}"' not in only_fnac
    only_info = page_text(client.get(reverse("fees:timeline"), {"gravite": "info"}))
    assert "Commission Mode" in only_info and "Abonnement Standard" not in only_info
    assert f'id="version-{fnac_new.id}"' not in only_info


@pytest.mark.parametrize("query", [{"place": "nulle-part"}, {"gravite": "enorme"}])
def test_timeline_rejects_unknown_filters_in_french(client, cdiscount, query):
    response = client.get(reverse("fees:timeline"), query)
    assert response.status_code == 400
    assert "n’existe pas" in page_text(response)


def test_timeline_is_paginated_by_50_versions(client, reference_data):
    place = Marketplace.objects.get(slug="ebay")
    versions = [
        FeeSchedule.objects.create(
            marketplace=place, effective_on=TODAY - timedelta(days=day), observed_on=TODAY, reliability="primary"
        )
        for day in range(60, 0, -1)
    ]
    FeeChange.objects.bulk_create(
        FeeChange(
            marketplace=place,
            previous=before,
            schedule=after,
            kind="payment",
            measure="rate",
            old_value=Decimal(1),
            new_value=Decimal(2),
            severity="moderate",
        )
        for before, after in zip(versions, versions[1:], strict=False)
    )
    first = page_text(client.get(reverse("fees:timeline"), {"place": "ebay"}))
    second = page_text(client.get(reverse("fees:timeline"), {"place": "ebay", "page": 2}))
    assert first.count('class="fr-mb-4w fp-fee-version"') == 50
    assert second.count('class="fr-mb-4w fp-fee-version"') == 9
    assert "place=ebay&page=2" in first


def test_timeline_queries_are_bounded(client, cdiscount, make_report, django_assert_max_num_queries):
    report = make_report()
    link_reports(cdiscount["mode"], report, 2)
    for slug in ("fnac", "ebay", "rakuten"):
        before = schedule(slug, TODAY - timedelta(days=50))
        after = schedule(slug, TODAY - timedelta(days=5))
        for measure in ("rate", "min_per_item"):
            change(before, after, kind="commission", measure=measure, old_value=Decimal(1), new_value=Decimal(2))
    with django_assert_max_num_queries(6):
        assert client.get(reverse("fees:timeline")).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(reverse("fees:timeline"), {"place": "fnac"}).status_code == 200


def test_public_pages_show_no_seller_data(client, cdiscount, make_report):
    report = make_report()
    link_reports(cdiscount["subscription"], report, 5)
    private = [
        "Atelier Martin",
        "Camille",
        "Martin",
        "vendeuse@exemple.fr",
        report.siret,
        report.reference,
        *Report.objects.values_list("reference", flat=True),
    ]
    for url in (reverse("fees:index"), reverse("fees:timeline"), reverse("fees:marketplace", args=["cdiscount"])):
        page = page_text(client.get(url))
        for text in private:
            assert text not in page, (url, text)
