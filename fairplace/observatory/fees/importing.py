"""Import of fee schedules from a spreadsheet: CSV (``;`` or ``,``, UTF-8 with or without BOM)
or XLSX (first sheet).

One line per component; the lines of one schedule share its marketplace and effective date,
and repeat its own columns (dates, source, reliability). Parsing and validation
(``parse_file``) write nothing and report *every* error with its spreadsheet line (the header
is line 1) and column. ``import_schedules`` then writes all the schedules in one transaction
through ``schedules.record_schedule``, or nothing at all; each attempt is kept as a
``FeeImport`` with its errors.
"""

import csv
import io
import logging
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from fairplace.platforms.models import Marketplace

from .models import Base, ComponentKind, FeeCategory, FeeImport, FeeSchedule, Reliability, TierMode
from .schedules import (
    KINDS_BY_CATEGORY,
    ScheduleError,
    component_problems,
    components_problems,
    existing_message,
    record_schedule,
    schedule_problems,
)
from .spreadsheets import FileProblem, read_bytes, read_table

logger = logging.getLogger(__name__)

# Every column, in the order of the template file.
COLUMNS = (
    "place_de_marche",
    "date_effet",
    "date_annonce",
    "date_releve",
    "source_url",
    "source_document",
    "fiabilite",
    "remarques_grille",
    "composante",
    "formule",
    "categorie_plateforme",
    "categories_communes",
    "taux",
    "montant",
    "assiette",
    "port_inclus",
    "minimum",
    "plafond",
    "tranche_de",
    "tranche_a",
    "mode_tranche",
    "fiabilite_composante",
    "remarques",
)
OPTIONAL_COLUMNS = frozenset(
    {"date_annonce", "source_document", "fiabilite_composante", "remarques", "remarques_grille"}
)
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if column not in OPTIONAL_COLUMNS)
# Columns of the schedule itself: every line of a schedule gives the same value.
SCHEDULE_COLUMNS = ("date_annonce", "date_releve", "source_url", "source_document", "fiabilite")

KINDS = {
    "abonnement": ComponentKind.SUBSCRIPTION,
    "commission": ComponentKind.COMMISSION,
    "frais_fixes": ComponentKind.PER_ITEM,
    "paiement": ComponentKind.PAYMENT,
    "logistique": ComponentKind.FULFILMENT,
    "autres_frais": ComponentKind.OTHER_RATE,
}
KIND_WORDS = {kind: word for word, kind in KINDS.items()}
RELIABILITIES = {
    "primaire": Reliability.PRIMARY,
    "secondaire": Reliability.SECONDARY,
    "a_verifier": Reliability.TO_VERIFY,
}
RELIABILITY_WORDS = {value: word for word, value in RELIABILITIES.items()}
BASES = {"ttc": Base.PRICE_INCL_VAT, "ht": Base.PRICE_EXCL_VAT}
BASE_WORDS = {value: word for word, value in BASES.items()}
YES_NO = {"oui": True, "non": False}
TIER_MODES = {"prix": TierMode.BAND, "marginal": TierMode.MARGINAL}
TIER_MODE_WORDS = {value: word for word, value in TIER_MODES.items()}

# Model field → column, to place the errors of the shared rules (schedules.py).
FIELD_COLUMNS = {
    "kind": "composante",
    "plan": "formule",
    "platform_category": "categorie_plateforme",
    "category": "categories_communes",
    "rate": "taux",
    "amount": "montant",
    "base": "assiette",
    "includes_shipping": "port_inclus",
    "min_per_item": "minimum",
    "max_per_item": "plafond",
    "price_from": "tranche_de",
    "price_to": "tranche_a",
    "tier_mode": "mode_tranche",
    "reliability": "fiabilite_composante",
    "notes": "remarques",
    "effective_on": "date_effet",
    "observed_on": "date_releve",
    "source_url": "source_url",
    "source_document": "source_document",
    "": "",
}


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"ligne": self.line, "colonne": self.column, "message": self.message}


@dataclass
class ScheduleDraft:
    """One schedule of the file, ready for ``record_schedule``."""

    marketplace: Marketplace
    effective_on: date
    announced_on: date | None
    observed_on: date
    source_url: str
    source_document: str
    reliability: str
    notes: str
    first_line: int
    components: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line of each component


