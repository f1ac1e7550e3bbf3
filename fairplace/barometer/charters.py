"""The charter registry: loading ``data/charters.yaml`` and the read functions of the pages and the API.

``load_charters`` validates the whole file first (every error listed, in French), then creates or
updates the rows in one transaction: a bad file changes nothing. Rows are keyed by
charter code, (charter, commitment code) and (charter, marketplace, signatory, status); rows an
administrator added in the admin and that the file does not list are left alone. Each row the
loader creates or changes gets a ``RegistryRevision`` without a user (see history.py), so the
history of the registry is complete whoever changed it.

The status of a marketplace across charters is its latest event: Amazon refused the 2019
charter and signed its December 2020 renewal, so it is "signed" (2020), with both events in its
history.
"""

import re
from datetime import date
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Case, Prefetch, Value, When
from django.db.models.functions import Lower

from fairplace.core.errors import DomainError
from fairplace.platforms import queries as platform_queries

from . import history, indicators
from .models import Charter, Commitment, RegistryRevision, Signature

DATA_FILE = Path(__file__).parent / "data" / "charters.yaml"

RELIABILITIES = ("primaire", "secondaire", "à vérifier")
SOURCE_KEYS = {"label", "url", "reliability", "date"}
SOURCE_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

CHARTER_KEYS = {
    "code",
    "title",
    "title_en",
    "adopted_on",
    "summary",
    "summary_en",
    "sources",
    "commitments",
    "signatures",
}
CHARTER_OPTIONAL = {"previous"}
COMMITMENT_KEYS = {"code", "number", "text", "text_en", "indicators", "sources"}
COMMITMENT_OPTIONAL = {"axis_number", "axis_title", "axis_title_en"}
SIGNATURE_KEYS = {"signatory_name", "status", "date", "sources"}
SIGNATURE_OPTIONAL = {"marketplace", "note"}

NO_INDICATOR = "pas encore d'indicateur"
NO_INDICATOR_EN = "no indicator yet"

# Status of a marketplace across charters: (French label, English label).
STATUS_LABELS = {
    "signed": ("Signataire", "Signatory"),
    "refused": ("A refusé de signer", "Refused to sign"),
    "withdrawn": ("S'est retiré", "Withdrew"),
    "not_signatory": ("Non signataire", "Not a signatory"),
}
# Order of the signatures of a charter on its page.
STATUS_ORDER = ("signed", "refused", "withdrawn")
# Order of two events of the same day: a withdrawal comes after a signature.
_SAME_DAY_ORDER = {"refused": 0, "signed": 1, "withdrawn": 2}


class CharterDataError(DomainError):
    """The charter file is not valid; ``errors`` lists every problem found (French)."""

    def __init__(self, errors: list[str], path: Path | None = None):
        self.errors = errors
        where = f"{path.name} : " if path else ""
        super().__init__(where + f"{len(errors)} erreur(s) — " + " ; ".join(errors))


# --- Validation -----------------------------------------------------------------------------


def validate_sources(value, where: str = "sources") -> tuple[list[dict], list[str]]:
    """Check a list of sources; returns (normalised sources, French errors).

    Each source is ``{label, url, reliability, date}``: a label, an https address or nothing,
    a reliability among ``primaire``, ``secondaire``, ``à vérifier``, and a date written
    ``AAAA``, ``AAAA-MM`` or ``AAAA-MM-JJ`` (null when unknown)."""
    if value is None:
        value = []
    if not isinstance(value, list):
        return [], [f"{where} : une liste de sources est attendue"]
    errors, normalised = [], []
    for position, source in enumerate(value, start=1):
        here = f"{where}, source {position}"
        if not isinstance(source, dict):
            errors.append(f"{here} : un objet {{label, url, reliability, date}} est attendu")
            continue
        unknown = set(source) - SOURCE_KEYS
        if unknown:
            errors.append(f"{here} : clé(s) inconnue(s) {', '.join(sorted(unknown))}")
        label = source.get("label")
        if not isinstance(label, str) or not label.strip():
            errors.append(f"{here} : le libellé (label) est obligatoire")
        url = source.get("url") or None
        if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
            errors.append(f"{here} : l'adresse (url) doit commencer par https://")
        reliability = source.get("reliability")
        if reliability not in RELIABILITIES:
            errors.append(f"{here} : fiabilité « {reliability} » inconnue (attendu : {', '.join(RELIABILITIES)})")
        if "date" not in source:
            errors.append(f"{here} : la date est obligatoire (null si elle est inconnue)")
        source_date = source.get("date")
        if isinstance(source_date, date):
            source_date = source_date.isoformat()
        elif isinstance(source_date, int):
            source_date = str(source_date)
        if source_date is not None and (not isinstance(source_date, str) or not SOURCE_DATE.match(source_date)):
            errors.append(f"{here} : date « {source_date} » invalide (AAAA, AAAA-MM ou AAAA-MM-JJ)")
        normalised.append(
            {
                "label": label.strip() if isinstance(label, str) else label,
                "url": url,
                "reliability": reliability,
                "date": source_date,
            }
        )
    return normalised, errors


