"""Dates a terms text states about itself: when it was last updated and when it takes effect.

``stated_dates(markdown)`` returns ``StatedDate`` items (kind, date, snippet, offset, ...) for French,
English and German wordings such as "Last updated: August 5, 2024", "effective as of 10 August, 2024",
"Version mise à jour le 1er janvier 2022", "en vigueur au 30 septembre 2021", "Stand: 01.03.2024" or
"gültig ab 1. März 2024". A publication date ("published on", "publiée le", "veröffentlicht am") counts
as ``last_updated``: for the notice check both say when the text was made public.

How it works, and why:

* Cue first. A date is only taken when a cue ("last updated", "en vigueur au", "gültig ab" ...) precedes
  it in the same sentence, at most ``MAX_GAP`` characters before it. Terms are full of dates (deadlines,
  statutes, "invoices issued before 1 March"): a bare date is never a stated date.
* Where. The cue regex runs over the whole text, which is the same as scanning "the first ~5,000 and the
  last ~3,000 characters plus every line holding a cue", since a date without a cue is never taken. The
  regions still matter: in the head and the tail the date may sit on the line after its cue (a heading
  "**Effective date**" followed by the date); in the body the date must be on the cue's line.
* Markdown. Emphasis marks (``*``, ``_``), zero-width characters and URLs (link targets, bare links) are
  replaced by spaces in a masked copy of the text, so offsets stay those of the original and a date in a
  link target ("...en_vigueur_entre_le_24092021...") is never read.
* Old versions. A cue whose line (before the cue) speaks of an old or previous version ("Part B: Old
  version - updated on ...", "version précédemment en vigueur") yields a date marked ``historical``;
  callers picking "the" date of a document skip those.
* Numeric dates. "10/08/2024" is read day first: the documents tracked are EU seller terms, written for
  EU readers even in English. When the cue is English and both numbers could be a month the date is
  marked ``ambiguous`` (the reading is still day first); when only one reading is valid ("08/25/2024")
  that reading is used. Dotted dates ("01.03.2024") and ISO dates are never ambiguous.
"""

import re
from dataclasses import dataclass
from datetime import date

LAST_UPDATED = "last_updated"
EFFECTIVE = "effective"

HEAD_CHARS = 5000
TAIL_CHARS = 3000
# Characters allowed between the end of a cue and the start of its date ("Effective date of these terms: ").
MAX_GAP = 40
SNIPPET_CHARS = 60

MONTHS = {
    # English (full names and abbreviations, "sept" included)
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # French (with and without accents)
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
    # German ("Mai", "April", "August", "September", "November" are shared with the lists above)
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12,
}  # fmt: skip

# Longest names first so that "mars" is not read as "mar" + "s", nor "juillet" as "juil".
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_SUFFIX = r"(?:er|re|st|nd|rd|th|\.)?"  # "1er", "5th", "1." (German)
_YEAR = r"(?P<{}>(?:19|20)\d\d)(?!\d)"  # no \b: Boulanger writes "2021Version n°5 ..." with no space

DATE_RE = re.compile(
    "|".join(
        [
            rf"(?<!\d)(?P<d1>\d{{1,2}}){_DAY_SUFFIX}\s+(?P<m1>{_MONTH})\.?\s*,?\s+{_YEAR.format('y1')}",
            rf"\b(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+{_YEAR.format('y2')}",
            r"(?<![\d.])(?P<y3>(?:19|20)\d\d)-(?P<mo3>\d{1,2})-(?P<d3>\d{1,2})(?!\d)",
            rf"(?<![\d./])(?P<a4>\d{{1,2}})(?P<sep4>[./])(?P<b4>\d{{1,2}})(?P=sep4){_YEAR.format('y4')}",
        ]
    ),
    re.IGNORECASE,
)

