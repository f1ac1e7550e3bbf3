"""Dates stated in terms texts: every cue and format in French, English and German, and the guards."""

from datetime import date

import pytest

from fairplace.observatory.terms.text.dates import (
    EFFECTIVE,
    HEAD_CHARS,
    LAST_UPDATED,
    current,
    parse_date,
    stated_dates,
)


def only(markdown):
    """The single (kind, date) stated in ``markdown``."""
    found = stated_dates(markdown)
    assert len(found) == 1, found
    return found[0].kind, found[0].date


@pytest.mark.parametrize(
    ("markdown", "kind", "expected"),
    [
        # English
        ("Last updated: August 5, 2024", LAST_UPDATED, date(2024, 8, 5)),
        ("Last updated on Dec 6, 2023", LAST_UPDATED, date(2023, 12, 6)),
        ("Last modified: 5 August 2024", LAST_UPDATED, date(2024, 8, 5)),
        ("This Agreement was updated on 5th August 2024.", LAST_UPDATED, date(2024, 8, 5)),
        ("Effective as of 10 August, 2024", EFFECTIVE, date(2024, 8, 10)),
        ("These terms are effective from 2024-08-10.", EFFECTIVE, date(2024, 8, 10)),
        ("Effective Date: December 2, 2020, Beijing Time", EFFECTIVE, date(2020, 12, 2)),
        ("Effective date of these terms: 1 March 2024", EFFECTIVE, date(2024, 3, 1)),
        ("This version is in force from April 30th, 2021.", EFFECTIVE, date(2021, 4, 30)),
        ("This policy was published on October 19, 2022.", LAST_UPDATED, date(2022, 10, 19)),
        ("It will take effect on December 1, 2022.", EFFECTIVE, date(2022, 12, 1)),
        # French
        ("_**Version mise à jour le 1er janvier 2022**_", LAST_UPDATED, date(2022, 1, 1)),
        ("Dernière mise à jour : 15 janvier 2024", LAST_UPDATED, date(2024, 1, 15)),
        ("Conditions modifiées le 08 septembre 2022.", LAST_UPDATED, date(2022, 9, 8)),
        ("Version n°5 en vigueur au 30 septembre 2021", EFFECTIVE, date(2021, 9, 30)),
        ("Conditions en vigueur à compter du 1er mars 2023.", EFFECTIVE, date(2023, 3, 1)),
        ("Applicable à compter du 10/08/2024.", EFFECTIVE, date(2024, 8, 10)),
        ("Le présent contrat entre en vigueur le 1er août 2024.", EFFECTIVE, date(2024, 8, 1)),
        ("Les présentes conditions entrent en vigueur le 2 février 2023.", EFFECTIVE, date(2023, 2, 2)),
        ("Conditions publiées le 3 décembre 2023.", LAST_UPDATED, date(2023, 12, 3)),
        ("La modification prendra effet le 1er juillet 2024.", EFFECTIVE, date(2024, 7, 1)),
        # German
        ("Zuletzt aktualisiert am 1. März 2024", LAST_UPDATED, date(2024, 3, 1)),
        ("Stand: 01.03.2024", LAST_UPDATED, date(2024, 3, 1)),
        ("Diese AGB wurden aktualisiert am 12.02.2024.", LAST_UPDATED, date(2024, 2, 12)),
        ("Gültig ab 1. März 2024", EFFECTIVE, date(2024, 3, 1)),
        ("Diese Fassung gilt ab 01.04.2024.", EFFECTIVE, date(2024, 4, 1)),
        ("Die Änderungen treten in Kraft ab 15. Mai 2024.", EFFECTIVE, date(2024, 5, 15)),
        ("Die Händler-AGB sind wirksam ab 2024-05-15.", EFFECTIVE, date(2024, 5, 15)),
        ("Veröffentlicht am 2. April 2024.", LAST_UPDATED, date(2024, 4, 2)),
    ],
)
def test_every_cue_and_format(markdown, kind, expected):
    assert only(markdown) == (kind, expected)


@pytest.mark.parametrize(
    "markdown",
    [
        "Last updated: **August 5, 2024**",
        "**Last updated:** _August 5, 2024_",
        "Last updated:\u00a0August\u00a05,\u00a02024\u200b",
        "*Last updated*: __5 August 2024__",
    ],
)
def test_markdown_emphasis_and_invisible_characters(markdown):
    assert only(markdown) == (LAST_UPDATED, date(2024, 8, 5))


def test_snippet_offset_and_language():
    markdown = "# Seller terms\n\nPart A: New version - updated on 5 August 2024 and effective as of 10 August, 2024\n"
    updated, effective = stated_dates(markdown)
    assert (updated.kind, updated.date, updated.language) == (LAST_UPDATED, date(2024, 8, 5), "en")
    assert updated.text == "updated on 5 August 2024"
    assert markdown[updated.offset :].startswith("updated on")
    assert (effective.kind, effective.date) == (EFFECTIVE, date(2024, 8, 10))
    assert effective.text == "effective as of 10 August, 2024"


def test_languages_are_those_of_the_cues():
    assert [s.language for s in stated_dates("mise à jour le 1er mars 2023")] == ["fr"]
    assert [s.language for s in stated_dates("gültig ab 1. März 2024")] == ["de"]