@dataclass
class ParsedFile:
    schedules: list[ScheduleDraft]
    errors: list[LineError]
    rows: int = 0
    skipped: list[ScheduleDraft] = field(default_factory=list)


@dataclass
class ImportResult:
    succeeded: bool
    errors: list[dict]
    schedules: list[FeeSchedule]
    skipped: list[ScheduleDraft]
    record: FeeImport | None
    rows: int = 0


def _header_columns(header: list[str]) -> list[str]:
    """The column names, or FileProblem listing what is wrong with them."""
    names = [unicodedata.normalize("NFC", cell.strip().lstrip("\ufeff")).lower() for cell in header]
    while names and not names[-1]:
        names.pop()
    problems = []
    blanks = [str(i + 1) for i, name in enumerate(names) if not name]
    unknown = [name for name in names if name and name not in COLUMNS]
    duplicates = sorted({name for name in names if name and names.count(name) > 1})
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if unknown:
        problems.append(_("colonnes inconnues : %(list)s") % {"list": ", ".join(unknown)})
    if missing:
        problems.append(_("colonnes manquantes : %(list)s") % {"list": ", ".join(missing)})
    if duplicates:
        problems.append(_("colonnes en double : %(list)s") % {"list": ", ".join(duplicates)})
    if blanks:
        problems.append(_("colonnes sans nom (n° %(list)s)") % {"list": ", ".join(blanks)})
    if problems:
        raise FileProblem(
            _("En-tête incorrect : %(problems)s. Colonnes attendues : %(columns)s.")
            % {"problems": " ; ".join(problems), "columns": ", ".join(COLUMNS)}
        )
    return names


# --- Values -----------------------------------------------------------------------------------


