"""Importing fee schedules from a CSV or XLSX file: all or nothing, every error with its line."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.db import DatabaseError
from django.utils import timezone

from fairplace.observatory.fees import importing
from fairplace.observatory.fees.importing import COLUMNS, import_schedules, parse_file, template_csv
from fairplace.observatory.fees.models import FeeComponent, FeeImport, FeeSchedule, Reliability, TierMode
from fairplace.observatory.fees.schedules import ScheduleError, record_schedule
from fairplace.platforms.models import Marketplace

pytestmark = pytest.mark.django_db

HEAD = {
    "place_de_marche": "cdiscount",
    "date_effet": "01/03/2025",
    "date_annonce": "01/02/2025",
    "date_releve": "2025-02-03",
    "source_url": "https://marketplace.cdiscount.com/tarifs",
    "source_document": "",
    "fiabilite": "primaire",
}


def line(**values) -> dict:
    return {**HEAD, **values}


def csv_bytes(rows, *, columns=COLUMNS, delimiter=";", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def run(data, filename="grilles.csv", **kwargs):
    return import_schedules(io.BytesIO(data), filename=filename, by=None, **kwargs)


def errors_by_line(result) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in result.errors:
        found.setdefault(error["ligne"], []).append((error["colonne"], error["message"]))
    return found


@pytest.fixture
def catalogue(reference_data, fee_taxonomy):
    """Marketplaces and the common taxonomy."""


@pytest.fixture
def nothing_written():
    """Assert, after the test's import, that no schedule or component was written and that the
    failed attempt was kept with its errors."""
    before = (FeeSchedule.objects.count(), FeeComponent.objects.count(), FeeImport.objects.count())
    yield
    assert (FeeSchedule.objects.count(), FeeComponent.objects.count()) == before[:2]
    attempt = FeeImport.objects.latest("imported_at")
    assert FeeImport.objects.count() == before[2] + 1
    assert not attempt.succeeded and attempt.errors and not attempt.schedules.exists()


GOOD_ROWS = [
    line(composante="abonnement", formule="Un site", montant="39,99"),
    line(composante="commission", categorie_plateforme="Tout le reste", taux="15", minimum="0.30"),
    line(
        composante="commission",
        categorie_plateforme="Informatique",
        categories_communes="informatique|telephonie|consoles",
        taux="5,5",
        assiette="ht",
        port_inclus="non",
    ),
    line(
        composante="commission",
        categorie_plateforme="Mode",
        categories_communes="mode",
        taux="7",
        tranche_de="0",
        tranche_a="15",
        mode_tranche="prix",
    ),
    line(
        composante="commission",
        categorie_plateforme="Mode",
        categories_communes="mode",
        taux="15",
        tranche_de="15",
        mode_tranche="prix",
        fiabilite_composante="À vérifier",
    ),
    line(
        composante="commission",
        categorie_plateforme="Bébé",
        categories_communes="bebe",
        remarques="grille par tranches, valeurs non relevées",
    ),
    line(composante="paiement", montant="0,25"),
    {
        **HEAD,
        "place_de_marche": "ManoMano",
        "date_effet": "2024-06-01",
        "date_annonce": "",
        "fiabilite": "secondaire",
        "remarques_grille": "Relevé partiel",
        "composante": "abonnement",
        "formule": "Standard",
        "montant": "100",
    },
]


def test_a_valid_file_records_each_schedule_with_its_components(catalogue):
    result = run(csv_bytes(GOOD_ROWS, bom=True), alert=False)

    assert result.succeeded, result.errors
    assert [str(s) for s in result.schedules] == ["Cdiscount — 01/03/2025", "ManoMano — 01/06/2024"]
    cdiscount = FeeSchedule.objects.get(marketplace__slug="cdiscount")
    assert (cdiscount.announced_on, cdiscount.observed_on, cdiscount.reliability, cdiscount.notice_days) == (
        date(2025, 2, 1),
        date(2025, 2, 3),
        Reliability.PRIMARY,
        28,
    )
    # One component per common category of a line: 1 + 1 + 3 + 2 + 1 + 1.
    assert cdiscount.components.count() == 9
    it = cdiscount.components.get(category__code="telephonie")
    assert (it.rate, it.base, it.includes_shipping, it.platform_category) == (
        Decimal("5.5"),
        "excl_vat",
        False,
        "Informatique",
    )
    default = cdiscount.components.get(kind="commission", category=None)
    assert (default.rate, default.min_per_item, default.base, default.includes_shipping) == (
        Decimal(15),
        Decimal("0.30"),
        "incl_vat",
        True,
    )
    upper = cdiscount.components.get(category__code="mode", price_from=15)
    assert (upper.price_to, upper.tier_mode, upper.reliability) == (None, TierMode.BAND, Reliability.TO_VERIFY)
    unknown = cdiscount.components.get(category__code="bebe")
    assert unknown.rate is None and "non relevées" in unknown.notes
    assert cdiscount.components.get(kind="subscription").amount == Decimal("39.99")
    manomano = FeeSchedule.objects.get(marketplace__slug="manomano")
    assert manomano.notes == "Relevé partiel" and manomano.announced_on is None
    attempt = result.record
    assert attempt.succeeded and attempt.errors == [] and attempt.filename == "grilles.csv"
    assert set(attempt.schedules.all()) == {cdiscount, manomano}


def test_a_comma_separated_file_without_bom_imports_too(catalogue):
    rows = [line(composante="abonnement", formule="Un site", montant="39.99")]
    result = run(csv_bytes(rows, delimiter=","), alert=False)
    assert result.succeeded, result.errors
    assert FeeComponent.objects.get().amount == Decimal("39.99")


def test_optional_columns_may_be_absent(catalogue):
    columns = [c for c in COLUMNS if c not in importing.OPTIONAL_COLUMNS]
    result = run(csv_bytes([line(composante="abonnement", montant="0")], columns=columns), alert=False)
    assert result.succeeded, result.errors


def test_wrong_columns_are_one_error_on_line_1(catalogue, nothing_written):
    columns = [c for c in COLUMNS if c != "montant"] + ["taux_pct", "taux"]
    result = run(csv_bytes([line(composante="abonnement", montant="3")], columns=columns))

    assert not result.succeeded
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error["ligne"] == 1
    assert "colonnes inconnues : taux_pct" in error["message"]
    assert "colonnes manquantes : montant" in error["message"]
    assert "colonnes en double : taux" in error["message"]


def test_bad_numbers_are_each_reported_on_their_line(catalogue, nothing_written):
    rows = [
        line(composante="commission", taux="quinze"),  # 2
        line(composante="commission", categories_communes="mode", taux="-3"),  # 3
        line(composante="commission", categories_communes="jouets", taux="150"),  # 4
        line(composante="abonnement", montant="39,999"),  # 5
        line(composante="commission", categories_communes="bebe", taux="1,234.5"),  # 6
        line(composante="commission", categories_communes="jardin", taux="12", minimum="2", plafond="1"),  # 7
    ]
    result = run(csv_bytes(rows))

    errors = errors_by_line(result)
    assert errors[2] == [("taux", "nombre invalide : « quinze »")]
    assert errors[3] == [("taux", "nombre négatif : -3")]
    assert errors[4] == [("taux", "150 est supérieur à 100")]
    assert errors[5] == [("montant", "2 décimales au plus : 39,999")]
    assert errors[6] == [("taux", "nombre invalide : « 1,234.5 »")]
    assert errors[7] == [("plafond", "le plafond est inférieur au minimum")]
    assert len(result.errors) == 6


def test_unknown_categories_and_categories_on_the_wrong_kind_are_refused(catalogue, nothing_written):
    rows = [
        line(composante="commission", categories_communes="informatique|fusees|bebe", taux="5"),
        line(composante="abonnement", categories_communes="mode", montant="10"),
        line(composante="commission", categories_communes="mode|mode", taux="5"),
    ]
    result = run(csv_bytes(rows))

    errors = errors_by_line(result)
    assert errors[2] == [("categories_communes", "code inconnu : fusees")]
    assert errors[3][0][0] == "categories_communes" and "à laisser vide" in errors[3][0][1]
    assert errors[4] == [("categories_communes", "code répété : mode")]


def test_unknown_marketplace_bad_dates_and_bad_choices_are_reported(catalogue, nothing_written):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    rows = [
        line(place_de_marche="nulle-part", composante="abonnement", montant="1"),
        line(date_effet="31/02/2025", composante="abonnement", montant="1"),
        line(date_releve=future, composante="abonnement", montant="1", date_effet="2025-04-01"),
        line(composante="abonnements", montant="1", date_effet="2025-05-01"),
        line(composante="commission", taux="5", assiette="net", port_inclus="peut-être", date_effet="2025-06-01"),
        line(
            fiabilite="sûre", source_url="ftp://exemple", composante="abonnement", montant="1", date_effet="2025-07-01"
        ),
    ]
    result = run(csv_bytes(rows))

    errors = errors_by_line(result)
    assert errors[2] == [("place_de_marche", "place de marché inconnue : « nulle-part »")]
    assert errors[3] == [("date_effet", "date invalide : « 31/02/2025 » (JJ/MM/AAAA ou AAAA-MM-JJ)")]
    assert errors[4] == [("date_releve", "la date de relevé est dans le futur")]
    assert [column for column, _ in errors[5]] == ["composante"]
    assert [column for column, _ in errors[6]] == ["assiette", "port_inclus"]
    assert sorted(column for column, _ in errors[7]) == ["fiabilite", "source_url"]


def test_kind_rules_are_checked(catalogue, nothing_written):
    rows = [
        line(composante="abonnement"),  # 2: no amount
        line(composante="abonnement", montant="5", taux="1", formule="B"),  # 3: a rate
        line(composante="commission", categories_communes="mode"),  # 4: no rate, no notes
        line(composante="frais_fixes"),  # 5: no amount
        line(composante="logistique", categories_communes="mode"),  # 6: no amount
        line(composante="paiement"),  # 7: neither
        line(composante="autres_frais", montant="2"),  # 8: no rate, an amount
        line(
            composante="commission",
            categories_communes="jouets",
            taux="5",
            tranche_de="10",
            tranche_a="5",
            mode_tranche="prix",
        ),  # 9: band backwards
        line(composante="commission", categories_communes="bebe", taux="5", tranche_de="10"),  # 10: no mode
        line(composante="commission", categories_communes="jardin", taux="5", mode_tranche="marginal"),  # 11
    ]
    result = run(csv_bytes(rows))

    columns = {number: [column for column, _ in found] for number, found in errors_by_line(result).items()}
    assert columns == {
        2: ["montant"],
        3: ["taux"],
        4: ["taux"],
        5: ["montant"],
        6: ["montant"],
        7: ["taux"],
        8: ["taux", "montant"],
        9: ["tranche_a"],
        10: ["mode_tranche"],
        11: ["mode_tranche"],
    }


def test_a_commission_of_unknown_rate_needs_its_explanation(catalogue):
    rows = [line(composante="commission", remarques="grille non relevée")]
    assert run(csv_bytes(rows), alert=False).succeeded


def test_duplicate_rows_name_the_line_they_repeat(catalogue, nothing_written):
    rows = [
        line(composante="commission", categories_communes="mode|jouets", taux="5"),  # 2
        line(composante="commission", categories_communes="jouets", taux="6"),  # 3
        line(composante="abonnement", formule="Pro", montant="39"),  # 4
        line(composante="abonnement", formule="pro", montant="49"),  # 5
        line(composante="abonnement", formule="Basique", montant="0"),  # 6
    ]
    result = run(csv_bytes(rows))

    assert result.errors == [
        {"ligne": 3, "colonne": "", "message": "ligne en double (identique à la ligne 2)"},
        {"ligne": 5, "colonne": "", "message": "ligne en double (identique à la ligne 4)"},
    ]


def test_bands_share_one_mode_and_do_not_overlap(catalogue, nothing_written):
    rows = [
        line(
            composante="commission",
            categories_communes="mode",
            taux="7",
            tranche_de="0",
            tranche_a="15",
            mode_tranche="prix",
        ),  # 2
        line(
            composante="commission",
            categories_communes="mode",
            taux="9",
            tranche_de="10",
            tranche_a="20",
            mode_tranche="prix",
        ),  # 3: overlaps 2
        line(
            composante="commission", categories_communes="mode", taux="15", tranche_de="20", mode_tranche="marginal"
        ),  # 4: other mode
        line(composante="commission", categories_communes="mode", taux="12"),  # 5: no band
    ]
    result = run(csv_bytes(rows))

    assert result.errors == [
        {"ligne": 3, "colonne": "tranche_de", "message": "tranche qui chevauche celle de la ligne 2"},
        {"ligne": 4, "colonne": "mode_tranche", "message": "mode de tranche différent de celui de la ligne 2"},
        {
            "ligne": 5,
            "colonne": "tranche_de",
            "message": "ligne sans tranche de prix alors que la ligne 2 en a une, pour les mêmes frais",
        },
    ]


def test_schedule_columns_must_agree_within_a_schedule(catalogue, nothing_written):
    rows = [
        line(composante="abonnement", montant="39", remarques_grille="A"),
        line(composante="commission", taux="15", source_url="https://ailleurs.example/", fiabilite="secondaire"),
        line(composante="paiement", taux="1", date_annonce="", remarques_grille="B"),
    ]
    result = run(csv_bytes(rows))

    errors = errors_by_line(result)
    message = "diffère de la ligne 2 pour la même grille (même place de marché et date d'effet)"
    assert errors[3] == [("source_url", message), ("fiabilite", message)]
    assert errors[4] == [("date_annonce", message), ("remarques_grille", "diffère de la ligne 2 pour la même grille")]


@pytest.fixture
def recorded(catalogue):
    """Cdiscount's schedule of 1 March 2025, already recorded."""
    return record_schedule(
        marketplace=Marketplace.objects.get(slug="cdiscount"),
        effective_on=date(2025, 3, 1),
        announced_on=None,
        observed_on=date(2025, 3, 1),
        source_url="https://exemple.fr/",
        source_document="",
        reliability=Reliability.PRIMARY,
        notes="",
        is_seed=False,
        components=[{"kind": "subscription", "amount": Decimal(39)}],
        by=None,
        alert=False,
    )


