"""Importing OTA declarations and version histories (the real corpus, skipped when absent)."""

from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from fairplace.observatory.terms import ota
from fairplace.observatory.terms.models import ClauseChange, Snapshot, TermsVersion, TrackedDocument
from fairplace.observatory.terms.text.corpus import corpus_root

pytestmark = pytest.mark.django_db

ROOT = corpus_root(settings.FAIRPLACE_OTA_CORPUS)
needs_corpus = pytest.mark.skipif(
    ROOT is None,
    reason="OTA corpus absent: expected ../shared/data/ota-p2b beside the project or $FAIRPLACE_OTA_CORPUS",
)


def test_declaration_dict_with_combine_range_selector_and_filter(reference_data):
    documents, problems = ota.import_declaration(
        {
            "name": "Etsy",
            "terms": {
                "Marketplace Sellers Conditions": {
                    "fetch": "https://www.etsy.com/legal/sellers/",
                    "select": [{"startAfter": "#category-dropdown", "endBefore": "#locale_overlay_container"}],
                },
                "Ranking Parameters Description": {
                    "combine": [
                        {"fetch": "https://a.test/1", "select": ["#content"], "executeClientScripts": True},
                        {"fetch": "https://a.test/2", "select": "#content", "remove": ".nav", "filter": ["dropNav"]},
                    ]
                },
                "Complaints Policy": {"fetch": "https://a.test/complaints"},
            },
        }
    )
    by_title = {document.title: document for document in documents}
    sellers = by_title["Marketplace Sellers Conditions"]
    assert sellers.marketplace.slug == "etsy" and sellers.doc_type == "seller_terms"
    assert not sellers.is_active and sellers.select == [] and "plage" in sellers.import_notes
    ranking = by_title["Ranking Parameters Description"]
    assert ranking.doc_type == "ranking" and ranking.is_active and ranking.needs_js
    assert ranking.urls == ["https://a.test/1", "https://a.test/2"]
    assert ranking.select == ["#content"] and ranking.remove == [".nav"]
    assert by_title["Complaints Policy"].doc_type == "complaints"
    assert "Etsy / Ranking Parameters Description : filtre OTA « dropNav » non importable : code JavaScript" in problems
    assert any("startAfter" in problem for problem in problems)
    # Importing again updates, never duplicates.
    ota.import_declaration({"name": "Etsy", "terms": {"Complaints Policy": {"fetch": "https://a.test/new"}}})
    assert TrackedDocument.objects.get(title="Complaints Policy").urls == ["https://a.test/new"]
    assert TrackedDocument.objects.count() == 3


def test_not_a_declaration_is_reported(reference_data):
    assert ota.import_declaration({"foo": 1}) == (
        [],
        ["déclaration : pas une déclaration OTA (champs « name » et « terms » attendus)"],
    )


@needs_corpus
def test_corpus_declarations_are_imported_with_their_selectors(reference_data):
    documents, problems = ota.import_declaration(ROOT / "declarations")
    by_key = {(document.service_name, document.title): document for document in documents}
    boulanger = by_key[("Boulanger", "Marketplace Sellers Conditions")]
    assert boulanger.marketplace.slug == "boulanger" and boulanger.needs_js and boulanger.is_active
    assert boulanger.select == ["#cgv-hub"] and ".nav" in boulanger.remove
    assert boulanger.ota_collection == "p2b-compliance"
    amazon = by_key[("Amazon", "Marketplace Sellers Conditions")]
    assert len(amazon.urls) == 2 and amazon.select == ["#full-help-page"] and amazon.marketplace.slug == "amazon"
    assert by_key[("Amazon", "Ranking Parameters Description")].doc_type == "ranking"
    assert by_key[("Alibaba.com", "Marketplace Sellers Conditions")].marketplace.slug == "alibaba"
    assert by_key[("Cdiscount", "Commercial Terms")].select == [".acDes"]
    assert (
        "Cdiscount / Commercial Terms : filtre OTA « recoverReplacementCharacters » non importable : code "
        "JavaScript" in problems
    )
    developer = by_key[("Amazon", "Developer Terms")]
    assert not developer.is_active and "startBefore" in developer.import_notes
    assert any(problem.startswith("Amazon.history.json") for problem in problems)
    assert not any("manifest.json" in problem for problem in problems)


