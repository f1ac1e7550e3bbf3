"""Company lookup adapter (API Recherche d'entreprises), served by httpx.MockTransport.

The payloads in fixtures/company_search follow the API's OpenAPI schema for a direct SIRET
query (`GET /search?q=<14 digits>&per_page=1`); company names, people and figures are made up.
"""

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from fairplace.core.adapters.company_search import (
    USER_AGENT,
    CompanyInfo,
    CompanyLookupError,
    CompanyLookupUnavailable,
    CompanyNotFound,
    CompanySearchClient,
    get_company_search_client,
)

FIXTURES = Path(__file__).parent / "fixtures" / "company_search"
BASE_URL = "https://recherche-entreprises.test"
FOUND_SIRET = "73282932000074"
NOT_FOUND_MESSAGE = "Aucune entreprise trouvée pour ce numéro SIRET."
UNAVAILABLE_MESSAGE = (
    "Le service de recherche d'entreprises ne répond pas. Vous pouvez saisir les informations vous-même."
)


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class Api:
    """A fake API: records each request and answers with `respond(request)`."""

    def __init__(self, respond):
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)

    def client(self, timeout: float = 2.5) -> CompanySearchClient:
        return CompanySearchClient(BASE_URL, timeout, transport=httpx.MockTransport(self.handler))


def serving(payload: dict | str, status: int = 200) -> Api:
    body = load(payload) if isinstance(payload, str) else payload
    return Api(lambda request: httpx.Response(status, json=body))


@pytest.fixture(autouse=True)
def _search_enabled(settings):
    settings.FAIRPLACE_COMPANY_SEARCH_ENABLED = True


def test_found_siret_is_parsed():
    info = serving("siret_found.json").client().lookup_siret(FOUND_SIRET)

    assert info == CompanyInfo(
        siren="732829320",
        siret=FOUND_SIRET,
        name="ATELIER EXEMPLE",
        naf_code="47.91B",
        size_band="micro",
        staff_band_code="02",
        category="PME",
        city="VILLEURBANNE",
        is_active=True,
    )


def test_head_office_lookup():
    info = serving("siret_head_office.json").client().lookup_siret("73282932000017")

    assert (info.siret, info.siren, info.city, info.is_active) == (
        "73282932000017",
        "732829320",
        "LYON 2EME",
        True,
    )
    assert info.naf_code == "47.91B"


def test_head_office_is_found_through_siege_when_not_listed_as_matching():
    payload = load("siret_head_office.json")
    payload["results"][0]["matching_etablissements"] = []

    info = serving(payload).client().lookup_siret("73282932000017")

    assert info.siret == "73282932000017"
    assert info.city == "LYON 2EME"


def test_closed_establishment_is_inactive_and_keeps_its_own_naf_code():
    info = serving("siret_closed.json").client().lookup_siret("73282932000033")

    assert info.is_active is False
    assert info.city == "GRENOBLE"
    # The establishment's activity wins over the legal unit's (47.91B).
    assert info.naf_code == "47.71Z"
    assert info.name == "ATELIER EXEMPLE"


@pytest.mark.parametrize(("state", "is_active"), [("A", True), ("F", False), (None, False)])
def test_is_active_follows_the_establishment_state(state, is_active):
    payload = load("siret_found.json")
    payload["results"][0]["matching_etablissements"][0]["etat_administratif"] = state

    info = serving(payload).client().lookup_siret(FOUND_SIRET)

    assert info.is_active is is_active


def test_naf_code_falls_back_to_the_legal_unit():
    payload = load("siret_large_company.json")
    payload["results"][0]["matching_etablissements"][0]["activite_principale"] = None

    info = serving(payload).client().lookup_siret("91234567500025")

    assert info.naf_code == "70.10Z"


def test_large_company():
    info = serving("siret_large_company.json").client().lookup_siret("91234567500025")

    assert info.name == "GROUPE EXEMPLE DISTRIBUTION (GED)"
    assert info.siren == "912345675"
    assert info.naf_code == "47.91A"
    assert (info.size_band, info.staff_band_code, info.category) == ("large", "53", "GE")
    assert info.city == "ROUBAIX"
    assert info.is_active is True


@pytest.mark.parametrize(
    ("code", "expected_band"),
    [
        ("NN", "micro"),
        ("00", "micro"),
        ("01", "micro"),
        ("02", "micro"),
        ("03", "micro"),
        ("11", "small"),
        ("12", "small"),
        ("21", "medium"),
        ("22", "medium"),
        ("31", "medium"),
        ("32", "large"),
        ("41", "large"),
        ("42", "large"),
        ("51", "large"),
        ("52", "large"),
        ("53", "large"),
        (None, "unknown"),
    ],
)
def test_size_band_follows_the_insee_staff_band(code, expected_band):
    payload = load("siret_found.json")
    payload["results"][0]["tranche_effectif_salarie"] = code

    info = serving(payload).client().lookup_siret(FOUND_SIRET)

    assert info.size_band == expected_band
    assert info.staff_band_code == (code or "")


def test_missing_staff_band_and_category_give_unknown_and_empty():
    payload = load("siret_found.json")
    del payload["results"][0]["tranche_effectif_salarie"]
    payload["results"][0]["categorie_entreprise"] = None

    info = serving(payload).client().lookup_siret(FOUND_SIRET)

    assert (info.size_band, info.staff_band_code, info.category) == ("unknown", "", "")


