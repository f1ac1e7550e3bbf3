"""Open data of the editions: CSV, JSON and Parquet round trips, the data dictionary, the charter
registry, the PDF — and suppression holding in every one of them."""

import csv
import io
import json
from datetime import date
from html.parser import HTMLParser

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.cache import cache
from django.urls import reverse

from fairplace.barometer import opendata, pdf
from fairplace.barometer.models import Charter, Commitment, Edition, EditionFigure, Signature
from fairplace.platforms.models import Marketplace
from tests.api.factories import SNAPSHOT, every_status, figure, make_edition, planted, reply

Status = EditionFigure.Status
SMALL = range(1, 5)
COUNT_INDICATORS = {"reports_received", "mediation_referrals"}
NUMBERS = ("n", "k", "value", "ci_low", "ci_high", "p90", "rank", "ranked_count")


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()  # exports are cached by ETag: each test starts without them
    yield
    cache.clear()


@pytest.fixture
def edition(reference_data):
    edition = make_edition("2026-T3")
    edition.expected = every_status(edition)
    return edition


def url(name, **kwargs):
    return reverse(f"barometer:{name}", kwargs=kwargs)


def read_csv(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: French spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def csv_number(text: str):
    if text == "":
        return None
    return float(text) if "." in text or "e" in text else int(text)


def assert_no_small_counts(rows: list[dict]) -> None:
    """No count from 1 to 4 (n, k, cases awaiting) and no count-indicator value from 1 to 4."""
    for row in rows:
        for name in ("n", "k", "awaiting", "awaiting_overdue"):
            value = row[name]
            value = csv_number(value) if isinstance(value, str) else value
            assert value is None or value not in SMALL, (row["marketplace"], row["indicator"], name, value)
        if row["indicator"] in COUNT_INDICATORS and row["value"] not in (None, ""):
            assert float(row["value"]) not in SMALL, row


def by_key(rows):
    return {(row["marketplace"], row["indicator"], row["breakdown"] or ""): row for row in rows}


# --- CSV, JSON, Parquet ----------------------------------------------------------------------


def test_csv_round_trip_gives_back_the_edition_figures(client, edition):
    response = client.get(url("edition_data", code="2026-T3", fmt="csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fairplace-barometre-2026-T3.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.decode("utf-8-sig").splitlines()[0] == ";".join(opendata.COLUMN_NAMES)
    rows = by_key(read_csv(content))
    assert len(rows) == EditionFigure.objects.filter(edition=edition).count()
    for stored in edition.expected.values():
        row = rows[(stored.marketplace.slug, stored.indicator, stored.breakdown)]
        assert row["edition"] == "2026-T3" and row["period_start"] == "2026-07-01" and row["status"] == stored.status
        for name in NUMBERS:
            expected = getattr(stored, name)
            assert csv_number(row[name]) == expected, (stored.indicator, name)  # None ↔ empty cell, never 0
        assert row["trend"] == stored.trend
    answered = rows[("cdiscount", "answered_in_time", "")]
    assert answered["value"] == "0.75" and answered["unit"] == "proportion"  # decimal point, 0–1
    time = rows[("cdiscount", "time_to_answer", "")]
    assert (time["awaiting"], time["awaiting_status"]) == ("12", "ok")
    assert (time["awaiting_overdue"], time["awaiting_overdue_status"]) == ("", "below_5")
    seller = rows[("cdiscount", "reports_per_1000_sellers", "")]
    assert (seller["sellers"], seller["sellers_year"], seller["sellers_source_url"]) == (
        "50000",
        "2025",
        "https://example.org/rapport-2025",
    )


def test_below_5_rows_carry_the_status_and_empty_numbers(edition):
    rows = by_key(read_csv(opendata.export(edition, "csv")))
    count = rows[("cdiscount", "mediation_referrals", "")]
    assert count["status"] == "below_5" and all(count[name] == "" for name in NUMBERS)
    rate = rows[("cdiscount", "statement_of_reasons_in_time", "")]
    assert rate["status"] == "below_5" and rate["n"] == "42"  # "moins de 5 cas sur 42"
    assert all(rate[name] == "" for name in NUMBERS if name != "n")
    none = rows[("cdiscount", "action_confirmed", "")]
    assert (none["status"], none["n"], none["value"]) == ("none", "0", "")
    insufficient = rows[("cdiscount", "answer_satisfactory", "")]
    assert (insufficient["status"], insufficient["n"], insufficient["value"]) == ("insufficient", "7", "")


def test_json_document_has_the_edition_its_thresholds_and_nulls(client, edition):
    response = client.get(url("edition_data", code="2026-T3", fmt="json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    meta = document["edition"]
    assert meta["code"] == "2026-T3" and meta["methodology_version"] == "2026.1"
    assert meta["thresholds"]["MIN_SAMPLE_RANK"] == SNAPSHOT["MIN_SAMPLE_RANK"] == 40  # the frozen rules
    assert document["dictionary_url"] == "http://testserver" + url("dictionary", fmt="json")
    rows = by_key(document["figures"])
    assert len(rows) == len(edition.expected)
    below = rows[("cdiscount", "mediation_referrals", "")]
    assert below["status"] == "below_5" and below["n"] is None and below["value"] is None
    assert rows[("cdiscount", "action_confirmed", "")]["n"] == 0
    assert rows[("cdiscount", "reports_received", "")]["breakdown"] is None
    assert rows[("cdiscount", "family_share", "DEREF")]["k"] == 40
    for stored in edition.expected.values():
        row = rows[(stored.marketplace.slug, stored.indicator, stored.breakdown)]
        assert [row[name] for name in NUMBERS] == [getattr(stored, name) for name in NUMBERS]


def test_parquet_round_trip_is_typed_and_described(client, edition):
    response = client.get(url("edition_data", code="2026-T3", fmt="parquet"))
    assert response.status_code == 200
    assert 'filename="fairplace-barometre-2026-T3.parquet"' in response["Content-Disposition"]
    table = pq.read_table(io.BytesIO(response.content))
    schema = table.schema
    assert schema.names == list(opendata.COLUMN_NAMES)
    assert schema.field("n").type == pa.int64() and schema.field("value").type == pa.float64()
    assert schema.field("period_start").type == pa.date32()
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("status").type == pa.string()
    assert b"Effectif" in schema.field("n").metadata[b"description"]
    assert json.loads(schema.metadata[b"fairplace.edition"])["code"] == "2026-T3"
    rows = by_key(table.to_pylist())
    for stored in edition.expected.values():
        row = rows[(stored.marketplace.slug, stored.indicator, stored.breakdown)]
        assert [row[name] for name in NUMBERS] == [getattr(stored, name) for name in NUMBERS]
        assert row["period_end"] == date(2026, 9, 30)
        assert row["published_at"] == edition.published_at
    assert table.column("n").null_count == sum(1 for f in edition.expected.values() if f.n is None)


# --- Suppression -----------------------------------------------------------------------------


class Tables(HTMLParser):
    """The tables of an HTML page: caption, header cells, body rows (cell texts)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row, self._in = [], None, None, set()

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": []})
        elif tag in ("caption", "thead", "tbody"):
            self._in.add(tag)
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("caption", "thead", "tbody"):
            self._in.discard(tag)
        elif tag in ("th", "td") and self._row is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self.tables:
            self.tables[-1]["head" if "thead" in self._in else "rows"] += (
                self._row if "thead" in self._in else [self._row]
            )
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif "caption" in self._in and self.tables:
            self.tables[-1]["caption"] += data


def pdf_tables(edition) -> dict[str, list[dict]]:
    parser = Tables()
    parser.feed(pdf.render_html(edition))
    return {
        " ".join(table["caption"].split()): [
            dict(zip(table["head"], row, strict=True)) for row in table["rows"] if len(row) > 1
        ]  # not the "no figure" line
        for table in parser.tables
    }


def test_no_export_publishes_a_count_from_1_to_4(client, edition):
    wrong = planted(edition)  # stored against the rules: n = 3, k = 2, 3 cases awaiting
    csv_rows = read_csv(client.get(url("edition_data", code="2026-T3", fmt="csv")).content)
    json_rows = json.loads(client.get(url("edition_data", code="2026-T3", fmt="json")).content)["figures"]
    parquet_rows = pq.read_table(
        io.BytesIO(client.get(url("edition_data", code="2026-T3", fmt="parquet")).content)
    ).to_pylist()
    api_rows = client.get("/api/v1/editions/2026-T3/figures/?page_size=1000").json()["results"]
    for rows in (csv_rows, json_rows, parquet_rows, api_rows):
        assert len(rows) == len(edition.expected) + len(wrong)
        assert_no_small_counts(rows)
        found = by_key(rows)
        assert found[("manomano", "mediation_referrals", "")]["status"] == "below_5"
        numerator = found[("manomano", "answer_satisfactory", "")]
        assert numerator["status"] == "below_5" and numerator["value"] in (None, "")
        assert numerator["rank"] in (None, "") and numerator["n"] in (40, "40")
        assert found[("manomano", "time_to_answer", "")]["awaiting_status"] == "below_5"
    # The PDF's tables: no effective or result from 1 to 4 on any line.
    for caption, lines in pdf_tables(edition).items():
        for line in lines:
            for header in ("Effectif (n)", "Résultat"):
                assert line[header] not in {"1", "2", "3", "4"}, (caption, line)
    referrals = pdf_tables(edition)["Orientations vers la médiation — édition 2026-T3, par place de marché"]
    assert {line["Place de marché"]: line["Résultat"] for line in referrals}["ManoMano"] == "moins de 5"


def test_publishable_applies_the_rules_again():
    base = {
        "status": "ok",
        "n": 40,
        "k": 3,
        "value": 0.075,
        "ci_low": 0.02,
        "ci_high": 0.2,
        "p90": None,
        "rank": 2,
        "ranked_count": 3,
        "trend": "down",
        "awaiting": 4,
        "awaiting_status": "ok",
        "awaiting_overdue": 0,
        "awaiting_overdue_status": "none",
    }
    shown = opendata.publishable(base, 5)
    assert shown["status"] == "below_5" and shown["n"] == 40
    assert [shown[name] for name in ("k", "value", "ci_low", "ci_high", "rank", "ranked_count")] == [None] * 6
    assert shown["trend"] == "" and (shown["awaiting"], shown["awaiting_status"]) == (None, "below_5")
    assert (shown["awaiting_overdue"], shown["awaiting_overdue_status"]) == (0, "none")
    fine = opendata.publishable({**base, "k": 30, "value": 0.75, "awaiting": 9}, 5)
    assert (fine["status"], fine["k"], fine["rank"], fine["awaiting"]) == ("ok", 30, 2, 9)


# --- Editions that are not published ----------------------------------------------------------


@pytest.mark.parametrize("status", [Edition.Status.PREVIEW, Edition.Status.WITHDRAWN])
def test_unpublished_editions_are_404_everywhere(client, reference_data, status):
    hidden = make_edition("2026-T2", status=status)
    figure(hidden, "cdiscount", "reports_received", n=50, value=50.0)
    for path in (
        [url("edition_pdf", code="2026-T2")]
        + [url("edition_data", code="2026-T2", fmt=fmt) for fmt in opendata.FORMATS]
        + [
            url("edition_data", code="2099-T1", fmt="csv"),
            url("edition_pdf", code="2099-T1"),
            "/api/v1/editions/2026-T2/",
            "/api/v1/editions/2026-T2/figures/",
        ]
    ):
        assert client.get(path).status_code == 404, path
    assert "2026-T2" not in client.get(url("open_data")).content.decode()
    assert client.get("/api/v1/editions/").json()["count"] == 0
    with pytest.raises(ValueError):
        opendata.edition_rows(hidden)
    with pytest.raises(ValueError):
        pdf.build_pdf(hidden)


def test_other_formats_are_404(client, edition):
    for path in (
        url("edition_data", code="2026-T3", fmt="xlsx"),
        url("dictionary", fmt="html"),
        url("charter_data", fmt="xml"),
    ):
        assert client.get(path).status_code == 404, path


def test_downloads_are_cacheable_and_revalidate(client, edition):
    response = client.get(url("edition_data", code="2026-T3", fmt="csv"))
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    again = client.get(url("edition_data", code="2026-T3", fmt="csv"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    other = client.get(url("edition_data", code="2026-T3", fmt="json"))
    assert other["ETag"] != response["ETag"]
    assert client.post(url("edition_data", code="2026-T3", fmt="csv")).status_code == 405


# --- Dictionary ------------------------------------------------------------------------------


def test_dictionary_lists_every_column_of_the_csv_and_every_indicator(client, edition):
    header = read_csv(opendata.export(edition, "csv"))[0].keys()
    document = client.get(url("dictionary", fmt="json")).json()
    assert [column["name"] for column in document["columns"]] == list(header)
    assert all(column["description"] and column["description_en"] for column in document["columns"])
    status = next(column for column in document["columns"] if column["name"] == "status")
    assert status["allowed_values"] == ["ok", "none", "below_5", "insufficient", "unknown"]
    codes = [indicator["code"] for indicator in document["indicators"]]
    assert "answered_in_time" in codes and len(codes) == 11
    assert all(item["formula"] and item["unit"] for item in document["indicators"])

    response = client.get(url("dictionary", fmt="csv"))
    assert 'filename="fairplace-barometre-dictionnaire.csv"' in response["Content-Disposition"]
    rows = read_csv(response.content)
    assert [row["name"] for row in rows if row["section"] == "column"] == list(header)
    assert {row["name"] for row in rows if row["section"] == "indicator"} == set(codes)
    separator = next(row for row in rows if row["section"] == "format" and row["name"] == "csv")
    assert "point-virgule" in separator["description"] and "UTF-8" in separator["description"]


def test_open_data_page_lists_published_editions_their_files_and_the_dictionary(client, edition):
    make_edition("2026-T2", status=Edition.Status.PREVIEW)
    response = client.get(url("open_data"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-T3" in page and "2026-T2" not in page
    for fmt in opendata.FORMATS:
        assert url("edition_data", code="2026-T3", fmt=fmt) in page
    assert url("edition_pdf", code="2026-T3") in page and url("dictionary", fmt="csv") in page
    assert "<caption>" in page and 'scope="col"' in page
    for column in opendata.COLUMN_NAMES:
        assert f"<code>{column}</code>" in page
    english = client.get("/en" + url("open_data")).content.decode()
    assert "Unit of value" in english  # the English descriptions of the dictionary


# --- Charter registry ------------------------------------------------------------------------


def test_charter_registry_exports_commitments_and_signatures(client, reference_data):
    charter = Charter.objects.create(
        code="charte-2019",
        title="Charte des acteurs du e-commerce",
        adopted_on=date(2019, 3, 26),
        sources=[{"label": "Bercy", "url": "https://example.org/charte"}],
    )
    Commitment.objects.create(
        charter=charter,
        code="mediation",
        number=1,
        axis_number=1,
        axis_title="Médiation",
        text="Recourir à la médiation.",
        indicator_codes=["mediation_referrals"],
    )
    Signature.objects.create(
        charter=charter,
        marketplace=Marketplace.objects.get(slug="cdiscount"),
        signatory_name="Cdiscount",
        status="signed",
        date=date(2019, 3, 26),
    )
    Signature.objects.create(charter=charter, signatory_name="=HYPERLINK(1)", status="refused")

    document = client.get(url("charter_data", fmt="json")).json()
    [exported] = document["charters"]
    assert exported["code"] == "charte-2019" and exported["adopted_on"] == "2019-03-26"
    assert exported["commitments"][0]["indicator_codes"] == ["mediation_referrals"]
    signed = next(item for item in exported["signatures"] if item["status"] == "signed")
    assert signed["marketplace"] == "cdiscount" and signed["note"] is None

    response = client.get(url("charter_data", fmt="csv"))
    assert 'filename="fairplace-registre-des-chartes.csv"' in response["Content-Disposition"]
    rows = read_csv(response.content)
    assert sorted(row["record"] for row in rows) == ["commitment", "signature", "signature"]
    assert {row["signatory_name"] for row in rows if row["record"] == "signature"} == {"Cdiscount", "'=HYPERLINK(1)"}


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_html_words_every_status_as_the_pages_do(edition, personas):
    reply(edition, "cdiscount", "Nous contestons la méthode de calcul du délai.", personas["platform_a"])
    html = pdf.render_html(edition)
    tables = pdf_tables(edition)
    assert len(tables) == 11  # one table per indicator, each with its caption
    results = {
        (caption.split(" — ")[0], line["Place de marché"], line.get("Famille de problèmes", "")): line["Résultat"]
        for caption, lines in tables.items()
        for line in lines
    }
    assert results[("Orientations vers la médiation", "Cdiscount", "")] == "moins de 5"
    assert results[("Déréférencements motivés à temps", "Cdiscount", "")] == "moins de 5 cas sur 42"
    assert results[("Actions promises confirmées par le vendeur", "Cdiscount", "")] == "aucun cas"
    assert results[("Réponses jugées satisfaisantes par les vendeurs", "Cdiscount", "")] == (
        "échantillon insuffisant (n = 7)"
    )
    assert results[("Signalements pour 1 000 vendeurs", "ManoMano", "")] == "non disponible"
    assert results[("Réponses dans le délai", "Cdiscount", "")] == "75,0 %"  # (spaces normalised by the parser)
    answered = next(
        line
        for line in tables["Réponses dans le délai — édition 2026-T3, par place de marché"]
        if line["Place de marché"] == "Cdiscount"
    )
    assert answered["Rang"] == "1er ex aequo sur 2" and answered["Évolution"] == "en hausse"
    assert "Nous contestons la méthode de calcul du délai." in html
    assert "https://example.org/rapport-2025" in html  # the source of the number of sellers
    assert "à partir de 40 cas" in html  # thresholds of the edition's snapshot, not the settings


def test_pdf_is_built_on_first_download_then_served_from_storage(client, edition, monkeypatch):
    response = client.get(url("edition_pdf", code="2026-T3"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="fairplace-barometre-2026-T3.pdf"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    edition.refresh_from_db()
    assert edition.pdf.name.endswith("fairplace-barometre-2026-T3.pdf")
    with edition.pdf.open("rb") as stored:
        assert stored.read() == content

    def must_not_print(*args, **kwargs):
        raise AssertionError("printed twice")

    monkeypatch.setattr(pdf, "render_pdf", must_not_print)
    again = client.get(url("edition_pdf", code="2026-T3"))
    assert again.status_code == 200 and b"".join(again.streaming_content) == content


def test_pdf_has_pages_and_fetches_nothing():
    from weasyprint import HTML

    document = HTML(
        string="<p>Page 1</p><p style='break-before: page'>Page 2</p><img src='https://example.org/x.png' alt=''>",
        url_fetcher=pdf._fetcher(),
    ).render()
    assert len(document.pages) == 2
    for address in ("https://example.org/x.png", "http://example.org/x.png", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            pdf._fetcher()(address)


def test_two_processes_building_the_pdf_keep_one_file(edition, monkeypatch):
    monkeypatch.setattr(pdf, "render_pdf", lambda edition: b"%PDF-1.7 test")
    first, second = Edition.objects.get(pk=edition.pk), Edition.objects.get(pk=edition.pk)
    kept = pdf.build_pdf(first).name
    assert pdf.build_pdf(second).name == kept  # the second sees the first one's file and drops its own
    storage = first.pdf.storage
    folder = kept.rsplit("/", 1)[0]
    assert storage.listdir(folder)[1] == [kept.rsplit("/", 1)[1]]
    assert Edition.objects.get(pk=edition.pk).pdf.name == kept


def test_pdf_without_its_libraries_answers_a_french_page(client, edition, monkeypatch):
    def no_pango(edition):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "render_pdf", no_pango)
    response = client.get(url("edition_pdf", code="2026-T3"))
    assert response.status_code == 503 and response["Retry-After"] == "600"
    assert "PDF momentanément indisponible" in response.content.decode()
    edition.refresh_from_db()
    assert not edition.pdf  # nothing recorded: the next download tries again