_S = r"\s+"
# (pattern, kind, language, strict). Strict cues accept only blanks and a colon before their date:
# "Stand" is also plain German for "state" ("auf aktuellem Stand halten"). Cues ending with a preposition
# ("updated on", "en vigueur au", "gültig ab") are strict too, whatever this flag says: their date follows
# them at once, and "en vigueur le cas échéant, notamment au 1er mars" is not a date of effect.
_CUES = [
    # English
    (rf"last{_S}(?:updated|modified|revised)(?:{_S}on)?", LAST_UPDATED, "en", False),
    (rf"last{_S}update\b", LAST_UPDATED, "en", False),
    (rf"updated{_S}on", LAST_UPDATED, "en", False),
    (rf"published{_S}on", LAST_UPDATED, "en", False),  # Etsy: "This policy was published on October 19, 2022."
    (rf"effective{_S}(?:as{_S}of|from|on|date)", EFFECTIVE, "en", False),
    (rf"in{_S}force{_S}(?:from|as{_S}of|on)", EFFECTIVE, "en", False),
    (rf"with{_S}effect{_S}from", EFFECTIVE, "en", False),
    (rf"takes?{_S}effect{_S}(?:on|from|as{_S}of)", EFFECTIVE, "en", False),  # Etsy: "It will take effect on"
    # French
    (rf"derni[èe]re{_S}mise{_S}[àa]{_S}jour(?:{_S}le)?", LAST_UPDATED, "fr", False),
    (rf"mise?{_S}[àa]{_S}jour{_S}le", LAST_UPDATED, "fr", False),
    (rf"modifi[ée]e?s?{_S}le", LAST_UPDATED, "fr", False),
    (rf"publi[ée]e?s?{_S}le", LAST_UPDATED, "fr", False),
    (rf"entr(?:e|ent|era|eront){_S}en{_S}vigueur{_S}(?:le|à{_S}compter{_S}du)", EFFECTIVE, "fr", False),
    (rf"en{_S}vigueur{_S}(?:au|à{_S}compter{_S}du|à{_S}partir{_S}du|depuis{_S}le|le)", EFFECTIVE, "fr", False),
    (rf"applicables?{_S}(?:à{_S}compter|à{_S}partir){_S}du", EFFECTIVE, "fr", False),
    (rf"prend(?:ra|ront)?{_S}effet{_S}(?:le|à{_S}compter{_S}du)", EFFECTIVE, "fr", False),
    # German
    (rf"zuletzt{_S}(?:aktualisiert|geändert)(?:{_S}am)?", LAST_UPDATED, "de", False),
    (rf"letzte{_S}(?:Aktualisierung|Änderung)", LAST_UPDATED, "de", False),
    (rf"aktualisiert{_S}am", LAST_UPDATED, "de", False),
    (rf"veröffentlicht{_S}am", LAST_UPDATED, "de", False),
    (r"\bStand\b", LAST_UPDATED, "de", True),
    (rf"(?:gültig|gilt|gelten|wirksam){_S}ab", EFFECTIVE, "de", False),
    (rf"in{_S}Kraft{_S}(?:ab|seit|am)", EFFECTIVE, "de", False),
]
# Every cue starts a word: checking that (and its first letter) first makes the scan of a 500 kB text ~4x faster.
_CUE_RE = re.compile(
    r"\b(?=[ludeiwmaezsgtpv])(?:" + "|".join(f"(?P<c{i}>{pattern})" for i, (pattern, *_) in enumerate(_CUES)) + ")",
    re.IGNORECASE,
)

_PREPOSITION_END_RE = re.compile(r"\b(?:on|of|from|le|au|du|am|ab|seit)$", re.IGNORECASE)
# Between cue and date: no sentence end (". " but not the "." of "1." or "Dec."), no semicolon.
_SENTENCE_END_RE = re.compile(r"[!?;]|\.\s+(?=[A-ZÀ-Ý])|\.$")
# Relative words that turn "effective date ... before 1 March" into something else than a stated date.
_RELATIVE_RE = re.compile(r"\b(?:before|prior|until|after|avant|jusqu|après|vor|bis|nach)\b", re.IGNORECASE)
_HISTORICAL_RE = re.compile(
    r"\b(?:old|previous|prior|former|archived)\s+version|ancienne\s+version|version\s+(?:précédente|antérieure)"
    r"|précédemment|vorherige|frühere|bisherige|alte\s+Fassung",
    re.IGNORECASE,
)
_URL_RE = re.compile(r"\]\([^)\s]*\)|https?://\S+|www\.\S+")
_MASK_RE = re.compile("[*_\u200b\u200c\u200d\u2060\ufeff\xa0\u202f]")


@dataclass(frozen=True)
class StatedDate:
    kind: str  # LAST_UPDATED or EFFECTIVE
    date: date
    text: str  # snippet of the original text, from the cue to just after the date
    offset: int  # offset of the cue in the original text
    language: str = ""  # "en", "fr" or "de": the cue's language
    ambiguous: bool = False  # numeric date whose day and month could be swapped (read day first)
    historical: bool = False  # stated about an older version, not the current one


