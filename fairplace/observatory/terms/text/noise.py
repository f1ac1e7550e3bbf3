"""Telling noise from change over the history of one document.

OTA commits every byte difference; in the P2B history five documents make 62 % of all commits, almost
all noise: Boulanger alternates between a truncated (35 kB) and a full (70 kB) rendering every few
hours, Amazon's mediation page flips a heading line between French and English, Cdiscount changes its
apostrophes and the order of two blocks. ``classify_history`` gives each version one verdict, deterministically,
from the versions before it only (so the same code can run as versions arrive):

- ``first``; ``same``: normalised text unchanged;
- ``language_switch``: the text is in another language than the document's current version — its
  dominant language (fr/en/de/es, by stop words) differs, or it differs from the last text in that
  language only by lines rewritten line for line in another language with the same numbers (Amazon's
  mediation page: the same English policy under a French or an English "this article applies to" line);
  the return to the document's language with a text seen before is a ``language_switch`` too;
- ``truncated``: much shorter than the last full rendering and contained in it; ``restored``: the
  full rendering back after a truncated one (or a version of which the previous one was a truncation);
- ``flap``: back to a normalised text seen within the last ``window`` versions (A → B → A);
- ``reordered``: the same blocks (paragraphs) in another order;
- ``change``: anything else, a substantive change.

Languages are checked first, so an alternation is a ``language_switch`` even when the text was seen
before (it used to come out as ``flap``). Every check other than the language one compares a text with
the last text in the document's language, not with the previous snapshot: after a switch back, a real
change is a ``change`` against the last version in the same language (and a text in the other language is
never diffed against one in the document's language). A document that stays in another language
``LANGUAGE_PERSISTENCE`` versions in a row (``same`` included) has moved: that version is a ``change``
(a new version, compared with the last one in the old language), and the new language is the
document's from then on. The alternation never reaches it: each switch back starts the count again.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from .normalise import fingerprint, normalise

TRUNCATION_RATIO = 0.7  # a rendering under 70 % of its neighbour's length may be a truncation…
CONTAINED_SHARE = 0.9  # …when at least 90 % of its lines appear in the neighbour
FLAP_WINDOW = 10
# A "truncated" rendering seen this many times in a row is the page's new normal (kaufland.de dropped
# a duplicated copy of its terms): it becomes the reference, so later edits to it are changes again.
TRUNCATION_PERSISTENCE = 3
# Likewise a text in another language seen this many times in a row: the document moved to that language.
LANGUAGE_PERSISTENCE = 3
TRANSLATION_SHARED_WORDS = 0.5  # lines rewritten in another language share fewer words than this (Dice)
_WORD = re.compile(r"[a-zà-öø-ÿß]+")
_DIGITS = re.compile(r"\d+")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Frequent short words of each language: counting them is a cheap, deterministic language detector.
_STOP_WORDS = {
    "fr": _word_set(
        "le la les des du de un une et est que qui dans pour par sur au aux vous nous ce cette ne pas "
        "être sont ou son ses leur"
    ),
    "en": _word_set(
        "the of and to in is that for on with as by this are be or you your we our it an not any will from"
    ),
    "de": _word_set(
        "der die das und ist nicht mit den dem des ein eine zu von auf für im sie wir oder sind wird werden auch bei"
    ),
    # Vinted's seller terms in the corpus are Spanish: without this list they counted as French ("de", "la",
    # "que" are shared). Only words French and Spanish do not share tell them apart.
    "es": _word_set("el los las del y por para con una es al su sus como más este esta lo"),
}
LANGUAGE_SAMPLE = 60_000  # characters read for language detection: enough, and bounded for 470 kB pages


@dataclass(frozen=True)
class Verdict:
    index: int
    kind: str
    fingerprint: str
    language: str
    reference: int | None = None  # index of the version this verdict compares to
    detail: str = ""

    @property
    def is_change(self) -> bool:
        return self.kind == "change"


def detect_language(text: str) -> str:
    """ "fr", "en", "de" or "es" by stop-word counts over a sample; "" when no stop word is found."""
    sample = text[:LANGUAGE_SAMPLE].lower()
    if len(text) > LANGUAGE_SAMPLE:
        middle = len(text) // 2
        sample += " " + text[middle : middle + LANGUAGE_SAMPLE // 2].lower()
    counts = Counter(word for word in _WORD.findall(sample) if len(word) <= 6)
    scores = {language: sum(counts[word] for word in words) for language, words in _STOP_WORDS.items()}
    best = max(sorted(scores), key=lambda language: scores[language])
    return best if scores[best] else ""


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def is_truncated(previous: str, current: str) -> bool:
    """Whether ``current`` looks like a truncated rendering of ``previous``: much shorter, and (nearly)
    all its lines are lines of ``previous`` (a prefix or a subset, not new content)."""
    previous, current = normalise(previous), normalise(current)
    if not current.strip() or len(current) >= TRUNCATION_RATIO * len(previous):
        return False
    current_lines = _lines(current)
    previous_lines = set(_lines(previous))
    contained = sum(1 for line in current_lines if line in previous_lines)
    return contained >= CONTAINED_SHARE * len(current_lines)


def _blocks(text: str) -> Counter:
    return Counter(block for block in text.split("\n\n") if block)


def translated_lines(previous: str, current: str) -> str:
    """ "fr → en" when ``current`` differs from ``previous`` only by lines rewritten in another language:
    as many lines removed as added, every removed line in one language, every added line in another, few
    words in common (a one-word edit of a Spanish line that the stop words misread is no translation), the
    same numbers on both sides (a translation keeps "30 days" as "30 jours"); "" otherwise. Both texts
    normalised. Conservative on purpose: whatever it accepts is noise, never a version."""
    old_lines, new_lines = Counter(_lines(previous)), Counter(_lines(current))
    removed, added = old_lines - new_lines, new_lines - old_lines
    if not removed or sum(removed.values()) != sum(added.values()):
        return ""
    old_words, new_words = ({*_WORD.findall(" ".join(lines).lower())} for lines in (removed, added))
    if 2 * len(old_words & new_words) >= TRANSLATION_SHARED_WORDS * (len(old_words) + len(new_words)):
        return ""
    old_languages = {detect_language(line) for line in removed}
    new_languages = {detect_language(line) for line in added}
    if len(old_languages) != 1 or len(new_languages) != 1 or "" in old_languages | new_languages:
        return ""
    if old_languages == new_languages:
        return ""
    digits = [sorted(_DIGITS.findall(" ".join(lines.elements()))) for lines in (removed, added)]
    if digits[0] != digits[1]:
        return ""
    return f"{old_languages.pop()} → {new_languages.pop()}"


@dataclass
class _Home:
    """What the next version is judged against: the document's language and its last text in it."""

    index: int  # the last version in the document's language (or rendering)
    language: str  # the dominant language of the document's current version
    away: list[str] = field(default_factory=list)  # details of the versions since, in another language


