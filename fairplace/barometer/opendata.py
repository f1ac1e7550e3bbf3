"""Open data of the published editions: one row per edition figure, written as CSV, JSON and
Parquet, with a data dictionary; the charter registry as JSON and CSV.

Only published editions are exported. The figures were suppressed when the edition was frozen
(figures.py); ``publishable`` applies the same rules once more on the way out, so that a figure
stored against the rules (a count from 1 to 4, a value next to a hidden count) never leaves the
database: every export, the API and the PDF read their rows from here.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from fairplace.core.spreadsheets import spreadsheet_safe

from .indicators import all_indicators, registry
from .models import Edition, EditionFigure

Status = EditionFigure.Status
FORMATS = ("csv", "json", "parquet")
LICENCE = {
    "name": "Licence Ouverte / Open Licence 2.0 (Etalab)",
    "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}
THRESHOLD_KEYS = ("MIN_SAMPLE_RANK", "MIN_SAMPLE_PUBLISH", "SUPPRESS_BELOW", "PREVIEW_DAYS")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}
_STATUSES = [status.value for status in Status]
_TRENDS = ["up", "down", "stable"]


def _unit(indicator) -> str:
    """The unit of ``value``: rates are proportions (0–1) in the files, whatever the pages show."""
    if indicator is None:
        return ""
    return "proportion" if indicator.is_rate else indicator.unit


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, number, date, datetime
    description: str
    description_en: str
    allowed: tuple[str, ...] = ()


COLUMNS = (
    Column(
        "edition",
        "string",
        "Code de l'édition (trimestre couvert), par exemple 2026-T3.",
        "Edition code (quarter covered), e.g. 2026-T3.",
    ),
    Column("period_start", "date", "Premier jour du trimestre (AAAA-MM-JJ).", "First day of the quarter (YYYY-MM-DD)."),
    Column("period_end", "date", "Dernier jour du trimestre (AAAA-MM-JJ).", "Last day of the quarter (YYYY-MM-DD)."),
    Column(
        "published_at",
        "datetime",
        "Date et heure de publication de l'édition (ISO 8601, avec le décalage horaire).",
        "Date and time the edition was published (ISO 8601, with UTC offset).",
    ),
    Column("marketplace", "string", "Identifiant de la place de marché.", "Marketplace identifier."),
    Column("marketplace_name", "string", "Nom de la place de marché.", "Marketplace name."),
    Column(
        "indicator",
        "string",
        "Code de l'indicateur (voir le registre des indicateurs ci-dessous).",
        "Indicator code (see the indicator registry below).",
        tuple(registry()),
    ),
    Column("indicator_label", "string", "Intitulé de l'indicateur, en français.", "Indicator label, in French."),
    Column(
        "breakdown",
        "string",
        "Famille de problèmes (indicateur family_share, par exemple DEREF) ; vide pour les autres indicateurs.",
        "Problem family (family_share indicator, e.g. DEREF); empty for the other indicators.",
    ),
    Column(
        "status",
        "string",
        "Statut de publication : ok (publié), none (aucun cas), below_5 (de 1 à 4 cas : « moins de 5 », "
        "l'effectif n'est pas publié), insufficient (échantillon insuffisant : n est publié, pas la valeur), "
        "unknown (donnée non disponible, par exemple nombre de vendeurs inconnu).",
        'Publication status: ok (published), none (no case), below_5 (1 to 4 cases: "fewer than 5", the count '
        "is not published), insufficient (sample too small: n is published, not the value), unknown (not "
        "available, e.g. unknown number of sellers).",
        tuple(_STATUSES),
    ),
    Column(
        "n",
        "integer",
        "Effectif : nombre de signalements (comptage), dénominateur d'un taux, nombre de réponses (délai). "
        "Vide lorsqu'il n'est pas publiable (de 1 à 4) ou sans objet.",
        "Count: number of reports (counts), denominator of a rate, number of answers (times). Empty when not "
        "publishable (1 to 4) or not applicable.",
    ),
    Column(
        "k",
        "integer",
        "Numérateur d'un taux. Vide lorsqu'il n'est pas publiable (de 1 à 4) ou sans objet.",
        "Numerator of a rate. Empty when not publishable (1 to 4) or not applicable.",
    ),
    Column(
        "value",
        "number",
        "Valeur : proportion entre 0 et 1 pour un taux (0.42 = 42 %), médiane en jours pour un délai, nombre de "
        "signalements pour un comptage, signalements pour 1 000 vendeurs. Vide lorsqu'elle n'est pas publiée.",
        "Value: proportion between 0 and 1 for a rate (0.42 = 42%), median in days for a time, number of reports "
        "for a count, reports per 1,000 sellers. Empty when not published.",
    ),
    Column(
        "ci_low",
        "number",
        "Borne basse de l'intervalle de confiance à 95 % (Wilson pour un taux, intervalle "
        "de la médiane pour un délai), dans l'unité de value.",
        "Lower bound of the 95% confidence interval (Wilson for a rate, interval of the median for a time), in "
        "the unit of value.",
    ),
    Column(
        "ci_high",
        "number",
        "Borne haute de l'intervalle de confiance à 95 %, dans l'unité de value.",
        "Upper bound of the 95% confidence interval, in the unit of value.",
    ),
    Column(
        "p90",
        "number",
        "90e centile du délai, en jours (indicateur time_to_answer).",
        "90th percentile of the time, in days (time_to_answer indicator).",
    ),
    Column(
        "rank",
        "integer",
        "Rang parmi les places de marché classées : seules les différences que les intervalles confirment "
        "comptent, les ex aequo ont le même rang. Vide lorsque la place de marché n'est pas classée.",
        "Rank among the ranked marketplaces: only differences the intervals support count, ties share a rank. "
        "Empty when the marketplace is not ranked.",
    ),
    Column(
        "ranked_count",
        "integer",
        "Nombre de places de marché classées sur cet indicateur.",
        "Number of marketplaces ranked on this indicator.",
    ),
    Column(
        "trend",
        "string",
        "Évolution par rapport à l'édition publiée précédente (up : hausse, down : baisse, "
        "stable : intervalles qui se recouvrent) ; vide si elle n'est pas mesurable.",
        "Change since the previous published edition (up, down, stable: overlapping intervals); empty when it "
        "cannot be measured.",
        tuple(_TRENDS),
    ),
    Column(
        "awaiting",
        "integer",
        "Délai de réponse : signalements transmis encore sans réponse (comptés à part, "
        "jamais dans les délais). Vide lorsqu'il n'est pas publiable ou sans objet.",
        "Time to answer: forwarded reports still awaiting an answer (counted apart, never in the times). Empty "
        "when not publishable or not applicable.",
    ),
    Column(
        "awaiting_status",
        "string",
        "Statut de publication de awaiting.",
        "Publication status of awaiting.",
        tuple(_STATUSES),
    ),
    Column(
        "awaiting_overdue",
        "integer",
        "Parmi eux, signalements dont le délai de réponse est dépassé.",
        "Of these, reports whose answer deadline has passed.",
    ),
    Column(
        "awaiting_overdue_status",
        "string",
        "Statut de publication de awaiting_overdue.",
        "Publication status of awaiting_overdue.",
        tuple(_STATUSES),
    ),
    Column(
        "sellers",
        "integer",
        "Nombre de vendeurs de la place de marché utilisé pour le taux pour 1 000 vendeurs.",
        "Number of sellers of the marketplace used for the rate per 1,000 sellers.",
    ),
    Column("sellers_year", "integer", "Année du nombre de vendeurs.", "Year of the number of sellers."),
    Column("sellers_source", "string", "Source du nombre de vendeurs.", "Source of the number of sellers."),
    Column(
        "sellers_source_url",
        "string",
        "Adresse de la source du nombre de vendeurs.",
        "Address of the source of the number of sellers.",
    ),
    Column(
        "unit",
        "string",
        "Unité de value : proportion (taux entre 0 et 1), jours, signalements, pour 1 000 vendeurs.",
        "Unit of value: proportion (rate between 0 and 1), days, reports, per 1,000 sellers.",
        tuple(dict.fromkeys(_unit(indicator) for indicator in all_indicators())),
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
FORMAT_NOTES = (
    (
        "csv",
        "Fichier CSV encodé en UTF-8 avec BOM, séparateur point-virgule (;), point comme séparateur décimal "
        "(0.42), une ligne d'en-tête ; une valeur absente est une cellule vide, jamais 0.",
        "CSV file, UTF-8 with BOM, semicolon (;) separator, dot as decimal separator (0.42), one header line; a "
        "missing value is an empty cell, never 0.",
    ),
    (
        "json",
        'JSON : {"edition": métadonnées et seuils appliqués, "dictionary_url", "figures": une entrée par '
        "ligne} ; une valeur absente vaut null.",
        'JSON: {"edition": metadata and thresholds applied, "dictionary_url", "figures": one object per row}; a '
        "missing value is null.",
    ),
    (
        "parquet",
        "Parquet : colonnes typées (entiers et décimaux nullables, dates), description de chaque colonne "
        "dans les métadonnées du champ.",
        "Parquet: typed columns (nullable integers and floats, dates), each column's description in the field "
        "metadata.",
    ),
    ("licence", f"{LICENCE['name']} — {LICENCE['url']}", f"{LICENCE['name']} — {LICENCE['url']}"),
)


# --- Editions ----------------------------------------------------------------------------


def published_editions():
    return Edition.objects.filter(status=Edition.Status.PUBLISHED).order_by("-period_start")


def published_edition(code: str) -> Edition | None:
    """The published edition ``code``, or None (preview, withdrawn and unknown alike)."""
    return published_editions().filter(code=code).first()


def thresholds(edition: Edition) -> dict[str, int]:
    """The publication rules the edition was frozen with (current settings for any missing)."""
    snapshot = edition.settings_snapshot or {}
    return {key: snapshot.get(key, settings.FAIRPLACE_BAROMETER.get(key)) for key in THRESHOLD_KEYS}


def export_filename(code: str, ext: str) -> str:
    return f"fairplace-barometre-{code}.{ext}"


def public_url(name: str, **kwargs) -> str:
    """An absolute public URL, always the French one (files do not depend on the reader)."""
    with translation.override("fr"):
        return settings.FAIRPLACE_PUBLIC_URL.rstrip("/") + reverse(name, kwargs=kwargs)


def edition_metadata(edition: Edition) -> dict:
    return {
        "code": edition.code,
        "period_start": edition.period_start.isoformat(),
        "period_end": edition.period_end.isoformat(),
        "publication_date": edition.publication_date.isoformat(),
        "published_at": _iso(edition.published_at),
        "methodology_version": edition.methodology_version,
        "thresholds": thresholds(edition),
        "licence": LICENCE,
        "producer": "Fairplace — baromètre des places de marché (DGE, Médiateur des entreprises)",
    }


# --- Rows --------------------------------------------------------------------------------


def edition_rows(edition: Edition, *, marketplace: str | None = None, indicator: str | None = None) -> list[dict]:
    """One publishable row per figure of a PUBLISHED edition (``COLUMN_NAMES``, Python-typed:
    dates, datetimes, ints, floats, strings; None where nothing is published)."""
    if edition.status != Edition.Status.PUBLISHED:
        raise ValueError(f"Edition {edition.code} is not published.")
    figures = edition.figures.select_related("marketplace")
    if marketplace:
        figures = figures.filter(marketplace__slug=marketplace)
    if indicator:
        figures = figures.filter(indicator=indicator)
    return figure_rows(edition, figures)


def figure_rows(edition: Edition, figures) -> list[dict]:
    """Rows for ``figures`` of ``edition``, in registry order per marketplace (no status check:
    callers showing a preview to its platform use this; public callers use ``edition_rows``)."""
    order = {code: position for position, code in enumerate(registry())}
    suppress_below = thresholds(edition)["SUPPRESS_BELOW"]
    rows = [_row(edition, figure, suppress_below) for figure in figures]
    rows.sort(
        key=lambda row: (
            row["marketplace_name"].casefold(),
            row["marketplace"],
            order.get(row["indicator"], len(order)),
            row["breakdown"] or "",
        )
    )
    return rows


def publishable(figure: dict, suppress_below: int) -> dict:
    """The figure's numbers once the publication rules are applied again: nothing from 1 to
    ``suppress_below`` - 1 cases, nothing derived from a hidden or null count."""
    figure = dict(figure)

    def hidden(count):
        return count is not None and 0 < count < suppress_below

    status = figure["status"]
    count_hidden = hidden(figure["n"]) or hidden(figure["k"])
    if hidden(figure["n"]):
        figure["n"] = None
    if hidden(figure["k"]) or status == Status.BELOW_5:
        figure["k"] = None
    if count_hidden and status in (Status.OK, Status.NONE):
        status = figure["status"] = Status.BELOW_5
    if status in (Status.BELOW_5, Status.INSUFFICIENT, Status.UNKNOWN):
        figure.update(value=None, ci_low=None, ci_high=None, p90=None)
    if status != Status.OK or figure["value"] is None:
        figure.update(rank=None, ranked_count=None, trend="")
    if figure["rank"] is None:
        figure["ranked_count"] = None
    for name in ("awaiting", "awaiting_overdue"):
        if hidden(figure[name]):
            figure[name], figure[f"{name}_status"] = None, Status.BELOW_5
    return figure


def _row(edition: Edition, figure: EditionFigure, suppress_below: int) -> dict:
    indicator = registry().get(figure.indicator)
    extra = figure.extra or {}
    distribution = indicator is not None and indicator.kind == "distribution"
    per_thousand = indicator is not None and indicator.kind == "per_thousand"
    numbers = publishable(
        {
            "status": figure.status,
            "n": figure.n,
            "k": figure.k,
            "value": figure.value,
            "ci_low": figure.ci_low,
            "ci_high": figure.ci_high,
            "p90": figure.p90,
            "rank": figure.rank,
            "ranked_count": figure.ranked_count,
            "trend": figure.trend,
            "awaiting": _int(extra.get("awaiting")) if distribution else None,
            "awaiting_status": extra.get("awaiting_status") if distribution else None,
            "awaiting_overdue": _int(extra.get("awaiting_overdue")) if distribution else None,
            "awaiting_overdue_status": extra.get("awaiting_overdue_status") if distribution else None,
        },
        suppress_below,
    )
    return {
        "edition": edition.code,
        "period_start": edition.period_start,
        "period_end": edition.period_end,
        "published_at": edition.published_at,
        "marketplace": figure.marketplace.slug,
        "marketplace_name": figure.marketplace.name,
        "indicator": figure.indicator,
        "indicator_label": indicator.label if indicator else figure.indicator,
        "breakdown": figure.breakdown or None,
        "status": numbers["status"],
        "n": numbers["n"],
        "k": numbers["k"],
        "value": numbers["value"],
        "ci_low": numbers["ci_low"],
        "ci_high": numbers["ci_high"],
        "p90": numbers["p90"],
        "rank": numbers["rank"],
        "ranked_count": numbers["ranked_count"],
        "trend": numbers["trend"] or None,
        "awaiting": numbers["awaiting"],
        "awaiting_status": numbers["awaiting_status"] or None,
        "awaiting_overdue": numbers["awaiting_overdue"],
        "awaiting_overdue_status": numbers["awaiting_overdue_status"] or None,
        "sellers": _int(extra.get("sellers")) if per_thousand else None,
        "sellers_year": _int(extra.get("year")) if per_thousand else None,
        "sellers_source": (extra.get("source") or None) if per_thousand else None,
        "sellers_source_url": (extra.get("source_url") or None) if per_thousand else None,
        "unit": _unit(indicator),
    }


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# --- Writers -----------------------------------------------------------------------------


def to_csv(rows: list[dict], columns=COLUMN_NAMES) -> bytes:
    """UTF-8 with a BOM (French spreadsheets), ";" between fields, a dot before decimals,
    an empty cell for None."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        value = " | ".join(str(item) for item in value)
    return spreadsheet_safe(value)