def _word(text: str) -> str:
    """ "À vérifier" → "a_verifier"."""
    plain = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return "_".join(plain.replace("-", " ").split())


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class _Row:
    """One data line being checked; collects its errors."""

    def __init__(self, line: int, values: dict[str, str], errors: list[LineError]):
        self.line, self.values, self._errors = line, values, errors
        self.refused: set[str] = set()  # the columns with an error

    @property
    def ok(self) -> bool:
        return not self.refused

    def error(self, column: str, message: str) -> None:
        self.refused.add(column)
        self._errors.append(LineError(self.line, column, message))

    def text(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def date(self, column: str, *, required: bool) -> date | None:
        text = self.text(column)
        if not text:
            if required:
                self.error(column, _("date manquante"))
            return None
        value = _parse_date(text)
        if value is None:
            self.error(column, _("date invalide : « %(text)s » (JJ/MM/AAAA ou AAAA-MM-JJ)") % {"text": text})
        return value

    def number(self, column: str, *, places: int, digits: int, maximum: Decimal | None = None) -> Decimal | None:
        """A decimal ≥ 0 with at most ``places`` decimals and ``digits`` digits in all."""
        text = self.text(column)
        if not text:
            return None
        cleaned = text.removesuffix("%").removesuffix("€").strip()
        for space in (" ", "\u00a0", "\u202f"):
            cleaned = cleaned.replace(space, "")
        if "," in cleaned and "." in cleaned:
            self.error(column, _("nombre invalide : « %(text)s »") % {"text": text})
            return None
        try:
            value = Decimal(cleaned.replace(",", "."))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.error(column, _("nombre invalide : « %(text)s »") % {"text": text})
            return None
        if value < 0:
            self.error(column, _("nombre négatif : %(text)s") % {"text": text})
            return None
        if maximum is not None and value > maximum:
            self.error(column, _("%(text)s est supérieur à %(max)s") % {"text": text, "max": maximum})
            return None
        if value != value.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN"):
            self.error(column, _("%(n)s décimales au plus : %(text)s") % {"n": places, "text": text})
            return None
        if value >= Decimal(10) ** (digits - places):
            self.error(column, _("nombre trop grand : %(text)s") % {"text": text})
            return None
        return value

    def choice(self, column: str, choices: dict, *, default=None, required=True):
        text = self.text(column)
        if not text:
            if default is None and required:
                self.error(column, _("valeur manquante (%(choices)s)") % {"choices": " | ".join(choices)})
            return default
        value = choices.get(_word(text))
        if value is None:
            self.error(
                column,
                _("valeur inconnue : « %(text)s » (%(choices)s)") % {"text": text, "choices": " | ".join(choices)},
            )
        return value


@dataclass
class _Reference:
    """What the file's values are checked against, read once."""

    marketplaces: dict[str, Marketplace]
    categories: dict[str, FeeCategory]

    @classmethod
    def load(cls) -> "_Reference":
        marketplaces = {}
        for marketplace in Marketplace.objects.all():
            marketplaces.setdefault(marketplace.name.strip().casefold(), marketplace)
        for marketplace in Marketplace.objects.all():  # a slug wins over a name
            marketplaces[marketplace.slug.casefold()] = marketplace
        return cls(marketplaces, {category.code: category for category in FeeCategory.objects.all()})


@dataclass
class _ParsedLine:
    line: int
    marketplace: Marketplace | None
    effective_on: date | None
    schedule_values: dict  # the schedule's own columns, as read
    notes: str
    components: list[dict]
    ok: bool


def _parse_line(line: int, values: dict[str, str], ref: _Reference, errors: list[LineError]) -> _ParsedLine:
    row = _Row(line, values, errors)

    marketplace = None
    name = row.text("place_de_marche")
    if not name:
        row.error("place_de_marche", _("place de marché manquante"))
    else:
        marketplace = ref.marketplaces.get(name.casefold())
        if marketplace is None:
            row.error("place_de_marche", _("place de marché inconnue : « %(name)s »") % {"name": name})
    effective_on = row.date("date_effet", required=True)
    announced_on = row.date("date_annonce", required=False)
    observed_on = row.date("date_releve", required=True)
    reliability = row.choice("fiabilite", RELIABILITIES)
    source_url, source_document = row.text("source_url"), row.text("source_document")
    for problem in schedule_problems(
        effective_on=effective_on or date.min,
        observed_on=observed_on or date.min,
        source_url=source_url,
        source_document=source_document,
        reliability=reliability or Reliability.PRIMARY,
    ):
        row.error(FIELD_COLUMNS[problem.field], problem.message)

    kind = row.choice("composante", KINDS)
    rate = row.number("taux", places=3, digits=6, maximum=Decimal(100))
    amount = row.number("montant", places=2, digits=10)
    component = {
        "kind": kind or "",
        "plan": row.text("formule"),
        "platform_category": row.text("categorie_plateforme"),
        "category": None,
        "rate": rate,
        "amount": amount,
        "base": row.choice("assiette", BASES, default=Base.PRICE_INCL_VAT),
        "includes_shipping": row.choice("port_inclus", YES_NO, default=True),
        "min_per_item": row.number("minimum", places=2, digits=8),
        "max_per_item": row.number("plafond", places=2, digits=8),
        "price_from": row.number("tranche_de", places=2, digits=10),
        "price_to": row.number("tranche_a", places=2, digits=10),
        "tier_mode": row.choice("mode_tranche", TIER_MODES, required=False) or "",
        "reliability": row.choice("fiabilite_composante", RELIABILITIES, required=False) or "",
        "notes": row.text("remarques"),
    }

    categories: list[FeeCategory | None] = [None]
    codes_text = row.text("categories_communes")
    if codes_text:
        codes = [code.strip().lower() for code in codes_text.split("|") if code.strip()]
        if kind and kind not in KINDS_BY_CATEGORY:
            row.error(
                "categories_communes",
                _(
                    "à laisser vide pour ce type de frais (catégories seulement pour "
                    "commission, frais_fixes et logistique)"
                ),
            )
        found, repeated = [], []
        for code in codes:
            if code in ref.categories:
                if ref.categories[code] in found:
                    repeated.append(code)
                else:
                    found.append(ref.categories[code])
            else:
                row.error("categories_communes", _("code inconnu : %(code)s") % {"code": code})
        if repeated:
            row.error("categories_communes", _("code répété : %(codes)s") % {"codes": ", ".join(repeated)})
        if found:
            categories = found

    if kind:
        # A column whose value was already refused while reading is not reported twice.
        refused = set(row.refused)
        for field_name, message in component_problems(component):
            column = FIELD_COLUMNS[field_name]
            if column not in refused:
                row.error(column, message)

    return _ParsedLine(
        line=line,
        marketplace=marketplace,
        effective_on=effective_on,
        schedule_values={
            "date_annonce": announced_on,
            "date_releve": observed_on,
            "source_url": source_url,
            "source_document": source_document,
            "fiabilite": reliability,
        },
        notes=row.text("remarques_grille"),
        components=[{**component, "category": category} for category in categories],
        ok=row.ok,
    )


def parse_file(file, *, filename: str, skip_existing: bool = False) -> ParsedFile:
    """Read and check a whole file; writes nothing. With ``skip_existing``, schedules already in
    the database are left aside (``skipped``) instead of being errors."""
    try:
        data = read_bytes(file)
        header, body = read_table(data, filename)
        columns = _header_columns(header)
    except FileProblem as problem:
        return ParsedFile([], [LineError(1, "", problem.message)])

    errors: list[LineError] = []
    ref = _Reference.load()
    parsed: list[_ParsedLine] = []
    for line, cells in body:
        extra = [i for i in range(len(columns), len(cells)) if cells[i]]
        if extra:
            errors.append(
                LineError(line, "", _("valeur hors des colonnes de l'en-tête (colonne n° %(n)s)") % {"n": extra[0] + 1})
            )
        values = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(columns)}
        parsed.append(_parse_line(line, values, ref, errors))

    # Group the lines by schedule (marketplace, effective date).
    groups: dict[tuple, list[_ParsedLine]] = defaultdict(list)
    for item in parsed:
        if item.marketplace is not None and item.effective_on is not None:
            groups[(item.marketplace.pk, item.effective_on)].append(item)

    drafts, skipped = [], []
    for items in groups.values():
        first = items[0]
        for item in items[1:]:
            for column in SCHEDULE_COLUMNS:
                if item.schedule_values[column] != first.schedule_values[column]:
                    errors.append(
                        LineError(
                            item.line,
                            column,
                            _("diffère de la ligne %(line)s pour la même grille (même place de marché et date d'effet)")
                            % {"line": first.line},
                        )
                    )
        notes = [item for item in items if item.notes]
        for item in notes[1:]:
            if item.notes != notes[0].notes:
                errors.append(
                    LineError(
                        item.line,
                        "remarques_grille",
                        _("diffère de la ligne %(line)s pour la même grille") % {"line": notes[0].line},
                    )
                )

        values = first.schedule_values
        draft = ScheduleDraft(
            marketplace=first.marketplace,
            effective_on=first.effective_on,
            announced_on=values["date_annonce"],
            observed_on=values["date_releve"],
            source_url=values["source_url"],
            source_document=values["source_document"],
            reliability=values["fiabilite"],
            notes=notes[0].notes if notes else "",
            first_line=first.line,
        )
        for item in items:
            for component in item.components:
                draft.components.append(component)
                draft.lines.append(item.line)

        if FeeSchedule.objects.filter(marketplace=draft.marketplace, effective_on=draft.effective_on).exists():
            if skip_existing:
                skipped.append(draft)
                continue
            errors.append(LineError(first.line, "date_effet", existing_message(draft.marketplace, draft.effective_on)))
        line_ok = {item.line: item.ok for item in items}
        usable = [i for i, item_line in enumerate(draft.lines) if line_ok[item_line]]
        subset = [draft.components[i] for i in usable]
        for problem in components_problems(
            subset, where=lambda j, u=usable, d=draft: _("la ligne %(n)s") % {"n": d.lines[u[j]]}
        ):
            errors.append(LineError(draft.lines[usable[problem.index]], FIELD_COLUMNS[problem.field], problem.message))
        drafts.append(draft)

    unique, seen = [], set()
    for error in sorted(errors, key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1)):
        if error not in seen:
            seen.add(error)
            unique.append(error)
    drafts.sort(key=lambda d: (d.marketplace.name, d.effective_on))
    return ParsedFile(drafts, unique, rows=len(body), skipped=skipped)