def test_company_info_is_frozen():
    info = serving("siret_found.json").client().lookup_siret(FOUND_SIRET)

    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "AUTRE"  # type: ignore[misc]


def test_empty_result_is_not_found():
    api = serving("siret_empty.json")

    with pytest.raises(CompanyNotFound) as excinfo:
        api.client().lookup_siret("73282932000082")

    assert excinfo.value.retryable is False
    assert excinfo.value.message == NOT_FOUND_MESSAGE
    assert str(excinfo.value) == NOT_FOUND_MESSAGE
    assert len(api.requests) == 1


def test_result_for_another_siret_is_not_found():
    # Same legal unit, but the API returned another establishment than the one asked for.
    with pytest.raises(CompanyNotFound):
        serving("siret_found.json").client().lookup_siret("73282932000082")


@pytest.mark.parametrize("siret", ["", "732829320", "7328293200007X", "732829320000741"])
def test_malformed_siret_is_not_found_without_calling_the_api(siret):
    api = serving("siret_found.json")

    with pytest.raises(CompanyNotFound):
        api.client().lookup_siret(siret)

    assert api.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 400, 404])
def test_non_200_statuses_are_unavailable(status):
    # Even a well-formed body is ignored: only a 200 is trusted.
    body = load("siret_found.json")
    api = Api(lambda request: httpx.Response(status, headers={"Retry-After": "1"}, json=body))

    with pytest.raises(CompanyLookupUnavailable) as excinfo:
        api.client().lookup_siret(FOUND_SIRET)

    assert excinfo.value.retryable is True
    assert excinfo.value.message == UNAVAILABLE_MESSAGE
    assert isinstance(excinfo.value, CompanyLookupError)
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ConnectError, httpx.RemoteProtocolError],
)
def test_transport_failures_are_unavailable(error):
    def respond(request):
        raise error("simulated failure", request=request)

    api = Api(respond)

    with pytest.raises(CompanyLookupUnavailable) as excinfo:
        api.client().lookup_siret(FOUND_SIRET)

    assert excinfo.value.retryable is True
    assert isinstance(excinfo.value.__cause__, error)
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"results": [',
        b"[]",
        b'{"total_results": 0}',
        b'{"results": {"siren": "732829320"}}',
    ],
)
def test_malformed_json_is_unavailable(body):
    api = Api(lambda request: httpx.Response(200, content=body))

    with pytest.raises(CompanyLookupUnavailable):
        api.client().lookup_siret(FOUND_SIRET)


def test_disabled_setting_raises_unavailable_without_network_call(settings):
    settings.FAIRPLACE_COMPANY_SEARCH_ENABLED = False
    api = serving("siret_found.json")

    with pytest.raises(CompanyLookupUnavailable):
        api.client().lookup_siret(FOUND_SIRET)

    assert api.requests == []


def test_request_carries_query_page_size_user_agent_and_timeout():
    api = serving("siret_found.json")

    api.client(timeout=1.5).lookup_siret("732 829 320 00074")

    [request] = api.requests
    assert request.method == "GET"
    assert request.url.scheme == "https"
    assert request.url.host == "recherche-entreprises.test"
    assert request.url.path == "/search"
    assert dict(request.url.params) == {"q": FOUND_SIRET, "per_page": "1"}
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["User-Agent"] == (
        "Fairplace/1.0 (observatoire des places de marche; contact: ne-pas-repondre@fairplace.example)"
    )
    assert request.extensions["timeout"]["read"] == 1.5
    assert request.extensions["timeout"]["connect"] == 1.5


def test_factory_reads_the_settings(settings):
    settings.FAIRPLACE_COMPANY_SEARCH_URL = "https://annuaire.example/api/"
    settings.FAIRPLACE_COMPANY_SEARCH_TIMEOUT = 4.0

    client = get_company_search_client()

    assert isinstance(client, CompanySearchClient)
    assert client.base_url == "https://annuaire.example/api"
    assert client.timeout == 4.0


def test_factory_client_honours_the_disabled_setting(settings, monkeypatch):
    settings.FAIRPLACE_COMPANY_SEARCH_ENABLED = False

    def no_network(*args, **kwargs):
        raise AssertionError("no HTTP client may be built while the lookup is disabled")

    monkeypatch.setattr(httpx, "Client", no_network)

    with pytest.raises(CompanyLookupUnavailable):
        get_company_search_client().lookup_siret(FOUND_SIRET)


def test_fixtures_match_the_direct_siret_response_shape():
    # Guard against fixture drift: a direct SIRET query lists exactly the requested SIRET.
    for name, siret in [
        ("siret_found.json", FOUND_SIRET),
        ("siret_head_office.json", "73282932000017"),
        ("siret_closed.json", "73282932000033"),
        ("siret_large_company.json", "91234567500025"),
    ]:
        payload = load(name)
        assert set(payload) == {"results", "total_results", "page", "per_page", "total_pages"}
        [unit] = payload["results"]
        assert [e["siret"] for e in unit["matching_etablissements"]] == [siret], name
        assert unit["siege"]["est_siege"] is True, name
        assert siret.startswith(unit["siren"]), name
    empty = load("siret_empty.json")
    assert (empty["results"], empty["total_results"]) == ([], 0)
