"""Comparing fee schedule versions: severity, notice, recorded changes, alerts to the staff."""

from datetime import date
from decimal import Decimal

import pytest

from fairplace.core.models import OutboxMessage
from fairplace.observatory.fees import changes
from fairplace.observatory.fees.changes import Status, compare_components, increase_severity, notice_status
from fairplace.observatory.fees.models import FeeCategory, FeeChange, FeeComponent, FeeSchedule, Severity
from fairplace.platforms.models import Marketplace

D = Decimal


# --- Builders, shared by the other test modules of the fee observatory -------------------------


def category(code: str, position: int = 0) -> FeeCategory:
    return FeeCategory.objects.get_or_create(code=code, defaults={"label": code.capitalize(), "position": position})[0]


def make_schedule(
    slug: str = "cdiscount",
    effective_on: str | date = "2026-04-01",
    *,
    announced_on=None,
    components=(),
    record: bool = True,
    alert: bool = True,
    **fields,
) -> FeeSchedule:
    """A schedule version written with the ORM (components: dicts of FeeComponent fields, with
    ``category`` as a taxonomy code), then its changes recorded as ``record_schedule`` does."""
    effective_on = date.fromisoformat(effective_on) if isinstance(effective_on, str) else effective_on
    if isinstance(announced_on, str):
        announced_on = date.fromisoformat(announced_on)
    fields.setdefault("reliability", "primary")
    fields.setdefault("source_url", "https://marketplace.example/tarifs")
    schedule = FeeSchedule.objects.create(
        marketplace=Marketplace.objects.get(slug=slug),
        effective_on=effective_on,
        announced_on=announced_on,
        observed_on=effective_on,
        **fields,
    )
    for spec in components:
        spec = dict(spec)
        code = spec.pop("category", None)
        FeeComponent.objects.create(schedule=schedule, category=category(code) if code else None, **spec)
    if record:
        changes.record_changes(schedule, alert=alert)
    return schedule


def commission(rate, code=None, **extra) -> dict:
    return {"kind": "commission", "rate": None if rate is None else D(str(rate)), "category": code, **extra}


def subscription(amount, plan="Pro") -> dict:
    return {"kind": "subscription", "plan": plan, "amount": D(str(amount))}


def component(kind="commission", code=None, **fields) -> FeeComponent:
    """An unsaved component (for the pure comparison)."""
    cat = FeeCategory(code=code, label=code.capitalize()) if code else None
    return FeeComponent(kind=kind, category=cat, **fields)


