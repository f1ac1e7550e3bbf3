"""Properties of the fee engine, on generated schedules built directly (no database): fees are
never negative, minimums and caps hold, dearer items and more units never cost less where the
schedule says so, an all-zero schedule costs nothing, unknown stays unknown and unranked, ties
share a rank, and marginal bands are what a hand computation gives."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fairplace.observatory.fees.models import ComponentKind
from fairplace.observatory.fees.simulator import (
    CompiledSchedule,
    MixLine,
    Rule,
    rank,
    simulate,
    simulate_plan,
    simulate_schedule,
    unit_fee,
)

COMMISSION, SUBSCRIPTION = ComponentKind.COMMISSION, ComponentKind.SUBSCRIPTION
PER_ITEM, PAYMENT = ComponentKind.PER_ITEM, ComponentKind.PAYMENT
CATEGORIES = ("mode", "jouets", "informatique")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rule(
    kind=COMMISSION,
    *,
    plan="",
    category=None,
    rate=None,
    amount=None,
    excl_vat=False,
    includes_shipping=True,
    minimum=None,
    maximum=None,
    price_from=None,
    price_to=None,
    marginal=False,
    notes="",
):
    return Rule(
        kind=kind,
        plan=plan,
        category=category,
        platform_category="",
        rate=rate,
        amount=amount,
        excl_vat=excl_vat,
        includes_shipping=includes_shipping,
        minimum=minimum,
        maximum=maximum,
        price_from=price_from,
        price_to=price_to,
        marginal=marginal,
        reliability="primary",
        notes=notes,
    )


def schedule(rules, *, plans=None, name="Place A", slug=None) -> CompiledSchedule:
    compiled = CompiledSchedule(
        schedule_id=1,
        marketplace_slug=slug or name.lower().replace(" ", "-"),
        marketplace_name=name,
        effective_on=date(2025, 1, 1),
        reliability="primary",
        is_seed=False,
        notes="",
        source_url="",
        source_document="",
        plans={"": Decimal(0)} if plans is None else plans,
        plan_notes={},
    )
    for item in rules:
        compiled.rules.setdefault((item.kind, item.category), []).append(item)
    compiled.kinds = frozenset(item.kind for item in rules) | ({SUBSCRIPTION} if compiled.plans else set())
    return compiled


# --- Strategies ------------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
shipping = st.decimals(min_value=Decimal(0), max_value=Decimal("50"), places=2)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal("45"), places=3)
amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("20"), places=2)
units = st.integers(min_value=1, max_value=10_000)
bools = st.booleans()


@st.composite
def lines(draw, category=None):
    return MixLine(
        category=category or draw(st.sampled_from(CATEGORIES)),
        unit_price=draw(prices),
        shipping=draw(shipping),
        units=draw(units),
    )


@st.composite
def band_bounds(draw, count):
    """``count`` bands (from, to] covering every price: None, b1, b2, …, None."""
    cuts = sorted(
        draw(st.lists(st.integers(min_value=1, max_value=4000), min_size=count - 1, max_size=count - 1, unique=True))
    )
    edges = [None, *(Decimal(cut) for cut in cuts), None]
    return list(zip(edges, edges[1:], strict=False))


@st.composite
def flat_rules(draw, kind=COMMISSION, category=None):
    """One rule without bands (rate and/or amount, optional minimum and cap)."""
    return [
        rule(
            kind,
            category=category,
            rate=draw(rates),
            amount=draw(st.none() | amounts),
            excl_vat=draw(bools),
            includes_shipping=draw(bools),
            minimum=draw(st.none() | amounts),
            maximum=draw(st.none() | amounts.map(lambda a: a + 5)),
        )
    ]


@st.composite
def banded_rules(draw, kind=COMMISSION, category=None, marginal=False, increasing=False):
    bounds = draw(band_bounds(draw(st.integers(min_value=2, max_value=4))))
    band_rates = draw(st.lists(rates, min_size=len(bounds), max_size=len(bounds)))
    if increasing:
        band_rates.sort()
    excl_vat, with_shipping = draw(bools), draw(bools)
    return [
        rule(
            kind,
            category=category,
            rate=band_rate,
            excl_vat=excl_vat if increasing else draw(bools),
            includes_shipping=with_shipping if increasing else draw(bools),
            price_from=low,
            price_to=high,
            marginal=marginal,
            minimum=draw(st.none() | amounts) if index == 0 and not increasing else None,
        )
        for index, (band_rate, (low, high)) in enumerate(zip(band_rates, bounds, strict=True))
    ]


def commission_rules(category=None):
    return st.one_of(
        flat_rules(category=category),
        banded_rules(category=category),
        banded_rules(category=category, marginal=True),
        banded_rules(category=category, increasing=True),
    )


@st.composite
def schedules(draw, name="Place A"):
    """A schedule with a default commission, maybe a category's own, maybe per-item and payment fees,
    one or two plans."""
    rules = list(draw(commission_rules()))
    if draw(bools):
        rules += draw(commission_rules(category=draw(st.sampled_from(CATEGORIES))))
    plans = {"Standard": draw(amounts)}
    if draw(bools):
        plans["Pro"] = draw(amounts) + 20
        rules.append(rule(PER_ITEM, plan="Standard", amount=draw(amounts)))
    if draw(bools):
        rules += draw(flat_rules(kind=PAYMENT))
    return schedule(rules, plans=plans, name=name)


# --- Never negative; minimum and cap ------------------------------------------------------------


@FAST
@given(schedules(), st.lists(lines(), min_size=1, max_size=5))
def test_fees_are_never_negative(compiled, mix):
    result = simulate_schedule(compiled, mix)
    for plan in [result.best, *result.other_plans]:
        assert all(value is None or value >= 0 for value in plan.components.values())
        assert plan.total_known >= 0
        for line in plan.lines:
            assert all(value is None or value >= 0 for value in line.fees.values())


@FAST
@given(lines(), rates, amounts, st.none() | amounts, bools)
def test_the_minimum_per_item_is_honoured(line, rate, minimum, fixed, excl_vat):
    compiled = schedule([rule(rate=rate, amount=fixed, minimum=minimum, excl_vat=excl_vat)])
    fee = unit_fee(compiled, COMMISSION, line, "")
    assert fee.amount is not None
    assert fee.amount >= minimum


@FAST
@given(lines(), rates, amounts, st.none() | amounts)
def test_the_cap_per_item_is_honoured(line, rate, cap, minimum):
    compiled = schedule([rule(rate=rate, maximum=cap, minimum=minimum)])
    fee = unit_fee(compiled, COMMISSION, line, "")
    assert fee.amount is not None
    assert fee.amount <= cap


# --- Monotone in price, in units ------------------------------------------------------------------


@FAST
@given(schedules(), lines(), prices)
def test_a_dearer_item_never_costs_less_when_the_schedule_is_monotone(compiled, line, other_price):
    assume(compiled.monotone_in_price)
    low, high = sorted([line.unit_price, other_price])
    cheaper = MixLine(line.category, low, line.shipping, 1)
    dearer = MixLine(line.category, high, line.shipping, 1)
    for plan in compiled.plans:
        for kind in (COMMISSION, PER_ITEM, PAYMENT):
            before, after = unit_fee(compiled, kind, cheaper, plan), unit_fee(compiled, kind, dearer, plan)
            if before.amount is not None and after.amount is not None:
                assert after.amount >= before.amount, (kind, plan, low, high)


@FAST
@given(banded_rules(increasing=True), lines(), prices)
def test_bands_whose_rates_rise_are_monotone(rules, line, other_price):
    compiled = schedule(rules)
    assert compiled.monotone_in_price
    low, high = sorted([line.unit_price, other_price])
    before = unit_fee(compiled, COMMISSION, MixLine(line.category, low, line.shipping, 1), "").amount
    after = unit_fee(compiled, COMMISSION, MixLine(line.category, high, line.shipping, 1), "").amount
    assert after >= before


def test_bands_whose_rates_fall_are_reported_not_monotone():
    compiled = schedule(
        [
            rule(rate=Decimal(15), price_from=Decimal(0), price_to=Decimal(15)),
            rule(rate=Decimal(7), price_from=Decimal(15)),
        ]
    )
    assert not compiled.monotone_in_price
    # And indeed: a 16 € item pays less than a 15 € one.
    at_15 = unit_fee(compiled, COMMISSION, MixLine("mode", Decimal(15), Decimal(0), 1), "").amount
    at_16 = unit_fee(compiled, COMMISSION, MixLine("mode", Decimal(16), Decimal(0), 1), "").amount
    assert at_15 == Decimal("2.25")
    assert at_16 == Decimal("1.12")
    assert at_16 < at_15


def test_a_smaller_base_in_the_upper_band_is_reported_not_monotone():
    """Same rate, but the upper band charges the price excl. VAT: a dearer item can pay less."""
    compiled = schedule(
        [rule(rate=Decimal(10), price_to=Decimal(100)), rule(rate=Decimal(10), price_from=Decimal(100), excl_vat=True)]
    )
    assert not compiled.monotone_in_price


@FAST
@given(schedules(), st.lists(lines(), min_size=1, max_size=4), st.integers(min_value=1, max_value=500), st.data())
def test_more_units_never_cost_less_per_month(compiled, mix, extra, data):
    index = data.draw(st.integers(min_value=0, max_value=len(mix) - 1))
    more = list(mix)
    line = more[index]
    more[index] = MixLine(line.category, line.unit_price, line.shipping, line.units + extra)
    for plan, subscription in compiled.plans.items():
        before, after = (
            simulate_plan(compiled, mix, plan, subscription),
            simulate_plan(compiled, more, plan, subscription),
        )
        for kind, value in before.components.items():
            if value is not None and after.components[kind] is not None:
                assert after.components[kind] >= value
        assert after.total_known >= before.total_known
    best_before, best_after = simulate_schedule(compiled, mix), simulate_schedule(compiled, more)
    if best_before.complete and best_after.complete:
        assert best_after.total >= best_before.total


# --- Zero, unknown, ranks -------------------------------------------------------------------------


@FAST
@given(st.lists(lines(), min_size=1, max_size=5), bools, bools)
def test_a_schedule_of_zeros_costs_exactly_nothing(mix, excl_vat, banded):
    zero = Decimal(0)
    rules = (
        [
            rule(rate=zero, amount=zero, price_to=Decimal(50), excl_vat=excl_vat),
            rule(rate=zero, amount=zero, price_from=Decimal(50), excl_vat=excl_vat),
        ]
        if banded
        else [rule(rate=zero, amount=zero, excl_vat=excl_vat)]
    )
    rules += [rule(PER_ITEM, amount=zero), rule(PAYMENT, rate=zero, amount=zero)]
    result = simulate_schedule(schedule(rules, plans={"Gratuit": zero}), mix)
    assert result.complete
    assert result.total == Decimal("0.00")
    assert set(result.best.components.values()) == {Decimal("0.00")}
    assert result.net_revenue == result.turnover


@FAST
@given(st.lists(lines(category="mode"), min_size=1, max_size=4), schedules(name="Place B"))
def test_an_unknown_commission_is_unknown_incomplete_and_never_ranked(mix, other):
    unknown = schedule(
        [rule(rate=Decimal(5)), rule(category="mode", notes="valeurs non relevées")],
        plans={"": Decimal(0)},
        name="Place A",
    )
    result = simulate_schedule(unknown, mix)
    assert result.best.components[COMMISSION] is None
    assert not result.complete
    assert all(line.fees[COMMISSION] is None for line in result.best.lines)
    assert result.best.lines[0].reasons[COMMISSION] == "valeurs non relevées"

    simulation = simulate(mix, schedules=[unknown, other])
    ranked = simulation.results
    incomplete = [r for r in ranked if not r.complete]
    assert all(r.rank is None for r in incomplete)
    # Incomplete results come after every complete one, whatever their (lower-bound) total.
    first_incomplete = min(ranked.index(r) for r in incomplete)
    assert all(r.complete for r in ranked[:first_incomplete])
    assert all(not r.complete for r in ranked[first_incomplete:])


def test_a_missing_commission_or_subscription_is_unknown_never_zero():
    mix = [MixLine("jouets", Decimal(10), Decimal(0), 3)]
    no_commission = simulate_schedule(schedule([rule(PER_ITEM, amount=Decimal(1))]), mix)
    assert no_commission.best.components[COMMISSION] is None
    assert not no_commission.complete
    no_plan = simulate_schedule(schedule([rule(rate=Decimal(10))], plans={}), mix)
    assert no_plan.best.components[SUBSCRIPTION] is None
    assert not no_plan.complete
    assert no_plan.total == Decimal("3.00")  # what is known: a lower bound


@FAST
@given(schedules(), st.lists(lines(), min_size=1, max_size=3))
def test_identical_totals_share_a_rank(compiled, mix):
    twin = schedule(
        [item for group in compiled.rules.values() for item in group], plans=dict(compiled.plans), name="Place B"
    )
    dearer = schedule([rule(rate=Decimal(50), amount=Decimal(100))], plans={"": Decimal(1000)}, name="Place C")
    results = rank([simulate_schedule(item, mix) for item in (dearer, twin, compiled)])
    by_name = {r.schedule.marketplace_name: r for r in results}
    first, second = by_name["Place A"], by_name["Place B"]
    assert first.total == second.total
    if first.complete:
        assert first.rank == second.rank == 1
        assert first.tied and second.tied
        assert by_name["Place C"].rank == 3
        assert not by_name["Place C"].tied
    else:
        assert first.rank is second.rank is None


@FAST
@given(st.lists(schedules(), min_size=1, max_size=6), st.lists(lines(), min_size=1, max_size=3))
def test_complete_results_are_ranked_cheapest_first(compiled, mix):
    named = []
    for number, item in enumerate(compiled):
        item.marketplace_name, item.marketplace_slug = f"Place {number}", f"place-{number}"
        named.append(item)
    results = simulate(mix, schedules=named).results
    complete = [r for r in results if r.complete]
    assert [r.total for r in complete] == sorted(r.total for r in complete)
    assert [r.rank for r in complete] == sorted(r.rank for r in complete)
    assert all(r.rank == 1 + sum(1 for other in complete if other.total < r.total) for r in complete)


# --- Marginal bands ------------------------------------------------------------------------------


@FAST
@given(
    prices,
    st.integers(min_value=1, max_value=1000),
    st.integers(min_value=1, max_value=1000),
    st.lists(rates, min_size=3, max_size=3),
)
def test_marginal_bands_equal_a_hand_computation(price, first_cut, width, band_rates):
    b1, b2 = Decimal(first_cut), Decimal(first_cut + width)
    r1, r2, r3 = band_rates
    compiled = schedule(
        [
            rule(rate=r3, price_from=b2, marginal=True, includes_shipping=False),  # out of order on purpose
            rule(rate=r1, price_from=Decimal(0), price_to=b1, marginal=True, includes_shipping=False),
            rule(rate=r2, price_from=b1, price_to=b2, marginal=True, includes_shipping=False),
        ]
    )
    line = MixLine("jouets", price, Decimal("9.99"), 1)
    expected = (
        r1 * min(price, b1) + r2 * max(Decimal(0), min(price, b2) - b1) + r3 * max(Decimal(0), price - b2)
    ) / 100
    assert unit_fee(compiled, COMMISSION, line, "").amount == expected


def test_marginal_bands_worked_example():
    """10 % up to 100 €, 5 % from 100 to 500 €, 2 % above, on a 700 € item: 10 + 20 + 4 = 34 €."""
    compiled = schedule(
        [
            rule(rate=Decimal(10), price_to=Decimal(100), marginal=True, includes_shipping=False),
            rule(
                rate=Decimal(5), price_from=Decimal(100), price_to=Decimal(500), marginal=True, includes_shipping=False
            ),
            rule(rate=Decimal(2), price_from=Decimal(500), marginal=True, includes_shipping=False),
        ]
    )
    fee = unit_fee(compiled, COMMISSION, MixLine("jouets", Decimal(700), Decimal(5), 1), "")
    assert fee.amount == Decimal(34)


def test_a_plan_specific_rule_wins_over_the_rule_for_every_plan():
    compiled = schedule(
        [rule(rate=Decimal(15)), rule(rate=Decimal(8), plan="Pro")], plans={"Standard": Decimal(0), "Pro": Decimal(30)}
    )
    line = MixLine("jouets", Decimal(100), Decimal(0), 1)
    assert unit_fee(compiled, COMMISSION, line, "Pro").amount == Decimal(8)
    assert unit_fee(compiled, COMMISSION, line, "Standard").amount == Decimal(15)


def test_a_subscription_of_unknown_amount_is_unknown():
    compiled = schedule([rule(rate=Decimal(10))], plans={"Pro": None})
    result = simulate_schedule(compiled, [MixLine("jouets", Decimal(10), Decimal(0), 1)])
    assert result.best.components[SUBSCRIPTION] is None
    assert not result.complete


# --- The totals are the sum of the lines ------------------------------------------------------------


@FAST
@given(schedules(), st.lists(lines(), min_size=1, max_size=8))
def test_each_component_total_is_the_sum_of_its_lines_fees(compiled, mix):
    """The engine adds whole categories at once (fast path); the breakdown goes line by line:
    they agree to the cent, and on what is unknown."""
    result = simulate_schedule(compiled, mix)
    for plan in [result.best, *result.other_plans]:
        for kind, total in plan.components.items():
            if kind == SUBSCRIPTION:
                continue
            fees = [line.fees[kind] for line in plan.lines]
            if any(fee is None for fee in fees):
                assert total is None
            else:
                assert total == sum(fees, Decimal(0)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