def test_a_schedule_already_recorded_is_refused(recorded, nothing_written):
    rows = [line(composante="abonnement", montant="49"), line(composante="commission", taux="abc")]
    result = run(csv_bytes(rows))

    assert result.errors == [
        {
            "ligne": 2,
            "colonne": "date_effet",
            "message": "une grille de Cdiscount existe déjà à la date d'effet du 01/03/2025",
        },
        {"ligne": 3, "colonne": "taux", "message": "nombre invalide : « abc »"},
    ]


def test_an_announcement_after_the_effective_date_is_accepted(catalogue):
    rows = [line(date_annonce="15/03/2025", date_releve="16/03/2025", composante="abonnement", montant="1")]
    result = run(csv_bytes(rows), alert=False)
    assert result.succeeded
    assert result.schedules[0].notice_days == -14


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "vide.csv", "Le fichier est vide."),
        (csv_bytes([]), "entete.csv", "Le fichier ne contient aucune ligne de données sous l'en-tête."),
        (b"%PDF-1.7 ...", "grille.pdf", "Format non pris en charge : déposez un fichier CSV ou XLSX."),
        (
            "place_de_marche;é".encode("latin-1"),
            "latin.csv",
            "Le fichier CSV doit être encodé en UTF-8 (dans Excel : « CSV UTF-8 »).",
        ),
        (b"PK\x03\x04not really a zip", "faux.xlsx", "Le classeur XLSX est illisible."),
        (b"x" * (2 * 1024 * 1024 + 1), "gros.csv", "Fichier trop volumineux : 2 Mo au plus."),
    ],
)
def test_unreadable_files_are_one_error(catalogue, nothing_written, data, filename, message):
    result = run(data, filename)
    assert result.errors == [{"ligne": 1, "colonne": "", "message": message}]


