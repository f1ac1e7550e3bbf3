"""Open data of the fee observatory: the schedules file imports back unchanged; the changes file
says what the pages say."""

import csv
import io

import pytest
from django.urls import reverse

from fairplace.observatory.fees import opendata
from fairplace.observatory.fees.importing import COLUMNS, import_schedules
from fairplace.observatory.fees.models import FeeChange, FeeComponent, FeeSchedule

pytestmark = pytest.mark.django_db

COMPONENT_FIELDS = (
    "kind",
    "plan",
    "platform_category",
    "category_id",
    "rate",
    "amount",
    "base",
    "includes_shipping",
    "min_per_item",
    "max_per_item",
    "price_from",
    "price_to",
    "tier_mode",
    "reliability",
    "notes",
)
SCHEDULE_FIELDS = (
    "marketplace_id",
    "effective_on",
    "announced_on",
    "observed_on",
    "source_url",
    "source_document",
    "reliability",
    "notes",
)


def _snapshot():
    schedules = sorted(FeeSchedule.objects.values_list(*SCHEDULE_FIELDS))
    components = sorted(
        FeeComponent.objects.values_list("schedule__marketplace_id", "schedule__effective_on", *COMPONENT_FIELDS),
        key=repr,
    )
    return schedules, components


def _rows(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_the_schedules_file_imports_back_into_an_empty_observatory_unchanged(fee_seed):
    before = _snapshot()
    exported = opendata.schedules_csv()
    FeeChange.objects.all().delete()
    FeeComponent.objects.all().delete()
    FeeSchedule.objects.all().delete()

    result = import_schedules(io.BytesIO(exported.encode()), filename="grilles.csv", by=None, alert=False)

    assert result.succeeded, result.errors
    assert _snapshot() == before
    assert FeeChange.objects.filter(schedule__marketplace__slug="amazon").exists()  # changes recomputed


def test_the_schedules_file_has_the_import_columns_and_one_line_per_component(fee_seed):
    rows = _rows(opendata.schedules_csv())
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == FeeComponent.objects.count()
    ebay = [row for row in rows if row["place_de_marche"] == "ebay" and row["composante"] == "autres_frais"]
    assert [(row["taux"], row["port_inclus"], row["date_effet"]) for row in ebay] == [("0.35", "oui", "2024-04-08")]


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted_and_imported_back(fee_seed):
    schedule = FeeSchedule.objects.get(marketplace__slug="cdiscount")
    schedule.notes = "+2 points pour les produits non neufs"
    schedule.save()
    text = opendata.schedules_csv()
    assert ";'+2 points pour les produits non neufs;" in text
    FeeComponent.objects.all().delete()
    FeeChange.objects.all().delete()
    FeeSchedule.objects.all().delete()
    assert import_schedules(io.BytesIO(text.encode()), filename="g.csv", by=None, alert=False).succeeded
    assert FeeSchedule.objects.get(marketplace__slug="cdiscount").notes == "+2 points pour les produits non neufs"


def test_the_changes_file_gives_old_and_new_values_with_their_ratios(fee_seed):
    rows = _rows(opendata.changes_csv())
    mode = [row for row in rows if row["place_de_marche"] == "amazon" and row["tranche"].startswith("jusqu")]
    assert len(mode) == 1
    row = mode[0]
    assert (row["ancienne_valeur"], row["nouvelle_valeur"], row["ecart"]) == ("7", "5", "-2")
    assert (row["variation_relative"], row["multiplicateur"], row["gravite"]) == ("-0.2857", "0.7143", "info")
    assert row["date_effet"] == "2024-12-15" and row["grille_precedente_date_effet"] == "2020-04-01"
    assert len(rows) == FeeChange.objects.filter(withdrawn_at__isnull=True).count()


def test_withdrawn_changes_are_not_published(fee_seed):
    FeeChange.objects.update(withdrawn_at="2026-01-01T00:00:00Z")
    assert _rows(opendata.changes_csv()) == []


def test_the_downloads_are_csv_attachments(client, fee_seed):
    for name, filename in (
        ("fees:schedules_csv", "fairplace-grilles-tarifaires.csv"),
        ("fees:changes_csv", "fairplace-evolutions-tarifaires.csv"),
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert filename in response["Content-Disposition"]
    assert client.post(reverse("fees:changes_csv")).status_code == 405
