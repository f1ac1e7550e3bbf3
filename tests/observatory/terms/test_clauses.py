"""Clause parsing, stable ids, alignment, topics and noise verdicts on small hand-written documents."""

from fairplace.observatory.terms.text.align import diff_versions
from fairplace.observatory.terms.text.clauses import parse_clauses
from fairplace.observatory.terms.text.noise import classify_history, detect_language, is_truncated
from fairplace.observatory.terms.text.topics import tag_clause, tag_text

DOC = """# Conditions vendeurs

**1. Objet**

Les présentes conditions régissent la vente.

**2. Commissions**

Le vendeur paie une commission de 10 % sur chaque vente.

**3. Résiliation**

Chaque partie peut résilier le contrat avec un préavis de 30 jours.

3.1 En cas de manquement grave, la suspension est immédiate.

**4. Droit applicable**

Le droit français s'applique ; les tribunaux de Paris sont compétents.
"""


def _with(doc: str, old: str, new: str) -> str:
    assert old in doc
    return doc.replace(old, new)


def test_parse_numbers_titles_levels_and_paths():
    clauses = parse_clauses(DOC)
    labels = [(c.number, c.title) for c in clauses]
    assert labels == [
        ("", "Conditions vendeurs"),
        ("1.", "Objet"),
        ("2.", "Commissions"),
        ("3.", "Résiliation"),
        ("3.1", ""),
        ("4.", "Droit applicable"),
    ]
    sub = clauses[4]
    assert sub.path == ("Conditions vendeurs", "Résiliation") and sub.level > clauses[3].level
    assert sub.text.startswith("En cas de manquement")


def test_other_numbering_styles():
    text = (
        "ARTICLE 1 - CHAMP D'APPLICATION\n-------------------\n\nTexte.\n\n## Art. 5 Zahlung\n\nText.\n\n"
        "§ 3 Haftung\n\nText.\n\n**Article 69** To safeguard rights:\n\n(i) Warning - a warning.\n\n"
        "(ii) Ranking adjustment.\n\n2.1.3 Deep clause.\n\nSection I Handling\n"
    )
    numbers = [c.number for c in parse_clauses(text)]
    assert numbers == ["ARTICLE 1", "Art. 5", "§ 3", "Article 69", "(i)", "(ii)", "2.1.3", "Section I"]


def test_ids_are_stable_when_a_clause_is_inserted_before():
    inserted = _with(DOC, "**2. Commissions**", "**2. Nouveau**\n\nUn article ajouté.\n\n**2bis. Commissions**")
    old_ids = {c.id for c in parse_clauses(DOC)}
    new_ids = {c.id for c in parse_clauses(inserted)}
    assert "3:resiliation" in old_ids & new_ids and "1:objet" in old_ids & new_ids


def test_ids_are_unique_and_not_positional():
    clauses = parse_clauses("(a) Same.\n\n(a) Same.\n")
    assert clauses[0].id != clauses[1].id
    assert parse_clauses("Intro.\n\n**1. Objet**\n\nx")[1].id == parse_clauses("**1. Objet**\n\nx")[0].id


def test_renumbering_after_an_insertion_is_one_addition_only():
    inserted = "**3. Paiement**\n\nLes sommes sont versées chaque mois.\n\n"
    new = (
        DOC.replace("**4. Droit", "**5. Droit")
        .replace("3.1 En cas", "4.1 En cas")
        .replace("**3. Résiliation**", inserted + "**4. Résiliation**")
    )
    diff = diff_versions(DOC, new)
    assert [(c.kind, c.clause.title) for c in diff.changes] == [("added", "Paiement")]
    assert diff.substantive
    assert {(old.number, new.number) for old, new in diff.renumbered} == {("3.", "4."), ("4.", "5."), ("3.1", "4.1")}


