"""Open data of the fee observatory: every schedule version and every change, as CSV.

The schedules file has exactly the columns of the import file, so anyone can read it, and an
observatory can load it back (``importing``): one line per component, the schedule's own
columns repeated. Both files: ``;``, UTF-8 with BOM, decimal point (like the barometer's open
data), cells that a spreadsheet would take for a formula quoted.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from fairplace.core.spreadsheets import spreadsheet_safe

from .importing import BASE_WORDS, COLUMNS, KIND_WORDS, RELIABILITY_WORDS, TIER_MODE_WORDS
from .models import FeeChange, FeeComponent

CHANGE_COLUMNS = (
    "place_de_marche",
    "date_effet",
    "date_annonce",
    "preavis_jours",
    "grille_precedente_date_effet",
    "composante",
    "formule",
    "categorie_plateforme",
    "categorie_commune",
    "tranche",
    "grandeur",
    "nature",
    "ancienne_valeur",
    "nouvelle_valeur",
    "ecart",
    "variation_relative",
    "multiplicateur",
    "gravite",
    "remarque",
    "constatee_le",
)


_RATIO = Decimal("0.0001")
# A number ("-2", "0.35") is left as it is; only text is guarded against formula injection.
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _number(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _date(value) -> str:
    return value.isoformat() if value else ""


def schedule_rows() -> Iterator[list[str]]:
    components = FeeComponent.objects.select_related("schedule__marketplace", "category").order_by(
        "schedule__marketplace__slug",
        "schedule__effective_on",
        "kind",
        "plan",
        "category__position",
        "price_from",
        "id",
    )
    noted: set[int] = set()
    for component in components.iterator(chunk_size=2000):
        schedule = component.schedule
        first = schedule.pk not in noted
        noted.add(schedule.pk)
        values = {
            "place_de_marche": schedule.marketplace.slug,
            "date_effet": _date(schedule.effective_on),
            "date_annonce": _date(schedule.announced_on),
            "date_releve": _date(schedule.observed_on),
            "source_url": schedule.source_url,
            "source_document": schedule.source_document,
            "fiabilite": RELIABILITY_WORDS[schedule.reliability],
            "remarques_grille": schedule.notes if first else "",
            "composante": KIND_WORDS[component.kind],
            "formule": component.plan,
            "categorie_plateforme": component.platform_category,
            "categories_communes": component.category.code if component.category_id else "",
            "taux": _number(component.rate),
            "montant": _number(component.amount),
            "assiette": BASE_WORDS[component.base],
            "port_inclus": "oui" if component.includes_shipping else "non",
            "minimum": _number(component.min_per_item),
            "plafond": _number(component.max_per_item),
            "tranche_de": _number(component.price_from),
            "tranche_a": _number(component.price_to),
            "mode_tranche": TIER_MODE_WORDS.get(component.tier_mode, ""),
            "fiabilite_composante": RELIABILITY_WORDS.get(component.reliability, ""),
            "remarques": component.notes,
        }
        yield [values[column] for column in COLUMNS]


def change_rows() -> Iterator[list[str]]:
    changes = (
        FeeChange.objects.filter(withdrawn_at__isnull=True)
        .select_related("marketplace", "schedule", "previous", "category")
        .order_by("-schedule__effective_on", "marketplace__slug", "kind", "id")
    )
    for change in changes.iterator(chunk_size=2000):
        yield [
            change.marketplace.slug,
            _date(change.schedule.effective_on),
            _date(change.schedule.announced_on),
            "" if change.notice_days is None else str(change.notice_days),
            _date(change.previous.effective_on),
            KIND_WORDS[change.kind],
            change.plan,
            change.platform_category,
            change.category.code if change.category_id else "",
            change.band,
            change.measure,
            change.status,
            _number(change.old_value),
            _number(change.new_value),
            _number(change.abs_change),
            _number(change.rel_change.quantize(_RATIO)) if change.rel_change is not None else "",
            _number(change.multiplier.quantize(_RATIO)) if change.multiplier is not None else "",
            change.severity,
            change.note,
            change.recorded_at.date().isoformat(),
        ]


def csv_text(header: Iterable[str], rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([value if _NUMBER.fullmatch(value) else spreadsheet_safe(value) for value in row])
    return out.getvalue()


def schedules_csv() -> str:
    return csv_text(COLUMNS, schedule_rows())


def changes_csv() -> str:
    return csv_text(CHANGE_COLUMNS, change_rows())
