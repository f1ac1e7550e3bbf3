"""The notice check of a change of terms (P2B Regulation 2019/1150).

Art. 3(2): a change may not be applied before a notice period of at least 15 days from its notification
(longer when sellers need to adapt significantly). Art. 8(a): no retroactive change. This module only
measures: ``check_notice`` compares the date a version takes effect with the first notification known
and flags gaps under the minimum. Whether an exception applies (legal obligation, fraud or security
threat, waiver by the seller, or a longer period being due) is a reviewer's decision, never made here:
a flagged check carries ``needs_review=True``.

Notification candidates, as (source, date) pairs:

* ``"stated"``: a "last updated" date stated in the text (publication on the seller centre);
* ``"first_seen"``: when the tracker first saw the version (an upper bound of its publication);
* ``"seller_upload"``: the date of a notice a seller uploaded with a report (e-mail, message).

The first notification known is the EARLIEST candidate: any of them proves the change was announced by
then, and the seller benefits from the longest period that can be shown.
"""

from dataclasses import dataclass
from datetime import date, datetime

from .dates import EFFECTIVE, LAST_UPDATED, StatedDate, current

MIN_NOTICE_DAYS = 15  # P2B art. 3(2)

STATED = "stated"
FIRST_SEEN = "first_seen"
SELLER_UPLOAD = "seller_upload"
SOURCES = (SELLER_UPLOAD, STATED, FIRST_SEEN)  # order only breaks ties between equal dates

OK = "ok"
SHORT = "short"
RETROACTIVE = "retroactive"
UNKNOWN = "unknown"

# Where the effective date of a version comes from (see ``effective_date_of``).
BASIS_STATED_EFFECTIVE = "stated_effective"
BASIS_STATED_UPDATED = "stated_last_updated"
BASIS_FIRST_SEEN = "first_seen"

MESSAGES = {
    OK: "Préavis de {gap} jours : au moins {minimum} jours entre la notification et l'entrée en vigueur.",
    SHORT: "Préavis de {gap} jours seulement, moins des {minimum} jours requis (règlement P2B, art. 3) : à examiner.",
    RETROACTIVE: "Modification rétroactive : en vigueur {days} jours avant la première notification connue "
    "(règlement P2B, art. 8) : à examiner.",
    UNKNOWN: "Préavis indéterminé : date d'entrée en vigueur ou de notification inconnue.",
}


@dataclass(frozen=True)
class EffectiveDate:
    date: date | None
    basis: str | None  # BASIS_* constant, None when nothing is known


@dataclass(frozen=True)
class NoticeCheck:
    status: str  # OK, SHORT, RETROACTIVE or UNKNOWN
    effective: date | None
    notified: date | None  # the first notification known
    notified_source: str | None  # STATED, FIRST_SEEN or SELLER_UPLOAD
    gap_days: int | None  # effective − notified
    minimum_days: int = MIN_NOTICE_DAYS
    needs_review: bool = False  # True when flagged; the reviewer decides on exceptions

    @property
    def flagged(self) -> bool:
        return self.status in (SHORT, RETROACTIVE)

    @property
    def message(self) -> str:
        """French sentence for pages and alerts."""
        gap = self.gap_days if self.gap_days is not None else 0
        return MESSAGES[self.status].format(gap=gap, days=-gap, minimum=self.minimum_days)


def check_notice(effective, notified_candidates, *, minimum_days: int = MIN_NOTICE_DAYS) -> NoticeCheck:
    """Compare the effective date with the earliest notification candidate.

    ``effective``: a date, a datetime (its date is used), an ``EffectiveDate`` or None.
    ``notified_candidates``: iterable of (source, date or datetime or None); None dates are ignored.
    """
    if isinstance(effective, EffectiveDate):
        effective = effective.date
    effective = _as_date(effective)
    first = _earliest(notified_candidates)
    if effective is None or first is None:
        return NoticeCheck(UNKNOWN, effective, None, None, None, minimum_days)
    source, notified = first
    gap = (effective - notified).days
    if gap < 0:
        status = RETROACTIVE
    elif gap < minimum_days:
        status = SHORT
    else:
        status = OK
    return NoticeCheck(status, effective, notified, source, gap, minimum_days, needs_review=status != OK)


def effective_date_of(stated: list[StatedDate], first_seen) -> EffectiveDate:
    """When a version takes effect, by this rule:

    1. the effective date the text states for its current version ("effective as of", "en vigueur au",
       "gültig ab"), the first one in text order, dates about older versions skipped;
    2. else its stated "last updated" date: with no date of effect stated, the text applies as published;
    3. else ``first_seen``: a text that states nothing applies, at the latest, when it is seen.

    Rules 2 and 3 make the gap with the same date as notification 0 days, which is then flagged "short":
    a change published without any notice period, which is what such a text claims.
    """
    for kind, basis in ((EFFECTIVE, BASIS_STATED_EFFECTIVE), (LAST_UPDATED, BASIS_STATED_UPDATED)):
        found = current(stated, kind)
        if found is not None:
            return EffectiveDate(found.date, basis)
    first_seen = _as_date(first_seen)
    return EffectiveDate(first_seen, BASIS_FIRST_SEEN if first_seen else None)


def notification_candidates(stated: list[StatedDate], first_seen=None, seller_uploads=()) -> list[tuple]:
    """The (source, date) candidates of a version: its stated last-updated date, when it was first seen,
    and the dates of notices sellers uploaded."""
    candidates = []
    updated = current(stated, LAST_UPDATED)
    if updated is not None:
        candidates.append((STATED, updated.date))
    if first_seen is not None:
        candidates.append((FIRST_SEEN, _as_date(first_seen)))
    candidates.extend((SELLER_UPLOAD, _as_date(uploaded)) for uploaded in seller_uploads)
    return candidates


def _earliest(candidates) -> tuple[str, date] | None:
    known = []
    for source, value in candidates:
        if source not in SOURCES:
            raise ValueError(f"unknown notification source: {source!r}")
        value = _as_date(value)
        if value is not None:
            known.append((value, SOURCES.index(source), source))
    if not known:
        return None
    value, _rank, source = min(known)
    return source, value


def _as_date(value) -> date | None:
    """Dates as they are; datetimes by their own calendar date (UTC for OTA fetch dates); ISO strings
    ("2024-08-05" or "2024-08-05T06:30:29Z", as in the corpus manifest) parsed; None stays None."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date()
    return value
