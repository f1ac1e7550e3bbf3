"""Clause-level diff of two versions of a terms document.

Alignment runs in passes, cheapest first, so that big documents (AliExpress ~470 kB, Vinted ~250 kB)
stay fast: identical clauses are paired through a hash of their content (same id first, then any
id, which catches renumbering and moves); clauses left over are paired by id (modified in place),
then by text similarity among the unmatched only (a Dice coefficient of distinct words as a cheap
filter, difflib's ratio on word lists for the few best candidates), within a bounded window when there
are many of them.

Moves are the matched clauses that fall outside the longest increasing subsequence of positions:
inserting a clause renumbers those after it but moves nothing.
"""

import html
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .clauses import Clause, parse_clauses, slug
from .normalise import normalise

SIMILARITY_THRESHOLD = 0.5  # below it, an old and a new clause are a removal and an addition
FULL_SIMILARITY_PAIRS = 40_000  # above this many unmatched pairs, only nearby candidates are scored
WINDOW = 60  # how far (in unmatched clauses) a candidate may sit when the window applies
PREFILTER = 0.4  # minimum Dice coefficient of distinct words before a pair is scored
SHORTLIST = 3  # candidates per clause that get a sequence ratio, best Dice first
SURE_DICE = 0.9  # a Dice this high is taken as the score without a sequence ratio
_WORDS = re.compile(r"\S+")


@dataclass
class ClauseChange:
    kind: str  # "added", "removed", "modified", "moved" (a moved clause may also be modified)
    old: Clause | None
    new: Clause | None
    modified: bool = False
    renumbered: bool = False
    cosmetic: bool = False  # modified, but only in case, accents or punctuation
    similarity: float = 1.0
    word_diff: list[tuple[str, str]] = field(default_factory=list)  # ("=", "+", "-"; words)

    @property
    def clause(self) -> Clause:
        """The clause as it stands now (as it stood, for a removal)."""
        return self.new or self.old

    @property
    def substantive(self) -> bool:
        return self.kind in ("added", "removed") or (self.modified and not self.cosmetic)

    def word_diff_html(self) -> str:
        """The word diff as HTML-safe markup: <del> for removed words, <ins> for added ones."""
        tags = {"+": "ins", "-": "del"}
        parts = []
        for op, text in self.word_diff:
            escaped = html.escape(text)
            parts.append(escaped if op == "=" else f"<{tags[op]}>{escaped}</{tags[op]}>")
        return " ".join(parts)


@dataclass
class TermsDiff:
    old_clauses: list[Clause]
    new_clauses: list[Clause]
    changes: list[ClauseChange]
    renumbered: list[tuple[Clause, Clause]]  # same content, other number: not a change
    normalised_equal: bool

    @property
    def substantive(self) -> bool:
        """False when the differences vanish after normalisation, or are only moves or cosmetic edits."""
        return any(change.substantive for change in self.changes)

    @property
    def changed_clauses(self) -> list[Clause]:
        return [change.clause for change in self.changes]

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "modified": 0, "moved": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts


def _loose(text: str) -> str:
    """Content with case, accents and punctuation dropped, to tell cosmetic edits apart."""
    return slug(text)


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


WORD_DIFF_CELLS = 250_000  # above this many old × new words in one changed block, diff it by lines only


def _append(segments: list[tuple[str, str]], op: str, words: list[str]) -> None:
    if words:
        segments.append((op, " ".join(words)))


def _diff_words(old_words: list[str], new_words: list[str], segments: list[tuple[str, str]]) -> None:
    if len(old_words) * len(new_words) > WORD_DIFF_CELLS:
        _append(segments, "-", old_words)
        _append(segments, "+", new_words)
        return
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op == "equal":
            _append(segments, "=", old_words[i1:i2])
        else:
            _append(segments, "-", old_words[i1:i2])
            _append(segments, "+", new_words[j1:j2])


def word_diff(old_text: str, new_text: str) -> list[tuple[str, str]]:
    """("=", "+" or "-", words) segments turning ``old_text`` into ``new_text``. Lines (paragraphs) are
    aligned first and words only inside the changed lines: a 100 kB clause with one edited sentence
    costs a line diff plus a small word diff, not a quadratic word diff."""
    old_lines, new_lines = old_text.split("\n"), new_text.split("\n")
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        old_words = _words(" ".join(old_lines[i1:i2]))
        if op == "equal":
            _append(segments, "=", old_words)
        else:
            _diff_words(old_words, _words(" ".join(new_lines[j1:j2])), segments)
    return segments


