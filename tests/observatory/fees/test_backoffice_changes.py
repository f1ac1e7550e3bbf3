"""The agents' list of fee changes and the reports linked to each."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fairplace.observatory.fees import linking
from fairplace.observatory.fees.models import FeeChange

from ...conftest import login_as
from .test_changes import commission, make_schedule, subscription

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
LIST = reverse("fees_backoffice:changes")


@pytest.fixture
def recorded(personas):
    """Cdiscount: commission 12 % → 15 % (7-day notice), subscription 39,99 → 29,99 €;
    ManoMano: commission 15 → 16 % (notice unknown)."""
    make_schedule(effective_on="2026-01-01", components=[commission(12), subscription("39.99")], alert=False)
    make_schedule(
        effective_on="2026-04-01",
        announced_on="2026-03-25",
        alert=False,
        components=[commission(15), subscription("29.99")],
    )
    make_schedule("manomano", effective_on="2026-01-01", components=[commission(15)], alert=False)
    make_schedule("manomano", effective_on="2026-04-01", components=[commission(16)], alert=False)
    return {
        "rate": FeeChange.objects.get(marketplace__slug="cdiscount", kind="commission"),
        "subscription": FeeChange.objects.get(kind="subscription"),
        "manomano": FeeChange.objects.get(marketplace__slug="manomano"),
    }


def fee_report(make_report, **answers):
    answers.setdefault("fee_type", "commission")
    answers.setdefault("fee_issue", "increase")
    return make_report(
        family_code="FEES",
        marketplace="cdiscount",
        answers=answers,
        submitted_at=timezone.make_aware(datetime(2026, 4, 12, 9, 30)),
    )


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator"])
def test_observatory_staff_see_the_changes(client, personas, recorded, persona):
    login_as(client, personas, persona)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 évolutions" in page
    assert f"12{NBSP}% → 15{NBSP}%" in page and "Cdiscount" in page and "ManoMano" in page
    assert reverse("fees_backoffice:change", args=[recorded["rate"].pk]) in page


@pytest.mark.parametrize("persona", ["no_role", "platform_a", "mediator"])
def test_other_roles_are_forbidden(client, personas, recorded, persona):
    login_as(client, personas, persona)
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("fees_backoffice:change", args=[recorded["rate"].pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, recorded):
    for url in (LIST, reverse("fees_backoffice:change", args=[recorded["rate"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))


def test_changes_filter_by_marketplace_and_severity(client, personas, recorded):
    login_as(client, personas, "agent")
    page = client.get(LIST, {"place": "manomano"}).content.decode()
    assert "1 évolution" in page and "ManoMano" in page and f"39,99{NBSP}€" not in page
    page = client.get(LIST, {"gravite": "info"}).content.decode()
    assert "1 évolution" in page and f"39,99{NBSP}€ → 29,99{NBSP}€" in page


def test_an_unknown_filter_is_a_bad_request(client, personas, recorded):
    login_as(client, personas, "agent")
    response = client.get(LIST, {"place": "nulle-part"})
    assert response.status_code == 400 and "n’existe pas" in response.content.decode()
    assert client.get(LIST, {"gravite": "enorme"}).status_code == 400


def test_withdrawn_changes_are_hidden_unless_asked_for(client, personas, recorded):
    make_schedule(effective_on="2026-02-01", components=[commission(13), subscription("39.99")], alert=False)
    login_as(client, personas, "agent")
    page = client.get(LIST, {"place": "cdiscount"}).content.decode()
    assert "retirée le" not in page and f"12{NBSP}% → 15{NBSP}%" not in page
    assert f"12{NBSP}% → 13{NBSP}%" in page and f"13{NBSP}% → 15{NBSP}%" in page
    page = client.get(LIST, {"place": "cdiscount", "retirees": "1"}).content.decode()
    assert "retirée le" in page and f"12{NBSP}% → 15{NBSP}%" in page


def test_the_list_counts_linked_reports(client, personas, recorded, make_report):
    for _ in range(2):
        fee_report(make_report, fee_rate_before="12", fee_rate_after="15")
    linking.link_marketplace(recorded["rate"].marketplace)
    login_as(client, personas, "agent")
    response = client.get(LIST, {"place": "cdiscount"})
    counts = {row.change.pk: row.reports for row in response.context["rows"]}
    assert counts == {recorded["rate"].pk: 2, recorded["subscription"].pk: 0}
    assert '<td class="fp-reports">2</td>' in response.content.decode()


def test_the_change_page_lists_the_linked_reports_with_their_answers(client, personas, recorded, make_report):
    report = fee_report(
        make_report,
        fee_rate_before="12",
        fee_rate_after="15",
        change_announced_on="2026-03-25",
        change_effective_on="2026-04-01",
    )
    linking.link_marketplace(recorded["rate"].marketplace)
    login_as(client, personas, "agent")
    response = client.get(reverse("fees_backoffice:change", args=[recorded["rate"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 signalement rapproché" in page
    assert f'href="{reverse("backoffice:case", args=[report.reference])}"' in page
    assert "12/04/2026" in page and "Commission sur les ventes" in page and "Les frais ont augmenté" in page
    assert f"12{NBSP}% → 15{NBSP}%" in page and "25/03/2026" in page and "01/04/2026" in page
    assert "préavis inférieur à 15 jours" in page
    assert reverse("fees:compare", args=["cdiscount"]) in page


def test_a_change_without_reports_says_so(client, personas, recorded):
    login_as(client, personas, "agent")
    page = client.get(reverse("fees_backoffice:change", args=[recorded["manomano"].pk])).content.decode()
    assert "Aucun signalement de vendeur" in page


def test_an_unknown_change_is_not_found(client, personas, recorded):
    login_as(client, personas, "agent")
    assert client.get(reverse("fees_backoffice:change", args=[999999])).status_code == 404
