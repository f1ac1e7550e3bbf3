"""The fee engine: what a product mix would cost a seller on each marketplace, per month.

Pure computation on *compiled* schedules (plain dataclasses built once from the database and
cached), so a 50-line mix across every marketplace costs a few milliseconds.

Honesty rules:
- A fee the schedule does not give is **unknown**, never zero. Subscription and commission
  are charged by every marketplace: when the schedule lacks them (or gives no rate for the
  category) the result is incomplete and its total is a lower bound ("au moins").
- Payment, fulfilment, per-item and other fees are counted only where the schedule has them;
  the assumptions say so.
- Amounts are exact decimals; rounding to the cent happens once, on each monthly figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .compiled import CompiledSchedule, Rule, compile_schedule, schedules_in_force  # noqa: F401 (the engine's API)
from .models import ComponentKind

VAT_RATE = Decimal("0.20")
VAT_DIVISOR = 1 + VAT_RATE
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Charged by every marketplace: missing from a schedule means "not known", and the result is
# incomplete. Other kinds are counted only when a schedule publishes them.
ESSENTIAL_KINDS = (ComponentKind.SUBSCRIPTION, ComponentKind.COMMISSION)
PER_UNIT_KINDS = (
    ComponentKind.COMMISSION,
    ComponentKind.PER_ITEM,
    ComponentKind.PAYMENT,
    ComponentKind.FULFILMENT,
    ComponentKind.OTHER_RATE,
)
KIND_ORDER = (ComponentKind.SUBSCRIPTION, *PER_UNIT_KINDS)

ASSUMPTIONS = (
    "Les prix saisis sont TTC ; les frais de port sont ceux facturés à l'acheteur, par article ; "
    "une commande compte un article.",
    "Les frais sont hors taxes, comme les plateformes les publient ; le chiffre d'affaires est TTC "
    "(ce que paient les acheteurs, port compris) ; le revenu net est le chiffre d'affaires moins "
    "les frais, avant coût des produits, expédition et impôts.",
    "Quand une commission porte sur le prix hors taxes, le prix TTC est converti avec une TVA de 20 %.",
    "Les tranches de prix sont déterminées par le prix de l'article TTC, hors port.",
    "Produits neufs, vendeur établi en France : les majorations (produits d'occasion) et les "
    "remises propres à certains vendeurs ne sont pas appliquées.",
    "Frais de paiement, de logistique et autres frais : comptés seulement quand la grille relevée "
    "les publie ; le vendeur expédie lui-même ses commandes.",
    "Pour une place de marché à plusieurs formules d'abonnement, la formule la moins chère pour "
    "cette activité est retenue ; les autres sont données pour comparaison.",
    "Une donnée absente de la grille relevée est affichée « inconnu », jamais comptée zéro ; le "
    "total est alors un minimum.",
)


@dataclass(frozen=True)
class MixLine:
    """One line of a seller's product mix."""

    category: str  # common taxonomy code
    unit_price: Decimal  # incl. VAT, without shipping
    shipping: Decimal  # charged to the buyer per unit
    units: int  # per month


# --- one unit, one kind -------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFee:
    amount: Decimal | None  # per unit, exact; None = unknown
    rules: tuple[Rule, ...] = ()
    reason: str = ""  # why unknown


_MISSING = object()


def _rules_for(schedule: CompiledSchedule, kind: str, category: str, plan: str) -> list[Rule] | None:
    """The rules of ``kind`` for a category and a plan (memoised in ``schedule.lookups``; the
    list returned is shared: never modify it)."""
    key = ("rules", kind, category, plan)
    found = schedule.lookups.get(key, _MISSING)
    if found is _MISSING:
        found = _find_rules(schedule, kind, category, plan)
        if found is not None:
            found = schedule.lookups.setdefault(("list", *map(id, found)), found)
        schedule.lookups[key] = found
    return found


