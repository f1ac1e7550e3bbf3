"""Markdown terms → a flat list of clauses (sections and numbered clauses) with stable ids.

OTA's Markdown comes from very different sites: ATX (``#``) and setext (underlined) headings, bold
lines used as titles (``**3. Term and Termination**``), bold prefixes (``**S-2.2 Refunds.** For…``),
numbered paragraphs (``6.1 Your…``, ``1.``, ``2.1.3``), ``Article 4`` / ``Art. 5`` / ``§ 3`` /
``Chapter III``, lettered items (``(a)``, ``a)``, ``(iv)``). Each such line opens a clause; the lines
that follow, up to the next opening, are its text. A clause's hierarchy (``level``, ``path``) comes
from a stack of ranks: headings by their level, numbered lines by the depth of their number.

Ids are derived from the number path and the normalised title (or first words): they do not depend
on the clause's position, so an unchanged clause keeps its id when others are inserted before it.

A definitions section (``definitions.py``) yields its heading with the text before the first term, then
one clause per defined term, titled "Définition « term »" (a title the observatory's pages and alerts show
as is: "Supprimée : Définition « BE Amazon Site »"), with the id ``<section id>/def:<term slug>``: inserting
a definition renumbers nothing.
"""

import re
import unicodedata
from dataclasses import dataclass, replace

from .definitions import is_definitions_title, split_entries
from .normalise import normalise

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
# A line that is wholly emphasised: **Title**, __Title__, _Title_, *Title*.
_WHOLE_EMPHASIS = re.compile(r"^(\*\*|__|\*|_)(?P<inner>[^*_].*?)\1[.:]?\s*$")
# A bold prefix followed by text: **S-2.2 Cancellations.** For all of…
_BOLD_PREFIX = re.compile(r"^\*\*(?P<inner>[^*]{1,160}?)\*\*\s*(?P<rest>\S.*)$")
_ROMAN = r"(?:[ivxlc]+|[IVXLC]+)"
# Words that introduce a number and the rank they give (a chapter contains sections, which contain articles).
_KEYWORDS = {
    "chapter": 1,
    "chapitre": 1,
    "kapitel": 1,
    "titre": 1,
    "title": 1,
    "part": 1,
    "partie": 1,
    "teil": 1,
    "section": 2,
    "abschnitt": 2,
    "article": 3,
    "art": 3,
    "artikel": 3,
    "clause": 3,
    "§": 3,
}
_KEYWORD_NUMBER = re.compile(
    r"^(?P<number>(?P<word>chapter|chapitre|kapitel|titre|title|part|partie|teil|section|abschnitt|article|"
    r"artikel|art\.?|clause|§)\s*(?P<value>\d+(?:[.-]\d+)*|" + _ROMAN + r"\b|[A-Z]\b|premier\b|1er\b))"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
# 1. / 1) / 1.2 / 1.2.3. / S-2.2 / A.1 — a single number needs its "." or ")" so that "30 days" is text.
_DECIMAL = re.compile(
    r"^(?P<number>(?P<prefix>[A-Z]{1,3}[-.]|[A-Z]{1,3}-?(?=\d+\.\d))?(?P<digits>\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}[.)]"
    r"|(?<=[-.])\d{1,3}))(?=\s|\*|$)(?P<rest>.*)$"
)
_LETTER = re.compile(r"^(?P<number>\((?:[a-z]|" + _ROMAN + r")\)|(?:[a-z]|[ivx]{1,4})\))(?=\s)(?P<rest>.*)$")
_EMPHASIS_MARKS = re.compile(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)")
_TITLE_TAIL = re.compile(r"^[\s.:\-–)]+|[\s:\-–]+$")
_SLUG = re.compile(r"[^a-z0-9§]+")
_LETTER_RANK = 20  # lettered items sit below everything else


@dataclass(frozen=True)
class Clause:
    id: str
    number: str  # as written, "" when the clause has none
    title: str
    text: str
    level: int
    path: tuple[str, ...]  # titles (or numbers) of the enclosing sections
    index: int  # position in the document, for display and ordering only

    @property
    def content(self) -> str:
        """What alignment compares: the title and the text, without the number (renumbering is not a change)."""
        return f"{self.title}\n{self.text}"

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.number, self.title) if part) or _first_words(self.text, 8)


@dataclass
class _Opening:
    number: str
    title: str
    rest: str
    rank: int


def slug(value: str) -> str:
    """Lowercase ASCII words joined by "-" (accents dropped): the building block of ids."""
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return _SLUG.sub("-", ascii_value).strip("-")


def _first_words(text: str, count: int) -> str:
    return " ".join(_EMPHASIS_MARKS.sub("", text[: 40 * count]).split()[:count])


def _clean_title(value: str) -> str:
    return _TITLE_TAIL.sub("", _EMPHASIS_MARKS.sub("", value)).strip()