def stated_dates(markdown: str) -> list[StatedDate]:
    """Every last-updated and effective date the text states, in text order."""
    masked = _mask(markdown)
    n = len(masked)
    found = []
    for cue in _CUE_RE.finditer(masked):
        _pattern, kind, language, strict = _CUES[int(cue.lastgroup[1:])]
        in_margin = cue.start() < HEAD_CHARS or cue.start() >= n - TAIL_CHARS
        strict = strict or bool(_PREPOSITION_END_RE.search(cue.group()))
        parsed = _date_after(masked, cue.end(), strict=strict, multiline=in_margin)
        if parsed is None:
            continue
        value, ambiguous, end = parsed
        if ambiguous and language != "en":
            ambiguous = False  # French and German write numeric dates day first, always
        line_start = masked.rfind("\n", 0, cue.start()) + 1
        found.append(
            StatedDate(
                kind=kind,
                date=value,
                text=_snippet(markdown, cue.start(), end),
                offset=cue.start(),
                language=language,
                ambiguous=ambiguous,
                historical=bool(_HISTORICAL_RE.search(masked, line_start, cue.start())),
            )
        )
    return found


def current(stated: list[StatedDate], kind: str) -> StatedDate | None:
    """The date of that kind stated for the current version: the first one in text order, skipping
    dates about older versions (headers come first; "Part B: Old version - ..." blocks come later)."""
    return next((s for s in stated if s.kind == kind and not s.historical), None)


def parse_date(text: str, language: str = "en") -> date | None:
    """The first date written in ``text`` in any supported format (the reading rules of the module)."""
    match = DATE_RE.search(_mask(text))
    if not match:
        return None
    parsed = _to_date(match)
    return parsed[0] if parsed else None


def _mask(text: str) -> str:
    """Same length as ``text``: emphasis, invisible characters and URLs replaced by spaces."""
    # URLs first: once "_" is blanked, a URL would end at its first underscore.
    masked = _URL_RE.sub(lambda m: " " * len(m.group()), text)
    return _MASK_RE.sub(" ", masked)


def _date_after(masked: str, start: int, *, strict: bool, multiline: bool):
    """(date, ambiguous, end) of the date right after a cue, or None when the cue has none."""
    window = masked[start : start + MAX_GAP + 40]
    for match in DATE_RE.finditer(window):
        gap = window[: match.start()]
        if not _gap_ok(gap, strict=strict, multiline=multiline):
            return None
        parsed = _to_date(match)
        if parsed is None:
            continue  # "31/02/2024" and such: not a date, look further within the gap
        return parsed[0], parsed[1], start + match.end()
    return None


def _gap_ok(gap: str, *, strict: bool, multiline: bool) -> bool:
    if len(gap) > MAX_GAP:
        return False
    if "\n" in gap and not (multiline and not gap.strip(" \t\n:-–—")):
        return False  # the date of a cue in the body must be on its line; a heading cue may stand alone
    if strict:
        return not gap.strip(" \t\n:-–—")
    if _CUE_RE.search(gap):
        return False  # another cue sits between: the date belongs to that one
    return not (_SENTENCE_END_RE.search(gap.rstrip()) or _RELATIVE_RE.search(gap))


def _to_date(match: re.Match):
    """(date, ambiguous) for a DATE_RE match, or None when the numbers make no valid date."""
    g = match.groupdict()
    if g["a4"]:
        return _numeric(int(g["a4"]), int(g["b4"]), int(g["y4"]), dotted=g["sep4"] == ".")
    if g["m1"]:
        value = _valid(int(g["y1"]), MONTHS[g["m1"].lower()], int(g["d1"]))
    elif g["m2"]:
        value = _valid(int(g["y2"]), MONTHS[g["m2"].lower()], int(g["d2"]))
    else:
        value = _valid(int(g["y3"]), int(g["mo3"]), int(g["d3"]))
    return (value, False) if value else None


def _numeric(first: int, second: int, year: int, *, dotted: bool):
    day_first = _valid(year, second, first)
    if day_first is None:
        # Only a month-first reading exists ("08/25/2024"): a US-style date, not ambiguous.
        month_first = None if dotted else _valid(year, first, second)
        return (month_first, False) if month_first else None
    ambiguous = not dotted and first != second and first <= 12 and second <= 12
    return day_first, ambiguous


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _snippet(text: str, start: int, end: int) -> str:
    """The cue and its date as written, on one line (markdown marks kept), capped in length."""
    snippet = " ".join(text[start:end].split())
    return snippet if len(snippet) <= SNIPPET_CHARS + MAX_GAP else snippet[: SNIPPET_CHARS + MAX_GAP] + "…"
