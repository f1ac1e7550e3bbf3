"""Language switches over a history: never a change, judged against the last text in the document's language,
a change once the new language persists; the Amazon mediation page of the corpus; detect_language on every
corpus version."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from fairplace.observatory.terms import ota
from fairplace.observatory.terms.models import DocumentType, TermsVersion, TrackedDocument
from fairplace.observatory.terms.recording import record_snapshot
from fairplace.observatory.terms.text.corpus import corpus_root, document, documents
from fairplace.observatory.terms.text.noise import (
    LANGUAGE_PERSISTENCE,
    classify_history,
    detect_language,
    translated_lines,
)

FRENCH = """# Conditions vendeurs

**1. Commissions**

Le vendeur paie une commission de 10 % sur chaque vente réalisée sur la place de marché.

**2. Résiliation**

Chaque partie peut résilier le contrat avec un préavis de 30 jours, par écrit et sans frais.
"""

ENGLISH = """# Seller terms

**1. Fees**

The seller pays a referral fee of 10 % on each sale made on the marketplace.

**2. Termination**

Either party may terminate the agreement with 30 days' notice, in writing and at no cost.
"""

FRENCH_EDITED = FRENCH.replace("10 %", "12 %")
ENGLISH_EDITED = ENGLISH.replace("10 %", "12 %")

# The same English policy under a French or an English page header (Amazon's mediation page).
POLICY = """Mediation Policy
================

1. **Eligibility.** You may be eligible for mediation services to settle disputes between you and us.

