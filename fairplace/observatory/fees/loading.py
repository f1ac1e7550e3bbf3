"""Reference data of the fee observatory: the common taxonomy and the initial schedules.

``load_taxonomy`` reads ``data/taxonomy.yaml``; ``load_seed`` imports
``data/seed_schedules.csv`` (figures of docs/domain.md §4) through the ordinary importer, as
seed rows, without alerting anyone. Both are idempotent: the taxonomy is updated in place,
and a schedule already recorded (same marketplace and effective date) is left as it is.
"""

from pathlib import Path

import yaml
from django.db import transaction

from .importing import import_schedules
from .models import FeeCategory

DATA_DIR = Path(__file__).parent / "data"
TAXONOMY_FILE = DATA_DIR / "taxonomy.yaml"
SEED_FILE = DATA_DIR / "seed_schedules.csv"
SEED_NOTE = "Donnée de référence initiale (domain.md §4) — à revérifier sur la page tarifaire de la plateforme."


class SeedError(Exception):
    """The seed file does not import; ``errors`` are the importer's {ligne, colonne, message}."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s) in {SEED_FILE.name}")
        self.errors = errors


def read_taxonomy(path: Path = TAXONOMY_FILE) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["categories"]
    codes = [entry["code"] for entry in entries]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"Duplicate category codes in {path.name}: {duplicates}")
    return entries


@transaction.atomic
def load_taxonomy(path: Path = TAXONOMY_FILE) -> int:
    """Create or update every category of the file (position = order in the file). Returns
    the number of categories in the file."""
    entries = read_taxonomy(path)
    for position, entry in enumerate(entries, start=1):
        FeeCategory.objects.update_or_create(
            code=entry["code"],
            defaults={"label": entry["label"], "label_en": entry.get("label_en") or "", "position": position},
        )
    return len(entries)


def load_seed(path: Path = SEED_FILE) -> dict:
    """Import the seed schedules not yet recorded. Needs the marketplaces and the taxonomy.
    Returns {"created", "skipped", "components"}; raises SeedError if the file does not import."""
    with path.open("rb") as handle:
        result = import_schedules(
            handle, filename=path.name, by=None, is_seed=True, alert=False, skip_existing=True, extra_notes=SEED_NOTE
        )
    if not result.succeeded:
        raise SeedError(result.errors)
    return {
        "created": len(result.schedules),
        "skipped": len(result.skipped),
        "components": sum(schedule.components.count() for schedule in result.schedules),
    }
