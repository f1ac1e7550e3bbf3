"""Worked examples on the seed grids (data/seed_schedules.csv, docs/domain.md §4): each expected
figure is computed by hand in the test, in euros, not by calling the engine twice."""

from datetime import date
from decimal import Decimal

import pytest

from fairplace.observatory.fees.models import ComponentKind
from fairplace.observatory.fees.simulator import MixLine, schedules_in_force, simulate

pytestmark = pytest.mark.django_db

SUBSCRIPTION, COMMISSION = ComponentKind.SUBSCRIPTION, ComponentKind.COMMISSION
PER_ITEM, OTHER = ComponentKind.PER_ITEM, ComponentKind.OTHER_RATE
# The Amazon grid of 1 April 2020 is in force until the fashion cut of 15 December 2024.
AMAZON_2020 = date(2024, 6, 1)
AFTER_CUT = date(2025, 1, 15)


def line(category, price, units=1, shipping="0"):
    return MixLine(category=category, unit_price=Decimal(price), shipping=Decimal(shipping), units=units)


def result_of(simulation, slug):
    return next(result for result in simulation.results if result.schedule.marketplace_slug == slug)


def test_the_seed_grids_in_force_today(fee_seed):
    slugs = {compiled.marketplace_slug for compiled in schedules_in_force()}
    assert slugs == {"amazon", "cdiscount", "fnac", "rakuten", "manomano", "ebay"}
    amazon = next(compiled for compiled in schedules_in_force() if compiled.marketplace_slug == "amazon")
    assert amazon.effective_on == date(2024, 12, 15)
    assert amazon.is_seed


def test_amazon_a_one_euro_toy_pays_the_minimum_of_30_cents(fee_seed):
    # "Everything else": 15 % of 1,00 € = 0,15 €, below the 0,30 € minimum per item.
    amazon = result_of(simulate([line("jouets", "1.00")], day=AMAZON_2020), "amazon")
    assert amazon.best.lines[0].fees[COMMISSION] == Decimal("0.30")
    assert amazon.best.components[COMMISSION] == Decimal("0.30")


def test_amazon_a_console_pays_8_percent_without_minimum(fee_seed):
    # 8 % of 299,99 € = 23,9992 € → 24,00 €.
    amazon = result_of(simulate([line("consoles", "299.99")], day=AMAZON_2020), "amazon")
    assert amazon.best.components[COMMISSION] == Decimal("24.00")
    assert amazon.complete


def test_amazon_individual_plan_below_35_items_professional_above(fee_seed):
    # 30 toys at 20 €: commission 15 % × 20 € × 30 = 90,00 € on both plans;
    # Individuel: 0 € + 0,99 € × 30 = 29,70 € → 119,70 €; Professionnel: 39 € → 129,00 €.
    amazon = result_of(simulate([line("jouets", "20", units=30)], day=AMAZON_2020), "amazon")
    assert amazon.best.plan == "Individuel"
    assert amazon.best.components[PER_ITEM] == Decimal("29.70")
    assert amazon.total == Decimal("119.70")
    assert [(plan.plan, plan.total_known) for plan in amazon.other_plans] == [("Professionnel", Decimal("129.00"))]

    # 50 toys: commission 150,00 €; Individuel 0,99 € × 50 = 49,50 € → 199,50 €; Professionnel 39 € → 189,00 €.
    amazon = result_of(simulate([line("jouets", "20", units=50)], day=AMAZON_2020), "amazon")
    assert amazon.best.plan == "Professionnel"
    assert amazon.best.components[SUBSCRIPTION] == Decimal("39.00")
    assert amazon.best.components[PER_ITEM] == Decimal("0.00")
    assert amazon.total == Decimal("189.00")
    assert amazon.other_plans[0].plan == "Individuel"
    assert amazon.other_plans[0].total_known == Decimal("199.50")


def test_cdiscount_15_percent_of_price_plus_shipping_and_its_subscription(fee_seed):
    # 15 % × (50 € + 4,99 €) = 8,2485 € → 8,25 €; plus the one-site plan, 39,99 € → 48,24 €.
    cdiscount = result_of(simulate([line("maison-meubles", "50", shipping="4.99")]), "cdiscount")
    assert cdiscount.best.components[COMMISSION] == Decimal("8.25")
    assert cdiscount.best.plan == "Un site (cdiscount.com ou cdiscountpro.com)"
    assert cdiscount.best.components[SUBSCRIPTION] == Decimal("39.99")
    assert cdiscount.total == Decimal("48.24")
    assert cdiscount.complete
    assert cdiscount.turnover == Decimal("54.99")
    assert cdiscount.net_revenue == Decimal("6.75")  # 54,99 − 48,24
    assert cdiscount.effective_rate == Decimal("87.73")  # 48,24 / 54,99
    assert [(plan.plan, plan.total_known) for plan in cdiscount.other_plans] == [("Deux sites", Decimal("68.24"))]


