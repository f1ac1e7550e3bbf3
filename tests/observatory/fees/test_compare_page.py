"""The public page comparing two fee schedule versions of a marketplace."""

import pytest
from django.urls import reverse

from .test_changes import commission, make_schedule, subscription

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def url(slug="cdiscount", **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("fees:compare", args=[slug]) + (f"?{query}" if query else "")


@pytest.fixture
def versions(reference_data):
    first = make_schedule(
        effective_on="2026-01-01",
        components=[commission(12), subscription("39.99")],
        source_document="Grille vendeurs 2026",
        reliability="secondary",
        alert=False,
    )
    second = make_schedule(
        effective_on="2026-04-01",
        announced_on="2026-03-25",
        alert=False,
        components=[commission(15), subscription("39.99"), commission(7, "informatique")],
    )
    third = make_schedule(
        effective_on="2026-07-01",
        announced_on="2026-06-01",
        alert=False,
        components=[commission(15), subscription("49.99"), commission(7, "informatique")],
    )
    return first, second, third


def test_without_parameters_the_two_latest_versions_are_compared(client, versions):
    _first, second, third = versions
    response = client.get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["before"] == second and response.context["after"] == third
    assert f"39,99{NBSP}€ → 49,99{NBSP}€" in page
    assert f"+10,00{NBSP}€" in page and f"+25{NBSP}%" in page and f"×{NBSP}1,25" in page
    assert "fr-badge--warning" in page and "Forte" in page  # +25 %: high
    assert "préavis de 30 jours" in page
    assert 'data-notice="short"' not in page


def test_a_rate_change_shows_points_percent_multiplier_severity_and_short_notice(client, versions):
    first, second, _third = versions
    response = client.get(url(de=first.pk, a=second.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"12{NBSP}% → 15{NBSP}%" in page
    assert f"+3{NBSP}pts" in page and f"+25{NBSP}%" in page
    assert "Critique" in page  # high, raised by a 7-day notice
    assert "préavis inférieur à 15 jours" in page
    assert "Informatique" in page and "auparavant : taux par défaut" in page  # 12 % → 7 % for computers
    assert "Grille vendeurs 2026" in page and "Source secondaire" in page and "Source primaire" in page


def test_notice_flags_for_retroactive_and_unknown_notice(client, reference_data):
    first = make_schedule(effective_on="2026-01-01", components=[commission(12)], alert=False)
    retro = make_schedule(
        effective_on="2026-04-01", announced_on="2026-04-10", components=[commission(13)], alert=False
    )
    unknown = make_schedule(effective_on="2026-07-01", components=[commission(14)], alert=False)
    page = client.get(url(de=first.pk, a=retro.pk)).content.decode()
    assert "effet rétroactif" in page and 'data-notice="retroactive"' in page
    page = client.get(url(de=retro.pk, a=unknown.pk)).content.decode()
    assert "préavis inconnu" in page and 'data-notice="unknown"' in page


def test_unchanged_rows_are_shown_on_request(client, versions):
    _first, second, third = versions
    hidden = client.get(url(de=second.pk, a=third.pk)).content.decode()
    assert 'data-status="unchanged"' not in hidden and "lignes inchangées non affichées" in hidden
    shown = client.get(url(de=second.pk, a=third.pk, tout=1)).content.decode()
    assert 'data-status="unchanged"' in shown


def test_versions_further_apart_are_compared_across_the_ones_between(client, versions):
    first, _second, third = versions
    page = client.get(url(de=first.pk, a=third.pk)).content.decode()
    assert "1 autre grille est entrée en vigueur entre ces deux dates" in page


def test_an_unknown_marketplace_is_not_found(client, versions):
    assert client.get(url("inconnue")).status_code == 404


def test_a_version_of_another_marketplace_is_not_found(client, versions):
    other = make_schedule("manomano", effective_on="2026-01-01", components=[commission(15)], alert=False)
    _first, second, third = versions
    assert client.get(url(de=other.pk, a=third.pk)).status_code == 404
    assert client.get(url(de=second.pk, a=999999)).status_code == 404


@pytest.mark.parametrize(
    "params, message",
    [
        ({"de": "abc"}, "doit être le numéro d’une grille"),
        ({"a": "-3"}, "doit être le numéro d’une grille"),
    ],
)
def test_a_malformed_parameter_is_a_bad_request_in_french(client, versions, params, message):
    response = client.get(url(**params))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_same_version_twice_or_in_reverse_order_is_a_bad_request(client, versions):
    first, second, _third = versions
    same = client.get(url(de=second.pk, a=second.pk))
    assert same.status_code == 400 and "deux grilles différentes" in same.content.decode()
    reverse_order = client.get(url(de=second.pk, a=first.pk))
    assert reverse_order.status_code == 400 and "doit être antérieure" in reverse_order.content.decode()


def test_a_marketplace_with_one_version_or_none_has_nothing_to_compare(client, reference_data):
    response = client.get(url("fnac"))
    assert response.status_code == 200 and "aucune grille" in response.content.decode()
    make_schedule("fnac", effective_on="2026-01-01", components=[commission(15)], alert=False)
    response = client.get(url("fnac"))
    assert response.status_code == 200 and "rien à comparer" in response.content.decode()


def test_the_version_pickers_are_a_plain_get_form(client, versions):
    page = client.get(url()).content.decode()
    assert 'method="get"' in page and 'name="de"' in page and 'name="a"' in page