def test_more_than_5000_rows_is_refused(catalogue, nothing_written):
    rows = [line(composante="abonnement", formule=f"F{i}", montant="1") for i in range(5001)]
    result = run(csv_bytes(rows))
    assert len(result.errors) == 1 and result.errors[0]["message"].startswith("Trop de lignes")


def test_every_error_of_a_large_file_is_reported(catalogue, nothing_written):
    rows = [line(composante="abonnement", formule=f"F{i}", montant="x" if i % 100 == 0 else "1") for i in range(1000)]
    result = run(csv_bytes(rows))
    assert [error["ligne"] for error in result.errors] == [i + 2 for i in range(0, 1000, 100)]


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_spreadsheet(catalogue, nothing_written):
    text = csv_bytes(
        [line(composante="abonnement", montant="1"), line(composante="abonnement", formule="X", montant="?")]
    ).decode()
    header, first, second = text.strip().split("\r\n")
    result = run("\r\n".join([header, first, ";;;", "", second]).encode())
    assert result.errors == [{"ligne": 5, "colonne": "montant", "message": "nombre invalide : « ? »"}]


# --- XLSX -----------------------------------------------------------------------------------


def xlsx_file(tmp_path, rows, name="grilles.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row.get(column) for column in COLUMNS])
    path = tmp_path / name
    workbook.save(path)
    return path


def test_an_xlsx_file_imports_with_native_dates_and_numbers(catalogue, tmp_path):
    rows = [
        {
            **HEAD,
            "date_effet": datetime(2025, 3, 1),
            "date_annonce": datetime(2025, 2, 1),
            "date_releve": date(2025, 2, 3),
            "composante": "abonnement",
            "formule": "Un site",
            "montant": 39.99,
        },
        {
            **HEAD,
            "date_effet": datetime(2025, 3, 1),
            "date_annonce": datetime(2025, 2, 1),
            "date_releve": date(2025, 2, 3),
            "composante": "commission",
            "categories_communes": "informatique",
            "taux": 5.5,
            "minimum": 0.3,
            "tranche_de": 0,
            "tranche_a": 100,
            "mode_tranche": "marginal",
        },
        {
            **HEAD,
            "date_effet": datetime(2025, 3, 1),
            "date_annonce": datetime(2025, 2, 1),
            "date_releve": date(2025, 2, 3),
            "composante": "commission",
            "categories_communes": "informatique",
            "taux": 0.04,
            "tranche_de": 100,
            "mode_tranche": "marginal",
        },
    ]
    path = xlsx_file(tmp_path, rows)
    workbook = openpyxl.load_workbook(path)
    workbook.active.cell(row=4, column=COLUMNS.index("taux") + 1).number_format = "0%"  # shown as "4 %"
    workbook.save(path)

    with path.open("rb") as handle:
        result = import_schedules(handle, filename="grilles.xlsx", by=None, alert=False)

    assert result.succeeded, result.errors
    schedule = result.schedules[0]
    assert (schedule.effective_on, schedule.announced_on) == (date(2025, 3, 1), date(2025, 2, 1))
    assert schedule.components.get(kind="subscription").amount == Decimal("39.99")
    low, high = schedule.components.filter(kind="commission").order_by("price_from")
    assert (low.rate, low.min_per_item, low.price_to) == (Decimal("5.5"), Decimal("0.3"), Decimal(100))
    assert high.rate == Decimal(4)


def test_an_xlsx_file_with_errors_reports_them_by_line_and_writes_nothing(catalogue, tmp_path, nothing_written):
    rows = [
        {**HEAD, "composante": "abonnement", "montant": 39},
        {**HEAD, "composante": "commission", "categories_communes": "inconnue", "taux": 120},
        {**HEAD, "composante": "abonnement", "montant": -1, "formule": "B"},
    ]
    path = xlsx_file(tmp_path, rows)
    result = import_schedules(path.read_bytes(), filename="grilles.xlsx", by=None)

    assert result.errors == [
        {"ligne": 3, "colonne": "categories_communes", "message": "code inconnu : inconnue"},
        {"ligne": 3, "colonne": "taux", "message": "120 est supérieur à 100"},
        {"ligne": 4, "colonne": "montant", "message": "nombre négatif : -1"},
    ]


# --- Writing: all or nothing ----------------------------------------------------------------


def test_a_database_failure_while_writing_leaves_nothing(catalogue, monkeypatch, nothing_written):
    from fairplace.observatory.fees import changes

    calls = []

    def failing(schedule, *, alert=True):
        calls.append(schedule)
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return []

    monkeypatch.setattr(changes, "record_changes", failing)
    result = run(csv_bytes(GOOD_ROWS))

    assert len(calls) == 2
    assert result.errors[0]["message"].startswith("Erreur de la base de données")


def test_a_service_refusal_while_writing_leaves_nothing(catalogue, monkeypatch, nothing_written):
    from fairplace.observatory.fees import importing as module

    real = module.record_schedule

    def second_refused(**kwargs):
        if kwargs["marketplace"].slug == "manomano":
            raise ScheduleError("Grille non enregistrée : refusée.")
        return real(**kwargs)

    monkeypatch.setattr(module, "record_schedule", second_refused)
    result = run(csv_bytes(GOOD_ROWS))
    assert result.errors == [{"ligne": 9, "colonne": "", "message": "Grille non enregistrée : refusée."}]


def test_parsing_writes_nothing(catalogue):
    data = csv_bytes(GOOD_ROWS)
    parsed = parse_file(data, filename="grilles.csv")
    assert not parsed.errors and len(parsed.schedules) == 2
    assert FeeSchedule.objects.count() == 0 and FeeImport.objects.count() == 0


def test_the_template_file_imports_as_it_is(catalogue):
    result = run(template_csv().encode("utf-8"), "modele.csv", alert=False)
    assert result.succeeded, result.errors
    schedule = result.schedules[0]
    assert schedule.marketplace.slug == "cdiscount"
    assert schedule.components.count() == 3


def test_record_schedule_refuses_what_the_import_refuses(catalogue):
    with pytest.raises(ScheduleError) as caught:
        record_schedule(
            marketplace=Marketplace.objects.get(slug="fnac"),
            effective_on=date(2025, 1, 1),
            announced_on=None,
            observed_on=date(2025, 1, 1),
            source_url="",
            source_document="",
            reliability="primary",
            notes="",
            is_seed=False,
            components=[
                {"kind": "commission"},
                {"kind": "subscription", "amount": Decimal(1)},
                {"kind": "subscription", "amount": Decimal(2)},
            ],
            by=None,
        )
    fields = [(problem.index, problem.field) for problem in caught.value.problems]
    assert fields == [(None, "source_url"), (0, "rate"), (2, "")]
    assert FeeSchedule.objects.count() == 0