def validate_indicator_codes(value, where: str = "indicateurs") -> tuple[list[str], list[str]]:
    """Check a list of indicator codes against the registry (indicators.yaml); returns (codes in
    registry order, French errors)."""
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return [], [f"{where} : une liste de codes d'indicateurs est attendue"]
    known = indicators.registry()
    errors = [f"{where} : indicateur « {code} » inconnu (voir indicators.yaml)" for code in value if code not in known]
    if len(set(value)) != len(value):
        errors.append(f"{where} : indicateur cité deux fois")
    return [code for code in known if code in value], errors


def _keys(entry, required: set, optional: set, where: str, errors: list[str]) -> bool:
    if not isinstance(entry, dict):
        errors.append(f"{where} : un objet est attendu")
        return False
    missing = required - set(entry)
    unknown = set(entry) - required - optional
    if missing:
        errors.append(f"{where} : clé(s) manquante(s) {', '.join(sorted(missing))}")
    if unknown:
        errors.append(f"{where} : clé(s) inconnue(s) {', '.join(sorted(unknown))}")
    return not missing


def _text(entry: dict, key: str, where: str, errors: list[str], *, required: bool = True, max_length=None) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors.append(f"{where} : « {key} » doit être un texte non vide")
        return ""
    value = value.strip()
    if max_length and len(value) > max_length:
        errors.append(f"{where} : « {key} » dépasse {max_length} caractères")
    return value


