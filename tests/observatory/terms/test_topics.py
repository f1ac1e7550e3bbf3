"""Topic tags on hand-written clauses: the known false positives and what title hits, weights and
ignored phrases are for (the measurement on real clauses is in test_topics_corpus.py)."""

from fairplace.observatory.terms.text.clauses import parse_clauses
from fairplace.observatory.terms.text.topics import TOPICS, tag_clause, tag_text


def test_a_notice_period_before_a_suspension_is_not_a_change_of_the_terms():
    text = "Nous pouvons suspendre le compte du vendeur moyennant un préavis de 30 jours."
    assert tag_text("Suspension du compte", text) == ["suspension_termination"]
    assert tag_text("", text) == ["suspension_termination"]
    assert tag_text("Résiliation", "Chaque partie peut résilier le contrat avec un préavis de 30 jours.") == [
        "suspension_termination"
    ]
    assert "change_notice" not in tag_text("", "We may terminate this agreement with 30 days' notice.")


def test_changing_the_terms_with_a_notice_is_change_notice():
    text = "Nous pouvons modifier les présentes conditions moyennant un préavis de 15 jours."
    assert tag_text("", text) == ["change_notice"]
    assert tag_text("", "We may change these terms with 15 days' notice.") == ["change_notice"]
    assert tag_text("", "Der Anbieter kann diese AGB mit einer Frist von 15 Tagen ändern.") == ["change_notice"]
    assert tag_text("Modification", "We will provide at least 15 days' advance notice.") == ["change_notice"]


def test_fee_changes_are_both_fees_and_change_notice():
    text = "Die Gebührensätze können vom Anbieter jederzeit geändert werden; die geänderten Gebührensätze gelten."
    assert tag_text("Gebühren", text) == ["fees", "change_notice"]
    text = "We may change our selling fees from time to time by posting the changes 14 days in advance."
    assert tag_text("Fees", text) == ["fees", "change_notice"]


def test_title_hits_dominate_passing_mentions():
    text = (
        "You will indemnify and hold us harmless from any claim, including reasonable legal fees, made by any "
        "third party due to your breach of this agreement or your payments to buyers."
    )
    assert tag_text("Indemnity", text) == ["liability"]
    # Without a heading, a short clause's one mention of payments counts; "legal fees" never do.
    assert tag_text("", text) == ["payment", "liability"]


def test_phrases_that_only_look_like_a_topic():
    assert tag_text("", "La Commission européenne a mis en place une plateforme de résolution des litiges.") == [
        "jurisdiction"
    ]
    assert tag_text("", "Die cflox GmbH, eine Gesellschaft mit beschränkter Haftung, mit Sitz in Hamburg.") == ["other"]
    assert tag_text("Propriété intellectuelle", "Les textes et bases de données du site sont protégés.") == ["other"]
    text = "If you access the Shop from a jurisdiction with separate terms, the Jurisdiction-Specific Terms apply."
    assert tag_text("Additional terms", text) == ["other"]


def test_a_short_first_line_is_the_heading_of_an_untitled_clause():
    # TikTok Shop's clauses have a number and no title: their first line says what they are about.
    text = "Privacy\n\nTo know how we use your personal information, please review our privacy policy."
    assert tag_text("", text, "Limitation of Liability") == ["data_access"]


def test_long_clauses_need_more_than_one_mention():
    filler = "The seller lists products, answers buyers and ships orders on time. " * 30
    assert tag_text("", filler + "Fees apply.") == ["other"]
    assert tag_text("", "Fees apply.") == ["fees"]


def test_section_titles_give_context_to_untitled_items():
    clauses = parse_clauses(
        "## 19 Laufzeit und Kündigung\n\n19.3 Der Anbieter kann fristlos kündigen, wenn:\n\n"
        "19.3.1 der Händler unrichtige Angaben macht;\n\n"
        "## 7 Gebühren\n\n7.1 Die Provision wird mit dem Verkauf fällig.\n"
    )
    tags = {clause.number: tag_clause(clause) for clause in clauses}
    assert tags["19.3.1"] == ["suspension_termination"]
    assert tags["7.1"] == ["fees"]


def test_topics_are_in_order_and_other_is_last():
    assert TOPICS[-1] == "other"
    assert tag_text("Fees and payments", "Fees are invoiced monthly and payments are made every 14 days.") == [
        "fees",
        "payment",
    ]
