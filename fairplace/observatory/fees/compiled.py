"""Fee schedules in the form the engine reads: plain, immutable-enough dataclasses compiled once
from the database (a schedule and its components) and cached a minute per process — the models'
signals clear the cache at once on a save in the same process."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from fairplace.core import refcache

from .models import Base, ComponentKind, FeeSchedule, TierMode

ZERO = Decimal(0)


@dataclass(frozen=True)
class Rule:
    kind: str
    plan: str
    category: str | None  # None: every category not listed elsewhere
    platform_category: str
    rate: Decimal | None
    amount: Decimal | None
    excl_vat: bool
    includes_shipping: bool
    minimum: Decimal | None
    maximum: Decimal | None
    price_from: Decimal | None
    price_to: Decimal | None
    marginal: bool
    reliability: str
    notes: str

    def covers_price(self, price: Decimal) -> bool:
        """Bands are (from, to]; the first band (from empty or 0) also holds 0."""
        above = self.price_from is None or price > self.price_from or (self.price_from == 0 and price == 0)
        return above and (self.price_to is None or price <= self.price_to)

    @property
    def is_banded(self) -> bool:
        return self.price_from is not None or self.price_to is not None


@dataclass
class CompiledSchedule:
    schedule_id: int
    marketplace_slug: str
    marketplace_name: str
    effective_on: date
    reliability: str
    is_seed: bool
    notes: str
    source_url: str
    source_document: str
    plans: dict[str, Decimal | None]  # plan → monthly subscription (None: amount unknown); empty: unknown
    plan_notes: dict[str, str]
    # (kind, category) → rules of every plan; category None for the default rows.
    rules: dict[tuple[str, str | None], list[Rule]] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()
    # The rules that apply to (kind, category, plan), found once (see _rules_for); plans whose
    # rules are the same share one list, so a unit fee computed for one serves the others.
    lookups: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def monotone_in_price(self) -> bool:
        """True when a dearer item can never cost less in fees. A banded group whose whole
        price takes one band's rate is monotone when rate, fixed part, minimum and cap never
        decrease from one band to the next; marginal bands, minimums and caps alone keep
        fees monotone by construction."""
        for group in self.rules.values():
            for plan_rules in _by_plan(group).values():
                banded = sorted(
                    (r for r in plan_rules if r.is_banded and not r.marginal), key=lambda r: r.price_from or ZERO
                )
                for lower, upper in zip(banded, banded[1:], strict=False):
                    if lower.rate is None or upper.rate is None:
                        continue  # unknown band: nothing to compare
                    if upper.rate < lower.rate or (upper.amount or ZERO) < (lower.amount or ZERO):
                        return False
                    # A smaller base above (price excl. VAT, or shipping left out) can lower the fee.
                    if (upper.excl_vat and not lower.excl_vat) or (
                        lower.includes_shipping and not upper.includes_shipping
                    ):
                        return False
                    if (upper.minimum or ZERO) < (lower.minimum or ZERO):
                        return False
                    if upper.maximum is not None and (lower.maximum is None or upper.maximum < lower.maximum):
                        return False
        return True


def _by_plan(rules: list[Rule]) -> dict[str, list[Rule]]:
    grouped: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        grouped[rule.plan].append(rule)
    return grouped


def compile_schedule(schedule: FeeSchedule) -> CompiledSchedule:
    """Turn a schedule and its (prefetched) components into the engine's structure."""
    compiled = CompiledSchedule(
        schedule_id=schedule.pk,
        marketplace_slug=schedule.marketplace.slug,
        marketplace_name=schedule.marketplace.name,
        effective_on=schedule.effective_on,
        reliability=schedule.reliability,
        is_seed=schedule.is_seed,
        notes=schedule.notes,
        source_url=schedule.source_url,
        source_document=schedule.source_document,
        plans={},
        plan_notes={},
    )
    kinds = set()
    for component in schedule.components.all():
        kinds.add(component.kind)
        if component.kind == ComponentKind.SUBSCRIPTION:
            # An amount left empty is unknown, never zero ("no subscription" is a row of 0 €).
            compiled.plans[component.plan] = component.amount
            compiled.plan_notes[component.plan] = component.notes
            continue
        category = component.category.code if component.category_id else None
        compiled.rules.setdefault((component.kind, category), []).append(
            Rule(
                kind=component.kind,
                plan=component.plan,
                category=category,
                platform_category=component.platform_category,
                rate=component.rate,
                amount=component.amount,
                excl_vat=component.base == Base.PRICE_EXCL_VAT,
                includes_shipping=component.includes_shipping,
                minimum=component.min_per_item,
                maximum=component.max_per_item,
                price_from=component.price_from,
                price_to=component.price_to,
                marginal=component.tier_mode == TierMode.MARGINAL,
                reliability=component.reliability or schedule.reliability,
                notes=component.notes,
            )
        )
    compiled.kinds = frozenset(kinds)
    return compiled


def schedules_in_force(day: date | None = None) -> list[CompiledSchedule]:
    """The compiled schedule in force of every marketplace with data, cached a minute."""
    day = day or timezone.localdate()  # the site's day (Europe/Paris), not the server clock's
    # One cache entry, "fees.current", holding every day asked for: the models' signals clear
    # that name (a per-day name would survive them until its minute is up).
    by_day: dict[date, list[CompiledSchedule]] = refcache.cached("fees.current", dict)
    if day not in by_day:
        schedules = (
            FeeSchedule.objects.in_force(day)
            .select_related("marketplace")
            .prefetch_related("components__category")
            .order_by("marketplace__name")
        )
        by_day[day] = [compile_schedule(schedule) for schedule in schedules]
    return by_day[day]