def _date(entry: dict, key: str, where: str, errors: list[str], *, required: bool = True) -> date | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"{where} : « {key} » doit être une date AAAA-MM-JJ")
    return None


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def read_charters(path: Path = DATA_FILE) -> list[dict]:
    """Read and check the whole file; returns the charters ready to write (marketplaces as
    objects). Raises CharterDataError listing every problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CharterDataError([f"fichier illisible ({exc})"], path) from exc
    if not isinstance(document, dict) or not isinstance(document.get("charters"), list):
        raise CharterDataError(["une liste « charters » est attendue"], path)
    unknown = set(document) - {"charters", "references"}
    errors: list[str] = []
    if unknown:
        errors.append(f"clé(s) inconnue(s) au premier niveau : {', '.join(sorted(unknown))}")

    marketplaces = {marketplace.slug: marketplace for marketplace in platform_queries.active_marketplaces()}
    statuses = set(Signature.Status.values)
    charters: list[dict] = []
    seen_codes: set[str] = set()
    for position, entry in enumerate(document["charters"], start=1):
        where = f"charte {entry.get('code', position) if isinstance(entry, dict) else position}"
        if not _keys(entry, CHARTER_KEYS, CHARTER_OPTIONAL, where, errors):
            continue
        code = entry["code"]
        if not isinstance(code, str) or not SLUG.match(code):
            errors.append(f"{where} : code invalide (lettres, chiffres, tirets)")
        elif code in seen_codes:
            errors.append(f"{where} : code en double")
        previous = entry.get("previous")
        if previous is not None and previous not in seen_codes:
            errors.append(f"{where} : la version précédente « {previous} » doit être une charte listée avant elle")
        sources, source_errors = validate_sources(entry["sources"], f"{where}, sources")
        errors += source_errors
        charter = {
            "code": code,
            "previous": previous,
            "fields": {
                "title": _text(entry, "title", where, errors, max_length=_max_length(Charter, "title")),
                "title_en": _text(entry, "title_en", where, errors, max_length=_max_length(Charter, "title_en")),
                "adopted_on": _date(entry, "adopted_on", where, errors),
                "summary": _text(entry, "summary", where, errors),
                "summary_en": _text(entry, "summary_en", where, errors),
                "sources": sources,
            },
            "commitments": _read_commitments(entry["commitments"], where, errors),
            "signatures": _read_signatures(entry["signatures"], where, errors, marketplaces, statuses),
        }
        seen_codes.add(code)
        charters.append(charter)
    if errors:
        raise CharterDataError(errors, path)
    return charters


def _read_commitments(entries, charter_where: str, errors: list[str]) -> list[dict]:
    if not isinstance(entries, list):
        errors.append(f"{charter_where} : « commitments » doit être une liste")
        return []
    commitments, codes, numbers = [], set(), set()
    for position, entry in enumerate(entries, start=1):
        where = f"{charter_where}, engagement {entry.get('code', position) if isinstance(entry, dict) else position}"
        if not _keys(entry, COMMITMENT_KEYS, COMMITMENT_OPTIONAL, where, errors):
            continue
        code, number, axis = entry["code"], entry["number"], entry.get("axis_number")
        if not isinstance(code, str) or not SLUG.match(code):
            errors.append(f"{where} : code invalide (lettres, chiffres, tirets)")
        elif code in codes:
            errors.append(f"{where} : code en double dans la charte")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors.append(f"{where} : le numéro doit être un entier positif")
        elif number in numbers:
            errors.append(f"{where} : numéro {number} en double dans la charte")
        if axis is not None and (not isinstance(axis, int) or isinstance(axis, bool) or axis < 1):
            errors.append(f"{where} : le numéro d'axe doit être un entier positif ou null")
        codes.add(code)
        numbers.add(number)
        indicator_codes, indicator_errors = validate_indicator_codes(entry["indicators"], f"{where}, indicateurs")
        sources, source_errors = validate_sources(entry["sources"], f"{where}, sources")
        errors += indicator_errors + source_errors
        if not sources:
            errors.append(f"{where} : au moins une source est attendue")
        commitments.append(
            {
                "code": code,
                "fields": {
                    "number": number,
                    "axis_number": axis,
                    "axis_title": _text(
                        entry,
                        "axis_title",
                        where,
                        errors,
                        required=False,
                        max_length=_max_length(Commitment, "axis_title"),
                    ),
                    "axis_title_en": _text(
                        entry,
                        "axis_title_en",
                        where,
                        errors,
                        required=False,
                        max_length=_max_length(Commitment, "axis_title_en"),
                    ),
                    "text": _text(entry, "text", where, errors),
                    "text_en": _text(entry, "text_en", where, errors),
                    "indicator_codes": indicator_codes,
                    "sources": sources,
                },
            }
        )
    return commitments


def _read_signatures(entries, charter_where: str, errors: list[str], marketplaces: dict, statuses: set) -> list[dict]:
    if not isinstance(entries, list):
        errors.append(f"{charter_where} : « signatures » doit être une liste")
        return []
    signatures, keys = [], set()
    for position, entry in enumerate(entries, start=1):
        name = entry.get("signatory_name", position) if isinstance(entry, dict) else position
        where = f"{charter_where}, signature {name}"
        if not _keys(entry, SIGNATURE_KEYS, SIGNATURE_OPTIONAL, where, errors):
            continue
        slug = entry.get("marketplace")
        marketplace = None
        if slug is not None:
            marketplace = marketplaces.get(slug)
            if marketplace is None:
                errors.append(
                    f"{where} : place de marché « {slug} » inconnue (ou inactive) dans le registre des places de marché"
                )
        status = entry["status"]
        if status not in statuses:
            errors.append(f"{where} : statut « {status} » inconnu (attendu : {', '.join(sorted(statuses))})")
        signatory = _text(entry, "signatory_name", where, errors, max_length=_max_length(Signature, "signatory_name"))
        key = (slug, signatory, status)
        if key in keys:
            errors.append(f"{where} : signature en double (même signataire, même place de marché, même statut)")
        keys.add(key)
        sources, source_errors = validate_sources(entry["sources"], f"{where}, sources")
        errors += source_errors
        if not sources:
            errors.append(f"{where} : au moins une source est attendue")
        signatures.append(
            {
                "marketplace": marketplace,
                "signatory_name": signatory,
                "status": status,
                "fields": {
                    "date": _date(entry, "date", where, errors, required=False),
                    "note": _text(entry, "note", where, errors, required=False),
                    "sources": sources,
                },
            }
        )
    return signatures


# --- Loading ----------------------------------------------------------------------------------


def _counter() -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": 0, "kept": 0}


def _upsert(model, lookup: dict, fields: dict, counts: dict) -> object:
    """Create or update one row; records a revision (no user) when something changed. A row an
    administrator has edited in the admin is left as they made it (the loader runs at every
    ``make run``)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **fields)
        history.record_revision(obj, RegistryRevision.Action.CREATED, None)
        counts["created"] += 1
        return obj
    if RegistryRevision.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), changed_by__isnull=False
    ).exists():
        # An administrator has edited this row: their version wins over the file's.
        counts["kept"] += 1
        return obj
    before = history.snapshot(obj)
    for name, value in fields.items():
        setattr(obj, name, value)
    changed = history.diff(before, history.snapshot(obj))
    if changed:
        obj.save(update_fields=changed)
        history.record_revision(obj, RegistryRevision.Action.UPDATED, None, changed_fields=changed)
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
    return obj


