"""The reference data of the fee observatory: taxonomy and seed schedules (docs/domain.md §4)."""

import io
from datetime import date
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from fairplace.core.models import OutboxMessage
from fairplace.observatory.fees.importing import parse_file
from fairplace.observatory.fees.loading import SEED_FILE, SEED_NOTE, TAXONOMY_FILE, load_seed, load_taxonomy
from fairplace.observatory.fees.models import FeeCategory, FeeComponent, FeeImport, FeeSchedule

pytestmark = pytest.mark.django_db


def counts():
    return FeeCategory.objects.count(), FeeSchedule.objects.count(), FeeComponent.objects.count()


def test_the_taxonomy_loads_in_file_order_and_updates_in_place(db):
    assert load_taxonomy() == 27
    codes = list(FeeCategory.objects.values_list("code", flat=True))
    assert codes == [entry["code"] for entry in yaml.safe_load(TAXONOMY_FILE.read_text())["categories"]]
    assert FeeCategory.objects.get(code="informatique").position == 1
    FeeCategory.objects.filter(code="mode").update(label="Ancien libellé", position=99)

    assert load_taxonomy() == 27
    assert FeeCategory.objects.count() == 27
    mode = FeeCategory.objects.get(code="mode")
    assert mode.label.startswith("Mode") and mode.position == codes.index("mode") + 1


def test_the_seed_file_has_no_error(reference_data, fee_taxonomy):
    with SEED_FILE.open("rb") as handle:
        parsed = parse_file(handle, filename=SEED_FILE.name)
    assert parsed.errors == []
    assert {(d.marketplace.slug, d.effective_on) for d in parsed.schedules} == {
        ("amazon", date(2020, 4, 1)),
        ("amazon", date(2024, 12, 15)),
        ("cdiscount", date(2019, 3, 30)),
        ("fnac", date(2021, 1, 1)),
        ("rakuten", date(2023, 1, 1)),
        ("manomano", date(2021, 1, 1)),
        ("ebay", date(2024, 4, 8)),
    }


def test_every_seed_schedule_is_marked_sourced_and_cautioned(fee_seed):
    assert fee_seed == {"created": 7, "skipped": 0, "components": FeeComponent.objects.count()}
    for schedule in FeeSchedule.objects.all():
        assert schedule.is_seed
        assert schedule.source_url.startswith("https://")
        assert schedule.notes.endswith(SEED_NOTE)
        assert schedule.created_by is None
        assert schedule.observed_on <= date.today()
    attempt = FeeImport.objects.get()
    assert attempt.succeeded and attempt.schedules.count() == 7


def test_the_seed_does_not_alert_anyone(fee_seed):
    assert not OutboxMessage.objects.exists()


def _commission(schedule, code=None, **filters):
    return (
        schedule.components.get(kind="commission", category__code=code, **filters)
        if code
        else schedule.components.get(kind="commission", category=None, **filters)
    )


def test_amazon_gets_both_grids_with_the_fashion_cut(fee_seed):
    old, new = FeeSchedule.objects.filter(marketplace__slug="amazon").order_by("effective_on")
    assert (old.effective_on, old.reliability, new.effective_on, new.reliability) == (
        date(2020, 4, 1),
        "secondary",
        date(2024, 12, 15),
        "to_verify",
    )
    assert new.announced_on is None
    for schedule in (old, new):
        plans = dict(schedule.components.filter(kind="subscription").values_list("plan", "amount"))
        assert plans == {"Professionnel": Decimal(39), "Individuel": Decimal(0)}
        per_item = schedule.components.get(kind="per_item")
        assert (per_item.plan, per_item.amount, per_item.reliability) == ("Individuel", Decimal("0.99"), "to_verify")
        default = _commission(schedule)
        assert (default.rate, default.min_per_item, default.base, default.includes_shipping) == (
            Decimal(15),
            Decimal("0.30"),
            "incl_vat",
            True,
        )
        for code in ("informatique", "electronique", "telephonie", "gros-electromenager", "pneus"):
            assert _commission(schedule, code).rate == Decimal(7)
        assert (_commission(schedule, "consoles").rate, _commission(schedule, "consoles").min_per_item) == (
            Decimal(8),
            None,
        )
        assert _commission(schedule, "vins-spiritueux").rate == Decimal(10)
        assert _commission(schedule, "fait-main").rate == Decimal(12)
        assert _commission(schedule, "logiciels").min_per_item is None
        assert _commission(schedule, "sport-loisirs").min_per_item == Decimal("0.30")
        for code in (
            "bebe",
            "beaute-sante",
            "accessoires-electroniques",
            "maison-meubles",
            "alimentation",
            "bijoux-montres",
            "petit-electromenager",
        ):
            unknown = _commission(schedule, code)
            assert unknown.rate is None and "non relevées" in unknown.notes
        assert "45 %" in schedule.notes
    bands = [
        (c.price_from, c.price_to, c.rate, c.tier_mode)
        for c in old.components.filter(category__code="mode").order_by("price_from")
    ]
    assert bands == [(0, 15, 7, "band"), (15, 20, 15, "band"), (20, None, None, "band")]
    assert old.components.get(category__code="mode", price_from=0).reliability == "to_verify"
    bands = [
        (c.price_from, c.price_to, c.rate) for c in new.components.filter(category__code="mode").order_by("price_from")
    ]
    assert bands == [(0, 15, 5), (15, 20, 10), (20, None, None)]


