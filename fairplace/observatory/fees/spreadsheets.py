"""Reading a spreadsheet safely: CSV (``;`` or ``,``, UTF-8 with or without BOM) or XLSX (first
sheet), with limits on size, rows and unpacked size, into a header and numbered rows — the
spreadsheet line numbers every error message cites."""

import csv
import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

from django.utils.translation import gettext as _

from fairplace.core.spreadsheets import FORMULA_STARTS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# An XLSX is a zip: refuse one whose content would unpack to more than this (zip bomb).
MAX_XLSX_UNPACKED = 50 * 1024 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be read (type, size, encoding, header)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def read_bytes(file) -> bytes:
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileProblem(_("Fichier trop volumineux : 2 Mo au plus."))
    return data


def _cell_text(value, number_format: str = "") -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        number = Decimal(str(value))
        if "%" in (number_format or ""):  # a cell shown as "15 %" holds 0.15
            number *= 100
        return format(number.normalize(), "f")
    return str(value).strip()


def _xlsx_rows(data: bytes):
    import openpyxl  # only needed for XLSX

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem(_("Le classeur XLSX est illisible.")) from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileProblem(_("Le classeur XLSX est trop volumineux une fois décompressé."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a broken file
        raise FileProblem(_("Le classeur XLSX est illisible.")) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem(_("Le classeur XLSX ne contient aucune feuille."))
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows():
            yield [_cell_text(getattr(cell, "value", None), getattr(cell, "number_format", "")) for cell in row]
    finally:
        workbook.close()


def _unquote(cell: str) -> str:
    """Undo the quote our own CSV exports put before a cell that a spreadsheet would take for a
    formula ("'+2 points" → "+2 points"), so an exported file imports back unchanged."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def _csv_rows(data: bytes):
    if b"\x00" in data[:4096]:
        raise FileProblem(_("Le fichier n'est ni un CSV ni un classeur XLSX."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(_("Le fichier CSV doit être encodé en UTF-8 (dans Excel : « CSV UTF-8 »).")) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [_unquote(cell.strip()) for cell in row]


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank data rows (with their spreadsheet line numbers)."""
    name = (filename or "").lower()
    is_zip = data.startswith(b"PK\x03\x04")
    if name.endswith(".xlsx") or (is_zip and not name.endswith(".csv")):
        if not is_zip:
            raise FileProblem(_("Le fichier n'est pas un classeur XLSX valide."))
        rows = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")) or not name:
        if is_zip:
            raise FileProblem(_("Le fichier n'est pas un CSV (c'est peut-être un classeur : nommez-le .xlsx)."))
        rows = _csv_rows(data)
    else:
        raise FileProblem(_("Format non pris en charge : déposez un fichier CSV ou XLSX."))

    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for line, cells in enumerate(rows, start=1):
        if header is None:
            header = cells
            continue
        if not any(cells):
            continue
        body.append((line, cells))
        if len(body) > MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", "\u202f")
            raise FileProblem(_("Trop de lignes : %(n)s lignes de données au plus.") % {"n": limit})
    if header is None or not any(header):
        raise FileProblem(_("Le fichier est vide."))
    if not body:
        raise FileProblem(_("Le fichier ne contient aucune ligne de données sous l'en-tête."))
    return header, body
