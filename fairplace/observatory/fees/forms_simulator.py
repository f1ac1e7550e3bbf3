"""The product mix of the fee simulator, read from GET parameters.

The mix travels in the query string as parallel lists, one value of each per line
(``categorie``, ``prix``, ``port``, ``quantite``), so that the address of a simulation is its
shareable link. What the seller typed is kept as typed, valid or not, and every error names
its line and field. A line whose four fields are empty is ignored; ``ajouter`` (the "Ajouter
une ligne" button, which works without JavaScript) asks for one more empty line and shows no
error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from .simulator import MixLine

FIELDS = ("categorie", "prix", "port", "quantite")
ADD = "ajouter"
MAX_LINES = 100
MAX_PRICE = Decimal(1_000_000)
MAX_UNITS = 1_000_000
MAX_TYPED = 40  # characters kept of a typed value

# "12", "12,5", "12.50", "1 234,56", "-3", with an optional euro sign; spaces are thousands separators.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass
class LineInput:
    """One line of the form: what was typed, and its errors by field."""

    number: int  # 1-based, as shown
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not any(self.typed.values())

    def field_id(self, name: str) -> str:
        return f"ligne-{self.number}-{name}"


@dataclass(frozen=True)
class FieldError:
    """An entry of the error summary, linking to its field."""

    anchor: str
    message: str


FIELD_LABELS = {
    "categorie": "catégorie",
    "prix": "prix TTC",
    "port": "frais de port",
    "quantite": "ventes par mois",
}


class MixForm:
    """``MixForm(request.GET, category_codes)``: ``is_valid()``, then ``lines`` (MixLine) and
    ``query`` (the canonical query string of the mix)."""

    def __init__(self, data, category_codes):
        self.data = data
        self.codes = set(category_codes)
        self.submitted = any(name in data for name in FIELDS)
        self.adding = ADD in data
        self.rows: list[LineInput] = self._read()
        self.form_error = ""
        self.lines: list[MixLine] = []
        self._validated = self._valid = False

    # Reading --------------------------------------------------------------------------------

    def _read(self) -> list[LineInput]:
        columns = {name: [str(value)[:MAX_TYPED] for value in self.data.getlist(name)] for name in FIELDS}
        count = min(max((len(values) for values in columns.values()), default=0), MAX_LINES * 2)
        rows = []
        for index in range(count):
            typed = {name: (columns[name][index].strip() if index < len(columns[name]) else "") for name in FIELDS}
            rows.append(LineInput(0, typed))
        if self.submitted:
            # Blank lines are dropped; one empty line is offered to type in when none is left.
            rows = [row for row in rows if not row.is_blank]
        if (self.adding and len(rows) < MAX_LINES) or not rows:
            rows.append(LineInput(0, dict.fromkeys(FIELDS, "")))
        for number, row in enumerate(rows, start=1):
            row.number = number
        return rows

    # Validation -----------------------------------------------------------------------------

    def is_valid(self) -> bool:
        if not self._validated:
            self._validated = True
            self._validate()
            self._valid = self.submitted and not self.form_error and not any(row.errors for row in self.rows)
            if self.adding:  # "Ajouter une ligne" only adds a line: no error shown for that request
                self.form_error = ""
                for row in self.rows:
                    row.errors.clear()
        return self._valid

    def _validate(self) -> None:
        if not self.submitted:
            return
        filled = [row for row in self.rows if not row.is_blank]
        if not filled:
            self.form_error = _("Saisissez au moins une ligne : une catégorie, un prix et des ventes par mois.")
            return
        if len(filled) > MAX_LINES:
            self.form_error = _("Une simulation compte au plus %(max)s lignes.") % {"max": MAX_LINES}
            return
        for row in filled:
            line = self._line(row)
            if line is not None:
                self.lines.append(line)

    def _line(self, row: LineInput) -> MixLine | None:
        typed = row.typed
        category = typed["categorie"]
        if not category:
            row.errors["categorie"] = _("Choisissez une catégorie.")
        elif category not in self.codes:
            row.errors["categorie"] = _("Catégorie inconnue : choisissez-en une dans la liste.")
        price = _amount(typed["prix"], row, "prix", required=True, positive=True)
        shipping = _amount(typed["port"], row, "port", required=False, positive=False)
        units = _units(typed["quantite"], row)
        if row.errors:
            return None
        return MixLine(category=category, unit_price=price, shipping=shipping, units=units)

    # What the view shows ------------------------------------------------------------------------

    @property
    def errors(self) -> list[FieldError]:
        """The error summary: the form's error, then each line's, in the order of the fields."""
        self.is_valid()
        found = []
        if self.form_error:
            found.append(FieldError(f"#{self.rows[0].field_id('categorie')}", self.form_error))
        for row in self.rows:
            for name in FIELDS:
                if name in row.errors:
                    found.append(
                        FieldError(
                            f"#{row.field_id(name)}",
                            _("Ligne %(n)s, %(field)s : %(error)s")
                            % {"n": row.number, "field": FIELD_LABELS[name], "error": row.errors[name]},
                        )
                    )
        return found

    @cached_property
    def query(self) -> str:
        """The canonical query string of a valid mix: one value of each field per line."""
        pairs = []
        for line in self.lines:
            pairs += [
                ("categorie", line.category),
                ("prix", plain_number(line.unit_price)),
                ("port", plain_number(line.shipping)),
                ("quantite", str(line.units)),
            ]
        return urlencode(pairs)


def _parse(text: str) -> Decimal | None:
    text = _SPACES.sub("", text).removesuffix("€").removesuffix("EUR")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        return None


def _amount(text: str, row: LineInput, name: str, *, required: bool, positive: bool) -> Decimal:
    if not text:
        if required:
            row.errors[name] = _("Indiquez le prix de vente TTC, en euros.")
        return Decimal(0)
    value = _parse(text)
    if value is None:
        row.errors[name] = _("Saisissez un montant en euros, par exemple 12,50.")
    elif positive and value <= 0:
        row.errors[name] = _("Le prix doit être supérieur à 0 €.")
    elif value < 0:
        row.errors[name] = _("Les frais de port ne peuvent pas être négatifs.")
    elif value > MAX_PRICE:
        row.errors[name] = _("Le montant ne peut pas dépasser 1 000 000 €.")
    else:
        return value
    return Decimal(0)


def _units(text: str, row: LineInput) -> int:
    if not text:
        row.errors["quantite"] = _("Indiquez le nombre d'articles vendus par mois.")
        return 0
    cleaned = _SPACES.sub("", text)
    if not cleaned.isascii() or not cleaned.isdigit():
        row.errors["quantite"] = _("Saisissez un nombre entier d'articles, par exemple 30.")
        return 0
    units = int(cleaned)
    if not 1 <= units <= MAX_UNITS:
        row.errors["quantite"] = _("Le nombre d'articles par mois doit être compris entre 1 et 1 000 000.")
        return 0
    return units


def plain_number(value: Decimal) -> str:
    """12.50 → "12.5", 30 → "30": no exponent, no trailing zeros."""
    return format(value.normalize(), "f")