def load_charters(path: Path = DATA_FILE) -> dict[str, dict[str, int]]:
    """Create or update the charters, commitments and signatures of the file, all or nothing.

    Returns ``{"charters": {...}, "commitments": {...}, "signatures": {...}}``, each counting
    ``created``, ``updated`` and ``unchanged`` rows. Raises CharterDataError (nothing written)
    when the file is not valid."""
    parsed = read_charters(path)
    counts = {"charters": _counter(), "commitments": _counter(), "signatures": _counter()}
    with transaction.atomic():
        by_code: dict[str, Charter] = {}
        for entry in parsed:
            fields = {**entry["fields"], "previous": by_code.get(entry["previous"]) if entry["previous"] else None}
            charter = _upsert(Charter, {"code": entry["code"]}, fields, counts["charters"])
            by_code[entry["code"]] = charter
            for commitment in entry["commitments"]:
                _upsert(
                    Commitment,
                    {"charter": charter, "code": commitment["code"]},
                    commitment["fields"],
                    counts["commitments"],
                )
            for signature in entry["signatures"]:
                lookup = {
                    "charter": charter,
                    "marketplace": signature["marketplace"],
                    "signatory_name": signature["signatory_name"],
                    "status": signature["status"],
                }
                _upsert(Signature, lookup, signature["fields"], counts["signatures"])
    return counts


# --- Reading ----------------------------------------------------------------------------------


def charter_list() -> list[Charter]:
    """Every charter, oldest first, with its commitments (by number) and signatures (signed,
    then refused, then withdrawn; by name, case-insensitive) prefetched: three queries."""
    status_order = Case(
        *(When(status=status, then=Value(position)) for position, status in enumerate(STATUS_ORDER)),
        default=Value(len(STATUS_ORDER)),
    )
    signatures = Signature.objects.select_related("marketplace").order_by(
        status_order, Lower("signatory_name"), "date", "id"
    )
    return list(
        Charter.objects.select_related("previous")
        .prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.order_by("number", "id")),
            Prefetch("signatures", queryset=signatures),
        )
        .order_by("adopted_on", "id")
    )