def _split_number(line: str) -> tuple[str, str, int] | None:
    """(number, rest, rank) when ``line`` starts with a clause number, else None."""
    if match := _KEYWORD_NUMBER.match(line):
        word = match["word"].lower().rstrip(".")
        return match["number"].strip(), match["rest"], _KEYWORDS.get(word, 3)
    if match := _DECIMAL.match(line):
        number = match["number"]
        depth = match["digits"].rstrip(".)").count(".") + 1
        return number, match["rest"], 3 + depth
    if match := _LETTER.match(line):
        return match["number"], match["rest"], _LETTER_RANK
    return None


def _heading(title_line: str, rank: int) -> _Opening:
    inner = _clean_title(title_line)
    if split := _split_number(inner):
        number, rest, _ = split
        return _Opening(number, _clean_title(rest), "", rank)
    return _Opening("", inner, "", rank)


def _opening(line: str, next_line: str) -> _Opening | None:
    """The clause that ``line`` opens, if any (``next_line`` tells setext headings apart)."""
    if match := _ATX.match(line):
        return _heading(match[2], len(match[1]))
    if next_line and _SETEXT.match(next_line) and not _SETEXT.match(line):
        return _heading(line, 1 if next_line.startswith("=") else 2)
    if match := _WHOLE_EMPHASIS.match(line):
        opening = _heading(match["inner"], 3)
        if opening.number:
            opening.rank = _split_number(_clean_title(match["inner"]))[2]
        return opening if len(opening.title) <= 200 else None
    if match := _BOLD_PREFIX.match(line):
        inner = _clean_title(match["inner"])
        if split := _split_number(inner):
            return _Opening(split[0], _clean_title(split[1]), match["rest"], split[2])
    head = _EMPHASIS_MARKS.sub("", line[:12]) + line[12:] if line[0] in "*_" else line
    if split := _split_number(head):
        number, rest, rank = split
        return _Opening(number, "", rest.strip(), rank)
    return None


def _make_id(numbers: list[str], opening: _Opening, text: str, seen: dict[str, int]) -> str:
    words = opening.title or _first_words(text, 6)
    base = "/".join(slug(number) for number in numbers if number) or "_"
    clause_id = f"{base}:{slug(words)[:60]}"
    seen[clause_id] = seen.get(clause_id, 0) + 1
    return clause_id if seen[clause_id] == 1 else f"{clause_id}~{seen[clause_id]}"


def _finish(
    opening: _Opening, body: list[str], stack: list[_Opening], seen: dict[str, int], clauses: list[Clause]
) -> None:
    text = "\n".join(([opening.rest] if opening.rest else []) + body).strip()
    if not (opening.title or opening.number or text):
        return
    numbers = [item.number for item in stack]
    path = tuple(item.title or item.number for item in stack[:-1])
    clause_id = _make_id(numbers, opening, text, seen)
    clauses.append(Clause(clause_id, opening.number, opening.title, text, len(stack), path, len(clauses)))


def _definition_clauses(section: Clause, seen: dict[str, int]) -> list[Clause] | None:
    """The section's heading clause (its text before the first term) and one clause per defined term."""
    split = split_entries(section.text)
    if split is None:
        return None
    intro, entries = split
    result = [replace(section, text=intro)]
    path = (*section.path, section.title or section.number)
    for term, text in entries:
        clause_id = f"{section.id}/def:{slug(term)[:60] or '_'}"
        seen[clause_id] = seen.get(clause_id, 0) + 1
        if seen[clause_id] > 1:
            clause_id = f"{clause_id}~{seen[clause_id]}"
        result.append(Clause(clause_id, "", f"Définition « {term} »", text, section.level + 1, path, 0))
    return result


def _split_definitions(clauses: list[Clause]) -> list[Clause]:
    """``clauses`` with each definitions section split into its terms (indexes recomputed)."""
    sections = [is_definitions_title(clause.title) for clause in clauses]
    if not any(sections):
        return clauses  # the common case: nothing to copy
    result: list[Clause] = []
    seen: dict[str, int] = {}
    for clause, is_section in zip(clauses, sections, strict=True):
        split = _definition_clauses(clause, seen) if is_section else None
        result.extend(split or [clause])
    return [replace(clause, index=position) for position, clause in enumerate(result)]


def parse_clauses(markdown: str, *, normalised: bool = False) -> list[Clause]:
    """The clauses of ``markdown`` in document order (the text before the first opening is a clause
    without number or title). ``normalised=True`` skips ``normalise`` when the caller already did it."""
    lines = (markdown if normalised else normalise(markdown)).split("\n")
    clauses: list[Clause] = []
    stack: list[_Opening] = []
    seen: dict[str, int] = {}
    current, body = _Opening("", "", "", 0), []
    skip_underline = False
    for position, line in enumerate(lines):
        if skip_underline:
            skip_underline = False
            continue
        next_line = lines[position + 1] if position + 1 < len(lines) else ""
        opening = _opening(line, next_line) if line else None
        if opening is None:
            body.append(line)
            continue
        _finish(current, body, stack, seen, clauses)
        while stack and stack[-1].rank >= opening.rank:
            stack.pop()
        stack.append(opening)
        current, body = opening, []
        skip_underline = bool(next_line) and bool(_SETEXT.match(next_line)) and not _ATX.match(line)
    if not stack:
        stack.append(current)
    _finish(current, body, stack, seen, clauses)
    return _split_definitions(clauses)