# --- Writing ----------------------------------------------------------------------------------


def import_schedules(
    file,
    *,
    filename: str,
    by,
    is_seed: bool = False,
    alert: bool = True,
    skip_existing: bool = False,
    extra_notes: str = "",
) -> ImportResult:
    """Check the file, then record all its schedules (one transaction), or none if anything is
    wrong. The attempt is kept as a ``FeeImport`` — except when ``skip_existing`` left nothing
    to do. ``extra_notes`` is added to each schedule's notes (the seed's caution)."""
    filename = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    parsed = parse_file(file, filename=filename, skip_existing=skip_existing)
    errors = [error.as_dict() for error in parsed.errors]
    if not errors and not parsed.schedules:
        return ImportResult(True, [], [], parsed.skipped, None, parsed.rows)

    created: list[FeeSchedule] = []
    if not errors:
        current = None
        try:
            with transaction.atomic():
                for current in parsed.schedules:
                    notes = "\n\n".join(part for part in (current.notes, extra_notes) if part)
                    created.append(
                        record_schedule(
                            marketplace=current.marketplace,
                            effective_on=current.effective_on,
                            announced_on=current.announced_on,
                            observed_on=current.observed_on,
                            source_url=current.source_url,
                            source_document=current.source_document,
                            reliability=current.reliability,
                            notes=notes,
                            is_seed=is_seed,
                            components=current.components,
                            by=by,
                            alert=alert,
                        )
                    )
        except ScheduleError as error:
            created = []
            errors = [{"ligne": current.first_line, "colonne": "", "message": error.message}]
        except DatabaseError:
            logger.exception("Fee schedule import failed while writing")
            created = []
            errors = [
                {
                    "ligne": current.first_line if current else 1,
                    "colonne": "",
                    "message": _(
                        "Erreur de la base de données pendant l'enregistrement : rien n'a été "
                        "enregistré. Réessayez, puis prévenez l'équipe technique si cela persiste."
                    ),
                }
            ]

    record = FeeImport.objects.create(
        filename=filename or "import", imported_by=by, succeeded=not errors, errors=errors
    )
    if created:
        record.schedules.set(created)
    return ImportResult(not errors, errors, created, parsed.skipped, record, parsed.rows)


