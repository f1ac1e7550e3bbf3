"""Importing from Open Terms Archive: declaration files (what to track) and version histories.

A declaration (``declarations/<collection>/<service>.json``) names a service and, per terms type, one
source ``{fetch, select, remove, filter, executeClientScripts}`` or a ``combine`` list of sources. What
Fairplace cannot run is reported, never silently dropped: ``filter`` entries name JavaScript functions
kept in ``*.filters.js`` files, and range selectors (``{startBefore|startAfter, endBefore|endAfter}``)
select the nodes between two elements, which a CSS selector cannot say. The rest is imported; a
document left without any selector because its only ones were ranges is imported inactive (tracking
the whole page would only record noise), with the reason in its import notes.

``import_history`` replays one document of the corpus (``text/corpus.py``) through ``record_snapshot``
as if every version had been fetched on its recorded date; it is idempotent.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from fairplace.core.errors import DomainError

from .models import DocumentType, TrackedDocument
from .recording import record_snapshot
from .text import corpus

IMPORT_SOURCE = "ota_import"
SKIPPED_FILES = ("manifest.json",)


class OtaImportError(DomainError):
    """A declaration or corpus document that cannot be read at all."""


@dataclass
class _Source:
    urls: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    needs_js: bool = False
    problems: list[str] = field(default_factory=list)
    dropped_select: bool = False


def document_type(terms_type: str) -> str:
    """The Fairplace document type of an OTA terms type."""
    lowered = terms_type.lower()
    if "ranking" in lowered:
        return DocumentType.RANKING
    if lowered in (
        "marketplace sellers conditions",
        "commercial terms",
        "terms of service",
        "platform to business notice",
    ):
        return DocumentType.SELLER_TERMS
    if "complaint" in lowered:
        return DocumentType.COMPLAINTS
    return DocumentType.OTHER


def find_marketplace(service: str):
    """The registry marketplace whose slug or name matches the OTA service name, or None."""
    from fairplace.platforms.models import Marketplace

    candidates = {slugify(service), slugify(service.split(".")[0])}
    for marketplace in Marketplace.objects.all().only("pk", "slug", "name"):
        if (
            marketplace.slug in candidates
            or marketplace.name.lower() == service.lower()
            or slugify(marketplace.name) in candidates
        ):
            return marketplace
    return None


# --- Declarations -------------------------------------------------------------------------------------


def import_declaration(path_or_dict, *, collection: str = "") -> tuple[list[TrackedDocument], list[str]]:
    """Import one declaration (a dict, a ``.json`` file, or every declaration file under a folder).

    Returns the documents created or updated and the French list of what could not be imported."""
    if isinstance(path_or_dict, dict):
        return _import_one(path_or_dict, collection=collection, origin="déclaration")
    path = Path(path_or_dict)
    if path.is_dir():
        documents, problems = [], []
        for file in sorted(path.rglob("*.json")):
            found, issues = import_declaration(file, collection=collection)
            documents += found
            problems += issues
        return documents, problems
    if path.name in SKIPPED_FILES:
        return [], []
    if path.name.endswith(".history.json"):
        return [], [f"{path.name} : historique de déclarations (sources passées) non importé"]
    try:
        declaration = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [], [f"{path.name} : déclaration illisible ({exc})"]
    return _import_one(declaration, collection=collection or path.parent.name, origin=path.name)


def _import_one(declaration: dict, *, collection: str, origin: str) -> tuple[list[TrackedDocument], list[str]]:
    service = declaration.get("name")
    terms = declaration.get("terms")
    if not isinstance(service, str) or not service.strip() or not isinstance(terms, dict):
        return [], [f"{origin} : pas une déclaration OTA (champs « name » et « terms » attendus)"]
    marketplace = find_marketplace(service)
    documents, problems = [], []
    with transaction.atomic():
        for terms_type, declared in terms.items():
            prefix = f"{service} / {terms_type}"
            parts = declared.get("combine") if isinstance(declared, dict) and "combine" in declared else [declared]
            if not isinstance(parts, list) or not parts:
                problems.append(f"{prefix} : source OTA de forme inconnue, non importée")
                continue
            source = _Source()
            for part in parts:
                _read_source(part, source)
            if not source.urls:
                problems.append(f"{prefix} : aucune adresse « fetch », non importé")
                continue
            active = not (source.dropped_select and not source.select)
            notes = list(source.problems)
            if not active:
                notes.append("suivi désactivé : aucun sélecteur utilisable, la page entière ne serait que du bruit")
            document, _created = TrackedDocument.objects.update_or_create(
                service_name=service,
                title=terms_type,
                defaults={
                    "marketplace": marketplace,
                    "doc_type": document_type(terms_type),
                    "urls": source.urls,
                    "select": source.select,
                    "remove": source.remove,
                    "needs_js": source.needs_js,
                    "is_active": active,
                    "ota_collection": collection,
                    "ota_terms_type": terms_type,
                    "import_notes": "\n".join(notes),
                },
            )
            documents.append(document)
            problems += [f"{prefix} : {note}" for note in notes]
    return documents, problems


def _read_source(part, source: _Source) -> None:
    if not isinstance(part, dict) or not isinstance(part.get("fetch"), str):
        source.problems.append("source sans adresse « fetch » ignorée")
        return
    if part["fetch"] not in source.urls:
        source.urls.append(part["fetch"])
    if part["fetch"].lower().split("?")[0].endswith(".pdf"):
        source.problems.append(f"document PDF ({part['fetch']}) : extraction du texte PDF à prévoir")
    source.needs_js = source.needs_js or bool(part.get("executeClientScripts"))
    for key, target in (("select", source.select), ("remove", source.remove)):
        for selector in _as_list(part.get(key)):
            if isinstance(selector, str):
                if selector not in target:
                    target.append(selector)
            elif isinstance(selector, dict):
                if key == "select":
                    source.dropped_select = True
                bounds = ", ".join(f"{name} « {value} »" for name, value in selector.items())
                source.problems.append(
                    f"sélecteur par plage non importable ({key} : {bounds}) : "
                    "un sélecteur CSS ne peut pas exprimer « entre deux éléments »"
                )
            else:
                source.problems.append(f"sélecteur « {selector!r} » de forme inconnue ({key}) ignoré")
    for name in _as_list(part.get("filter")):
        source.problems.append(f"filtre OTA « {name} » non importable : code JavaScript")


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- Histories ----------------------------------------------------------------------------------------


def import_history(
    collection: str, service: str, terms_type: str, *, document: TrackedDocument | None = None, root=None
) -> dict[str, int]:
    """Record every version of one corpus document as if fetched on its recorded date (no alert).

    Idempotent: a version whose fetch date is already imported for the document is skipped. Returns
    counts: ``snapshots`` recorded, ``skipped``, ``versions`` (new ``TermsVersion``)."""
    root = root or corpus.corpus_root(settings.FAIRPLACE_OTA_CORPUS)
    found = (
        None
        if root is None
        else next((doc for doc in corpus.documents(root) if doc.key == (collection, service, terms_type)), None)
    )
    if found is None:
        raise OtaImportError(f"Le corpus OTA ne contient pas « {service} / {terms_type} » ({collection}).")
    if document is None:
        document, _created = TrackedDocument.objects.get_or_create(
            service_name=service,
            title=terms_type,
            defaults={
                "marketplace": find_marketplace(service),
                "doc_type": document_type(terms_type),
                "ota_collection": collection,
                "ota_terms_type": terms_type,
            },
        )
    imported = set(document.snapshots.filter(source=IMPORT_SOURCE).values_list("fetched_at", flat=True))
    counts = {"snapshots": 0, "skipped": 0, "versions": 0}
    for version in found.versions:
        if version.fetch_date in imported:
            counts["skipped"] += 1
            continue
        snapshot = record_snapshot(
            document,
            fetched_at=version.fetch_date,
            markdown=version.read(),
            source=IMPORT_SOURCE,
            record_type=version.record_type,
            alert=False,
        )
        counts["snapshots"] += 1
        counts["versions"] += hasattr(snapshot, "version")
    return counts