def _away(text: str, fp: str, language: str, history: list[tuple[str, str, str]], home: _Home) -> str:
    """ "fr → en" (the switch) when ``text`` is in another language than the document, else ""."""
    home_text, home_fp, _home_language = history[home.index]
    if fp == home_fp:
        return ""
    if language and home.language and language != home.language:
        return f"{home.language} → {language}"
    switch = translated_lines(home_text, text)
    return f"{switch} (lignes traduites)" if switch else ""


def _classify_away(index: int, fp: str, language: str, switch: str, history, home: _Home) -> Verdict:
    if len(home.away) + 1 >= LANGUAGE_PERSISTENCE:
        return Verdict(index, "change", fp, language, home.index, f"{switch} : le document a changé de langue")
    if fp == history[-1][1]:
        return Verdict(index, "same", fp, language, index - 1)
    return Verdict(index, "language_switch", fp, language, home.index, switch)


def _classify(
    index: int,
    text: str,
    fp: str,
    language: str,
    history: list[tuple[str, str, str]],
    verdicts: list[Verdict],
    last_full: int | None,
    previous: int,
) -> Verdict:
    """The verdict of a text in the document's language, against ``previous``: the last text in it."""
    previous_text, previous_fp, _previous_language = history[previous]
    if fp == previous_fp:
        return Verdict(index, "same", fp, language, previous)
    if last_full is not None and is_truncated(history[last_full][0], text):
        return Verdict(index, "truncated", fp, language, last_full, "rendu tronqué")
    if verdicts[previous].kind == "truncated" and last_full is not None and fp == history[last_full][1]:
        return Verdict(index, "restored", fp, language, last_full, "rendu complet rétabli")
    if is_truncated(text, previous_text):
        return Verdict(index, "restored", fp, language, previous, "la version précédente était tronquée")
    seen = [position for position in range(max(0, index - FLAP_WINDOW), previous) if history[position][1] == fp]
    if seen:
        return Verdict(index, "flap", fp, language, seen[-1], "retour à un texte déjà vu")
    if _blocks(text) == _blocks(previous_text):
        return Verdict(index, "reordered", fp, language, previous, "mêmes blocs dans un autre ordre")
    return Verdict(index, "change", fp, language, previous)


