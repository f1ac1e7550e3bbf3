"""Definitions sections: one entry per defined term, so that a diff can say which definition changed.

A definitions section is one clause for the parser (its entries carry no number), so before this module a
change to one definition read "Definitions modified" with a long word diff. ``split_entries`` cuts the
text of a section whose title says it holds definitions (Definitions, Définitions, Begriffsbestimmungen,
Interpretation, Glossary, Definiciones…) into its introduction and one entry per term, as the corpus
writes them:

* a quoted term, bold or not, then a defining verb: ``**"Amazon Site"** means``, ``"BE Amazon Site"
  means``, ``"**Seller Agreement**" means``, ``**"FBA Excluded Product" mean**s`` (Amazon),
  ``« Vendeur » désigne``, ``"Verkäufer" bezeichnet``;
* a bold term then a colon, a dash or a parenthesis: ``**Catálogo:** se refiere``, ``**Comprador**:``,
  ``**Términos adicionales** - tiene`` (Vinted);
* a table row whose first cell is a bold term: ``| **Code source :** | Ensemble des… |`` (Rakuten);
* a bullet with a term, a colon and a defining verb: ``* Service Market: means`` (TikTok Shop).

The lines after an entry, up to the next one (Amazon's lists of countries and amounts), belong to it.
A section with fewer than ``MIN_ENTRIES`` entries is left whole: AliExpress's "Definition" sections
describe one violation each, TikTok's "Interpretation" holds rules of reading, not terms.
"""

import re

from .normalise import fold

MIN_ENTRIES = 2
_TITLE = re.compile(
    r"\b(?:definitions?|definitionen|definiciones|definizioni|begriffsbestimmungen?|begriffe|"
    r"interpretation|glossa(?:ry|ire|r)|lexique|terminolog(?:y|ie))\b"
)
# What follows a defined term: a verb (en, fr, de, es) or a separator.
_VERBS = (
    r"means?\b|shall (?:mean|have)\b|ha(?:s|ve) the meaning|is\b|are\b|refers? to|"
    r"d[eé]sign(?:e|ent)\b|signifi(?:e|ent)\b|s'entend|correspond|a le sens|"
    r"bezeichne[nt]?\b|bedeute[nt]?\b|meint\b|umfasst\b|ist\b|sind\b|"
    r"se refiere|hace referencia|significa\b|tiene el significado"
)
_LEAD = r"^(?:[*+-]\s+|\|\s*)?"  # a bullet or the first cell of a table row
_EMPHASIS = r"(?:\*\*|__)?"
_QUOTED = re.compile(
    _LEAD
    + _EMPHASIS
    + r"[\"«]\s*"
    + _EMPHASIS
    + r"(?P<term>[^\"«»\n]{1,120}?)"
    + _EMPHASIS
    + r"\s*[\"»]"
    + _EMPHASIS
    + r"\s*(?:\|\s*)?(?:"
    + _VERBS
    + r"|[:(=–-])",
    re.IGNORECASE,
)
_BOLD = re.compile(
    _LEAD + r"(?:\*\*|__)(?P<term>[^*_\n\"«][^*_\n]{0,79}?)(?P<colon>\s*:)?\s*(?:\*\*|__)\s*(?P<after>.?)"
)
_BULLET = re.compile(r"^[*+-]\s+(?P<term>[^\W\d_][^:\n]{0,60}?):\s*(?:" + _VERBS + ")", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)")


_TITLE_HINTS = ("efini", "éfini", "begriff", "interpr", "glossa", "lexique", "terminolog")


def is_definitions_title(title: str) -> bool:
    """Whether a section title announces definitions (any of the corpus languages, accents ignored)."""
    lowered = title.lower()
    # Cheap test first: parse_clauses asks this of every clause of 470 kB documents.
    return any(hint in lowered for hint in _TITLE_HINTS) and bool(_TITLE.search(fold(title)))


def _clean_term(term: str) -> str:
    term = _MARKS.sub("", _LINK.sub(r"\1", term))
    return term.strip(" :")


def defined_term(line: str) -> str | None:
    """The term a line defines when it opens a definition entry, else None."""
    if match := _QUOTED.match(line):
        return _clean_term(match["term"]) or None
    if match := _BOLD.match(line):
        term = match["term"].strip()
        follows = match["after"]
        if term.endswith(".") or not (match["colon"] or follows in (":", "-", "–", "(", "|")):
            return None
        return _clean_term(term) or None
    if match := _BULLET.match(line):
        return _clean_term(match["term"]) or None
    return None


def split_entries(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(introduction, [(term, entry text)…]) of a definitions section's text; None when it holds fewer
    than ``MIN_ENTRIES`` entries (then it stays one clause)."""
    intro: list[str] = []
    entries: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        term = defined_term(line) if line else None
        if term:
            entries.append((term, [line]))
        elif entries:
            entries[-1][1].append(line)
        else:
            intro.append(line)
    if len(entries) < MIN_ENTRIES:
        return None
    return "\n".join(intro).strip(), [(term, "\n".join(lines).strip()) for term, lines in entries]