def test_old_version_dates_are_historical_and_current_skips_them():
    markdown = (
        "Part A: New version - updated on 5 August 2024 and effective as of 10 August, 2024\n\n"
        "1. Terms\n\n"
        "Part B: Old version - updated on April 30th, 2021 and effective as of January 16th, 2021\n"
    )
    found = stated_dates(markdown)
    assert [(s.date, s.historical) for s in found] == [
        (date(2024, 8, 5), False),
        (date(2024, 8, 10), False),
        (date(2021, 4, 30), True),
        (date(2021, 1, 16), True),
    ]
    assert current(found, EFFECTIVE).date == date(2024, 8, 10)
    assert current(found, LAST_UPDATED).date == date(2024, 8, 5)
    assert current([s for s in found if s.historical], EFFECTIVE) is None


# --- numeric dates: day first, ambiguity reported ---------------------------------------------------


def test_english_numeric_date_is_read_day_first_and_marked_ambiguous():
    (found,) = stated_dates("Effective from 10/08/2024.")
    assert found.date == date(2024, 8, 10)
    assert found.ambiguous


def test_english_numeric_date_with_one_possible_reading_is_not_ambiguous():
    (us_style,) = stated_dates("Last updated: 08/25/2024")
    assert (us_style.date, us_style.ambiguous) == (date(2024, 8, 25), False)
    (eu_style,) = stated_dates("Last updated: 25/08/2024")
    assert (eu_style.date, eu_style.ambiguous) == (date(2024, 8, 25), False)
    (same,) = stated_dates("Last updated: 05/05/2024")
    assert (same.date, same.ambiguous) == (date(2024, 5, 5), False)


@pytest.mark.parametrize("markdown", ["Applicable à compter du 10/08/2024.", "Gültig ab 10.08.2024"])
def test_french_and_german_numeric_dates_are_day_first_without_doubt(markdown):
    (found,) = stated_dates(markdown)
    assert (found.date, found.ambiguous) == (date(2024, 8, 10), False)


def test_dotted_dates_are_never_month_first():
    assert stated_dates("Stand: 08.25.2024") == []


def test_impossible_dates_are_not_taken():
    assert stated_dates("Last updated: 31 February 2024") == []
    assert stated_dates("Effective from 2024-13-01") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1er mars 2023", date(2023, 3, 1)),
        ("1. März 2024", date(2024, 3, 1)),
        ("5th August 2024", date(2024, 8, 5)),
        ("August 5, 2024", date(2024, 8, 5)),
        ("10 August, 2024", date(2024, 8, 10)),
        ("2024-08-10", date(2024, 8, 10)),
        ("01.03.2024", date(2024, 3, 1)),
        ("10/08/2024", date(2024, 8, 10)),
        ("Sept. 3, 2023", date(2023, 9, 3)),
        ("3 août 2023", date(2023, 8, 3)),
        ("3 décembre 2023", date(2023, 12, 3)),
        ("no date here", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


# --- false positives -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        # dates in clause bodies, without a cue
        "Invoices issued before 1 March 2024 remain payable under the former fee schedule.",
        "Les commandes passées à compter du 1er mars 2024 sont soumises aux nouveaux frais.",
        "Die Gebühren werden zum 01.03.2024 fällig.",
        # a cue word, but the date is in another sentence
        "Your continued use of the Services after the effective date of any change will constitute your "
        "acceptance. Fees due on 10 August 2024 are payable by card.",
        "The amended Agreement shall be effective immediately upon posting. Payments due 5 August 2024.",
        # a cue, but the date is too far or in a relative phrase
        "The effective date of any change made to the fee schedule by the operator is 1 March 2024.",
        "Changes become effective from the day after 1 March 2024.",
        "Rakuten applique la réglementation en vigueur le cas échéant, notamment au 1er mars 2024 et après.",
        # "Stand" as plain German, and a date after it
        "Der Händler hält alle Angaben auf aktuellem Stand, etwa zum 01.03.2024.",
        # older versions listed through links: dates in URLs are never read
        "_Pour consulter la version en vigueur du 20.05.2021 au 23.09.2021, cliquez "
        "[ici](https://example.com/CPVP_en_vigueur_le_24092021_et_le_31122021.pdf)._",
        "Updated on [our site](https://example.com/updated-on-2024-08-05) regularly.",
        # a cue with no date at all
        "We will also update the “Last Updated” date at the top of these Terms.",
    ],
)
def test_dates_without_a_cue_in_their_sentence_are_ignored(markdown):
    assert stated_dates(markdown) == []


def test_date_on_the_line_after_a_cue_in_the_head_only():
    head = "# Terms\n\n**Effective date**\n\n1 March 2024\n\nText."
    assert only(head) == (EFFECTIVE, date(2024, 3, 1))
    body = "# Terms\n\n" + "Clause text. " * (HEAD_CHARS // 13 + 10) + "\n\nSee the effective date\n\n1 March 2024\n"
    body += "More text. " * 400
    assert stated_dates(body) == []


def test_cue_lines_in_the_middle_of_a_long_text_are_found():
    filler = "Lorem ipsum dolor sit amet. " * 1000
    found = stated_dates(filler + "\n\nEffective Date: December 2, 2020\n\n" + filler)
    assert [(s.kind, s.date) for s in found] == [(EFFECTIVE, date(2020, 12, 2))]


def test_a_cue_between_another_cue_and_the_date_takes_the_date():
    found = stated_dates("Last updated and effective as of 10 August 2024")
    assert [(s.kind, s.date) for s in found] == [(EFFECTIVE, date(2024, 8, 10))]


def test_no_space_after_the_year():
    # Boulanger's page repeats its header with no space between the two copies.
    found = stated_dates("Version n°5 en vigueur au 30 septembre 2021Version n°5 en vigueur au 30 septembre 2021")
    assert [(s.kind, s.date) for s in found] == [(EFFECTIVE, date(2021, 9, 30))] * 2
