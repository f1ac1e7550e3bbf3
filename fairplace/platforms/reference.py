"""Load the marketplace registry from ``data/marketplaces.yaml`` (idempotent)."""

from pathlib import Path

import yaml
from django.db import transaction

from .models import Marketplace

DATA_FILE = Path(__file__).parent / "data" / "marketplaces.yaml"
FIELDS = ("name", "operator", "website", "country", "group")


def read_marketplaces(path: Path = DATA_FILE) -> list[dict]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["marketplaces"]
    slugs = [entry["slug"] for entry in entries]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise ValueError(f"Duplicate marketplace slugs in {path.name}: {sorted(duplicates)}")
    return entries


@transaction.atomic
def load_marketplaces(path: Path = DATA_FILE) -> tuple[int, int]:
    """Create or update every marketplace of the file. Returns (created, updated)."""
    created = updated = 0
    for entry in read_marketplaces(path):
        defaults = {field: entry.get(field) or "" for field in FIELDS}
        _, was_created = Marketplace.objects.update_or_create(slug=entry["slug"], defaults=defaults)
        created += was_created
        updated += not was_created
    return created, updated
