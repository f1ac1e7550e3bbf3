"""Editions and figures written directly (as ``editions.freeze_edition`` would leave them), for
the open-data and API tests."""

from datetime import UTC, date, datetime

from fairplace.barometer.models import Edition, EditionFigure, PlatformReply
from fairplace.platforms.models import Marketplace

Status = EditionFigure.Status
# Thresholds of the snapshot, different from the settings' so that tests see which one is read.
SNAPSHOT = {"MIN_SAMPLE_RANK": 40, "MIN_SAMPLE_PUBLISH": 12, "SUPPRESS_BELOW": 5, "PREVIEW_DAYS": 15}
QUARTERS = {"1": (1, 3, 31), "2": (4, 6, 30), "3": (7, 9, 30), "4": (10, 12, 31)}


def make_edition(code: str = "2026-T3", status: str = Edition.Status.PUBLISHED, **fields) -> Edition:
    year, quarter = int(code[:4]), code[-1]
    first, last, last_day = QUARTERS[quarter]
    published = status == Edition.Status.PUBLISHED
    defaults = {
        "period_start": date(year, first, 1),
        "period_end": date(year, last, last_day),
        "status": status,
        "frozen_at": datetime(year + (quarter == "4"), last % 12 + 1, 2, 9, tzinfo=UTC),
        "publication_date": date(year + (quarter == "4"), last % 12 + 1, 20),
        "published_at": datetime(year + (quarter == "4"), last % 12 + 1, 20, 8, 30, tzinfo=UTC) if published else None,
        "methodology_version": "2026.1",
        "settings_snapshot": dict(SNAPSHOT),
    }
    defaults.update(fields)
    return Edition.objects.create(code=code, **defaults)


def figure(edition, marketplace, indicator, breakdown="", **fields) -> EditionFigure:
    if isinstance(marketplace, str):
        marketplace = Marketplace.objects.get(slug=marketplace)
    values = {
        "status": Status.OK,
        "n": None,
        "k": None,
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "p90": None,
        "rank": None,
        "ranked_count": None,
        "trend": "",
        "extra": {},
    }
    values.update(fields)
    return EditionFigure.objects.create(
        edition=edition, marketplace=marketplace, indicator=indicator, breakdown=breakdown, **values
    )


def every_status(edition) -> dict[str, EditionFigure]:
    """Figures of every status and kind, as the publication rules store them, on Cdiscount and
    ManoMano; returned by a short name."""
    return {
        "received": figure(edition, "cdiscount", "reports_received", n=120, value=120.0),
        "per_thousand": figure(
            edition,
            "cdiscount",
            "reports_per_1000_sellers",
            n=120,
            value=2.4,
            extra={
                "sellers": 50000,
                "source": "Rapport annuel 2025",
                "year": 2025,
                "source_url": "https://example.org/rapport-2025",
            },
        ),
        "family_ok": figure(
            edition, "cdiscount", "family_share", "DEREF", n=120, k=40, value=40 / 120, ci_low=0.2564, ci_high=0.4206
        ),
        "family_below": figure(edition, "cdiscount", "family_share", "SUSP", status=Status.BELOW_5, n=120),
        "answered": figure(
            edition,
            "cdiscount",
            "answered_in_time",
            n=80,
            k=60,
            value=0.75,
            ci_low=0.6446,
            ci_high=0.8315,
            rank=1,
            ranked_count=2,
            trend="up",
        ),
        "time": figure(
            edition,
            "cdiscount",
            "time_to_answer",
            n=60,
            value=3.5,
            p90=12.25,
            ci_low=2.5,
            ci_high=4.5,
            extra={
                "awaiting": 12,
                "awaiting_status": Status.OK,
                "awaiting_overdue": None,
                "awaiting_overdue_status": Status.BELOW_5,
            },
        ),
        "insufficient": figure(edition, "cdiscount", "answer_satisfactory", status=Status.INSUFFICIENT, n=7),
        "none": figure(edition, "cdiscount", "action_confirmed", status=Status.NONE, n=0),
        "count_below": figure(edition, "cdiscount", "mediation_referrals", status=Status.BELOW_5),
        "rate_below": figure(edition, "cdiscount", "statement_of_reasons_in_time", status=Status.BELOW_5, n=42),
        "received_b": figure(edition, "manomano", "reports_received", status=Status.BELOW_5),
        "unknown": figure(edition, "manomano", "reports_per_1000_sellers", status=Status.UNKNOWN),
        "answered_b": figure(
            edition,
            "manomano",
            "answered_in_time",
            n=50,
            k=36,
            value=0.72,
            ci_low=0.5833,
            ci_high=0.8253,
            rank=1,
            ranked_count=2,
            trend="stable",
        ),
    }


def planted(edition) -> dict[str, EditionFigure]:
    """Figures stored AGAINST the rules (a count of 3, a numerator of 2, 3 cases awaiting): the
    exports must still publish none of these numbers."""
    return {
        "count": figure(edition, "manomano", "mediation_referrals", n=3, value=3.0),
        "numerator": figure(
            edition,
            "manomano",
            "answer_satisfactory",
            n=40,
            k=2,
            value=0.05,
            ci_low=0.0138,
            ci_high=0.1650,
            rank=2,
            ranked_count=2,
        ),
        "awaiting": figure(
            edition,
            "manomano",
            "time_to_answer",
            n=30,
            value=2.0,
            p90=6.0,
            ci_low=1.5,
            ci_high=3.0,
            extra={
                "awaiting": 3,
                "awaiting_status": Status.OK,
                "awaiting_overdue": 0,
                "awaiting_overdue_status": Status.NONE,
            },
        ),
    }


def reply(edition, marketplace_slug: str, text: str, author) -> PlatformReply:
    return PlatformReply.objects.create(
        edition=edition, marketplace=Marketplace.objects.get(slug=marketplace_slug), text=text, author=author
    )
