"""Stated dates and notice checks on the real OTA corpus (../shared/data/ota-p2b).

Skipped when the corpus is absent. The expected values were read in the files themselves.
"""

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from fairplace.observatory.terms.text.corpus import DEFAULT_ROOT
from fairplace.observatory.terms.text.dates import EFFECTIVE, LAST_UPDATED, current, stated_dates
from fairplace.observatory.terms.text.notice import (
    BASIS_STATED_EFFECTIVE,
    OK,
    SHORT,
    STATED,
    check_notice,
    effective_date_of,
    notification_candidates,
)

CORPUS = Path(settings.FAIRPLACE_OTA_CORPUS or DEFAULT_ROOT)

pytestmark = pytest.mark.skipif(
    not (CORPUS / "manifest.json").is_file(),
    reason=f"OTA corpus not found at {CORPUS} (set FAIRPLACE_OTA_CORPUS to its folder)",
)


def versions(service, terms_type):
    """(fetch datetime, markdown) of one document's saved versions, oldest first, from manifest.json."""
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    found = [
        (datetime.fromisoformat(v["fetch_date"]), (CORPUS / v["path"]).read_text(encoding="utf-8"))
        for v in manifest["versions"]
        if v["service"] == service and v["terms_type"] == terms_type
    ]
    assert found, f"no version of {service} / {terms_type} in the manifest"
    return sorted(found, key=lambda item: item[0])


def version_of(service, terms_type, day):
    """The version fetched on ``day`` (YYYY-MM-DD)."""
    (found,) = [item for item in versions(service, terms_type) if item[0].date().isoformat() == day]
    return found


def dates_of(stated, kind):
    return [s.date for s in stated if s.kind == kind and not s.historical]


def test_alibaba_2024_08_05_gives_a_five_day_notice_flag():
    fetched, markdown = version_of("Alibaba.com", "Marketplace Sellers Conditions", "2024-08-05")
    stated = stated_dates(markdown)
    assert current(stated, LAST_UPDATED).date == date(2024, 8, 5)
    assert current(stated, EFFECTIVE).date == date(2024, 8, 10)
    assert current(stated, EFFECTIVE).text == "effective as of 10 August, 2024"
    # Part B, the old version kept in the same page, is recognised as such.
    assert {s.date for s in stated if s.historical} == {date(2021, 4, 30), date(2021, 1, 16)}

    effective = effective_date_of(stated, fetched)
    assert effective.basis == BASIS_STATED_EFFECTIVE
    check = check_notice(effective, notification_candidates(stated, fetched))
    assert (check.status, check.gap_days, check.needs_review) == (SHORT, 5, True)
    assert (check.notified, check.notified_source) == (date(2024, 8, 5), STATED)


def test_alibaba_2022_version_states_an_eight_day_gap():
    fetched, markdown = version_of("Alibaba.com", "Marketplace Sellers Conditions", "2022-09-07")
    stated = stated_dates(markdown)
    check = check_notice(effective_date_of(stated, fetched), notification_candidates(stated, fetched))
    assert (check.effective, check.notified, check.gap_days, check.status) == (
        date(2022, 6, 21),
        date(2022, 6, 13),
        8,
        SHORT,
    )


def test_etsy_2022_10_19_announces_its_change_43_days_ahead():
    fetched, markdown = version_of("Etsy", "Marketplace Sellers Conditions", "2022-10-19")
    stated = stated_dates(markdown)
    # Title "Seller Policy (Effective from December 1 2022)", then "published on October 19, 2022. It will
    # take effect on December 1, 2022.", and "Last updated on Oct 19, 2022" at the end.
    assert dates_of(stated, EFFECTIVE) == [date(2022, 12, 1)] * 2
    assert dates_of(stated, LAST_UPDATED) == [date(2022, 10, 19)] * 2
    check = check_notice(effective_date_of(stated, fetched), notification_candidates(stated, fetched))
    assert (check.status, check.gap_days, check.needs_review) == (OK, 43, False)


def test_amazon_last_updated_line_in_every_version():
    found = []
    for _fetched, markdown in versions("Amazon", "Marketplace Sellers Conditions"):
        stated = stated_dates(markdown)
        assert len(dates_of(stated, LAST_UPDATED)) == 1, stated
        # "after the effective date of any change" is not a stated date of effect.
        assert dates_of(stated, EFFECTIVE) == []
        found.append(current(stated, LAST_UPDATED))
    assert found[0].text == "Last updated: August 5, 2022"
    assert sorted({s.date for s in found}) == [
        date(2022, 8, 5),
        date(2022, 10, 18),
        date(2022, 12, 24),
        date(2023, 7, 3),
        date(2024, 2, 1),
        date(2024, 3, 13),
        date(2024, 5, 29),
        date(2024, 8, 1),
    ]


def test_amazon_2024_03_18_states_march_13():
    _fetched, markdown = version_of("Amazon", "Marketplace Sellers Conditions", "2024-03-18")
    assert current(stated_dates(markdown), LAST_UPDATED).date == date(2024, 3, 13)


def test_rakuten_mise_a_jour_le_line():
    found = {}
    for fetched, markdown in versions("Rakuten", "Marketplace Sellers Conditions"):
        stated = stated_dates(markdown)
        # "en vigueur du 20.05.2021 au 23.09.2021" (links to older versions) is not a date of effect.
        assert dates_of(stated, EFFECTIVE) == []
        (updated,) = [s for s in stated if s.kind == LAST_UPDATED]
        assert updated.language == "fr" and updated.text.startswith("mise à jour le")
        found[fetched.date().isoformat()] = updated.date
    assert found["2022-08-25"] == date(2022, 1, 1)  # "1er janvier 2022"
    assert found["2022-09-08"] == date(2022, 9, 8)  # "08 septembre 2022"
    assert found["2023-06-24"] == date(2023, 6, 24)
    assert found["2024-01-15"] == date(2024, 1, 15)


def test_kaufland_states_no_date():
    # Read in the files: kaufland.de's German seller terms carry no "Stand:", "gültig ab" or similar line
    # ("auf aktuellem Stand", "gilt die deutsche Version" must not be read as such).
    for _fetched, markdown in versions("kaufland.de", "Commercial Terms"):
        assert stated_dates(markdown) == []


def test_other_documents():
    _f, boulanger = versions("Boulanger", "Marketplace Sellers Conditions")[0]
    assert dates_of(stated_dates(boulanger), EFFECTIVE)[0] == date(2021, 9, 30)
    _f, etsy = versions("Etsy", "Marketplace Sellers Conditions")[-1]
    assert dates_of(stated_dates(etsy), LAST_UPDATED) == [date(2023, 12, 6)]  # in the tail, "Dec 6, 2023"
    _f, tiktok = versions("TikTok Shop", "Marketplace Sellers Conditions")[-1]
    assert dates_of(stated_dates(tiktok), LAST_UPDATED) == [date(2023, 6, 9)]  # followed by a zero-width space


def test_every_version_stated_dates_are_plausible():
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    for version in manifest["versions"]:
        fetched = datetime.fromisoformat(version["fetch_date"]).date()
        for stated in stated_dates((CORPUS / version["path"]).read_text(encoding="utf-8")):
            # A text may announce its date of effect ahead (Etsy: +43 days), not by a quarter or more.
            assert date(2015, 1, 1) <= stated.date <= fetched + timedelta(days=90), (version["path"], stated)