def test_ebay_regulatory_fee_is_known_but_its_commission_is_not(fee_seed):
    # 0,35 % × (100 € + 5 €) = 0,3675 € → 0,37 €; commission and shop subscription unknown.
    ebay = result_of(simulate([line("informatique", "100", shipping="5")]), "ebay")
    assert ebay.best.components[OTHER] == Decimal("0.37")
    assert ebay.best.components[COMMISSION] is None
    assert ebay.best.components[SUBSCRIPTION] is None
    assert not ebay.complete
    assert ebay.rank is None
    assert ebay.total == Decimal("0.37")  # only a minimum


def test_amazon_fashion_rate_before_and_after_the_december_2024_cut(fee_seed):
    # A 12 € garment is in the "up to 15 €" band: 5 % = 0,60 € from 15/12/2024, 7 % = 0,84 € before.
    after = result_of(simulate([line("mode", "12")], day=AFTER_CUT), "amazon")
    assert after.schedule.effective_on == date(2024, 12, 15)
    assert after.best.components[COMMISSION] == Decimal("0.60")
    before = result_of(simulate([line("mode", "12")], day=date(2024, 12, 1)), "amazon")
    assert before.schedule.effective_on == date(2020, 4, 1)
    assert before.best.components[COMMISSION] == Decimal("0.84")
    # 18 €: the 15–20 € band, 10 % = 1,80 € after the cut, 15 % = 2,70 € before.
    assert result_of(simulate([line("mode", "18")], day=AFTER_CUT), "amazon").best.components[COMMISSION] == Decimal(
        "1.80"
    )
    assert result_of(simulate([line("mode", "18")], day=date(2024, 12, 1)), "amazon").best.components[
        COMMISSION
    ] == Decimal("2.70")


def test_amazon_fashion_above_20_euros_is_unknown(fee_seed):
    amazon = result_of(simulate([line("mode", "25")], day=AFTER_CUT), "amazon")
    assert amazon.best.components[COMMISSION] is None
    assert not amazon.complete
    assert amazon.best.lines[0].reasons[COMMISSION] == "taux au-delà de 20 € non relevé"


def test_fnac_commission_is_unknown_so_the_result_is_incomplete(fee_seed):
    fnac = result_of(simulate([line("livres-musique-video", "15", units=10)]), "fnac")
    assert fnac.best.components[SUBSCRIPTION] == Decimal("39.99")
    assert fnac.best.components[COMMISSION] is None
    assert not fnac.complete
    assert fnac.rank is None
    assert fnac.total == Decimal("39.99")


def test_rakuten_starter_plan_is_retained_for_a_small_seller(fee_seed):
    # 10 T-shirts at 15 € + 3 € port, category C 17 %: 17 % × 18 € × 10 = 30,60 €;
    # Starter 0 € → 30,60 €; Expert 49 € → 79,60 €.
    rakuten = result_of(simulate([line("mode", "15", units=10, shipping="3")]), "rakuten")
    assert rakuten.best.plan == "Starter"
    assert rakuten.total == Decimal("30.60")
    assert rakuten.other_plans[0].plan == "Expert"
    assert rakuten.other_plans[0].total_known == Decimal("79.60")


def test_a_whole_mix_ranks_complete_results_first(fee_seed):
    # 10 toys at 20 € (no shipping) and 2 consoles at 299,99 €: turnover 200 + 599,98 = 799,98 €.
    mix = [line("jouets", "20", units=10), line("consoles", "299.99", units=2)]
    simulation = simulate(mix, day=AFTER_CUT)
    assert simulation.turnover == Decimal("799.98")
    ranked = [(r.schedule.marketplace_slug, r.rank, r.total) for r in simulation.results if r.complete]
    # Rakuten Starter: 17 % × 200 = 34,00 + 10 % × 599,98 = 59,998 → 94,00 € (0 € plan).
    # Amazon Individuel: 15 % × 200 = 30,00 + 8 % × 599,98 = 47,9984 → 78,00 € + 0,99 × 12 = 11,88 → 89,88 €.
    # Cdiscount: 15 % × 799,98 = 119,997 → 120,00 € + 39,99 = 159,99 €.
    assert ranked == [
        ("amazon", 1, Decimal("89.88")),
        ("rakuten", 2, Decimal("94.00")),
        ("cdiscount", 3, Decimal("159.99")),
    ]
    incomplete = [r.schedule.marketplace_slug for r in simulation.results if not r.complete]
    assert sorted(incomplete) == ["ebay", "fnac", "manomano"]
    assert simulation.results[-3:] == [r for r in simulation.results if not r.complete]