def only(diffs, **match):
    found = [d for d in diffs if all(getattr(d, k) == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


# --- Severity and notice (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, notice, expected",
    [
        ("10", "10.5", None, Severity.MODERATE),  # +5 %
        ("10", "10.99", 30, Severity.MODERATE),  # +9.9 %
        ("10", "11", None, Severity.HIGH),  # +10 %
        ("10", "14.9", 15, Severity.HIGH),  # +49 %, 15 days' notice is enough
        ("10", "15", None, Severity.CRITICAL),  # × 1.5
        ("39", "100", None, Severity.CRITICAL),
        (None, "5", None, Severity.HIGH),  # a new fee
        ("0", "5", None, Severity.HIGH),
        ("10", "10.5", 14, Severity.HIGH),  # short notice raises one level
        ("10", "11", 0, Severity.CRITICAL),
        ("10", "11", -3, Severity.CRITICAL),  # retroactive
        ("10", "20", 5, Severity.CRITICAL),  # never above critical
        (None, "5", 10, Severity.CRITICAL),
    ],
)
def test_an_increase_is_graded_by_its_size_and_raised_by_a_short_notice(old, new, notice, expected):
    assert increase_severity(None if old is None else D(old), D(new), notice) == expected


@pytest.mark.parametrize(
    "announced, effective, expected",
    [
        (None, date(2026, 4, 1), "unknown"),
        (date(2026, 4, 5), date(2026, 4, 1), "retroactive"),
        (date(2026, 4, 1), date(2026, 4, 1), "short"),
        (date(2026, 3, 18), date(2026, 4, 1), "short"),  # 14 days
        (date(2026, 3, 17), date(2026, 4, 1), "ok"),  # 15 days
    ],
)
def test_notice_status_follows_p2b_articles_3_and_8(announced, effective, expected):
    assert notice_status(FeeSchedule(announced_on=announced, effective_on=effective)) == expected


def test_a_decrease_is_information_even_without_notice():
    diffs = compare_components([component(rate=D(15))], [component(rate=D(12))], notice_days=-10)
    diff = only(diffs, measure="rate")
    assert (diff.status, diff.severity) == (Status.CHANGED, Severity.INFO)
    assert diff.abs_change == D(-3) and diff.rel_change == D("-0.2")


def test_an_unchanged_component_is_reported_as_unchanged():
    diffs = compare_components([component(rate=D(15))], [component(rate=D("15.000"))], notice_days=None)
    assert [d.status for d in diffs] == [Status.UNCHANGED]


def test_a_new_component_with_a_value_is_a_new_fee():
    old = [component(rate=D(15))]
    new = [component(rate=D(15)), component("per_item", amount=D("0.50"))]
    diff = only(compare_components(old, new, notice_days=30), kind="per_item")
    assert (diff.status, diff.severity, diff.new_value) == (Status.ADDED, Severity.HIGH, D("0.50"))
    raised = only(compare_components(old, new, notice_days=7), kind="per_item")
    assert raised.severity == Severity.CRITICAL
    unknown_notice = only(compare_components(old, new, notice_days=None), kind="per_item")
    assert unknown_notice.severity == Severity.HIGH


def test_a_free_plan_added_is_information():
    new = [component("subscription", plan="Starter", amount=D(0))]
    diff = only(compare_components([], new, notice_days=3), kind="subscription")
    assert (diff.status, diff.severity) == (Status.ADDED, Severity.INFO)


def test_a_removed_component_is_information():
    diffs = compare_components([component("subscription", plan="Pro", amount=D("39.99"))], [], notice_days=3)
    diff = only(diffs, measure="amount")
    assert (diff.status, diff.severity, diff.old_value, diff.new_value) == (
        Status.REMOVED,
        Severity.INFO,
        D("39.99"),
        None,
    )


def test_a_rate_that_becomes_known_or_unknown_is_information():
    became_known = only(compare_components([component(rate=None)], [component(rate=D(12))], 3), measure="rate")
    assert (became_known.status, became_known.severity) == (Status.NOW_KNOWN, Severity.INFO)
    became_unknown = only(compare_components([component(rate=D(12))], [component(rate=None)], 3), measure="rate")
    assert (became_unknown.status, became_unknown.severity) == (Status.NOW_UNKNOWN, Severity.INFO)


def test_a_minimum_per_item_introduced_is_a_new_fee_and_a_cap_removed_an_increase():
    old = [component(rate=D(15), max_per_item=D(50))]
    new = [component(rate=D(15), min_per_item=D("0.30"))]
    diffs = compare_components(old, new, notice_days=30)
    minimum = only(diffs, measure="min_per_item")
    assert (minimum.status, minimum.severity) == (Status.ADDED, Severity.HIGH)
    cap = only(diffs, measure="max_per_item")
    assert (cap.status, cap.severity) == (Status.REMOVED, Severity.HIGH)


def test_a_wider_base_is_a_basis_change_with_a_readable_note():
    old = [component(rate=D(15), base="excl_vat", includes_shipping=False)]
    new = [component(rate=D(15), base="incl_vat", includes_shipping=True)]
    diff = only(compare_components(old, new, notice_days=30), measure="basis")
    assert (diff.status, diff.severity) == (Status.CHANGED, Severity.MODERATE)
    assert "prix HT → prix TTC" in diff.note and "frais de port désormais inclus" in diff.note
    short = only(compare_components(old, new, notice_days=2), measure="basis")
    assert short.severity == Severity.HIGH
    narrower = only(compare_components(new, old, notice_days=2), measure="basis")
    assert narrower.severity == Severity.INFO


def test_components_are_matched_by_kind_plan_category_and_band():
    old = [
        component(rate=D(15)),
        component(code="mode", rate=D(7), price_to=D(15)),
        component(code="mode", rate=D(15), price_from=D(15)),
    ]
    new = [
        component(rate=D(15)),
        component(code="mode", rate=D(5), price_to=D(15)),
        component(code="mode", rate=D(15), price_from=D(15)),
    ]
    diffs = compare_components(old, new, notice_days=30)
    changed = [d for d in diffs if d.status != Status.UNCHANGED]
    assert len(changed) == 1
    assert (changed[0].band, changed[0].old_value, changed[0].new_value) == ("jusqu'à 15\u00a0€", D(7), D(5))


def test_a_category_row_next_to_a_default_rate_is_compared_with_the_default():
    old = [component(rate=D(15))]
    new = [component(rate=D(15)), component(code="informatique", rate=D(7))]
    diff = only(compare_components(old, new, notice_days=30), measure="rate", status=Status.CHANGED)
    assert (diff.old_value, diff.new_value, diff.severity) == (D(15), D(7), Severity.INFO)
    assert diff.category.code == "informatique" and "taux par défaut" in diff.note
    # And back: the category row disappears, its sellers pay the default rate again.
    back = only(compare_components(new, old, notice_days=30), measure="rate", status=Status.CHANGED)
    assert (back.old_value, back.new_value, back.severity) == (D(7), D(15), Severity.CRITICAL)
    assert back.category.code == "informatique"


def test_platform_categories_sharing_a_common_category_are_told_apart():
    old = [
        component(code="informatique", platform_category="Ordinateurs", rate=D(7)),
        component(code="informatique", platform_category="Composants", rate=D(8)),
    ]
    new = [
        component(code="informatique", platform_category="Composants", rate=D(9)),
        component(code="informatique", platform_category="Ordinateurs", rate=D(7)),
    ]
    changed = [d for d in compare_components(old, new, notice_days=30) if d.status != Status.UNCHANGED]
    assert [(d.platform_category, d.old_value, d.new_value) for d in changed] == [("Composants", D(8), D(9))]


# --- Recording -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_first_version_of_a_marketplace_records_no_change(reference_data):
    make_schedule(components=[commission(15)])
    assert not FeeChange.objects.exists()


@pytest.mark.django_db
def test_a_new_version_records_its_changes_with_the_notice_given(reference_data):
    make_schedule(effective_on="2026-01-01", components=[commission(15), subscription("39.99")])
    second = make_schedule(
        effective_on="2026-04-01",
        announced_on="2026-03-25",
        components=[commission(17), subscription("39.99"), commission(None, "bijoux-montres")],
    )
    recorded = FeeChange.objects.filter(schedule=second)
    rate = recorded.get(kind="commission", category__isnull=True)
    assert (rate.old_value, rate.new_value, rate.notice_days) == (D(15), D(17), 7)
    assert rate.severity == Severity.CRITICAL  # +13 % is high, raised by a 7-day notice
    unknown = recorded.get(category__code="bijoux-montres")  # compared with the default row
    assert (unknown.old_value, unknown.new_value, unknown.severity) == (D(15), None, Severity.INFO)
    assert not recorded.filter(kind="subscription").exists()  # unchanged: not recorded
    assert all(change.previous_id != second.pk for change in recorded)


@pytest.mark.django_db
def test_recording_the_same_version_again_records_nothing_new(reference_data):
    make_schedule(effective_on="2026-01-01", components=[commission(15)])
    second = make_schedule(effective_on="2026-04-01", components=[commission(16)], alert=False)
    assert changes.record_changes(second, alert=False) == []
    assert FeeChange.objects.count() == 1


@pytest.mark.django_db
def test_inserting_a_middle_version_withdraws_the_old_pair_and_records_both_new_pairs(reference_data):
    first = make_schedule(effective_on="2026-01-01", components=[commission(10)])
    last = make_schedule(effective_on="2026-07-01", components=[commission(14)])
    old_pair = FeeChange.objects.get(previous=first, schedule=last)
    assert old_pair.withdrawn_at is None
    middle = make_schedule(effective_on="2026-04-01", components=[commission(12)])
    old_pair.refresh_from_db()
    assert old_pair.withdrawn_at is not None  # kept, never deleted
    live = FeeChange.objects.filter(withdrawn_at__isnull=True).order_by("schedule__effective_on")
    assert [(c.previous_id, c.schedule_id, c.old_value, c.new_value) for c in live] == [
        (first.pk, middle.pk, D(10), D(12)),
        (middle.pk, last.pk, D(12), D(14)),
    ]
    assert FeeChange.objects.count() == 3


@pytest.mark.django_db
def test_a_version_entered_before_the_first_one_compares_with_it(reference_data):
    later = make_schedule(effective_on="2026-04-01", components=[commission(15)])
    earlier = make_schedule(effective_on="2025-01-01", components=[commission(12)])
    change = FeeChange.objects.get()
    assert (change.previous_id, change.schedule_id, change.old_value, change.new_value) == (
        earlier.pk,
        later.pk,
        D(12),
        D(15),
    )


# --- Alerts --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_active_observatory_user_gets_one_alert(personas, django_user_model):
    django_user_model.objects.create_user(email="ancien@fairplace.test", password="x", role="agent", is_active=False)
    make_schedule(effective_on="2026-01-01", components=[commission(15)])
    second = make_schedule(effective_on="2026-04-01", announced_on="2026-03-30", components=[commission(20)])
    alerts = OutboxMessage.objects.filter(template="fee_changes_alert")
    assert sorted(alerts.values_list("to", flat=True)) == sorted(
        personas[name].email for name in ("agent", "supervisor", "administrator")
    )
    message = alerts.get(to=personas["agent"].email)
    assert message.dedup_key == f"fees.changes.{second.pk}.{personas['agent'].pk}"
    assert "Cdiscount" in message.subject and "01/04/2026" in message.subject
    assert "[Critique] Commission" in message.body_text and "15\u00a0% → 20\u00a0%" in message.body_text
    assert "préavis inférieur à 15 jours" in message.body_text
    assert "http://testserver/gestion/frais/evolutions/?place=cdiscount" in message.body_text
    # Recording it again queues nothing more.
    changes.record_changes(second)
    assert alerts.count() == 3


@pytest.mark.django_db
def test_no_alert_without_a_change_or_when_asked_not_to(personas):
    make_schedule(effective_on="2026-01-01", components=[commission(15)])
    make_schedule(effective_on="2026-04-01", components=[commission(15)])
    make_schedule(effective_on="2026-07-01", components=[commission(18)], alert=False)
    assert not OutboxMessage.objects.filter(template="fee_changes_alert").exists()


@pytest.mark.django_db
def test_the_alert_for_a_middle_version_lists_the_next_versions_recomputed_changes(personas):
    make_schedule(effective_on="2026-01-01", components=[commission(10)], alert=False)
    make_schedule(effective_on="2026-07-01", components=[commission(14)], alert=False)
    make_schedule(effective_on="2026-04-01", components=[commission(12)])
    body = OutboxMessage.objects.get(to=personas["agent"].email).body_text
    assert "10\u00a0% → 12\u00a0%" in body
    assert "grille suivante (au 01/07/2026)" in body and "12\u00a0% → 14\u00a0%" in body


@pytest.mark.django_db
def test_recorded_changes_keep_their_note_and_nature(reference_data):
    make_schedule(effective_on="2026-01-01", components=[commission(15, includes_shipping=False)])
    make_schedule(effective_on="2026-04-01", components=[commission(15, includes_shipping=True)])
    change = FeeChange.objects.get()
    assert change.measure == "basis" and change.old_value is None
    assert "frais de port désormais inclus" in change.note and change.status == "changed"