def _history(service, terms_type, collection="p2b-compliance"):
    counts = ota.import_history(collection, service, terms_type)
    return counts, TrackedDocument.objects.get(service_name=service, title=terms_type)


@needs_corpus
def test_boulanger_history_gives_exactly_one_version(reference_data):
    counts, document = _history("Boulanger", "Marketplace Sellers Conditions")
    assert counts == {"snapshots": 14, "skipped": 0, "versions": 1}
    assert document.versions.count() == 1 and document.marketplace.slug == "boulanger"
    verdicts = set(document.snapshots.values_list("verdict", flat=True))
    assert verdicts <= {"first", "truncated", "restored", "same", "flap"} and "truncated" in verdicts


@needs_corpus
def test_alibaba_2024_08_05_has_a_short_notice(reference_data):
    _counts, document = _history("Alibaba.com", "Marketplace Sellers Conditions")
    version = TermsVersion.objects.get(document=document, first_seen_at__date=date(2024, 8, 5))
    assert version.notice.status == "short" and version.notice.gap_days == 5 and version.notice.needs_review
    assert version.previous is not None
    assert document.snapshots.get(record_type="technical_upgrade").verdict == "technical"


@needs_corpus
def test_amazon_2024_03_18_is_substantive_with_clause_changes(reference_data):
    _counts, document = _history("Amazon", "Marketplace Sellers Conditions")
    version = TermsVersion.objects.get(document=document, first_seen_at__date=date(2024, 3, 18))
    assert version.substantive
    changes = set(ClauseChange.objects.filter(version=version).values_list("kind", "number"))
    assert {("removed", "11.3"), ("removed", "11.4"), ("modified", "13.")} <= changes


@needs_corpus
def test_cdiscount_apostrophe_churn_creates_no_version_and_reimport_adds_nothing(reference_data, personas):
    counts, document = _history("Cdiscount", "Commercial Terms", collection="contrib")
    by_day = {snapshot.fetched_at.date().isoformat(): snapshot for snapshot in document.snapshots.all()}
    for day in ("2026-02-16", "2026-07-28", "2026-07-29", "2026-07-30"):  # quote-only differences
        assert by_day[day].verdict == "same" and not hasattr(by_day[day], "version")
    assert counts["versions"] == document.versions.count()
    before = (Snapshot.objects.count(), TermsVersion.objects.count(), ClauseChange.objects.count())
    again = ota.import_history("contrib", "Cdiscount", "Commercial Terms")
    assert again == {"snapshots": 0, "skipped": counts["snapshots"], "versions": 0}
    assert (Snapshot.objects.count(), TermsVersion.objects.count(), ClauseChange.objects.count()) == before
    from fairplace.core.models import OutboxMessage

    assert not OutboxMessage.objects.exists()  # imports never alert


@needs_corpus
def test_command_imports_declarations_and_one_service_history(reference_data):
    out = StringIO()
    call_command(
        "import_ota",
        "--declarations",
        str(ROOT / "declarations" / "contrib"),
        "--history",
        "--service",
        "Alibaba.com",
        stdout=out,
    )
    text = out.getvalue()
    assert "document(s) suivi(s) importé(s)" in text
    assert "filtre OTA « recoverReplacementCharacters » non importable : code JavaScript" in text
    assert "Alibaba.com / Marketplace Sellers Conditions : 4 relevé(s) importé(s), 3 version(s)" in text
    out = StringIO()
    call_command("import_ota", "--history", "--service", "Alibaba.com", stdout=out)
    assert "0 relevé(s) importé(s), 0 version(s), 4 déjà importé(s)" in out.getvalue()


@needs_corpus
def test_kaufland_truncations_then_a_persistent_shorter_text(reference_data):
    _counts, document = _history("kaufland.de", "Commercial Terms")
    verdicts = {snapshot.fetched_at.date().isoformat(): snapshot.verdict for snapshot in document.snapshots.all()}
    assert verdicts["2022-11-04"] == verdicts["2022-12-21"] == "truncated"
    assert verdicts["2022-08-30"] == "technical"
    # Seen three times in a row, the shorter text (a duplicated copy dropped) is the new normal (noise.py).
    assert verdicts["2024-03-13"] == "change"