def _find_rules(schedule: CompiledSchedule, kind: str, category: str, plan: str) -> list[Rule] | None:
    for key in ((kind, category), (kind, None)):
        rules = [r for r in schedule.rules.get(key, ()) if r.plan in ("", plan)]
        if rules:
            # A plan's own rules come before those of every plan (stable sort keeps the order).
            rules.sort(key=lambda r: r.plan != plan)
            return rules
    return None


def _base(rule: Rule, line: MixLine) -> Decimal:
    base = line.unit_price + (line.shipping if rule.includes_shipping else ZERO)
    return base / VAT_DIVISOR if rule.excl_vat else base


def _apply_limits(rule: Rule, fee: Decimal) -> Decimal:
    if rule.minimum is not None and fee < rule.minimum:
        fee = rule.minimum
    if rule.maximum is not None and fee > rule.maximum:
        fee = rule.maximum
    return fee


def _flat(rule: Rule, base: Decimal) -> Decimal:
    return (rule.rate or ZERO) * base / HUNDRED + (rule.amount or ZERO)


def unit_fee(schedule: CompiledSchedule, kind: str, line: MixLine, plan: str) -> UnitFee:
    """The fee of one unit of ``line`` for ``kind`` under ``plan``."""
    return _unit_fee(schedule, kind, line, _rules_for(schedule, kind, line.category, plan))


def _unit_fee(schedule: CompiledSchedule, kind: str, line: MixLine, rules: list[Rule] | None) -> UnitFee:
    if rules is None:
        if kind == ComponentKind.COMMISSION:
            return UnitFee(None, reason="aucune commission relevée pour cette catégorie")
        # Other fees are charged only where the schedule says so (for this plan, this category).
        return UnitFee(ZERO)
    key = ("marginal", id(rules))
    marginal = schedule.lookups.get(key)
    if marginal is None:
        marginal = schedule.lookups[key] = [r for r in rules if r.marginal and r.is_banded]
    if marginal:
        return _marginal_fee(marginal, line)
    price = line.unit_price
    rule = next((r for r in rules if r.covers_price(price)), None)
    if rule is None:
        return UnitFee(None, reason="pas de tranche de prix relevée pour ce prix")
    if rule.rate is None and rule.amount is None:
        return UnitFee(None, (rule,), reason=rule.notes or "taux inconnu")
    if kind == ComponentKind.COMMISSION and rule.rate is None:
        return UnitFee(None, (rule,), reason=rule.notes or "taux inconnu")
    return UnitFee(_apply_limits(rule, _flat(rule, _base(rule, line))), (rule,))


def _marginal_fee(rules: list[Rule], line: MixLine) -> UnitFee:
    """Each slice of the fee base (price, plus shipping when the schedule includes it) at its
    band's rate, like income tax; the minimum and cap of the first band apply to the sum."""
    ordered = sorted(rules, key=lambda r: r.price_from or ZERO)
    if any(r.rate is None for r in ordered):
        unknown = next(r for r in ordered if r.rate is None)
        return UnitFee(None, tuple(ordered), reason=unknown.notes or "taux inconnu pour une tranche")
    base = _base(ordered[0], line)
    fee = ZERO
    for rule in ordered:
        low = rule.price_from or ZERO
        high = base if rule.price_to is None else min(base, rule.price_to)
        if high > low:
            fee += rule.rate * (high - low) / HUNDRED
    fee += ordered[0].amount or ZERO
    first = ordered[0]
    return UnitFee(_apply_limits(first, fee), tuple(ordered))


# --- a whole mix ---------------------------------------------------------------------------


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class LineResult:
    line: MixLine
    turnover: Decimal
    fees: dict[str, Decimal | None]  # kind → monthly fee (exact); None = unknown
    reasons: dict[str, str]
    rules: dict[str, tuple[Rule, ...]]


@dataclass(frozen=True)
class Unknown:
    """Why a component of a plan is unknown: for which rules (or category without any)."""

    kind: str
    category: str
    rules: tuple[Rule, ...]
    reason: str


