"""The indicator registry (data/indicators.yaml), validated at load time."""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

KINDS = {"count", "rate", "per_thousand", "distribution", "breakdown"}
REQUIRED = (
    "code",
    "kind",
    "unit",
    "unit_en",
    "label",
    "label_en",
    "definition",
    "definition_en",
    "formula",
    "source_events",
    "basis",
    "measures",
)


@dataclass(frozen=True)
class Indicator:
    code: str
    kind: str
    unit: str
    unit_en: str
    label: str
    label_en: str
    definition: str
    definition_en: str
    formula: str
    source_events: tuple[str, ...]
    basis: str
    measures: dict = field(hash=False, compare=False)
    higher_is_better: bool | None = None
    min_sample: int | None = None

    @property
    def is_rate(self) -> bool:
        return self.kind in ("rate", "breakdown")

    @property
    def rank_min_sample(self) -> int:
        """Minimum number of cases to rank a marketplace on this indicator."""
        return self.min_sample or barometer_setting("MIN_SAMPLE_RANK")

    def text(self, name: str, lang: str = "fr") -> str:
        return getattr(self, f"{name}_en") if lang == "en" else getattr(self, name)


def barometer_setting(name: str) -> int:
    return settings.FAIRPLACE_BAROMETER[name]


@cache
def registry() -> dict[str, Indicator]:
    raw = yaml.safe_load((Path(__file__).parent / "data" / "indicators.yaml").read_text(encoding="utf-8"))
    found = {}
    for entry in raw["indicators"]:
        missing = [key for key in REQUIRED if key not in entry]
        if missing or entry["kind"] not in KINDS or entry["code"] in found:
            raise ValueError(f"indicators.yaml: bad entry {entry.get('code')!r} (missing {missing})")
        entry = {**entry, "source_events": tuple(entry["source_events"])}
        found[entry["code"]] = Indicator(**entry)
    return found


def get(code: str) -> Indicator:
    return registry()[code]


def all_indicators() -> list[Indicator]:
    return list(registry().values())
