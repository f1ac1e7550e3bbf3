"""The public read-only API v1: every endpoint, its shape, the OpenAPI schema, read-only, throttled,
and nothing of an edition that is not published."""

import json
from datetime import date

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from fairplace.barometer import opendata
from fairplace.barometer.indicators import registry
from fairplace.barometer.models import Charter, Commitment, Edition, Signature
from fairplace.platforms.models import Marketplace

from .factories import SNAPSHOT, every_status, figure, make_edition

LISTS = [
    "/api/v1/editions/",
    "/api/v1/editions/2026-T3/figures/",
    "/api/v1/indicators/",
    "/api/v1/marketplaces/",
    "/api/v1/charters/",
]
ENDPOINTS = ["/api/", "/api/v1/editions/2026-T3/"] + LISTS
EDITION_FIELDS = {
    "code",
    "period_start",
    "period_end",
    "publication_date",
    "published_at",
    "methodology_version",
    "thresholds",
    "links",
}


@pytest.fixture
def edition(reference_data):
    edition = make_edition("2026-T3")
    every_status(edition)
    return edition


@pytest.fixture
def charter(reference_data):
    charter = Charter.objects.create(
        code="charte-2019", title="Charte des acteurs du e-commerce", adopted_on=date(2019, 3, 26)
    )
    Commitment.objects.create(
        charter=charter,
        code="mediation",
        number=1,
        text="Recourir à la médiation.",
        indicator_codes=["mediation_referrals"],
        sources=[
            {"label": "Charte", "url": "https://example.org/charte", "reliability": "primaire", "date": "2019-03-26"}
        ],
    )
    Signature.objects.create(
        charter=charter,
        marketplace=Marketplace.objects.get(slug="cdiscount"),
        signatory_name="Cdiscount",
        status="signed",
        date=date(2019, 3, 26),
    )
    Signature.objects.create(
        charter=charter,
        marketplace=Marketplace.objects.get(slug="amazon"),
        signatory_name="Amazon",
        status="refused",
        date=date(2019, 3, 26),
    )
    return charter


def test_every_endpoint_answers_json(client, edition, charter):
    for path in ENDPOINTS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/json", path
        assert client.head(path).status_code == 200, path
        assert client.options(path).status_code == 200, path
    index = client.get("/api/").json()
    assert index["version"] == "v1" and index["schema"] == "http://testserver/api/schema/"
    assert index["endpoints"]["editions"] == "http://testserver/api/v1/editions/"


def test_lists_are_paginated(client, edition, charter):
    for path in LISTS:
        body = client.get(path).json()
        assert set(body) == {"count", "next", "previous", "results"}, path
    page = client.get("/api/v1/editions/2026-T3/figures/?page_size=5").json()
    assert page["count"] == 13 and len(page["results"]) == 5 and "page=2" in page["next"]


