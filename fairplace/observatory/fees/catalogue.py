"""What the public pages of the fee observatory read: schedules in force, versions, changes.

Each function runs a fixed number of queries whatever the number of marketplaces, components
or changes (components are prefetched with their category, changes come with their schedule,
previous version, category and marketplace, report counts in one aggregate query).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core import refcache
from fairplace.platforms.models import Marketplace
from fairplace.platforms.queries import active_marketplaces

from . import wording
from .models import ComponentKind, FeeCategory, FeeChange, FeeChangeReport, FeeComponent, FeeSchedule

OTHER_KINDS = (ComponentKind.PER_ITEM, ComponentKind.PAYMENT, ComponentKind.FULFILMENT, ComponentKind.OTHER_RATE)


def today() -> date:
    return timezone.localdate()


def categories() -> list[FeeCategory]:
    """The common taxonomy, in display order (cached; models clear it on save)."""
    return refcache.cached("fees.categories", lambda: list(FeeCategory.objects.all()))


def _with_components(queryset):
    components = FeeComponent.objects.select_related("category")
    return queryset.prefetch_related(Prefetch("components", queryset=components))


# --- Commission coverage ---------------------------------------------------------------------


@dataclass
class Coverage:
    """How a schedule's commission rows cover the common categories."""

    known_rates: list[Decimal]
    unknown_categories: list[FeeCategory]  # common categories whose rate is (partly) unknown
    default: FeeComponent | None  # the row for "every other category", if any


def commission_coverage(components: list[FeeComponent], taxonomy: list[FeeCategory]) -> Coverage:
    commissions = [c for c in components if c.kind == ComponentKind.COMMISSION]
    defaults = [c for c in commissions if c.category_id is None]
    by_category: dict[int, list[FeeComponent]] = {}
    for component in commissions:
        if component.category_id is not None:
            by_category.setdefault(component.category_id, []).append(component)
    default_known = bool(defaults) and all(c.rate is not None for c in defaults)
    unknown = []
    for category in taxonomy:
        rows = by_category.get(category.id)
        # A row with no rate stops the fall-back to the default row: that rate is unknown.
        if (rows and any(row.rate is None for row in rows)) or (not rows and not default_known):
            unknown.append(category)
    known = sorted({c.rate for c in commissions if c.rate is not None})
    return Coverage(known_rates=known, unknown_categories=unknown, default=defaults[0] if defaults else None)


# --- Today's schedules (index page) -----------------------------------------------------------


@dataclass
class Summary:
    """One line of the index table."""

    schedule: FeeSchedule
    subscription_min: Decimal | None
    subscription_max: Decimal | None
    commission_min: Decimal | None
    commission_max: Decimal | None
    unknown_categories: int
    other_fees: list[str]

    @property
    def marketplace(self) -> Marketplace:
        return self.schedule.marketplace

    @property
    def reliability_label(self) -> str:
        return wording.reliability_short(self.schedule.reliability)

    @property
    def reliability_badge(self) -> str:
        return wording.reliability_badge(self.schedule.reliability)


def schedules_in_force(day: date | None = None) -> list[FeeSchedule]:
    """The version in force on ``day`` for each marketplace that has one, by marketplace name."""
    queryset = FeeSchedule.objects.in_force(day or today()).select_related("marketplace")
    return list(_with_components(queryset).order_by("marketplace__name", "marketplace_id"))


def summarise(schedule: FeeSchedule, taxonomy: list[FeeCategory]) -> Summary:
    components = list(schedule.components.all())
    amounts = [c.amount for c in components if c.kind == ComponentKind.SUBSCRIPTION and c.amount is not None]
    coverage = commission_coverage(components, taxonomy)
    kinds = {c.kind for c in components}
    return Summary(
        schedule=schedule,
        subscription_min=min(amounts, default=None),
        subscription_max=max(amounts, default=None),
        commission_min=coverage.known_rates[0] if coverage.known_rates else None,
        commission_max=coverage.known_rates[-1] if coverage.known_rates else None,
        unknown_categories=len(coverage.unknown_categories),
        other_fees=[str(kind.label) for kind in OTHER_KINDS if kind in kinds],
    )


@dataclass
class Overview:
    rows: list[Summary]
    without_data: list[Marketplace]
    upcoming: list[FeeSchedule]  # versions announced for a later date
    has_seed: bool


