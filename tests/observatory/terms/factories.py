"""Rows of the contract-terms observatory built with the ORM (for page tests)."""

import hashlib
from datetime import datetime

from django.utils import timezone

from fairplace.observatory.terms.models import (
    ClauseChange,
    NoticeCheck,
    Snapshot,
    TermsVersion,
    TrackedDocument,
)


def at(day: str, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=hour))


def make_document(
    service="Amazon", title="Conditions des vendeurs", *, marketplace=None, doc_type="seller_terms", **fields
) -> TrackedDocument:
    return TrackedDocument.objects.create(
        service_name=service,
        title=title,
        marketplace=marketplace,
        doc_type=doc_type,
        urls=[f"https://{service.lower()}.example/cgv"],
        **fields,
    )


def make_version(
    document, day, *, previous=None, substantive=True, changes=(), notice=None, stated_dates=(), clause_count=10
) -> TermsVersion:
    fetched_at = at(day)
    snapshot = Snapshot.objects.create(
        document=document,
        fetched_at=fetched_at,
        source="fetch",
        markdown=f"texte du {day}",
        fingerprint=hashlib.sha256(f"{document.pk}{day}".encode()).hexdigest(),
        verdict="change" if previous else "first",
    )
    version = TermsVersion.objects.create(
        document=document,
        snapshot=snapshot,
        previous=previous,
        first_seen_at=fetched_at,
        substantive=substantive,
        stated_dates=list(stated_dates),
        clause_count=clause_count,
    )
    for position, change in enumerate(changes):
        fields = {"clause_id": f"c{position}", "number": f"{position + 1}.", "title": f"Clause {position + 1}"}
        fields.update(change)
        ClauseChange.objects.create(version=version, position=position, **fields)
    if notice is not None:
        NoticeCheck.objects.create(version=version, **notice)
    return version


def short_notice(**extra) -> dict:
    """Published on 5 August 2024, in force on 10 August: a 5-day notice, flagged."""
    fields = {
        "status": "short",
        "effective_on": "2024-08-10",
        "effective_basis": "stated_effective",
        "notified_on": "2024-08-05",
        "notified_source": "stated",
        "gap_days": 5,
        "needs_review": True,
    }
    fields.update(extra)
    return fields