@dataclass
class PlanResult:
    plan: str
    subscription: Decimal | None
    components: dict[str, Decimal | None]  # kind → monthly total (cents); None = unknown
    total_known: Decimal  # cents
    complete: bool
    unknowns: list[Unknown] = field(default_factory=list)  # distinct causes, in line order
    applied: list[tuple[Rule, ...]] = field(default_factory=list)  # distinct rule sets that applied
    # The line-by-line breakdown is only worked out when asked for (``lines``).
    line_source: tuple | None = None

    @property
    def unknown_kinds(self) -> list[str]:
        return [kind for kind, value in self.components.items() if value is None]

    @property
    def lines(self) -> list[LineResult]:
        if not hasattr(self, "_lines"):
            schedule, lines = self.line_source
            self._lines = _plan_lines(schedule, lines, self.plan, {})[0]
        return self._lines


@dataclass
class MarketplaceResult:
    schedule: CompiledSchedule
    best: PlanResult
    other_plans: list[PlanResult]
    turnover: Decimal
    rank: int | None = None
    tied: bool = False

    @property
    def complete(self) -> bool:
        return self.best.complete

    @property
    def total(self) -> Decimal:
        return self.best.total_known

    @property
    def net_revenue(self) -> Decimal:
        """Turnover − fees; an upper bound when the result is incomplete."""
        return self.turnover - self.best.total_known

    @property
    def effective_rate(self) -> Decimal | None:
        """Fees as a share of turnover, in percent; a lower bound when incomplete."""
        if self.turnover == 0:
            return None
        return (self.best.total_known / self.turnover * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def notes(self) -> list[str]:
        """The schedule's notes and those of every rule applied, once each."""
        seen: list[str] = []
        for text in [self.schedule.notes, *self.best_plan_notes()]:
            if text and text not in seen:
                seen.append(text)
        return seen

    def best_plan_notes(self) -> list[str]:
        notes = [self.schedule.plan_notes.get(self.best.plan, "")]
        for rules in self.best.applied:
            notes.extend(rule.notes for rule in rules)
        notes.extend(unknown.reason for unknown in self.best.unknowns)
        return notes


@dataclass
class Simulation:
    lines: list[MixLine]
    results: list[MarketplaceResult]
    turnover: Decimal
    assumptions: tuple[str, ...] = ASSUMPTIONS


def _plan_lines(
    schedule: CompiledSchedule, lines: list[MixLine], plan: str, memo: dict
) -> tuple[list[LineResult], dict[str, Decimal | None]]:
    """Each line's fees under ``plan`` and their monthly totals by kind (exact)."""
    totals: dict[str, Decimal | None] = dict.fromkeys(PER_UNIT_KINDS, ZERO)
    # A kind the schedule never mentions costs nothing (commission aside: unknown, see unit_fee).
    counted = [kind for kind in PER_UNIT_KINDS if kind in schedule.kinds or kind in ESSENTIAL_KINDS]
    nothing = dict.fromkeys(PER_UNIT_KINDS, ZERO), dict.fromkeys(PER_UNIT_KINDS, ())
    found: dict[tuple[str, str], list[Rule] | None] = {}  # (kind, category) → rules, for this plan
    line_results = []
    for line in lines:
        fees, applied, reasons = dict(nothing[0]), dict(nothing[1]), {}
        category, price, shipping, units = line.category, line.unit_price, line.shipping, line.units
        for kind in counted:
            rules = found.get((kind, category), _MISSING)
            if rules is _MISSING:
                rules = found[kind, category] = _rules_for(schedule, kind, category, plan)
            key = (kind, id(rules), price, shipping)  # the fee depends on nothing else
            fee = memo.get(key)
            if fee is None:
                fee = memo[key] = _unit_fee(schedule, kind, line, rules)
            monthly = None if fee.amount is None else fee.amount * units
            fees[kind], applied[kind] = monthly, fee.rules
            if fee.reason:
                reasons[kind] = fee.reason
            total = totals[kind]
            totals[kind] = None if (monthly is None or total is None) else total + monthly
        line_results.append(LineResult(line, (price + shipping) * units, fees, reasons, applied))
    return line_results, totals


class _Group:
    """The lines of one category, with the sums a flat rule needs: a rate without minimum or cap
    is linear, so Σ fee × units = rate × Σ(base × units) / 100 + amount × Σ units, whatever the
    number of lines (exact in decimals, as the line-by-line sum)."""

    __slots__ = ("lines", "with_shipping", "price_only", "units")

    def __init__(self, lines: list[MixLine]):
        self.lines = lines
        self.with_shipping = sum(((line.unit_price + line.shipping) * line.units for line in lines), ZERO)
        self.price_only = sum((line.unit_price * line.units for line in lines), ZERO)
        self.units = sum(line.units for line in lines)


def _by_category(lines: list[MixLine]) -> dict[str, _Group]:
    grouped: dict[str, list[MixLine]] = {}
    for line in lines:
        grouped.setdefault(line.category, []).append(line)
    return {category: _Group(members) for category, members in grouped.items()}


def _simple_total(rule: Rule, group: _Group) -> Decimal:
    """Σ fee × units for one flat rule (no band): the arithmetic of ``_unit_fee``, so the totals
    equal the sum of the line-by-line fees."""
    rate, amount, minimum, maximum = rule.rate or ZERO, rule.amount or ZERO, rule.minimum, rule.maximum
    shipping, excl_vat = rule.includes_shipping, rule.excl_vat
    if minimum is None and maximum is None:
        base = group.with_shipping if shipping else group.price_only
        if excl_vat:
            base = base / VAT_DIVISOR
        return rate * base / HUNDRED + amount * group.units
    total = ZERO
    for line in group.lines:
        base = line.unit_price + line.shipping if shipping else line.unit_price + ZERO
        if excl_vat:
            base = base / VAT_DIVISOR
        fee = rate * base / HUNDRED + amount
        if minimum is not None and fee < minimum:
            fee = minimum
        if maximum is not None and fee > maximum:
            fee = maximum
        total += fee * line.units
    return total


class _KindTotal:
    """The monthly total of one kind under one plan, with what made it unknown."""

    __slots__ = ("total", "causes", "rule_sets")

    def __init__(self):
        self.total: Decimal | None = ZERO
        self.causes: dict[tuple, Unknown] = {}  # in order of discovery, each cause once
        self.rule_sets: dict[int, tuple[Rule, ...]] = {}  # by identity: the lists are shared

    @property
    def applied(self) -> list[tuple[Rule, ...]]:
        return list(self.rule_sets.values())

    @property
    def unknowns(self) -> list[Unknown]:
        return list(self.causes.values())

    def unknown(self, kind: str, category: str, rules: tuple, reason: str) -> None:
        self.total = None
        key = (category if not rules else "", id(rules) if rules else None, reason)
        if key not in self.causes:
            self.causes[key] = Unknown(kind, category, rules, reason)


def _resolved(schedule: CompiledSchedule, kind: str, category: str, plan: str):
    """(rules, the same as a tuple, the rule itself when one flat rule settles the category) —
    or None without rules; memoised in ``schedule.lookups``."""
    key = ("resolved", kind, category, plan)
    found = schedule.lookups.get(key, _MISSING)
    if found is _MISSING:
        rules = _rules_for(schedule, kind, category, plan)
        found = None
        if rules is not None:
            rule = rules[0]
            flat = len(rules) == 1 and not rule.is_banded
            known = rule.rate is not None or (kind != ComponentKind.COMMISSION and rule.amount is not None)
            found = (rules, tuple(rules), rule if flat and known else None)
        schedule.lookups[key] = found
    return found


def _kind_total(schedule: CompiledSchedule, kind: str, groups: dict[str, _Group], plan: str) -> _KindTotal:
    result = _KindTotal()
    for category, group in groups.items():
        resolved = _resolved(schedule, kind, category, plan)
        if resolved is None:
            if kind == ComponentKind.COMMISSION:
                result.unknown(kind, category, (), "aucune commission relevée pour cette catégorie")
            continue  # other fees: charged only where the schedule says so
        rules, as_tuple, simple = resolved
        result.rule_sets.setdefault(id(rules), as_tuple)
        if simple is not None:
            if result.total is not None:
                result.total += _simple_total(simple, group)
            continue
        for line in group.lines:  # bands, marginal slices, unknown rates: one line at a time
            fee = _unit_fee(schedule, kind, line, rules)
            if fee.amount is None:
                result.unknown(kind, category, fee.rules, fee.reason)
            elif result.total is not None:
                result.total += fee.amount * line.units
    return result


def simulate_plan(
    schedule: CompiledSchedule, lines: list[MixLine], plan: str, subscription: Decimal | None, memo: dict | None = None
) -> PlanResult:
    """One plan's monthly fees. ``memo``: what another plan of the same schedule computed for the
    same ``lines`` — a kind without rules specific to any plan is the same for every plan."""
    memo = {} if memo is None else memo
    groups = memo.get("groups")
    if groups is None:
        groups = memo["groups"] = _by_category(lines)
    specific = schedule.lookups.get(("kinds with plan rules",))
    if specific is None:  # kinds whose rules depend on the plan (else computed once for all plans)
        specific = schedule.lookups[("kinds with plan rules",)] = frozenset(
            rule.kind for group in schedule.rules.values() for rule in group if rule.plan
        )
    components: dict[str, Decimal | None] = {ComponentKind.SUBSCRIPTION: subscription}
    unknowns, applied = [], []
    for kind in PER_UNIT_KINDS:
        if kind not in schedule.kinds and kind not in ESSENTIAL_KINDS:
            continue
        key = (kind, plan if kind in specific else None)
        if key not in memo:
            memo[key] = _kind_total(schedule, kind, groups, plan)
        total = memo[key]
        components[kind] = total.total
        unknowns += total.unknowns
        applied += total.applied
    components = {kind: cents(value) for kind, value in components.items()}
    known = sum((value for value in components.values() if value is not None), ZERO)
    complete = all(value is not None for value in components.values())
    return PlanResult(
        plan, cents(subscription), components, known, complete, unknowns, applied, line_source=(schedule, lines)
    )


def simulate_schedule(
    schedule: CompiledSchedule, lines: list[MixLine], groups: dict[str, _Group] | None = None
) -> MarketplaceResult:
    plans = list(schedule.plans.items()) or [("", None)]
    memo: dict = {} if groups is None else {"groups": groups}
    results = [simulate_plan(schedule, lines, plan, amount, memo) for plan, amount in plans]
    # The cheapest complete plan; among incomplete ones, the lowest known part.
    results.sort(key=lambda r: (not r.complete, r.total_known, r.plan))
    turnover = sum(((line.unit_price + line.shipping) * line.units for line in lines), ZERO)
    return MarketplaceResult(schedule, results[0], results[1:], cents(turnover))


def rank(results: list[MarketplaceResult]) -> list[MarketplaceResult]:
    """Complete results first, cheapest first, ties sharing a rank; incomplete ones after,
    unranked (their total is only a minimum)."""
    complete = sorted((r for r in results if r.complete), key=lambda r: (r.total, r.schedule.marketplace_name))
    incomplete = sorted((r for r in results if not r.complete), key=lambda r: (r.total, r.schedule.marketplace_name))
    for position, result in enumerate(complete):
        previous = complete[position - 1] if position else None
        if previous is not None and previous.total == result.total:
            result.rank, result.tied, previous.tied = previous.rank, True, True
        else:
            result.rank = position + 1
    return complete + incomplete


def simulate(
    lines: list[MixLine], schedules: list[CompiledSchedule] | None = None, day: date | None = None
) -> Simulation:
    schedules = schedules_in_force(day) if schedules is None else schedules
    groups = _by_category(lines)  # the same for every marketplace
    results = rank([simulate_schedule(schedule, lines, groups) for schedule in schedules])
    turnover = sum(((line.unit_price + line.shipping) * line.units for line in lines), ZERO)
    return Simulation(lines, results, cents(turnover))
