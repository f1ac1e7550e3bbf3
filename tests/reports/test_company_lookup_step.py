"""The company step fills itself from the company-search API, and still works without it."""

import json
from pathlib import Path

import httpx
import pytest

from fairplace.core.adapters.company_search import CompanySearchClient
from fairplace.reports import intake
from fairplace.reports.models import ReportDraft
from tests.reports.wizard import STEP_URL, attach_draft

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent.parent / "core" / "fixtures" / "company_search"


def _client_serving(handler):
    return lambda: CompanySearchClient("https://api.example.invalid", 1.0, transport=httpx.MockTransport(handler))


def _lookup(client, siret="732 829 320 00074"):
    return client.post(
        STEP_URL.format("entreprise"),
        {"action": "lookup", "siret": siret, "company_name": "", "company_size": "", "naf_code": ""},
    )


def test_lookup_fills_name_size_and_naf_from_the_recorded_payload(client, complete_draft, monkeypatch):
    payload = json.loads((FIXTURES / "siret_found.json").read_text())
    monkeypatch.setattr(
        intake, "get_company_search_client", _client_serving(lambda request: httpx.Response(200, json=payload))
    )
    draft = attach_draft(client, complete_draft())
    response = _lookup(client)
    assert response.status_code == 302
    values = ReportDraft.objects.get(pk=draft.pk).steps["entreprise"]
    expected = payload["results"][0]
    assert values["siret"] == "73282932000074"
    assert values["company_name"] == expected["nom_complet"]
    assert values["company_size"] == "micro" and values["naf_code"] == "47.91B"
    assert values["company_source"] == "api"
    page = client.get(STEP_URL.format("entreprise")).content.decode()
    assert "Entreprise trouvée" in page


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: httpx.Response(503),
        lambda request: httpx.Response(429, headers={"Retry-After": "1"}),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
    ],
)
def test_when_the_api_fails_the_seller_types_the_company_by_hand(client, complete_draft, monkeypatch, failure):
    monkeypatch.setattr(intake, "get_company_search_client", _client_serving(failure))
    draft = attach_draft(client, complete_draft())
    _lookup(client)
    page = client.get(STEP_URL.format("entreprise")).content.decode()
    assert "ne répond pas" in page and "saisir les informations vous-même" in page
    manual = {
        "action": "next",
        "siret": "73282932000074",
        "company_name": "Atelier Martin",
        "company_size": "small",
        "naf_code": "",
    }
    response = client.post(STEP_URL.format("entreprise"), manual)
    assert response.url == STEP_URL.format("contact")
    form = intake.bound_form(ReportDraft.objects.get(pk=draft.pk), "entreprise")
    assert form.is_valid() and form.cleaned_data["company_source"] == "manual"


def test_lookup_with_an_invalid_siret_never_calls_the_api(client, complete_draft, monkeypatch):
    calls = []
    monkeypatch.setattr(
        intake,
        "get_company_search_client",
        _client_serving(lambda request: calls.append(request) or httpx.Response(500)),
    )
    attach_draft(client, complete_draft())
    response = _lookup(client, siret="12345")
    assert response.status_code == 422 and calls == []
    assert "vous en avez saisi 5" in response.content.decode()
