"""record_snapshot with small hand-written documents: verdicts, versions, clause changes, notice, alerts."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fairplace.core.models import OutboxMessage
from fairplace.observatory.terms.models import (
    ClauseChange,
    DocumentType,
    NoticeCheck,
    Snapshot,
    TermsVersion,
    TrackedDocument,
)
from fairplace.observatory.terms.recording import record_snapshot

pytestmark = pytest.mark.django_db

START = datetime(2024, 8, 1, 8, 0, tzinfo=UTC)

BASE = """# Seller Terms

Last updated: 1 July 2024

## 1. Fees

1.1 The seller pays a referral fee of 15 % on each sale, invoiced monthly by the marketplace operator.

1.2 Payments to the seller are made every fourteen days to the bank account the seller declared.

## 2. Suspension

2.1 We may suspend the seller's account with thirty days' notice when the seller breaches these terms.

2.2 The seller may contest a suspension through the internal complaint-handling system described below.

## 3. Jurisdiction

3.1 These terms are governed by the law of Luxembourg and the courts of Luxembourg have jurisdiction.
"""

CHANGED = (
    BASE.replace("Last updated: 1 July 2024", "Last updated on 5 August 2024 and effective as of 10 August 2024")
    .replace("referral fee of 15 %", "referral fee of 18 %")
    .replace("2.2 The seller may contest", "2.2 The seller may no longer contest")
)

OTHER = BASE.replace("every fourteen days", "every seven days, on Mondays,")


@pytest.fixture
def document(reference_data):
    return TrackedDocument.objects.create(
        service_name="Exemple",
        doc_type=DocumentType.SELLER_TERMS,
        title="Conditions vendeurs",
        urls=["https://exemple.test/cgv"],
    )


def record(document, markdown, hours, **extra):
    extra.setdefault("source", "fetch")
    return record_snapshot(document, fetched_at=START + timedelta(hours=hours), markdown=markdown, **extra)


def test_first_version(document):
    snapshot = record(
        document, BASE, 0, status_code=200, body=b"<html>...</html>", final_url="https://exemple.test/cgv"
    )
    assert snapshot.verdict == "first"
    assert len(snapshot.body_sha256) == 64 and snapshot.fingerprint
    version = snapshot.version
    assert version.previous is None and version.substantive and version.language == "en"
    assert version.clause_count >= 5
    [stated] = version.stated_dates
    assert stated == {
        "kind": "last_updated",
        "date": "2024-07-01",
        "text": stated["text"],
        "language": "en",
        "ambiguous": False,
        "historical": False,
    }
    assert "1 July 2024" in stated["text"]
    assert not version.clause_changes.exists()
    # The first version seen is no observed change, and "last updated" alone says nothing of a notice.
    assert version.notice.status == "unknown" and not version.notice.needs_review


def test_first_version_stating_its_date_of_effect_is_checked(document):
    snapshot = record(document, CHANGED, 0)
    notice = snapshot.version.notice
    assert (notice.status, notice.gap_days, notice.notified_source) == ("short", 5, "stated")


def test_same_text_makes_no_version(document):
    record(document, BASE, 0)
    snapshot = record(document, BASE.replace("\n", "\r\n") + "\n\n", 1)
    assert snapshot.verdict == "same"
    assert TermsVersion.objects.count() == 1 and Snapshot.objects.count() == 2


def test_quote_only_change_makes_no_version(document):
    record(document, BASE, 0)
    snapshot = record(document, BASE.replace("seller's", "seller\u2019s").replace("days'", "days\u2019"), 1)
    assert snapshot.verdict == "same"
    assert TermsVersion.objects.count() == 1


def test_flap_back_to_an_earlier_text_makes_no_new_version(document):
    record(document, BASE, 0)
    second = record(document, OTHER, 1)
    assert second.verdict == "change"
    back = record(document, BASE, 2)
    assert back.verdict == "flap"
    assert TermsVersion.objects.count() == 2


def test_truncated_and_empty_renderings_are_never_a_change(document):
    record(document, BASE, 0)
    truncated = record(document, BASE.split("## 2.")[0], 1)
    assert truncated.verdict == "truncated"
    empty = record(document, "  \n\n", 2)
    assert empty.verdict == "truncated"
    restored = record(document, BASE, 3)
    assert restored.verdict in ("restored", "same", "flap")
    assert TermsVersion.objects.count() == 1


def test_empty_first_fetch_is_not_a_first_version(document):
    assert record(document, "", 0).verdict == "truncated"
    assert record(document, BASE, 1).verdict == "first"
    assert TermsVersion.objects.count() == 1


def test_real_change_makes_a_version_with_its_clause_changes(document):
    first = record(document, BASE, 0)
    snapshot = record(document, CHANGED, 24 * 4, alert=False)
    assert snapshot.verdict == "change"
    version = snapshot.version
    assert version.previous == first.version and version.substantive
    changes = {(change.kind, change.number) for change in version.clause_changes.all()}
    assert ("modified", "1.1") in changes and ("modified", "2.2") in changes
    fee = ClauseChange.objects.get(version=version, number="1.1")
    assert "fees" in fee.topics
    assert "<del>" in fee.diff_html and "<ins>" in fee.diff_html and "18" in fee.diff_html
    assert "15 %" in fee.old_text and "18 %" in fee.new_text
    suspension = ClauseChange.objects.get(version=version, number="2.2")
    assert "no longer" in suspension.new_text


def test_notice_check_short_for_a_five_day_gap(document):
    record(document, BASE, 0)
    snapshot = record(document, CHANGED, 24 * 4, alert=False)  # seen on 5 August 2024
    notice = NoticeCheck.objects.get(version=snapshot.version)
    assert notice.effective_on == date(2024, 8, 10) and notice.effective_basis == "stated_effective"
    assert notice.notified_on == date(2024, 8, 5) and notice.notified_source == "stated"
    assert notice.gap_days == 5 and notice.status == "short" and notice.needs_review


def test_technical_upgrade_is_kept_apart(document):
    record(document, BASE, 0, source="ota_import")
    snapshot = record(document, OTHER, 1, source="ota_import", record_type="technical_upgrade")
    assert snapshot.verdict == "technical"
    assert TermsVersion.objects.count() == 1
    # The next change is compared with the re-extracted text.
    after = record(document, OTHER.replace("referral fee of 15 %", "referral fee of 18 %"), 2, source="ota_import")
    assert after.verdict == "change"
    assert [change.number for change in after.version.clause_changes.all()] == ["1.1"]


def test_alert_goes_to_observatory_staff_only_once(document, personas):
    record(document, BASE, 0)
    assert not OutboxMessage.objects.exists()  # a first version is no change: no alert
    snapshot = record(document, CHANGED, 24 * 4)
    messages = OutboxMessage.objects.filter(template="terms_change_alert")
    recipients = sorted(messages.values_list("to", flat=True))
    assert recipients == sorted(personas[name].email for name in ("agent", "supervisor", "administrator"))
    message = messages.first()
    assert "Exemple" in message.subject and "Conditions vendeurs" in message.subject
    assert f"/observatoire/conditions/versions/{snapshot.version.pk}/" in message.body_text
    assert "1.1" in message.body_text and "5 jours" in message.body_text
    # Same text again, and a flap: no new version, no new alert.
    record(document, CHANGED, 24 * 5)
    record(document, BASE, 24 * 6)
    assert OutboxMessage.objects.filter(template="terms_change_alert").count() == 3


def test_no_alert_for_a_cosmetic_only_change_or_when_disabled(document, personas):
    record(document, BASE, 0)
    cosmetic = record(document, BASE.replace("Luxembourg have", "LUXEMBOURG have"), 1)
    assert cosmetic.verdict == "change" and not cosmetic.version.substantive
    disabled = record(document, CHANGED, 2, alert=False)
    assert disabled.version.substantive
    assert not OutboxMessage.objects.exists()
