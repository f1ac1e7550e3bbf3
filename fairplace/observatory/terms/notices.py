"""The notice check of a version (P2B art. 3(2) and 8): written when the version is recorded, recomputed when
the evidence changes (a seller's notice linked to the version, or withdrawn).

The measure (``text/notice.py``) compares a date of effect with the first notification known:

* the **date of effect** is the one the text states for itself ("effective as of", "en vigueur au"); a
  stated date older than the previous version describes an earlier change (AliExpress keeps its 2022 date
  in every version), so it is not used. Without one, the date of effect that sellers' notices state
  (``SellerNotice.effective_on``, checked by an agent against the notice the seller uploaded) is used: the
  earliest of them, the day the change applied to at least one seller. Without either, the notice is
  unknown ("préavis inconnu", not "0 days": platforms notify by e-mail or in the seller space, which the
  tracker does not see);
* the **first notification known** is the earliest of the stated "last updated" date, the day the tracker
  first saw the version (not for the first version ever seen: when tracking started is no notification),
  and the dates sellers say they were notified (``SellerNotice.notified_on``).

``recheck_notice`` keeps what it replaces: the former measure and any reviewer's decision go to
``NoticeCheck.history`` (oldest first) with the date and reason of the recomputation. A decision stays when
the status it was about is unchanged; otherwise it is cleared and the new status is reviewed afresh.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .models import NoticeCheck, SellerNotice, TermsVersion
from .text import notice as notice_rules
from .text.dates import StatedDate

BASIS_SELLER_NOTICE = "seller_notice"
MEASURE_FIELDS = (
    "status",
    "effective_on",
    "effective_basis",
    "notified_on",
    "notified_source",
    "gap_days",
    "needs_review",
)
DECISION_FIELDS = ("review_decision", "review_note", "reviewed_by_id", "reviewed_at")


def notice_fields(stated: list[StatedDate], fetched_at, *, previous: TermsVersion | None, seller_notices=()) -> dict:
    """The measure fields of a ``NoticeCheck`` (see the module docstring). ``seller_notices``: objects with
    ``notified_on`` and ``effective_on`` dates (either may be None)."""
    seller_notices = list(seller_notices)
    first_seen = None if previous is None else fetched_at
    effective = notice_rules.effective_date_of(stated, first_seen)
    stated_effective = effective.basis == notice_rules.BASIS_STATED_EFFECTIVE
    stale = stated_effective and previous is not None and effective.date < previous.first_seen_at.date()
    if not stated_effective or stale:
        effective = _seller_effective(seller_notices)
    notified = [notice.notified_on for notice in seller_notices if notice.notified_on is not None]
    candidates = notice_rules.notification_candidates(stated, first_seen, notified)
    check = notice_rules.check_notice(effective, candidates)
    return {
        "status": check.status,
        "effective_on": check.effective,
        "effective_basis": effective.basis or "",
        "notified_on": check.notified,
        "notified_source": check.notified_source or "",
        "gap_days": check.gap_days,
        "needs_review": check.needs_review,
    }


def _seller_effective(seller_notices) -> notice_rules.EffectiveDate:
    dates = [notice.effective_on for notice in seller_notices if notice.effective_on is not None]
    return (
        notice_rules.EffectiveDate(min(dates), BASIS_SELLER_NOTICE) if dates else notice_rules.EffectiveDate(None, None)
    )


def write_notice(
    version: TermsVersion, stated: list[StatedDate], fetched_at, *, previous: TermsVersion | None, seller_notices=()
) -> NoticeCheck:
    return NoticeCheck.objects.create(
        version=version, **notice_fields(stated, fetched_at, previous=previous, seller_notices=seller_notices)
    )


def stated_of(version: TermsVersion) -> list[StatedDate]:
    """The stated dates recorded with a version, back as ``StatedDate`` (in text order, as stored)."""
    dates = []
    for position, item in enumerate(version.stated_dates or ()):
        try:
            day = date.fromisoformat(str(item["date"]))
        except (KeyError, TypeError, ValueError):
            continue
        dates.append(
            StatedDate(
                kind=str(item.get("kind", "")),
                date=day,
                text=str(item.get("text", "")),
                offset=position,
                language=str(item.get("language", "")),
                ambiguous=bool(item.get("ambiguous")),
                historical=bool(item.get("historical")),
            )
        )
    return dates


def recheck_notice(version: TermsVersion, *, reason: str) -> NoticeCheck:
    """Recompute the notice check of ``version`` with its active seller notices (row lock held; the caller
    may already be in a transaction). Returns the check, unchanged when the measure is the same."""
    with transaction.atomic():
        check = NoticeCheck.objects.select_for_update().filter(version=version).first()
        notices = list(SellerNotice.objects.filter(version=version, withdrawn_at__isnull=True).order_by("pk"))
        fields = notice_fields(
            stated_of(version), version.first_seen_at, previous=version.previous, seller_notices=notices
        )
        if check is None:
            return NoticeCheck.objects.create(version=version, **fields)
        if all(getattr(check, name) == value for name, value in fields.items()):
            return check
        check.history = [*(check.history or []), _former(check, reason)]
        if fields["status"] != check.status or not fields["needs_review"]:
            check.review_decision, check.review_note, check.reviewed_by, check.reviewed_at = "", "", None, None
        for name, value in fields.items():
            setattr(check, name, value)
        check.save()
    return check


def _former(check: NoticeCheck, reason: str) -> dict:
    former = {name: _json(getattr(check, name)) for name in (*MEASURE_FIELDS, *DECISION_FIELDS)}
    former.update(replaced_at=timezone.now().isoformat(), reason=reason)
    return former


def _json(value):
    return value.isoformat() if isinstance(value, date) else value