def test_the_other_marketplaces_get_their_rows(fee_seed):
    def schedule(slug):
        return FeeSchedule.objects.get(marketplace__slug=slug)

    cdiscount = schedule("cdiscount")
    assert cdiscount.reliability == "primary"
    assert sorted(cdiscount.components.filter(kind="subscription").values_list("amount", flat=True)) == [
        Decimal("39.99"),
        Decimal("59.99"),
    ]
    assert _commission(cdiscount).rate == Decimal(15)
    assert "+2 points" in _commission(cdiscount).notes

    fnac = schedule("fnac")
    assert fnac.components.get(kind="subscription").amount == Decimal("39.99")
    assert "49,99" in fnac.components.get(kind="subscription").notes
    assert _commission(fnac).rate is None and "6 % à 16 %" in _commission(fnac).notes

    rakuten = schedule("rakuten")
    assert dict(rakuten.components.filter(kind="subscription").values_list("plan", "amount")) == {
        "Starter": Decimal(0),
        "Expert": Decimal(49),
    }
    assert _commission(rakuten, "consoles").rate == Decimal(10)
    assert _commission(rakuten, "jardin").rate == Decimal(14)
    assert _commission(rakuten, "vins-spiritueux").rate == Decimal(17)
    assert not rakuten.components.filter(kind="commission", category=None).exists()
    assert "−2 points" in rakuten.notes

    manomano = schedule("manomano")
    assert manomano.components.get(kind="subscription").amount == Decimal(100)
    assert "15 % à 25 %" in _commission(manomano).notes

    ebay = schedule("ebay")
    assert ebay.reliability == "primary"
    other = ebay.components.get(kind="other_rate")
    assert (other.rate, other.includes_shipping, other.platform_category) == (
        Decimal("0.35"),
        True,
        "Frais d'exploitation réglementaires",
    )
    assert "0,42 %" in other.notes
    assert _commission(ebay).rate is None
    assert not ebay.components.filter(kind="subscription").exists()  # unknown, not zero


def test_the_seed_loads_idempotently(fee_seed):
    before = (*counts(), FeeImport.objects.count())
    assert load_seed() == {"created": 0, "skipped": 7, "components": 0}
    assert (*counts(), FeeImport.objects.count()) == before


def test_the_seed_keeps_a_schedule_an_agent_already_recorded(reference_data, fee_taxonomy):
    first = load_seed()
    FeeSchedule.objects.get(marketplace__slug="ebay").components.filter(kind="commission").update(
        notes="corrigé par un agent"
    )
    assert load_seed()["created"] == 0
    assert FeeComponent.objects.get(schedule__marketplace__slug="ebay", kind="commission").notes == (
        "corrigé par un agent"
    )
    assert first["created"] == 7


def test_the_command_loads_everything_and_says_so_in_french(reference_data):
    out = io.StringIO()
    call_command("load_fee_reference", stdout=out)
    call_command("load_fee_reference", stdout=out)
    text = out.getvalue()
    assert "Catégories communes : 27 chargée(s) ou mise(s) à jour" in text
    assert "Grilles de référence : 7 créée(s)" in text
    assert "Grilles de référence : 0 créée(s) (0 composante(s)), 7 déjà présente(s)" in text
    assert FeeSchedule.objects.count() == 7