def indicators_of(commitment: Commitment) -> list[indicators.Indicator]:
    """The registry indicators that give evidence on a commitment (empty: show NO_INDICATOR);
    codes no longer in the registry are skipped."""
    known = indicators.registry()
    return [known[code] for code in commitment.indicator_codes or [] if code in known]


def commitments_by_axis(charter: Charter) -> list[dict]:
    """The commitments of a charter grouped by axis, in order: ``[{"number", "title", "title_en",
    "commitments": [...]}]`` (commitments without an axis number come last, grouped by title)."""
    groups: dict[tuple, dict] = {}
    for commitment in sorted(
        charter.commitments.all(), key=lambda c: (c.axis_number is None, c.axis_number or 0, c.number)
    ):
        key = (commitment.axis_number, commitment.axis_title)
        group = groups.setdefault(
            key,
            {
                "number": commitment.axis_number,
                "title": commitment.axis_title,
                "title_en": commitment.axis_title_en,
                "commitments": [],
            },
        )
        group["commitments"].append(commitment)
    return list(groups.values())


def commitments_for_indicator(code: str) -> list[Commitment]:
    """Commitments (with their charter) on which indicator ``code`` gives evidence, oldest charter
    first. (Filtered in Python: JSON containment is not available on SQLite; the table is small.)"""
    commitments = Commitment.objects.select_related("charter").order_by("charter__adopted_on", "number", "id")
    return [commitment for commitment in commitments if code in (commitment.indicator_codes or [])]


def _event(signature: Signature) -> dict:
    label, label_en = STATUS_LABELS[signature.status]
    charter = signature.charter
    return {
        "status": signature.status,
        "label": label,
        "label_en": label_en,
        "charter": charter.code,
        "charter_title": charter.title,
        "charter_title_en": charter.title_en or charter.title,
        "charter_adopted_on": charter.adopted_on,
        "date": signature.date or charter.adopted_on,
        "signatory_name": signature.signatory_name,
        "note": signature.note,
        "sources": signature.sources,
    }


def _sort_key(signature: Signature) -> tuple:
    return (
        signature.date or signature.charter.adopted_on,
        signature.charter.adopted_on,
        _SAME_DAY_ORDER.get(signature.status, 0),
        signature.id,
    )


def _status(signatures: list[Signature]) -> dict:
    if not signatures:
        label, label_en = STATUS_LABELS["not_signatory"]
        return {
            "status": "not_signatory",
            "charter": None,
            "charter_title": "",
            "charter_title_en": "",
            "date": None,
            "label": label,
            "label_en": label_en,
            "note": "",
            "history": [],
        }
    events = [_event(signature) for signature in sorted(signatures, key=_sort_key)]
    latest = events[-1]
    return {
        "status": latest["status"],
        "charter": latest["charter"],
        "charter_title": latest["charter_title"],
        "charter_title_en": latest["charter_title_en"],
        "date": latest["date"],
        "label": latest["label"],
        "label_en": latest["label_en"],
        "note": latest["note"],
        "history": events,
    }


def marketplace_charter_status(marketplace_id: int) -> dict:
    """The current status of one marketplace across charters (latest event wins):
    ``{"status": "signed" | "refused" | "withdrawn" | "not_signatory", "charter": code | None,
    "charter_title", "charter_title_en", "date", "label", "label_en", "note", "history": [events,
    oldest first]}``."""
    signatures = list(Signature.objects.filter(marketplace_id=marketplace_id).select_related("charter"))
    return _status(signatures)


def charter_statuses() -> dict[int, dict]:
    """``{marketplace_id: status}`` for every active marketplace and every marketplace named in a
    signature, in two queries (see ``marketplace_charter_status`` for the shape)."""
    grouped: dict[int, list[Signature]] = {marketplace.id: [] for marketplace in platform_queries.active_marketplaces()}
    for signature in Signature.objects.filter(marketplace__isnull=False).select_related("charter"):
        grouped.setdefault(signature.marketplace_id, []).append(signature)
    return {marketplace_id: _status(signatures) for marketplace_id, signatures in grouped.items()}
