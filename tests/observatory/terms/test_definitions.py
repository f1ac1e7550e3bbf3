"""Definitions sections: one clause per defined term, with ids from the term, in the shapes the corpus uses."""

import pytest
from django.conf import settings

from fairplace.observatory.terms.text.align import diff_versions
from fairplace.observatory.terms.text.clauses import parse_clauses
from fairplace.observatory.terms.text.corpus import corpus_root, document
from fairplace.observatory.terms.text.definitions import defined_term, is_definitions_title, split_entries

AMAZON = """# Business Solutions Agreement

## Definitions

As used in this Agreement, the following terms have the following meanings:

**"Amazon Site"** means, as applicable, the DE Amazon Site, the FR Amazon Site and the BE Amazon Site.

"BE Amazon Site" means that website, the primary home page of which is identified by the URL www.amazon.com.be.

**"Local Currency"** means the applicable one of the following:

* Euros (if the Amazon Site is the FR Amazon Site),
* Polish Złoty (if the Amazon Site is the PL Amazon Site)

**"FBA Excluded Product" mean**s any Unit that is an Excluded Product.

## 1. Fees

1.1 You will pay the fees.
"""


def _definitions(clauses):
    return [clause for clause in clauses if "/def:" in clause.id]


def test_each_term_is_a_clause_and_the_heading_keeps_its_introduction():
    clauses = parse_clauses(AMAZON)
    heading = next(clause for clause in clauses if clause.title == "Definitions")
    assert heading.text == "As used in this Agreement, the following terms have the following meanings:"
    definitions = _definitions(clauses)
    assert [clause.title for clause in definitions] == [
        "Définition « Amazon Site »",
        "Définition « BE Amazon Site »",
        "Définition « Local Currency »",
        "Définition « FBA Excluded Product »",
    ]
    assert [clause.id for clause in definitions][:2] == [
        "_:definitions/def:amazon-site",
        "_:definitions/def:be-amazon-site",
    ]
    currency = definitions[2]
    assert "Polish Złoty" in currency.text and currency.path[-1] == "Definitions"
    assert currency.level == heading.level + 1
    assert [clause.index for clause in clauses] == list(range(len(clauses)))
    assert clauses[-1].number == "1.1"  # the numbered clauses after the section are untouched


def test_inserting_a_definition_renumbers_nothing_and_a_removal_is_named():
    inserted = AMAZON.replace(
        '"BE Amazon Site" means', '**"Amazon Store"** means an online store.\n\n"BE Amazon Site" means'
    )
    old_ids = [clause.id for clause in parse_clauses(AMAZON)]
    new_ids = [clause.id for clause in parse_clauses(inserted)]
    assert set(old_ids) < set(new_ids) and set(new_ids) - set(old_ids) == {"_:definitions/def:amazon-store"}
    removed = AMAZON.replace(
        '"BE Amazon Site" means that website, the primary home page of which is identified by the URL '
        "www.amazon.com.be.\n\n",
        "",
    ).replace(" and the BE Amazon Site", "")
    changes = {(change.kind, change.clause.title) for change in diff_versions(AMAZON, removed).changes}
    assert changes == {("removed", "Définition « BE Amazon Site »"), ("modified", "Définition « Amazon Site »")}


def test_french_german_table_and_bullet_shapes():
    french = (
        "## Article 1 - Définitions\n\nDans les présentes :\n\n« Vendeur » désigne toute personne qui vend.\n\n"
        "**Acheteur** : toute personne qui achète.\n\n**Commission** (ou frais) : la somme due.\n"
    )
    assert [c.title for c in _definitions(parse_clauses(french))] == [
        "Définition « Vendeur »",
        "Définition « Acheteur »",
        "Définition « Commission »",
    ]
    german = "## § 1 Begriffsbestimmungen\n\n„Händler“ bezeichnet den Verkäufer.\n\n„Kunde“ ist der Käufer.\n"
    assert [c.id for c in _definitions(parse_clauses(german))] == [
        "1:begriffsbestimmungen/def:handler",
        "1:begriffsbestimmungen/def:kunde",
    ]
    table = (
        "## Pro. 1 - Définitions\n\nLes termes suivants :\n\n| | |\n| --- | --- |\n"
        "| **Code source :** | Ensemble des instructions. |\n| **Parties :** | Rakuten et le Vendeur. |\n"
    )
    clauses = parse_clauses(table)
    assert [c.title for c in _definitions(clauses)] == ["Définition « Code source »", "Définition « Parties »"]
    assert clauses[0].text.endswith("| --- | --- |")  # the table's header stays with the introduction
    bullets = "## Definitions\n\n* Service Market: means the platform.\n* Public Service: means a service.\n"
    assert [c.title for c in _definitions(parse_clauses(bullets))] == [
        "Définition « Service Market »",
        "Définition « Public Service »",
    ]


def test_what_is_left_whole():
    # One entry only (AliExpress's "Definition" of one violation), rules of reading, other sections.
    single = '## 1.1 Definition\n\n"Categories Put Wrong" refers to a wrong category.\n\nIt may hide the product.\n'
    assert not _definitions(parse_clauses(single))
    interpretation = '## Interpretation\n\n"Including" and "include" will be read as "without limitation".\n'
    assert not _definitions(parse_clauses(interpretation))
    other = '## Fees\n\n**"Referral Fee"** means a percentage.\n\n**"Closing Fee"** means a fixed amount.\n'
    assert not _definitions(parse_clauses(other))
    assert split_entries("no terms here") is None


def test_titles_and_term_lines():
    for title in (
        "Definitions",
        "FBA Definitions",
        "Pro. 1 - Définitions",
        "DEFINICIONES",
        "Begriffsbestimmungen",
        "Definitions and Interpretation",
        "Glossaire",
    ):
        assert is_definitions_title(title), title
    for title in ("Fees", "Term and Termination", "Indefinite suspension", ""):
        assert not is_definitions_title(title), title
    assert defined_term('**"Amazon Site"** means the site.') == "Amazon Site"
    assert defined_term('"**Seller Agreement**" means the terms.') == "Seller Agreement"
    assert defined_term('"[Programme Policies](https://example.test/p)" means all policies.') == "Programme Policies"
    assert defined_term("**S-2.2 Refunds.** For all of Your Products") is None
    assert defined_term('"Including", "include" and "included" will be interpreted broadly.') is None


@pytest.mark.skipif(
    corpus_root(settings.FAIRPLACE_OTA_CORPUS) is None,
    reason="OTA corpus absent: expected ../shared/data/ota-p2b or $FAIRPLACE_OTA_CORPUS",
)
def test_amazon_definitions_in_the_corpus_keep_their_ids_across_versions():
    doc = document("Amazon", "Marketplace Sellers Conditions", settings.FAIRPLACE_OTA_CORPUS)
    first, last = (parse_clauses(version.read()) for version in (doc.versions[0], doc.versions[-1]))
    first_ids, last_ids = ({c.id for c in _definitions(clauses)} for clauses in (first, last))
    assert len(last_ids) >= 60  # the three definitions sections, one clause per term
    assert {
        "_:definitions/def:amazon-site",
        "_:fba-definitions/def:fba-excluded-product",
        "_:selling-on-amazon-definitions/def:purchase-price",
    } <= first_ids & last_ids
    assert len(first_ids & last_ids) >= 50
