"""The text engine on the real Open Terms Archive corpus (../shared/data/ota-p2b, or $FAIRPLACE_OTA_CORPUS)."""

import pytest
from django.conf import settings

from fairplace.observatory.terms.text.align import diff_versions
from fairplace.observatory.terms.text.corpus import corpus_root, document, documents
from fairplace.observatory.terms.text.noise import classify_history
from fairplace.observatory.terms.text.normalise import fingerprint

ROOT = corpus_root(settings.FAIRPLACE_OTA_CORPUS)
pytestmark = pytest.mark.skipif(
    ROOT is None,
    reason="OTA corpus absent: expected ../shared/data/ota-p2b beside the project or $FAIRPLACE_OTA_CORPUS",
)


def _document(service, terms_type):
    found = document(service, terms_type, ROOT)
    assert found is not None, f"{service} / {terms_type} missing from the corpus manifest"
    return found


def test_manifest_is_read_in_order_with_aware_dates():
    docs = documents(ROOT)
    assert len(docs) == 13 and sum(len(doc.versions) for doc in docs) == 144
    for doc in docs:
        dates = [version.fetch_date for version in doc.versions]
        assert dates == sorted(dates) and all(date.tzinfo is not None for date in dates)


@pytest.mark.parametrize("doc", documents(ROOT), ids=lambda doc: f"{doc.service}/{doc.terms_type}")
def test_every_consecutive_pair_diffs(doc):
    texts = [version.read() for version in doc.versions]
    for position, (old, new) in enumerate(zip(texts, texts[1:], strict=False), start=1):
        diff = diff_versions(old, new)
        if doc.versions[position].same_content_as == doc.versions[position - 1].same_content_as is not None:
            assert not diff.changes
        for change in diff.changes:
            assert change.kind in ("added", "removed", "modified", "moved")
            assert change.clause is not None
    assert len(classify_history(texts)) == len(texts)


def test_identical_bytes_in_the_manifest_give_identical_fingerprints():
    for doc in documents(ROOT):
        by_path = {str(version.path).split("ota-p2b/", 1)[1]: version for version in doc.versions}
        for version in doc.versions:
            if version.same_content_as:
                assert fingerprint(version.read()) == fingerprint(by_path[version.same_content_as].read())


def test_boulanger_truncated_full_alternation_is_never_a_change():
    doc = _document("Boulanger", "Marketplace Sellers Conditions")
    verdicts = classify_history([version.read() for version in doc.versions])
    kinds = [verdict.kind for verdict in verdicts]
    assert kinds[0] == "first" and "change" not in kinds
    assert set(kinds[1:]) <= {"truncated", "restored", "same", "flap"}
    assert "truncated" in kinds and "restored" in kinds


def test_cdiscount_apostrophe_churn_is_not_substantive():
    doc = _document("Cdiscount", "Commercial Terms")
    texts = [version.read() for version in doc.versions]
    verdicts = classify_history(texts)
    quote_only = 0
    for position in range(1, len(texts)):
        old, new = texts[position - 1], texts[position]
        straightened = [text.replace("\u2019", "'").replace("\u2018", "'") for text in (old, new)]
        if old != new and straightened[0] == straightened[1]:
            quote_only += 1
            diff = diff_versions(old, new)
            assert diff.normalised_equal and not diff.substantive and not diff.changes
            assert verdicts[position].kind == "same"
    assert quote_only >= 3  # 2026-02-16 and the three versions of late July 2026


def test_cdiscount_block_order_flip_comes_back_as_a_flap():
    doc = _document("Cdiscount", "Commercial Terms")
    verdicts = classify_history([version.read() for version in doc.versions])
    by_date = {
        version.fetch_date.date().isoformat(): verdict.kind
        for version, verdict in zip(doc.versions, verdicts, strict=True)
    }
    assert by_date["2026-06-30"] == "flap"  # back to the 2026-06-19 text after the 06-29 reordering


def test_amazon_2024_03_18_is_substantive_with_its_clauses():
    doc = _document("Amazon", "Marketplace Sellers Conditions")
    dates = [version.fetch_date.date().isoformat() for version in doc.versions]
    position = dates.index("2024-03-18")
    assert doc.versions[position].record_type == "change"
    old, new = doc.versions[position - 1].read(), doc.versions[position].read()
    diff = diff_versions(old, new)
    assert diff.substantive
    changes = {(change.kind, change.clause.number, change.clause.title) for change in diff.changes}
    # Section 11 lost its clauses 11.3 (processing of customer personal data) and 11.4 (restricted transfers),
    # section 13 its sub-numbering; the definitions dropped the BE Amazon Site; the "Last updated" line moved.
    assert {("removed", "11.3", ""), ("removed", "11.4", ""), ("removed", "13.2", "")} <= changes
    assert ("modified", "13.", "Relationship of Parties") in changes
    assert ("modified", "F.9.1.", "Fees.") in changes
    # The definitions section is one clause per term: the BE Amazon Site's definition is removed as such, the
    # definitions that listed it are modified, the others (and the section's introduction) are unchanged.
    assert ("removed", "", "Définition « BE Amazon Site »") in changes
    removed = next(change for change in diff.changes if change.clause.title == "Définition « BE Amazon Site »")
    assert removed.clause.id == "_:definitions/def:be-amazon-site"
    assert removed.old.text.startswith('"BE Amazon Site" means that website')
    amazon_site = next(change for change in diff.changes if change.clause.title == "Définition « Amazon Site »")
    assert amazon_site.kind == "modified" and ("-", "Site, the BE Amazon") in amazon_site.word_diff
    titles = {change.clause.title for change in diff.changes}
    assert "Definitions" not in titles and "Définition « Amazon Associated Properties »" not in titles
    header = diff.changes[0]
    assert header.clause.title == "Amazon Services Europe Business Solutions Agreement"
    assert ("-", "February 1,") in header.word_diff and ("+", "March 13,") in header.word_diff
    assert classify_history([old, new])[1].kind == "change"