2. **Fees.** You will be required to pay any fees for the mediation directly to the mediator.
"""
HEADER_EN = "This article applies to selling in: **France**\n\n" + POLICY
HEADER_FR = "Cet article s'applique à la vente en : **France**\n\n" + POLICY


def kinds(texts):
    return [verdict.kind for verdict in classify_history(texts)]


def test_fr_en_fr_is_two_switches_never_a_flap():
    verdicts = classify_history([FRENCH, ENGLISH, FRENCH])
    assert [verdict.kind for verdict in verdicts] == ["first", "language_switch", "language_switch"]
    assert verdicts[1].detail == "fr → en" and verdicts[1].reference == 0
    assert verdicts[2].detail.startswith("en → fr") and verdicts[2].reference == 0
    assert not any(verdict.is_change for verdict in verdicts)


def test_a_change_after_a_switch_back_is_judged_against_the_last_text_in_that_language():
    verdicts = classify_history([FRENCH, ENGLISH, FRENCH_EDITED])
    assert [verdict.kind for verdict in verdicts] == ["first", "language_switch", "change"]
    assert verdicts[2].reference == 0  # the French text, not the English rendering in between


def test_a_switch_back_to_an_older_text_is_a_switch_not_a_flap():
    older = FRENCH.replace("10 %", "8 %")
    assert kinds([older, FRENCH, ENGLISH, older]) == ["first", "change", "language_switch", "language_switch"]


def test_an_edit_of_the_other_rendering_is_still_a_switch():
    # The English rendering changed while the document is French: not a version (nothing to diff it with).
    assert kinds([FRENCH, ENGLISH, ENGLISH_EDITED, FRENCH]) == [
        "first",
        "language_switch",
        "language_switch",
        "language_switch",
    ]


def test_an_alternation_never_persists():
    texts = [FRENCH, ENGLISH] * 5
    assert kinds(texts) == ["first"] + ["language_switch"] * 9


def test_a_persistent_move_to_another_language_becomes_a_change():
    assert LANGUAGE_PERSISTENCE == 3
    verdicts = classify_history([ENGLISH, FRENCH, FRENCH, FRENCH, FRENCH, ENGLISH, FRENCH_EDITED])
    assert [verdict.kind for verdict in verdicts] == [
        "first",
        "language_switch",
        "same",
        "change",
        "same",
        "language_switch",
        "change",
    ]
    assert "le document a changé de langue" in verdicts[3].detail and verdicts[3].reference == 0
    # French is now the document's language: English is the switch, and the edit is diffed with French.
    assert verdicts[5].detail == "fr → en" and verdicts[6].reference == 4


def test_a_page_header_in_another_language_is_a_switch():
    verdicts = classify_history([HEADER_EN, HEADER_FR, HEADER_EN, HEADER_FR])
    assert [verdict.kind for verdict in verdicts] == ["first"] + ["language_switch"] * 3
    assert verdicts[1].detail == "en → fr (lignes traduites)"
    assert translated_lines(HEADER_EN, HEADER_FR) == "en → fr"


def test_a_translated_header_with_a_real_edit_is_a_change():
    edited = HEADER_FR.replace("directly to the mediator", "to us")
    assert kinds([HEADER_EN, edited]) == ["first", "change"]
    assert translated_lines(HEADER_EN, HEADER_EN.replace("selling in", "selling at")) == ""
    # A translation keeps its numbers: "30 days" rewritten "15 jours" is no translation.
    assert translated_lines("Notice of 30 days for the seller.\n", "Un préavis de 15 jours pour le vendeur.\n") == ""


def test_spanish_is_not_french():
    assert detect_language("El vendedor paga una comisión por cada venta y los gastos del envío a su cargo.") == "es"
    assert detect_language(FRENCH) == "fr" and detect_language(ENGLISH) == "en"


# --- recording -------------------------------------------------------------------------------------------

START = datetime(2024, 8, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def tracked(reference_data):
    return TrackedDocument.objects.create(
        service_name="Exemple",
        doc_type=DocumentType.SELLER_TERMS,
        title="Conditions vendeurs",
        urls=["https://exemple.test/cgv"],
    )


def _record(tracked, markdown, hours):
    return record_snapshot(
        tracked, fetched_at=START + timedelta(hours=hours), markdown=markdown, source="fetch", alert=False
    )


@pytest.mark.django_db
def test_recording_diffs_a_change_after_switches_against_the_french_version(tracked):
    _record(tracked, FRENCH, 0)
    assert [_record(tracked, text, hours).verdict for hours, text in ((1, ENGLISH), (2, FRENCH), (3, ENGLISH))] == [
        "language_switch"
    ] * 3
    assert _record(tracked, FRENCH_EDITED, 4).verdict == "change"
    for hours in range(5, 13):
        assert _record(tracked, ENGLISH if hours % 2 else FRENCH_EDITED, hours).verdict == "language_switch"
    # The history window now starts with an English rendering, older than the reference (hour 4): recording
    # tells noise.py where the reference is, so French stays the document's language.
    changed = _record(tracked, FRENCH_EDITED.replace("30 jours", "60 jours"), 13)
    assert changed.verdict == "change"
    changes = list(changed.version.clause_changes.all())
    assert [(change.kind, change.number) for change in changes] == [("modified", "2.")]
    assert TermsVersion.objects.filter(document=tracked).count() == 3


def test_the_reference_position_sets_the_language_of_the_window():
    window = [ENGLISH, FRENCH, ENGLISH, FRENCH_EDITED, ENGLISH, FRENCH_EDITED, ENGLISH]
    edited = FRENCH_EDITED.replace("30 jours", "60 jours")
    assert classify_history([*window, edited], reference=3)[-1].kind == "change"
    assert classify_history([*window, edited])[-1].kind == "language_switch"  # English would be the language


@pytest.mark.django_db
def test_recording_a_persistent_move(tracked):
    _record(tracked, FRENCH, 0)
    assert [_record(tracked, ENGLISH, hours).verdict for hours in (1, 2, 3)] == ["language_switch", "same", "change"]
    moved = TermsVersion.objects.filter(document=tracked).latest("first_seen_at")
    assert moved.language == "en"
    assert _record(tracked, FRENCH, 4).verdict == "language_switch"
    assert _record(tracked, ENGLISH_EDITED, 5).verdict == "change"


# --- corpus ----------------------------------------------------------------------------------------------

ROOT = corpus_root(settings.FAIRPLACE_OTA_CORPUS)
needs_corpus = pytest.mark.skipif(
    ROOT is None,
    reason="OTA corpus absent: expected ../shared/data/ota-p2b beside the project or $FAIRPLACE_OTA_CORPUS",
)


@needs_corpus
def test_amazon_mediation_page_alternation_is_language_switches():
    doc = document("Amazon", "Complaints Policy", ROOT)
    texts = [version.read() for version in doc.versions]
    verdicts = classify_history(texts)
    french_header = [text.startswith("Cet article") for text in texts]
    assert sum(french_header) >= 4
    first_french = french_header.index(True)
    # Before it: the UK page, then the France page (real changes); from it on, only switches.
    assert [verdict.kind for verdict in verdicts[:first_french]] == ["first", "change", "same"]
    assert all(verdict.kind == "language_switch" for verdict in verdicts[first_french:])
    for verdict, french in zip(verdicts[first_french:], french_header[first_french:], strict=True):
        assert verdict.detail.startswith("en → fr" if french else "fr → en")
        # Compared with the last text under the English header, never with a French-header one.
        assert verdict.reference == max(i for i in range(verdict.index) if not french_header[i])


@needs_corpus
@pytest.mark.django_db
def test_importing_the_amazon_mediation_page_records_the_switches_and_no_version(reference_data):
    counts = ota.import_history("p2b-compliance", "Amazon", "Complaints Policy")
    tracked = TrackedDocument.objects.get(service_name="Amazon", title="Complaints Policy")
    verdicts = list(tracked.snapshots.order_by("fetched_at").values_list("verdict", flat=True))
    # The UK page, the France page, its re-extraction (an OTA technical upgrade); then the header's language
    # alternates: switches only, never a version.
    assert counts["versions"] == 2 and verdicts[:3] == ["first", "change", "technical"]
    assert set(verdicts[3:]) == {"language_switch"} and len(verdicts) == 12


@needs_corpus
@pytest.mark.parametrize("doc", documents(ROOT), ids=lambda doc: f"{doc.service}/{doc.terms_type}")
def test_detect_language_on_every_corpus_version(doc):
    # Vinted's seller terms in the corpus are Spanish (they read "fr" before "es" was known); Amazon's
    # mediation page is English under both headers; the others are as the manifest notes say.
    expected = {"Rakuten": "fr", "Boulanger": "fr", "Cdiscount": "fr", "kaufland.de": "de", "Vinted": "es"}
    languages = {detect_language(version.read()) for version in doc.versions}
    assert languages == {expected.get(doc.service, "en")}
