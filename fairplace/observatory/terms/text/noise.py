"""Telling noise from change over the history of one document.

OTA commits every byte difference; in the P2B history five documents make 62 % of all commits, almost
all noise: Boulanger alternates between a truncated (35 kB) and a full (70 kB) rendering every few
hours, Amazon's mediation page flips between French and English, Cdiscount changes its apostrophes
and the order of two blocks. ``classify_history`` gives each version one verdict, deterministically,
from the versions before it only (so the same code can run as versions arrive):

- ``first``; ``same``: normalised text unchanged;
- ``truncated``: much shorter than the last full rendering and contained in it; ``restored``: the
  full rendering back after a truncated one (or a version of which the previous one was a truncation);
- ``flap``: back to a normalised text seen within the last ``window`` versions (A → B → A);
- ``reordered``: the same blocks (paragraphs) in another order;
- ``language_switch``: the dominant language (fr/en/de, by stop words) differs from the previous one;
- ``change``: anything else, a substantive change.
"""

import re
from collections import Counter
from dataclasses import dataclass

from .normalise import fingerprint, normalise

TRUNCATION_RATIO = 0.7  # a rendering under 70 % of its neighbour's length may be a truncation…
CONTAINED_SHARE = 0.9  # …when at least 90 % of its lines appear in the neighbour
FLAP_WINDOW = 10
# A "truncated" rendering seen this many times in a row is the page's new normal (kaufland.de dropped
# a duplicated copy of its terms): it becomes the reference, so later edits to it are changes again.
TRUNCATION_PERSISTENCE = 3
_WORD = re.compile(r"[a-zà-öø-ÿß]+")


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
    """ "fr", "en" or "de" by stop-word counts over a sample; "" when no stop word is found."""
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


def _classify(
    index: int,
    text: str,
    fp: str,
    language: str,
    history: list[tuple[str, str, str]],
    verdicts: list[Verdict],
    last_full: int | None,
) -> Verdict:
    previous_text, previous_fp, previous_language = history[-1]
    if fp == previous_fp:
        return Verdict(index, "same", fp, language, index - 1)
    if last_full is not None and is_truncated(history[last_full][0], text):
        return Verdict(index, "truncated", fp, language, last_full, "rendu tronqué")
    if verdicts[-1].kind == "truncated" and last_full is not None and fp == history[last_full][1]:
        return Verdict(index, "restored", fp, language, last_full, "rendu complet rétabli")
    if is_truncated(text, previous_text):
        return Verdict(index, "restored", fp, language, index - 1, "la version précédente était tronquée")
    seen = [position for position in range(max(0, index - FLAP_WINDOW), index - 1) if history[position][1] == fp]
    if seen:
        return Verdict(index, "flap", fp, language, seen[-1], "retour à un texte déjà vu")
    if _blocks(text) == _blocks(previous_text):
        return Verdict(index, "reordered", fp, language, index - 1, "mêmes blocs dans un autre ordre")
    if language and previous_language and language != previous_language:
        return Verdict(index, "language_switch", fp, language, index - 1, f"{previous_language} → {language}")
    return Verdict(index, "change", fp, language, index - 1)


def _truncated_run(verdicts: list[Verdict]) -> int:
    run = 0
    for verdict in reversed(verdicts):
        if verdict.kind not in ("truncated", "same"):
            break
        run += verdict.kind == "truncated"
    return run


def classify_history(texts: list[str]) -> list[Verdict]:
    """One verdict per version of a document, oldest first (see the module docstring)."""
    verdicts: list[Verdict] = []
    history: list[tuple[str, str, str]] = []  # (normalised text, fingerprint, language)
    last_full: int | None = None  # the last version that was not a truncated rendering
    for index, raw in enumerate(texts):
        text = normalise(raw)
        fp, language = fingerprint(text), detect_language(text)
        if not history:
            verdict = Verdict(index, "first", fp, language)
        else:
            verdict = _classify(index, text, fp, language, history, verdicts, last_full)
        if verdict.kind != "truncated" or _truncated_run(verdicts) + 1 >= TRUNCATION_PERSISTENCE:
            last_full = index
        verdicts.append(verdict)
        history.append((text, fp, language))
    return verdicts