class _Aligner:
    def __init__(self, old: list[Clause], new: list[Clause]):
        self.old, self.new = old, new
        self.pairs: dict[int, int] = {}  # old index → new index
        self.taken_new: set[int] = set()

    def pair(self, old_index: int, new_index: int) -> None:
        self.pairs[old_index] = new_index
        self.taken_new.add(new_index)

    def by_key(self, key) -> None:
        """Pair clauses with equal ``key``, in document order (the n-th with the n-th)."""
        waiting: dict[object, list[int]] = {}
        for index, clause in enumerate(self.old):
            if index not in self.pairs:
                waiting.setdefault(key(clause), []).append(index)
        for index, clause in enumerate(self.new):
            if index in self.taken_new:
                continue
            queue = waiting.get(key(clause))
            if queue:
                self.pair(queue.pop(0), index)

    def by_similarity(self) -> None:
        old_left = [i for i in range(len(self.old)) if i not in self.pairs]
        new_left = [j for j in range(len(self.new)) if j not in self.taken_new]
        if not old_left or not new_left:
            return
        windowed = len(old_left) * len(new_left) > FULL_SIMILARITY_PAIRS
        new_words = {j: _words(self.new[j].content) for j in new_left}
        new_sets = {j: frozenset(words) for j, words in new_words.items()}
        scored = []
        for rank, i in enumerate(old_left):
            old_words = _words(self.old[i].content)
            old_set = frozenset(old_words)
            matcher = SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(old_words)
            centre = round(rank * len(new_left) / len(old_left))
            candidates = new_left[max(0, centre - WINDOW) : centre + WINDOW] if windowed else new_left
            # Dice coefficient of the distinct words: set operations run in C, unlike difflib's
            # quick_ratio; only the best few candidates get a (costly) sequence ratio.
            shortlist = []
            for j in candidates:
                dice = 2 * len(old_set & new_sets[j]) / ((len(old_set) + len(new_sets[j])) or 1)
                if dice >= PREFILTER:
                    shortlist.append((-dice, j))
            for negative_dice, j in sorted(shortlist)[:SHORTLIST]:
                same_number = self.old[i].number == self.new[j].number
                if -negative_dice >= SURE_DICE:  # nearly the same words: the ratio would not change the pick
                    scored.append((negative_dice - (0.1 if same_number else 0.0), i, j))
                    continue
                matcher.set_seq1(new_words[j])
                if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD:
                    continue
                score = _ratio(matcher, self.old[i], self.new[j]) + (0.1 if same_number else 0.0)
                if score >= SIMILARITY_THRESHOLD:
                    scored.append((-score, i, j))
        for _negative, i, j in sorted(scored):
            if i not in self.pairs and j not in self.taken_new:
                self.pair(i, j)


def _ratio(matcher: SequenceMatcher, old: Clause, new: Clause) -> float:
    """Word-level similarity, or line-level for big clauses (difflib's ratio is quadratic at worst)."""
    if len(matcher.a) * len(matcher.b) <= WORD_DIFF_CELLS:
        return matcher.ratio()
    return SequenceMatcher(None, old.content.split("\n"), new.content.split("\n"), autojunk=False).ratio()


def _moved_old_indices(pairs: dict[int, int]) -> set[int]:
    """Old indices of the pairs outside a longest increasing run of new positions (O(n log n))."""
    ordered = sorted(pairs.items())
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(ordered)
    for position, (_old, new) in enumerate(ordered):
        slot = bisect_left(tails, new)
        if slot == len(tails):
            tails.append(new)
            tail_at.append(position)
        else:
            tails[slot], tail_at[slot] = new, position
        parent[position] = tail_at[slot - 1] if slot else -1
    kept = set()
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        kept.add(ordered[position][0])
        position = parent[position]
    return {old for old, _new in ordered if old not in kept}


def _change_for_pair(old: Clause, new: Clause, moved: bool) -> ClauseChange | None:
    modified = old.content != new.content
    if not modified and not moved:
        return None
    change = ClauseChange(
        "moved" if moved else "modified", old, new, modified=modified, renumbered=old.number != new.number
    )
    if modified:
        change.cosmetic = _loose(old.content) == _loose(new.content)
        change.word_diff = word_diff(old.content, new.content)
        equal_words = sum(len(text.split()) for op, text in change.word_diff if op == "=")
        change.similarity = 2 * equal_words / max(1, len(_words(old.content)) + len(_words(new.content)))
    return change


def diff_clauses(old: list[Clause], new: list[Clause]) -> tuple[list[ClauseChange], list[tuple[Clause, Clause]]]:
    """The changes from ``old`` to ``new`` clauses, in the new document's order (removals where they stood)."""
    aligner = _Aligner(old, new)
    aligner.by_key(lambda clause: (clause.id, clause.content))
    aligner.by_key(lambda clause: clause.content)
    aligner.by_key(lambda clause: clause.id)
    aligner.by_similarity()
    moved = _moved_old_indices(aligner.pairs)
    changes: list[tuple[float, ClauseChange]] = []
    renumbered = []
    for i, j in aligner.pairs.items():
        change = _change_for_pair(old[i], new[j], i in moved)
        if change is not None:
            changes.append((j, change))
        elif old[i].number != new[j].number:
            renumbered.append((old[i], new[j]))
    changes += [(j, ClauseChange("added", None, new[j])) for j in range(len(new)) if j not in aligner.taken_new]
    for i in range(len(old)):
        if i not in aligner.pairs:
            before = [aligner.pairs[k] for k in range(i) if k in aligner.pairs][-1:]
            changes.append(((before[0] if before else -1) + 0.5, ClauseChange("removed", old[i], None)))
    changes.sort(key=lambda item: item[0])
    return [change for _position, change in changes], renumbered


def diff_versions(old_md: str, new_md: str) -> TermsDiff:
    """Clause-level diff of two Markdown versions (normalised first: noise never shows as a change)."""
    old_text, new_text = normalise(old_md), normalise(new_md)
    old_clauses = parse_clauses(old_text, normalised=True)
    if old_text == new_text:
        return TermsDiff(old_clauses, old_clauses, [], [], True)
    new_clauses = parse_clauses(new_text, normalised=True)
    changes, renumbered = diff_clauses(old_clauses, new_clauses)
    return TermsDiff(old_clauses, new_clauses, changes, renumbered, False)