def json_rows(rows: list[dict]) -> list[dict]:
    return [{name: _iso(row[name]) for name in COLUMN_NAMES} for row in rows]


def to_json(edition: Edition, rows: list[dict]) -> bytes:
    document = {
        "edition": edition_metadata(edition),
        "dictionary_url": public_url("barometer:dictionary", fmt="json"),
        "columns": list(COLUMN_NAMES),
        "figures": json_rows(rows),
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def parquet_schema(edition: Edition | None = None):
    import pyarrow as pa

    types = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }
    fields = [
        pa.field(
            column.name,
            types[column.type],
            nullable=True,
            metadata={"description": column.description, "description_en": column.description_en},
        )
        for column in COLUMNS
    ]
    metadata = {"fairplace.licence": json.dumps(LICENCE)}
    if edition is not None:
        metadata["fairplace.edition"] = json.dumps(edition_metadata(edition), ensure_ascii=False)
    return pa.schema(fields, metadata=metadata)


def to_parquet(edition: Edition, rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(edition)
    data = {}
    for column in COLUMNS:
        values = [row[column.name] for row in rows]
        if column.type == "datetime":
            values = [value.astimezone(UTC) if value else None for value in values]
        data[column.name] = values
    table = pa.Table.from_pydict(data, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def export(edition: Edition, fmt: str) -> bytes:
    """The edition's open data in ``fmt`` (csv, json, parquet); the edition must be published."""
    rows = edition_rows(edition)
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(edition, rows)
    if fmt == "parquet":
        return to_parquet(edition, rows)
    raise ValueError(f"Unknown format {fmt!r}")


# --- Data dictionary ---------------------------------------------------------------------

DICTIONARY_FIELDS = (
    "section",
    "name",
    "type",
    "description",
    "description_en",
    "allowed_values",
    "label",
    "label_en",
    "kind",
    "unit",
    "unit_en",
    "formula",
    "higher_is_better",
)


def dictionary() -> dict:
    """The columns of the edition files, the indicator registry and the format notes."""
    return {
        "columns": [
            {
                "name": column.name,
                "type": column.type,
                "description": column.description,
                "description_en": column.description_en,
                "allowed_values": list(column.allowed),
            }
            for column in COLUMNS
        ],
        "indicators": [
            {
                "code": indicator.code,
                "label": indicator.label,
                "label_en": indicator.label_en,
                "definition": indicator.definition,
                "definition_en": indicator.definition_en,
                "formula": indicator.formula,
                "kind": indicator.kind,
                "unit": indicator.unit,
                "unit_en": indicator.unit_en,
                "higher_is_better": indicator.higher_is_better,
                "basis": indicator.basis,
            }
            for indicator in all_indicators()
        ],
        "format": [{"name": name, "description": fr, "description_en": en} for name, fr, en in FORMAT_NOTES],
        "licence": LICENCE,
    }


def dictionary_json() -> bytes:
    return json.dumps(dictionary(), ensure_ascii=False, indent=1).encode("utf-8")


def dictionary_csv() -> bytes:
    """One table: a ``section`` column says whether a line is a column of the edition files,
    an indicator of the registry or a note on the formats."""
    content = dictionary()
    rows = [
        {"section": "column", **column, "allowed_values": list(column["allowed_values"])}
        for column in content["columns"]
    ]
    rows += [
        {
            "section": "indicator",
            "name": item["code"],
            "type": "",
            "description": item["definition"],
            "description_en": item["definition_en"],
            "label": item["label"],
            "label_en": item["label_en"],
            "kind": item["kind"],
            "unit": item["unit"],
            "unit_en": item["unit_en"],
            "formula": item["formula"],
            "higher_is_better": item["higher_is_better"],
        }
        for item in content["indicators"]
    ]
    rows += [{"section": "format", **note} for note in content["format"]]
    return to_csv(rows, DICTIONARY_FIELDS)


# --- Charter registry --------------------------------------------------------------------

CHARTER_CSV_FIELDS = (
    "charter",
    "charter_title",
    "adopted_on",
    "previous",
    "record",
    "number",
    "axis_number",
    "axis_title",
    "code",
    "text",
    "indicator_codes",
    "signatory_name",
    "marketplace",
    "status",
    "date",
    "note",
    "sources",
)


def charter_registry() -> list[dict]:
    """The charters, their commitments and who signed, refused or withdrew (public registry)."""
    from .charters import charter_list

    return [_charter(charter) for charter in charter_list()]


def _charter(charter) -> dict:
    return {
        "code": charter.code,
        "title": charter.title,
        "title_en": charter.title_en or None,
        "adopted_on": charter.adopted_on.isoformat(),
        "previous": charter.previous.code if charter.previous_id and charter.previous else None,
        "summary": charter.summary or None,
        "summary_en": charter.summary_en or None,
        "sources": list(charter.sources or []),
        "commitments": [
            {
                "code": commitment.code,
                "number": commitment.number,
                "axis_number": commitment.axis_number,
                "axis_title": commitment.axis_title or None,
                "axis_title_en": commitment.axis_title_en or None,
                "text": commitment.text,
                "text_en": commitment.text_en or None,
                "indicator_codes": list(commitment.indicator_codes or []),
                "sources": list(commitment.sources or []),
            }
            for commitment in charter.commitments.all()
        ],
        "signatures": [
            {
                "signatory_name": signature.signatory_name,
                "marketplace": signature.marketplace.slug
                if signature.marketplace_id and signature.marketplace
                else None,
                "status": signature.status,
                "date": signature.date.isoformat() if signature.date else None,
                "note": signature.note or None,
                "sources": list(signature.sources or []),
            }
            for signature in charter.signatures.all()
        ],
    }


def charter_registry_json() -> bytes:
    document = {"licence": LICENCE, "charters": charter_registry()}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def charter_registry_csv() -> bytes:
    """One line per commitment and per signature (``record``), the charter repeated on each."""
    rows = []
    for charter in charter_registry():
        base = {
            "charter": charter["code"],
            "charter_title": charter["title"],
            "adopted_on": charter["adopted_on"],
            "previous": charter["previous"],
        }
        for commitment in charter["commitments"]:
            rows.append(
                {
                    **base,
                    "record": "commitment",
                    "number": commitment["number"],
                    "axis_number": commitment["axis_number"],
                    "axis_title": commitment["axis_title"],
                    "code": commitment["code"],
                    "text": commitment["text"],
                    "indicator_codes": commitment["indicator_codes"],
                    "sources": _source_urls(commitment["sources"]),
                }
            )
        for signature in charter["signatures"]:
            rows.append(
                {
                    **base,
                    "record": "signature",
                    "signatory_name": signature["signatory_name"],
                    "marketplace": signature["marketplace"],
                    "status": signature["status"],
                    "date": signature["date"],
                    "note": signature["note"],
                    "sources": _source_urls(signature["sources"]),
                }
            )
    return to_csv(rows, CHARTER_CSV_FIELDS)


def _source_urls(sources) -> list[str]:
    return [
        source.get("url") or source.get("label", "") if isinstance(source, dict) else str(source) for source in sources
    ]
