"""The read model of the public pages: what has been published, and the cache of its pages.

Only PUBLISHED editions are read here. A published edition's figures never change, so the
public pages are cached (Django's cache, shared by every app process) under a "barometer
generation" number: ``bump_generation()`` — to be called after an edition is published or
withdrawn, a reply is posted or the charter registry changes — makes every cached page stale at
once. Cached pages also expire after ``PAGE_TIMEOUT`` whatever happens. Each process keeps the
pages it served last in memory, checked against the generation on every request.
"""

import hashlib
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count

from fairplace.platforms.queries import active_marketplaces

from . import indicators
from .models import Edition, EditionFigure, PlatformReply

GENERATION_KEY = "barometer:generation"
PAGE_KEY_PREFIX = "barometer:page:"
# A safety net: a page is rebuilt after this long even if nobody bumped the generation.
PAGE_TIMEOUT = 10 * 60

PUBLISHED = Edition.Status.PUBLISHED


# --- Editions -----------------------------------------------------------------------------


def published_editions() -> list[Edition]:
    """Published editions, newest first."""
    return list(Edition.objects.filter(status=PUBLISHED).order_by("-period_start"))


def latest_edition() -> Edition | None:
    return Edition.objects.filter(status=PUBLISHED).order_by("-period_start").first()


def published_edition(code: str) -> Edition | None:
    return Edition.objects.filter(status=PUBLISHED, code=code).first()


# --- Figures ------------------------------------------------------------------------------


@dataclass
class EditionFigures:
    """The figures of one edition, by (marketplace id, indicator code, breakdown)."""

    edition: Edition
    by_key: dict
    tied: set  # (indicator, breakdown, rank) shared by more than one marketplace

    def get(self, marketplace_id: int, code: str, breakdown: str = "") -> EditionFigure | None:
        return self.by_key.get((marketplace_id, code, breakdown))

    def is_tied(self, figure: EditionFigure | None) -> bool:
        return bool(
            figure and figure.rank is not None and (figure.indicator, figure.breakdown, figure.rank) in self.tied
        )

    def breakdowns(self, marketplace_id: int, code: str) -> list[EditionFigure]:
        return sorted(
            (
                figure
                for (mp, indicator, breakdown), figure in self.by_key.items()
                if mp == marketplace_id and indicator == code and breakdown
            ),
            key=lambda figure: figure.breakdown,
        )


def edition_figures(edition: Edition) -> EditionFigures:
    """Every figure of ``edition`` (one query)."""
    by_key = {
        (figure.marketplace_id, figure.indicator, figure.breakdown): figure
        for figure in EditionFigure.objects.filter(edition=edition)
    }
    counts = defaultdict(int)
    for figure in by_key.values():
        if figure.rank is not None:
            counts[(figure.indicator, figure.breakdown, figure.rank)] += 1
    return EditionFigures(edition, by_key, {key for key, count in counts.items() if count > 1})


@dataclass
class MarketplaceSeries:
    """One marketplace across the published editions (oldest first)."""

    editions: list[Edition]
    by_key: dict  # (edition id, indicator, breakdown) → figure
    tied: set  # (edition id, indicator, breakdown, rank)

    def get(self, edition: Edition, code: str, breakdown: str = "") -> EditionFigure | None:
        return self.by_key.get((edition.pk, code, breakdown))

    def is_tied(self, figure: EditionFigure | None) -> bool:
        return bool(
            figure
            and figure.rank is not None
            and (figure.edition_id, figure.indicator, figure.breakdown, figure.rank) in self.tied
        )

    def breakdowns(self, edition: Edition, code: str) -> list[EditionFigure]:
        return sorted(
            (
                figure
                for (edition_id, indicator, breakdown), figure in self.by_key.items()
                if edition_id == edition.pk and indicator == code and breakdown
            ),
            key=lambda figure: figure.breakdown,
        )