def overview(day: date | None = None) -> Overview:
    day = day or today()
    taxonomy = categories()
    rows = [summarise(schedule, taxonomy) for schedule in schedules_in_force(day)]
    covered = {row.schedule.marketplace_id for row in rows}
    upcoming = list(
        FeeSchedule.objects.filter(effective_on__gt=day)
        .select_related("marketplace")
        .order_by("effective_on", "marketplace__name")
    )
    return Overview(
        rows=rows,
        without_data=[m for m in active_marketplaces() if m.id not in covered],
        upcoming=upcoming,
        has_seed=any(row.schedule.is_seed for row in rows),
    )


# --- One marketplace --------------------------------------------------------------------------


@dataclass
class Version:
    schedule: FeeSchedule
    previous: FeeSchedule | None
    status: str  # "past", "current", "upcoming"


@dataclass
class ComponentLine:
    """A component as the marketplace page shows it."""

    component: FeeComponent
    category_label: str
    band: str
    base: str

    @classmethod
    def of(cls, component: FeeComponent) -> "ComponentLine":
        if component.category is not None:
            label = component.category.label
        elif component.kind == ComponentKind.COMMISSION:
            label = _("Toutes les autres catégories")
        else:
            label = ""
        rated = component.rate is not None or component.kind in (ComponentKind.COMMISSION, ComponentKind.OTHER_RATE)
        return cls(
            component,
            label,
            wording.band_label(component.price_from, component.price_to),
            wording.base_label(component.base, component.includes_shipping) if rated else "",
        )

    @property
    def reliability_label(self) -> str:
        return wording.reliability_short(self.component.reliability) if self.component.reliability else ""


@dataclass
class MarketplaceFees:
    marketplace: Marketplace
    current: FeeSchedule | None
    versions: list[Version]  # newest first
    subscriptions: list[FeeComponent] = field(default_factory=list)
    commissions: list[ComponentLine] = field(default_factory=list)
    others: list[ComponentLine] = field(default_factory=list)
    uncovered: list[FeeCategory] = field(default_factory=list)  # no row and no default row
    unknown: list[FeeCategory] = field(default_factory=list)  # rate unknown, whatever the reason
    groups: list["VersionChanges"] = field(default_factory=list)

    @property
    def reliability_label(self) -> str:
        return wording.reliability_short(self.current.reliability) if self.current else ""

    @property
    def reliability_badge(self) -> str:
        return wording.reliability_badge(self.current.reliability) if self.current else ""

    @property
    def notice_text(self) -> str:
        return wording.notice_text(self.current.notice_days) if self.current else ""

    @property
    def notice_flag(self) -> str:
        return wording.notice_flag(self.current.notice_days) if self.current else ""


def marketplace_fees(marketplace: Marketplace, day: date | None = None) -> MarketplaceFees:
    day = day or today()
    schedules = list(FeeSchedule.objects.filter(marketplace=marketplace).order_by("effective_on", "id"))
    in_force = [s for s in schedules if s.effective_on <= day]
    current = in_force[-1] if in_force else None
    versions = []
    for index, schedule in enumerate(schedules):
        status = "upcoming" if schedule.effective_on > day else "current" if schedule is current else "past"
        versions.append(Version(schedule, schedules[index - 1] if index else None, status))
    for schedule in schedules:
        schedule.marketplace = marketplace  # already loaded: no query per version
    fees = MarketplaceFees(marketplace=marketplace, current=current, versions=versions[::-1])
    if current is not None:
        components = list(current.components.select_related("category"))
        for component in components:
            component.schedule = current
        taxonomy = categories()
        coverage = commission_coverage(components, taxonomy)
        fees.subscriptions = [c for c in components if c.kind == ComponentKind.SUBSCRIPTION]
        commissions = sorted(
            (c for c in components if c.kind == ComponentKind.COMMISSION),
            key=lambda c: (
                c.category is None,
                c.category.position if c.category else 0,
                c.platform_category,
                c.price_from or 0,
                c.id,
            ),
        )
        fees.commissions = [ComponentLine.of(c) for c in commissions]
        fees.others = [ComponentLine.of(c) for c in components if c.kind in OTHER_KINDS]
        covered = {c.category_id for c in commissions}
        fees.unknown = coverage.unknown_categories
        if coverage.default is None:
            fees.uncovered = [category for category in taxonomy if category.id not in covered]
    fees.groups = change_groups(versions_with_changes(marketplace=marketplace))
    return fees