def test_moved_clause():
    block = "**2. Commissions**\n\nLe vendeur paie une commission de 10 % sur chaque vente.\n\n"
    moved = DOC.replace(block, "") + "\n" + block
    diff = diff_versions(DOC, moved)
    kinds = [(c.kind, c.modified, c.clause.title) for c in diff.changes]
    assert kinds == [("moved", False, "Commissions")]
    assert not diff.substantive  # same clauses, another order


def test_modified_clause_has_a_word_diff():
    new = DOC.replace("une commission de 10 %", "une commission de 12 %")
    diff = diff_versions(DOC, new)
    assert len(diff.changes) == 1
    change = diff.changes[0]
    assert change.kind == "modified" and change.clause.title == "Commissions" and not change.cosmetic
    assert ("-", "10") in change.word_diff and ("+", "12") in change.word_diff
    assert "<del>10</del>" in change.word_diff_html() and "<ins>12</ins>" in change.word_diff_html()
    assert diff.changed_clauses[0].title == "Commissions" and diff.substantive


def test_moved_and_modified():
    block = "**2. Commissions**\n\nLe vendeur paie une commission de 10 % sur chaque vente.\n\n"
    new = DOC.replace(block, "") + "\n" + block.replace("10 %", "12 %")
    [change] = diff_versions(DOC, new).changes
    assert change.kind == "moved" and change.modified


def test_added_and_removed():
    new = DOC.replace("3.1 En cas de manquement grave, la suspension est immédiate.\n", "") + (
        "\n**5. Données**\n\nLes données personnelles sont protégées.\n"
    )
    kinds = sorted((c.kind, c.clause.number) for c in diff_versions(DOC, new).changes)
    assert kinds == [("added", "5."), ("removed", "3.1")]


def test_noise_only_is_not_substantive():
    noisy = DOC.replace("s'applique", "s\u2019applique").replace("la vente.", "la vente.  \n\n\n")
    diff = diff_versions(DOC, noisy)
    assert diff.normalised_equal and not diff.changes and not diff.substantive


def test_case_only_edit_is_cosmetic():
    diff = diff_versions(DOC, DOC.replace("Droit applicable", "DROIT APPLICABLE"))
    assert diff.changes[0].cosmetic and not diff.substantive


def test_topics():
    by_title = {c.title: tag_clause(c) for c in parse_clauses(DOC)}
    assert "fees" in by_title["Commissions"]
    assert "suspension_termination" in by_title["Résiliation"]
    assert "jurisdiction" in by_title["Droit applicable"]
    assert by_title["Objet"] == ["other"]
    assert "change_notice" in tag_text("Modification", "We will provide at least 15 days' advance notice.")
    assert "fees" in tag_text("Gebühren", "Die Verkaufsgebühr beträgt 10 %.")
    assert "data_access" in tag_text("", "Protection des données personnelles du vendeur.")


def test_language_detection():
    assert detect_language(DOC) == "fr"
    assert detect_language("The seller will pay the fees of the service and this agreement") == "en"
    assert detect_language("Der Verkäufer zahlt die Gebühren und ist nicht mit dem Vertrag") == "de"


def test_history_verdicts():
    full = DOC
    truncated = DOC.split("**3.")[0]
    english = "# Seller terms\n\nThe seller will pay the fees of the service and this agreement is in force.\n"
    changed = DOC.replace("10 %", "12 %")
    texts = [full, full.replace("'", "\u2019"), truncated, full, changed, full, english, english]
    kinds = [verdict.kind for verdict in classify_history(texts)]
    assert kinds == ["first", "same", "truncated", "restored", "change", "flap", "language_switch", "same"]
    assert is_truncated(full, truncated) and not is_truncated(truncated, full)


def test_reordered_blocks():
    a = "Bloc A.\n\nBloc B.\n\nBloc C.\n"
    b = "Bloc B.\n\nBloc A.\n\nBloc C.\n"
    assert [v.kind for v in classify_history([a, b])] == ["first", "reordered"]