def marketplace_series(marketplace_id: int, editions: list[Edition]) -> MarketplaceSeries:
    """Every figure of one marketplace in ``editions`` (two queries: its figures, and the ranks
    it shares with another marketplace)."""
    ids = [edition.pk for edition in editions]
    figures = EditionFigure.objects.filter(edition_id__in=ids, marketplace_id=marketplace_id)
    by_key = {(figure.edition_id, figure.indicator, figure.breakdown): figure for figure in figures}
    shared = (
        EditionFigure.objects.filter(edition_id__in=ids, rank__isnull=False)
        .values("edition_id", "indicator", "breakdown", "rank")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
    )
    tied = {(row["edition_id"], row["indicator"], row["breakdown"], row["rank"]) for row in shared}
    ordered = sorted(editions, key=lambda edition: edition.period_start)
    return MarketplaceSeries(ordered, by_key, tied)


def replies_of(edition: Edition) -> dict[int, PlatformReply]:
    """The platforms' replies to a published edition, by marketplace id."""
    if edition.status != PUBLISHED:
        return {}
    return {reply.marketplace_id: reply for reply in PlatformReply.objects.filter(edition=edition)}


def replies_of_marketplace(marketplace_id: int) -> dict[int, PlatformReply]:
    """One marketplace's replies to the published editions, by edition id."""
    replies = PlatformReply.objects.filter(marketplace_id=marketplace_id, edition__status=PUBLISHED)
    return {reply.edition_id: reply for reply in replies}


def marketplaces() -> list:
    """The marketplaces the barometer shows (those offered in the form), by name whatever its case."""
    return sorted(active_marketplaces(), key=lambda marketplace: marketplace.name.casefold())


def indicator_list() -> list[indicators.Indicator]:
    return indicators.all_indicators()


# --- Page cache ---------------------------------------------------------------------------


def _new_generation() -> int:
    return time.time_ns() // 1000


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        value = cache.get(GENERATION_KEY)
    return value


def _bump() -> int:
    forget_local()
    try:
        return cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache (cleared, evicted): any new number will do
        value = _new_generation()
        cache.set(GENERATION_KEY, value, timeout=None)
        return value


def bump_generation() -> int:
    """Make every cached public page stale. Called inside a transaction, it bumps now and once
    more after the commit, so that no page rendered before the commit outlives it."""
    value = _bump()
    if connection.in_atomic_block:
        transaction.on_commit(_bump)
    return value


def page_key(parts: tuple) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
    return PAGE_KEY_PREFIX + digest


# Pages this process has already read from the shared cache, so that a hit costs no transfer
# and decoding of a page of 50–100 kB; and the generation, read again at most once a second.
_local: OrderedDict = OrderedDict()  # key → (generation, expires at (monotonic), value)
_local_lock = threading.Lock()
LOCAL_ENTRIES = 128
GENERATION_MEMO_SECONDS = 1.0
_memo: tuple = (None, 0.0)  # (generation, valid until (monotonic))


def forget_local() -> None:
    """Forget this process's pages and generation (bump_generation does it)."""
    global _memo
    with _local_lock:
        _local.clear()
        _memo = (None, 0.0)


def current_generation() -> int:
    """The generation, remembered for GENERATION_MEMO_SECONDS: another process's bump shows at
    most that late here. Inside a transaction (a view that writes, a test) it is always read."""
    global _memo
    value, until = _memo
    if value is not None and not connection.in_atomic_block and time.monotonic() < until:
        return value
    value = generation()
    _memo = (value, time.monotonic() + GENERATION_MEMO_SECONDS)
    return value


def cached(parts: tuple, build: Callable[[], object]):
    """``build()``'s result, cached under ``parts`` for the current generation: in this process,
    then in the shared cache. A hit costs at most one cache read (the generation)."""
    key = page_key(parts)
    current = current_generation()
    now = time.monotonic()
    with _local_lock:
        entry = _local.get(key)
        if entry is not None and entry[0] == current and entry[1] > now:
            _local.move_to_end(key)
            return entry[2]
    shared = cache.get(key)
    if shared is not None and shared[0] == current:
        value = shared[1]
    else:
        value = build()
        cache.set(key, (current, value), timeout=PAGE_TIMEOUT)
    with _local_lock:
        _local[key] = (current, now + PAGE_TIMEOUT, value)
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)
    return value