# --- Changes (timeline, feed, marketplace page) -------------------------------------------------


@dataclass
class ChangeLine:
    change: FeeChange
    sentence: str
    reported: str  # "" or "Signalé par …" (small counts suppressed)

    @property
    def severity_badge(self) -> str:
        return wording.severity_badge(self.change.severity)


@dataclass
class VersionChanges:
    """The changes a version brought, compared with the version before it."""

    schedule: FeeSchedule
    previous: FeeSchedule
    lines: list[ChangeLine]

    @property
    def marketplace(self) -> Marketplace:
        return self.schedule.marketplace

    @property
    def severity(self) -> str | None:
        return wording.highest_severity(line.change.severity for line in self.lines)

    @property
    def severity_badge(self) -> str:
        return wording.severity_badge(self.severity)

    @property
    def notice_flag(self) -> str:
        return wording.notice_flag(self.schedule.notice_days)

    @property
    def notice_text(self) -> str:
        return wording.notice_text(self.schedule.notice_days)

    @property
    def recorded_at(self):
        return max(line.change.recorded_at for line in self.lines)

    @property
    def first_recorded_at(self):
        return min(line.change.recorded_at for line in self.lines)

    @property
    def title(self) -> str:
        return wording.version_title(self.marketplace.name, self.schedule.effective_on)


def _live_changes(severity: str | None = None):
    changes = FeeChange.objects.filter(withdrawn_at__isnull=True)
    return changes.filter(severity=severity) if severity else changes


def versions_with_changes(*, marketplace: Marketplace | None = None, severity: str | None = None):
    """Versions that brought at least one (non-withdrawn) change, newest effective date first."""
    queryset = FeeSchedule.objects.filter(Exists(_live_changes(severity).filter(schedule=OuterRef("pk"))))
    if marketplace is not None:
        queryset = queryset.filter(marketplace=marketplace)
    return queryset.select_related("marketplace").order_by("-effective_on", "marketplace__name", "-id")


def versions_by_recording(*, marketplace: Marketplace | None = None, limit: int = 50) -> list[FeeSchedule]:
    """The ``limit`` versions whose changes were recorded last (for the feed)."""
    latest = _live_changes().filter(schedule=OuterRef("pk")).order_by("-recorded_at").values("recorded_at")[:1]
    queryset = versions_with_changes(marketplace=marketplace).annotate(last_recorded=Subquery(latest))
    return list(queryset.order_by("-last_recorded", "-id")[:limit])


def reported_counts(change_ids) -> dict[int, int]:
    """Number of distinct sellers (SIRET) whose reports are linked to each change (one query)."""
    from fairplace.reports.queries import distinct_sellers

    if not change_ids:
        return {}
    reports: dict[int, list[int]] = {}
    for change_id, report_id in FeeChangeReport.objects.filter(change_id__in=list(change_ids)).values_list(
        "change_id", "report_id"
    ):
        reports.setdefault(change_id, []).append(report_id)
    return {change_id: count for change_id, count in distinct_sellers(reports).items() if count}


def change_groups(versions, *, severity: str | None = None) -> list[VersionChanges]:
    """The live changes of ``versions`` (an iterable of schedules), grouped by version, in order."""
    versions = list(versions)
    if not versions:
        return []
    changes = list(
        _live_changes(severity)
        .filter(schedule__in=versions)
        .select_related("schedule__marketplace", "previous", "category", "marketplace")
        .order_by("kind", "plan", "category__position", "platform_category", "band", "measure", "id")
    )
    counts = reported_counts([change.id for change in changes])
    by_version: dict[int, list[FeeChange]] = {}
    for change in changes:
        by_version.setdefault(change.schedule_id, []).append(change)
    groups = []
    for schedule in versions:
        rows = by_version.get(schedule.id, [])
        if not rows:
            continue
        lines = [
            ChangeLine(change, wording.change_sentence(change), wording.reported_label(counts.get(change.id, 0)))
            for change in rows
        ]
        groups.append(VersionChanges(schedule=schedule, previous=rows[0].previous, lines=lines))
    return groups