def test_editions_expose_the_published_fields_only(client, edition):
    make_edition("2026-T2", status=Edition.Status.PREVIEW)
    make_edition("2026-T1", status=Edition.Status.WITHDRAWN)
    body = client.get("/api/v1/editions/").json()
    assert [item["code"] for item in body["results"]] == ["2026-T3"]
    detail = client.get("/api/v1/editions/2026-T3/").json()
    assert set(detail) == EDITION_FIELDS
    assert detail["thresholds"] == SNAPSHOT
    assert detail["period_start"] == "2026-07-01"
    assert detail["links"]["csv"] == "http://testserver/barometre/editions/2026-T3/donnees.csv"
    assert detail["links"]["figures"] == "http://testserver/api/v1/editions/2026-T3/figures/"
    english = client.get("/api/v1/editions/2026-T3/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["links"] == detail["links"]  # one canonical address per file, whoever asks


def test_figures_have_the_dictionary_columns_and_keep_nulls(client, edition):
    results = client.get("/api/v1/editions/2026-T3/figures/").json()["results"]
    assert all(list(item) == list(opendata.COLUMN_NAMES) for item in results)
    found = {(item["marketplace"], item["indicator"], item["breakdown"]): item for item in results}
    below = found[("cdiscount", "mediation_referrals", None)]
    assert below["status"] == "below_5"
    assert all(below[name] is None for name in ("n", "k", "value", "ci_low", "ci_high", "rank"))
    rate_below = found[("cdiscount", "statement_of_reasons_in_time", None)]
    assert rate_below["n"] == 42 and rate_below["k"] is None and rate_below["value"] is None
    assert found[("cdiscount", "action_confirmed", None)]["n"] == 0
    answered = found[("cdiscount", "answered_in_time", None)]
    assert (answered["k"], answered["n"], answered["value"], answered["rank"]) == (60, 80, 0.75, 1)
    assert found[("cdiscount", "family_share", "DEREF")]["k"] == 40


def test_figures_filter_by_marketplace_and_indicator(client, edition):
    body = client.get("/api/v1/editions/2026-T3/figures/?marketplace=manomano").json()
    assert body["count"] == 3 and {item["marketplace"] for item in body["results"]} == {"manomano"}
    body = client.get("/api/v1/editions/2026-T3/figures/?indicator=answered_in_time").json()
    assert {item["marketplace"] for item in body["results"]} == {"cdiscount", "manomano"}
    body = client.get("/api/v1/editions/2026-T3/figures/?marketplace=cdiscount&indicator=family_share").json()
    assert [item["breakdown"] for item in body["results"]] == ["DEREF", "SUSP"]
    refused = client.get("/api/v1/editions/2026-T3/figures/?indicator=nope")
    assert refused.status_code == 400
    assert "Indicateur inconnu" in refused.json()["indicator"][0]


def test_indicators_marketplaces_and_charters(client, charter):
    indicators = client.get("/api/v1/indicators/").json()["results"]
    assert [item["code"] for item in indicators] == list(registry())
    assert set(indicators[0]) == {
        "code",
        "kind",
        "label",
        "label_en",
        "definition",
        "definition_en",
        "formula",
        "unit",
        "unit_en",
        "higher_is_better",
        "basis",
    }

    marketplaces = {item["slug"]: item for item in client.get("/api/v1/marketplaces/?page_size=100").json()["results"]}
    assert set(marketplaces) == set(Marketplace.objects.filter(is_active=True).values_list("slug", flat=True))
    assert set(marketplaces["cdiscount"]) == {
        "slug",
        "name",
        "operator",
        "website",
        "country",
        "group",
        "charter_status",
    }
    assert marketplaces["cdiscount"]["charter_status"]["status"] == "signed"
    assert marketplaces["cdiscount"]["charter_status"]["charter"] == "charte-2019"
    assert marketplaces["amazon"]["charter_status"]["status"] == "refused"
    assert marketplaces["manomano"]["charter_status"] == {
        "status": "not_signatory",
        "label": "Non signataire",
        "label_en": "Not a signatory",
        "charter": None,
        "date": None,
        "note": "",
    }

    [exported] = client.get("/api/v1/charters/").json()["results"]
    assert exported["code"] == "charte-2019" and exported["previous"] is None
    assert exported["commitments"][0]["sources"][0]["url"] == "https://example.org/charte"
    assert {item["signatory_name"]: item["marketplace"] for item in exported["signatures"]} == {
        "Cdiscount": "cdiscount",
        "Amazon": "amazon",
    }


def test_unpublished_editions_are_invisible(client, reference_data):
    for status in (Edition.Status.PREVIEW, Edition.Status.WITHDRAWN):
        hidden = make_edition("2026-T2" if status == Edition.Status.PREVIEW else "2026-T1", status=status)
        figure(hidden, "cdiscount", "reports_received", n=50, value=50.0)
        assert client.get(f"/api/v1/editions/{hidden.code}/").status_code == 404
        assert client.get(f"/api/v1/editions/{hidden.code}/figures/").status_code == 404
    assert client.get("/api/v1/editions/").json()["count"] == 0
    assert client.get("/api/v1/editions/2099-T9/figures/").status_code == 404


def test_the_api_is_read_only(client, edition, charter):
    for path in ENDPOINTS:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, data=json.dumps({"code": "x"}), content_type="application/json")
            assert response.status_code == 405, (method, path)


def test_json_only_no_browsable_api(client, edition):
    response = client.get("/api/v1/editions/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response["Content-Type"] == "application/json"
    assert client.get("/api/v1/editions/?format=api").status_code == 404


def test_schema_is_valid_openapi_with_every_path(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "Public read-only API" in schema["info"]["description"]  # French and English
    assert set(schema["paths"]) == {
        "/api/v1/editions/",
        "/api/v1/editions/{code}/",
        "/api/v1/editions/{code}/figures/",
        "/api/v1/indicators/",
        "/api/v1/marketplaces/",
        "/api/v1/charters/",
    }
    assert all(set(operations) == {"get"} for operations in schema["paths"].values())
    figures = schema["paths"]["/api/v1/editions/{code}/figures/"]["get"]
    assert {"marketplace", "indicator", "page", "page_size"} <= {item["name"] for item in figures["parameters"]}
    properties = schema["components"]["schemas"]["Figure"]["properties"]
    assert list(properties) == list(opendata.COLUMN_NAMES)
    assert properties["n"]["nullable"] is True
    as_json = client.get("/api/schema/?format=json")
    assert json.loads(as_json.content)["paths"].keys() == schema["paths"].keys()


def test_schema_passes_the_openapi_validator():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    validate_schema(SchemaGenerator().get_schema(request=None, public=True))  # raises when invalid


def test_throttle_answers_429(client, edition):
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "1000/min"}}
    with override_settings(REST_FRAMEWORK=rates):
        statuses = [client.get("/api/v1/indicators/").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/api/v1/editions/")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        other = client.get("/api/v1/editions/", REMOTE_ADDR="192.0.2.10")
        assert other.status_code == 200  # counted per client address
        forged = client.get("/api/v1/editions/", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert forged.status_code == 429  # no trusted proxy: a forged header changes nothing


def test_lists_take_a_bounded_number_of_queries(client, edition, charter):
    for path in LISTS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path + "?page_size=1000").status_code == 200
        # Besides the throttle's cache (a database table here, Redis in production): at most 3.
        reads = [
            query["sql"]
            for query in queries.captured_queries
            if "fairplace_cache" not in query["sql"] and "SAVEPOINT" not in query["sql"]
        ]
        assert len(reads) <= 3, (path, reads)