# --- Template -------------------------------------------------------------------------------

TEMPLATE_ROWS = (
    {
        "place_de_marche": "cdiscount",
        "date_effet": "01/03/2025",
        "date_annonce": "03/02/2025",
        "date_releve": "04/02/2025",
        "source_url": "https://marketplace.cdiscount.com/",
        "source_document": "",
        "fiabilite": "primaire",
        "remarques_grille": "Exemple : remplacez ces deux lignes par la grille relevée",
        "composante": "abonnement",
        "formule": "Un site",
        "categorie_plateforme": "",
        "categories_communes": "",
        "taux": "",
        "montant": "39,99",
        "assiette": "",
        "port_inclus": "",
        "minimum": "",
        "plafond": "",
        "tranche_de": "",
        "tranche_a": "",
        "mode_tranche": "",
        "fiabilite_composante": "",
        "remarques": "",
    },
    {
        "place_de_marche": "cdiscount",
        "date_effet": "01/03/2025",
        "date_annonce": "03/02/2025",
        "date_releve": "04/02/2025",
        "source_url": "https://marketplace.cdiscount.com/",
        "source_document": "",
        "fiabilite": "primaire",
        "remarques_grille": "",
        "composante": "commission",
        "formule": "",
        "categorie_plateforme": "Informatique ; Téléphonie",
        "categories_communes": "informatique|telephonie",
        "taux": "5,5",
        "montant": "",
        "assiette": "ttc",
        "port_inclus": "oui",
        "minimum": "0,30",
        "plafond": "",
        "tranche_de": "",
        "tranche_a": "",
        "mode_tranche": "",
        "fiabilite_composante": "",
        "remarques": "",
    },
)


def template_csv() -> str:
    """The template file: every column, two example lines (``;``, for French Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in TEMPLATE_ROWS:
        writer.writerow([row[column] for column in COLUMNS])
    return "\ufeff" + out.getvalue()
