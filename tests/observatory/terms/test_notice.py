"""The P2B notice check: gap between the first notification known and the date of effect."""

from datetime import UTC, date, datetime

import pytest

from fairplace.observatory.terms.text.dates import stated_dates
from fairplace.observatory.terms.text.notice import (
    BASIS_FIRST_SEEN,
    BASIS_STATED_EFFECTIVE,
    BASIS_STATED_UPDATED,
    FIRST_SEEN,
    OK,
    RETROACTIVE,
    SELLER_UPLOAD,
    SHORT,
    STATED,
    UNKNOWN,
    EffectiveDate,
    check_notice,
    effective_date_of,
    notification_candidates,
)

EFFECT = date(2024, 8, 20)


def days_before(n):
    return date.fromordinal(EFFECT.toordinal() - n)


def test_ok_when_notified_well_ahead():
    check = check_notice(EFFECT, [(STATED, days_before(30))])
    assert (check.status, check.gap_days, check.needs_review, check.flagged) == (OK, 30, False, False)
    assert check.notified == days_before(30)
    assert check.notified_source == STATED
    assert "30 jours" in check.message


def test_short_is_flagged_for_review():
    check = check_notice(EFFECT, [(FIRST_SEEN, days_before(5))])
    assert (check.status, check.gap_days, check.needs_review, check.flagged) == (SHORT, 5, True, True)
    assert "5 jours" in check.message and "art. 3" in check.message


def test_retroactive_when_effect_precedes_the_first_notification():
    check = check_notice(EFFECT, [(FIRST_SEEN, date(2024, 8, 23))])
    assert (check.status, check.gap_days, check.needs_review) == (RETROACTIVE, -3, True)
    assert "3 jours avant" in check.message and "art. 8" in check.message


@pytest.mark.parametrize(
    ("gap", "status"),
    [(15, OK), (16, OK), (14, SHORT), (1, SHORT), (0, SHORT), (-1, RETROACTIVE)],
)
def test_boundaries(gap, status):
    assert check_notice(EFFECT, [(STATED, days_before(gap))]).status == status


def test_a_longer_minimum_can_be_asked():
    check = check_notice(EFFECT, [(STATED, days_before(20))], minimum_days=30)
    assert (check.status, check.minimum_days) == (SHORT, 30)


@pytest.mark.parametrize(
    ("effective", "candidates"),
    [
        (None, [(STATED, date(2024, 8, 1))]),
        (EFFECT, []),
        (EFFECT, [(STATED, None), (FIRST_SEEN, None)]),
        (EffectiveDate(None, None), [(FIRST_SEEN, date(2024, 8, 1))]),
    ],
)
def test_unknown_without_effective_date_or_candidate(effective, candidates):
    check = check_notice(effective, candidates)
    assert (check.status, check.gap_days, check.needs_review) == (UNKNOWN, None, False)
    assert "inconnue" in check.message


def test_the_earliest_candidate_wins():
    candidates = [
        (FIRST_SEEN, date(2024, 8, 10)),
        (STATED, date(2024, 8, 8)),
        (SELLER_UPLOAD, date(2024, 7, 25)),
    ]
    check = check_notice(EFFECT, candidates)
    assert (check.notified_source, check.notified, check.gap_days, check.status) == (
        SELLER_UPLOAD,
        date(2024, 7, 25),
        26,
        OK,
    )


def test_datetimes_and_iso_strings_are_read_as_their_dates():
    seen = datetime(2024, 8, 5, 6, 30, 29, tzinfo=UTC)
    assert check_notice(datetime(2024, 8, 10, tzinfo=UTC), [(FIRST_SEEN, seen)]).gap_days == 5
    assert check_notice("2024-08-10", [(FIRST_SEEN, "2024-08-05T06:30:29Z")]).gap_days == 5


def test_unknown_sources_are_refused():
    with pytest.raises(ValueError, match="unknown notification source"):
        check_notice(EFFECT, [("rumour", date(2024, 8, 1))])


# --- effective_date_of ------------------------------------------------------------------------------


def test_effective_date_prefers_the_stated_effective_date():
    stated = stated_dates("Updated on 5 August 2024 and effective as of 10 August, 2024")
    assert effective_date_of(stated, date(2024, 8, 6)) == EffectiveDate(date(2024, 8, 10), BASIS_STATED_EFFECTIVE)


def test_effective_date_falls_back_to_last_updated_then_first_seen():
    stated = stated_dates("Last updated: March 13, 2024")
    assert effective_date_of(stated, date(2024, 3, 18)) == EffectiveDate(date(2024, 3, 13), BASIS_STATED_UPDATED)
    seen = datetime(2024, 3, 18, 18, 31, tzinfo=UTC)
    assert effective_date_of([], seen) == EffectiveDate(date(2024, 3, 18), BASIS_FIRST_SEEN)
    assert effective_date_of([], None) == EffectiveDate(None, None)


def test_effective_date_skips_old_versions():
    stated = stated_dates("Part B: Old version - updated on April 30th, 2021 and effective as of January 16th, 2021")
    assert effective_date_of(stated, date(2024, 8, 5)) == EffectiveDate(date(2024, 8, 5), BASIS_FIRST_SEEN)


def test_a_text_published_without_notice_is_short():
    # Only a "last updated" date: the text applies as published, 0 days of notice.
    stated = stated_dates("Last updated: March 13, 2024")
    candidates = notification_candidates(stated, first_seen=date(2024, 3, 18))
    check = check_notice(effective_date_of(stated, date(2024, 3, 18)), candidates)
    assert (check.status, check.gap_days, check.notified_source) == (SHORT, 0, STATED)


def test_notification_candidates():
    stated = stated_dates("Updated on 5 August 2024 and effective as of 10 August, 2024")
    candidates = notification_candidates(stated, "2024-08-05T06:30:29Z", [date(2024, 7, 1)])
    assert candidates == [
        (STATED, date(2024, 8, 5)),
        (FIRST_SEEN, date(2024, 8, 5)),
        (SELLER_UPLOAD, date(2024, 7, 1)),
    ]
    assert notification_candidates([], None) == []