def _back_home(verdict: Verdict, home: _Home) -> Verdict:
    """The return to the document's language after a switch, with a text seen before (the last one in that
    language, an older one, or its blocks reordered), is a switch too; a change stays a change."""
    if not home.away or verdict.kind not in ("same", "flap", "reordered"):
        return verdict
    switch = home.away[-1].split(" (", 1)[0]
    back = " → ".join(reversed(switch.split(" → ")))
    return Verdict(
        verdict.index,
        "language_switch",
        verdict.fingerprint,
        verdict.language,
        home.index,
        f"{back} (retour à la langue du document)",
    )


def _truncated_run(verdicts: list[Verdict]) -> int:
    run = 0
    for verdict in reversed(verdicts):
        if verdict.kind not in ("truncated", "same"):
            break
        run += verdict.kind == "truncated"
    return run


def classify_history(texts: list[str], *, reference: int | None = None) -> list[Verdict]:
    """One verdict per version of a document, oldest first (see the module docstring).

    ``reference``: the position of the document's current version when the caller knows it (recording
    classifies a window of recent snapshots in which the first one may be a switched rendering): from
    there on, its language and text are the document's. The versions before it are context for flaps."""
    verdicts: list[Verdict] = []
    history: list[tuple[str, str, str]] = []  # (normalised text, fingerprint, language)
    last_full: int | None = None  # the last version that was not a truncated rendering
    home = _Home(0, "")
    for index, raw in enumerate(texts):
        text = normalise(raw)
        fp, language = fingerprint(text), detect_language(text)
        switch = _away(text, fp, language, history, home) if history else ""
        if not history:
            verdict = Verdict(index, "first", fp, language)
        elif switch:
            verdict = _classify_away(index, fp, language, switch, history, home)
        else:
            verdict = _back_home(_classify(index, text, fp, language, history, verdicts, last_full, home.index), home)
        if _is_full(verdict, switch, verdicts):
            last_full = index
        verdicts.append(verdict)
        history.append((text, fp, language))
        _update_home(home, index, verdict, switch, reference)
    return verdicts


def _is_full(verdict: Verdict, switch: str, verdicts: list[Verdict]) -> bool:
    """Whether a version is the new last full rendering (one in another language never is, unless it
    is the document's move to that language)."""
    if switch and verdict.kind != "change":
        return False
    return verdict.kind != "truncated" or _truncated_run(verdicts) + 1 >= TRUNCATION_PERSISTENCE


def _update_home(home: _Home, index: int, verdict: Verdict, switch: str, reference: int | None) -> None:
    """A version in the document's language (or the caller's reference, or a move) becomes its last text."""
    if switch and verdict.kind != "change" and index != reference:
        home.away.append(switch)
        return
    home.index, home.away = index, []
    if verdict.kind in ("first", "change") or index == reference:
        home.language = verdict.language or home.language
