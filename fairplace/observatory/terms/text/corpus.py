"""Reading the Open Terms Archive corpus kept next to the project (``../shared/data/ota-p2b``).

The corpus is real OTA history (see its README): ``manifest.json`` lists every saved version with
its fetch date, record type and sha256; files live under ``versions/<collection>/<service>/<terms
type>/<fetch date>.md``. Nothing here copies or modifies it.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# fairplace/observatory/terms/text/corpus.py → the repository root is parents[4]; the corpus sits beside it.
DEFAULT_ROOT = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "ota-p2b"


@dataclass(frozen=True)
class CorpusVersion:
    path: Path
    fetch_date: datetime  # aware, UTC
    record_type: str  # "first_record", "change" or "technical_upgrade"
    sha256: str
    same_content_as: str | None  # manifest path of an earlier identical version (A → B → A), else None

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")


@dataclass(frozen=True)
class CorpusDocument:
    collection: str
    service: str
    terms_type: str
    versions: tuple[CorpusVersion, ...]  # oldest first

    @property
    def key(self) -> tuple[str, str, str]:
        return self.collection, self.service, self.terms_type


def corpus_root(root: Path | str | None = None) -> Path | None:
    """The corpus folder: ``root`` (Django callers pass the ``FAIRPLACE_OTA_CORPUS`` setting), else
    ``DEFAULT_ROOT`` beside the project; None if it holds no ``manifest.json``."""
    root = Path(root) if root else DEFAULT_ROOT
    return root if (root / "manifest.json").is_file() else None


def _parse_date(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def documents(root: Path | None = None) -> list[CorpusDocument]:
    """Every document of the manifest with its versions in fetch order ([] when there is no corpus)."""
    root = Path(root) if root else corpus_root()
    if root is None:
        return []
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    grouped: dict[tuple[str, str, str], list[CorpusVersion]] = {}
    for entry in manifest["versions"]:
        key = (entry["collection"], entry["service"], entry["terms_type"])
        grouped.setdefault(key, []).append(
            CorpusVersion(
                root / entry["path"],
                _parse_date(entry["fetch_date"]),
                entry["record_type"],
                entry["sha256"],
                entry.get("same_content_as"),
            )
        )
    return [
        CorpusDocument(*key, tuple(sorted(versions, key=lambda version: version.fetch_date)))
        for key, versions in grouped.items()
    ]


def document(service: str, terms_type: str, root: Path | None = None) -> CorpusDocument | None:
    return next((doc for doc in documents(root) if (doc.service, doc.terms_type) == (service, terms_type)), None)
