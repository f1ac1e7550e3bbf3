"""Load the problem families and their questions from ``data/families.yaml`` (idempotent)."""

import copy
import functools
from pathlib import Path

import yaml
from django.db import transaction

from .models import ProblemFamily
from .questions import QuestionSpecError, expand

DATA_FILE = Path(__file__).parent / "data" / "families.yaml"
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 7× faster
FAMILY_KEYS = {"code", "label", "explanation", "legal_basis", "uses", "questions"}


def read_families(path: Path = DATA_FILE) -> list[dict]:
    """Every family with its questions expanded and checked; raises QuestionSpecError. The file is parsed
    once per process and version of the file (each test's reference data used to cost a 120 ms parse)."""
    stat = path.stat()
    return copy.deepcopy(_read(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _read(path: Path, _mtime_ns: int, _size: int) -> list[dict]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506 (a safe loader)
    question_sets = document.get("question_sets") or {}
    families = []
    for entry in document["families"]:
        unknown = set(entry) - FAMILY_KEYS
        if unknown:
            raise QuestionSpecError(f"{entry.get('code')}: unknown keys {sorted(unknown)}")
        families.append({**entry, "questions": expand(entry, question_sets)})
    codes = [family["code"] for family in families]
    if len(codes) != len(set(codes)):
        raise QuestionSpecError("duplicate family codes")
    return families


@transaction.atomic
def load_families(path: Path = DATA_FILE) -> tuple[int, int]:
    created = updated = 0
    for position, family in enumerate(read_families(path)):
        _, was_created = ProblemFamily.objects.update_or_create(
            code=family["code"],
            defaults={
                "label": family["label"],
                "explanation": family["explanation"],
                "legal_basis": family.get("legal_basis", ""),
                "questions": family["questions"],
                "position": position,
                "is_active": True,
            },
        )
        created += was_created
        updated += not was_created
    return created, updated
