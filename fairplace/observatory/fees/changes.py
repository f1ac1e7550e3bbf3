"""What changed from one fee schedule version to the next, and how serious it is for sellers.

``compare(previous, schedule)`` is pure: it reads the two versions' components and returns one
``ComponentDiff`` per component and measure (unchanged ones included). ``record_changes`` turns
the diffs of a newly recorded version into ``FeeChange`` rows (append-only), withdraws those an
inserted version makes obsolete, alerts the observatory's staff and links sellers' reports.

Matching components. A component is identified by (kind, plan, common category code or "" for
the default row, price band). When several components of one version share that key (two
platform categories mapped to the same common category), the platform's category name tells
them apart. A category row that appears (or disappears) while the other version has a default
row for the same kind and plan (same band, else unbanded) is compared with that default row:
for sellers of that category, the fee went from the default rate to the new one, it is not a
new fee.

Severity (for sellers, an increase is what matters):
- decrease, removed component, now known / now unknown rate: information;
- increase: relative change under ``MODERATE_BELOW`` → moderate; up to ``CRITICAL_MULTIPLIER``
  → high; multiplier ≥ ``CRITICAL_MULTIPLIER`` → critical; from 0 → high (a new fee);
- added component (or minimum per item) with a value > 0: high (a new fee); a cap per item
  added: information, a cap removed: high;
- a basis change that widens the base (price excl. VAT → incl. VAT, shipping now included):
  moderate;
- increases and new fees are raised one level (at most critical) when the version was
  announced less than ``MIN_NOTICE_DAYS`` days before it applies, or after (retroactive).
  An unknown notice does not raise them.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import wording
from .models import Base, ComponentKind, FeeChange, FeeComponent, FeeSchedule, Severity, TierMode, ValueChange

# P2B Regulation (EU) 2019/1150, art. 3(2): a change of terms may not apply before a notice of
# at least 15 days from its notification to business users.
MIN_NOTICE_DAYS = wording.MIN_NOTICE_DAYS
# P2B art. 8(a): no retroactive change (effective date before the announcement, i.e. a
# negative notice); treated like a short notice: increases are raised one level.
# An increase of less than 10 % of the old value is moderate…
MODERATE_BELOW = Decimal("0.10")
# …one that multiplies the old value by 1.5 or more (+50 %) is critical; in between, high.
CRITICAL_MULTIPLIER = Decimal("1.5")

MEASURES = ("rate", "amount", "min_per_item", "max_per_item")
BASIS = wording.BASIS
SEVERITY_ORDER = [Severity.INFO, Severity.MODERATE, Severity.HIGH, Severity.CRITICAL]
KIND_ORDER = list(ComponentKind.values)
MEASURE_ORDER = [*MEASURES, BASIS]


class Status:
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOW_KNOWN = "now_known"
    NOW_UNKNOWN = "now_unknown"


STATUS_LABELS = {
    Status.ADDED: gettext_lazy("Nouveau frais"),
    Status.REMOVED: gettext_lazy("Supprimé"),
    Status.CHANGED: gettext_lazy("Modifié"),
    Status.UNCHANGED: gettext_lazy("Inchangé"),
    Status.NOW_KNOWN: gettext_lazy("Désormais connu"),
    Status.NOW_UNKNOWN: gettext_lazy("Désormais inconnu"),
}


@dataclass(frozen=True)
class ComponentDiff(ValueChange):
    """One measure of one component, compared between two versions."""

    kind: str
    plan: str
    category: object  # FeeCategory | None
    platform_category: str
    band: str
    measure: str  # rate, amount, min_per_item, max_per_item, basis
    old_value: Decimal | None
    new_value: Decimal | None
    status: str
    severity: str
    note: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def severity_badge(self) -> str:
        return wording.severity_badge(self.severity)

    @property
    def severity_label(self) -> str:
        return str(Severity(self.severity).label)

    @property
    def sentence(self) -> str:
        return wording.change_sentence(self)


# --- Notice and severity ------------------------------------------------------------------------


def notice_status(schedule: FeeSchedule) -> str:
    """ "unknown" (no announcement date), "retroactive" (applied before it was announced),
    "short" (less than 15 days, P2B art. 3(2)) or "ok"."""
    days = schedule.notice_days
    if days is None:
        return "unknown"
    if days < 0:
        return "retroactive"
    if days < MIN_NOTICE_DAYS:
        return "short"
    return "ok"


def _raise(severity: str, notice_days: int | None) -> str:
    """One level up (at most critical) when the notice is short or negative."""
    if notice_days is None or notice_days >= MIN_NOTICE_DAYS:
        return severity
    index = SEVERITY_ORDER.index(severity)
    return SEVERITY_ORDER[min(index + 1, len(SEVERITY_ORDER) - 1)].value


def increase_severity(old: Decimal | None, new: Decimal, notice_days: int | None) -> str:
    """Severity of a rise from ``old`` to ``new`` (``old`` None or 0: a new fee)."""
    if old is None or old == 0:
        base = Severity.HIGH
    else:
        multiplier = new / old
        if multiplier >= CRITICAL_MULTIPLIER:
            base = Severity.CRITICAL
        elif multiplier - 1 < MODERATE_BELOW:
            base = Severity.MODERATE
        else:
            base = Severity.HIGH
    return _raise(base.value, notice_days)


# --- Comparing two versions ------------------------------------------------------------------------


def _code(component) -> str:
    category = component.category  # loaded with the components (select_related)
    return category.code if category is not None else ""


def _key(component) -> tuple:
    return (component.kind, component.plan, _code(component), (component.price_from, component.price_to))


def _label(component) -> str:
    return (component.platform_category or "").strip().casefold()


def _pair_group(olds: list, news: list) -> list[tuple]:
    """Pairs (old | None, new | None) of components sharing one key."""
    if len(olds) <= 1 and len(news) <= 1:
        return [(olds[0] if olds else None, news[0] if news else None)]
    pairs, olds = [], list(olds)
    remaining_news = []
    for new in news:
        same = next((old for old in olds if _label(old) == _label(new)), None)
        if same is not None:
            olds.remove(same)
            pairs.append((same, new))
        else:
            remaining_news.append(new)
    for old, new in zip(olds, remaining_news, strict=False):
        pairs.append((old, new))
    count = min(len(olds), len(remaining_news))
    pairs += [(old, None) for old in olds[count:]]
    pairs += [(None, new) for new in remaining_news[count:]]
    return pairs


def _basis_diff(old, new, notice_days) -> tuple[str, str] | None:
    """(note, severity) when the base, the shipping rule or the band mode differs."""
    notes, widened = [], False
    if old.base != new.base:
        notes.append(_("assiette : %(old)s → %(new)s") % {"old": Base(old.base).label, "new": Base(new.base).label})
        widened |= new.base == Base.PRICE_INCL_VAT
    if old.includes_shipping != new.includes_shipping:
        notes.append(
            _("frais de port désormais inclus dans l'assiette")
            if new.includes_shipping
            else _("frais de port désormais exclus de l'assiette")
        )
        widened |= new.includes_shipping
    if (old.tier_mode or "") != (new.tier_mode or "") and (old.price_from, old.price_to) != (None, None):

        def mode(value):
            return str(TierMode(value).label) if value else _("non précisé")

        notes.append(
            _("mode des tranches : %(old)s → %(new)s") % {"old": mode(old.tier_mode), "new": mode(new.tier_mode)}
        )
    if not notes:
        return None
    severity = _raise(Severity.MODERATE.value, notice_days) if widened else Severity.INFO.value
    return "; ".join(notes), severity


def _measure_diff(measure: str, old_value, new_value, notice_days) -> tuple[str, str] | None:
    """(status, severity) of one measure of two matched components; None if not applicable."""
    if old_value is None and new_value is None:
        return None
    if measure == "rate" and old_value is None:
        return Status.NOW_KNOWN, Severity.INFO.value  # a NULL rate means "unknown"
    if measure == "rate" and new_value is None:
        return Status.NOW_UNKNOWN, Severity.INFO.value
    if old_value is None:  # an amount, minimum or cap that did not exist
        if measure == "max_per_item" or new_value == 0:
            return Status.ADDED, Severity.INFO.value  # a new cap lowers fees
        return Status.ADDED, increase_severity(None, new_value, notice_days)
    if new_value is None:
        if measure == "max_per_item":  # no more cap: dearer items pay more
            return Status.REMOVED, _raise(Severity.HIGH.value, notice_days)
        return Status.REMOVED, Severity.INFO.value
    if new_value == old_value:
        return Status.UNCHANGED, Severity.INFO.value
    if new_value < old_value:
        return Status.CHANGED, Severity.INFO.value
    return Status.CHANGED, increase_severity(old_value, new_value, notice_days)


def _diff(kind, plan, category, platform_category, band, measure, old, new, status, severity, note=""):
    return ComponentDiff(
        kind=kind,
        plan=plan,
        category=category,
        platform_category=platform_category,
        band=band,
        measure=measure,
        old_value=old,
        new_value=new,
        status=status,
        severity=severity,
        note=note,
    )


def _compare_pair(old, new, notice_days, note="", about=None) -> list[ComponentDiff]:
    """Diffs of two matched components (either may be None: added / removed). ``about`` is the
    component whose category and band the diffs describe (default: the new one, else the old)."""
    ref = about or (new if new is not None else old)
    common = {
        "kind": ref.kind,
        "plan": ref.plan,
        "category": ref.category,
        "platform_category": ref.platform_category,
        "band": wording.band_label(ref.price_from, ref.price_to),
        "note": note,
    }
    if old is None or new is None:
        component = new if old is None else old
        measures = [m for m in MEASURES if getattr(component, m) is not None] or ["rate"]  # rate unknown
        diffs = []
        for measure in measures:
            value = getattr(component, measure)
            if new is None:
                diffs.append(
                    _diff(
                        **common,
                        measure=measure,
                        old=value,
                        new=None,
                        status=Status.REMOVED,
                        severity=Severity.INFO.value,
                    )
                )
                continue
            if value is None or value == 0 or measure == "max_per_item":
                severity = Severity.INFO.value
            else:
                severity = increase_severity(None, value, notice_days)  # a new fee
            diffs.append(_diff(**common, measure=measure, old=None, new=value, status=Status.ADDED, severity=severity))
        return diffs
    diffs = []
    for measure in MEASURES:
        old_value, new_value = getattr(old, measure), getattr(new, measure)
        result = _measure_diff(measure, old_value, new_value, notice_days)
        if result is not None:
            diffs.append(
                _diff(**common, measure=measure, old=old_value, new=new_value, status=result[0], severity=result[1])
            )
    basis = _basis_diff(old, new, notice_days)
    if basis is not None:
        basis_note = f"{note} ; {basis[0]}" if note else basis[0]
        diffs.append(
            _diff(
                **{**common, "note": basis_note},
                measure=BASIS,
                old=None,
                new=None,
                status=Status.CHANGED,
                severity=basis[1],
            )
        )
    return diffs


def _sort_key(diff: ComponentDiff):
    category = diff.category
    return (
        KIND_ORDER.index(diff.kind) if diff.kind in KIND_ORDER else len(KIND_ORDER),
        diff.plan,
        category is not None,
        category.position if category is not None else 0,
        diff.platform_category,
        diff.band,
        MEASURE_ORDER.index(diff.measure),
    )


def _default_row(groups, kind, plan, band):
    """The default row (no category) that applies to a category's price band: the one of the
    same band, else an unbanded one; None when there is none or it is ambiguous."""
    same = groups.get((kind, plan, "", band), [])
    if len(same) == 1:
        return same[0]
    whole = groups.get((kind, plan, "", (None, None)), [])
    if band != (None, None) and len(whole) == 1:
        return whole[0]
    return None


def compare_components(old_components, new_components, notice_days: int | None) -> list[ComponentDiff]:
    """The diffs between two lists of components (the core of ``compare``, no database)."""
    old_groups, new_groups = defaultdict(list), defaultdict(list)
    for component in old_components:
        old_groups[_key(component)].append(component)
    for component in new_components:
        new_groups[_key(component)].append(component)
    old_codes = {(kind, plan, code) for kind, plan, code, _band in old_groups}
    new_codes = {(kind, plan, code) for kind, plan, code, _band in new_groups}
    diffs = []
    for key in [*old_groups, *(k for k in new_groups if k not in old_groups)]:
        kind, plan, code, band = key
        old_default = _default_row(old_groups, kind, plan, band)
        new_default = _default_row(new_groups, kind, plan, band)
        for old, new in _pair_group(old_groups.get(key, []), new_groups.get(key, [])):
            # A category row that appears or disappears next to a default row: for that
            # category, the fee goes from (or to) the default row's.
            if code and old is None and (kind, plan, code) not in old_codes and old_default is not None:
                diffs += _compare_pair(
                    old_default, new, notice_days, _("auparavant : taux par défaut de la plateforme")
                )
            elif code and new is None and (kind, plan, code) not in new_codes and new_default is not None:
                diffs += _compare_pair(
                    old, new_default, notice_days, _("désormais : taux par défaut de la plateforme"), about=old
                )
            else:
                diffs += _compare_pair(old, new, notice_days)
    return sorted(diffs, key=_sort_key)


def _components(schedule: FeeSchedule) -> list[FeeComponent]:
    prefetched = getattr(schedule, "_prefetched_objects_cache", {}).get("components")
    if prefetched is not None:
        return list(prefetched)
    return list(FeeComponent.objects.filter(schedule=schedule).select_related("category"))


def compare(previous: FeeSchedule, schedule: FeeSchedule) -> list[ComponentDiff]:
    """Every component and measure of ``schedule`` compared with ``previous`` (unchanged ones too)."""
    return compare_components(_components(previous), _components(schedule), schedule.notice_days)


# --- Recording ----------------------------------------------------------------------------------------


def _signature(kind, plan, category_id, platform_category, band, measure, old, new, severity) -> tuple:
    def number(value):
        return None if value is None else Decimal(value).normalize()

    return (kind, plan, category_id, platform_category, band, measure, number(old), number(new), severity)


def _record_pair(previous: FeeSchedule, schedule: FeeSchedule, now) -> list[tuple[FeeChange, ComponentDiff]]:
    """Record the changes (previous → schedule). Live rows that already say the same are kept
    (nothing recorded); otherwise they are withdrawn and the new ones written."""
    diffs = [d for d in compare(previous, schedule) if d.status != Status.UNCHANGED]
    live = list(FeeChange.objects.filter(previous=previous, schedule=schedule, withdrawn_at__isnull=True))
    if live:
        wanted = sorted(
            _signature(
                d.kind,
                d.plan,
                d.category.pk if d.category is not None else None,
                d.platform_category[:200],
                d.band[:60],
                d.measure,
                d.old_value,
                d.new_value,
                d.severity,
            )
            for d in diffs
        )
        existing = sorted(
            _signature(
                c.kind,
                c.plan,
                c.category_id,
                c.platform_category,
                c.band,
                c.measure,
                c.old_value,
                c.new_value,
                c.severity,
            )
            for c in live
        )
        if wanted == existing and all(c.notice_days == schedule.notice_days for c in live):
            return []
        FeeChange.objects.filter(pk__in=[c.pk for c in live]).update(withdrawn_at=now)
    recorded = []
    for diff in diffs:
        change = FeeChange.objects.create(
            marketplace_id=schedule.marketplace_id,
            previous=previous,
            schedule=schedule,
            kind=diff.kind,
            plan=diff.plan,
            category=diff.category,
            platform_category=diff.platform_category[:200],
            band=diff.band[:60],
            measure=diff.measure,
            old_value=diff.old_value,
            new_value=diff.new_value,
            notice_days=schedule.notice_days,
            severity=diff.severity,
            status=diff.status,
            note=diff.note[:300],
        )
        recorded.append((change, diff))
    return recorded


def neighbours(schedule: FeeSchedule) -> tuple[FeeSchedule | None, FeeSchedule | None]:
    """The versions of the same marketplace just before and just after ``schedule``."""
    versions = FeeSchedule.objects.filter(marketplace_id=schedule.marketplace_id).exclude(pk=schedule.pk)
    previous = versions.filter(effective_on__lt=schedule.effective_on).order_by("-effective_on", "-id").first()
    following = versions.filter(effective_on__gt=schedule.effective_on).order_by("effective_on", "id").first()
    return previous, following


def record_changes(schedule: FeeSchedule, *, alert: bool = True) -> list[FeeChange]:
    """Record the changes ``schedule`` brings, and those of the next version compared with it;
    withdraw (never delete) the changes that compared the two versions around it; alert the
    observatory's staff; link sellers' reports of that marketplace.

    Called by ``schedules.record_schedule`` in its transaction, once the schedule and its
    components are saved. Running it again for the same schedule records nothing new."""
    from fairplace.platforms.models import Marketplace

    from . import linking

    with transaction.atomic():
        # Serialises versions recorded at the same time for one marketplace.
        marketplace = Marketplace.objects.select_for_update().get(pk=schedule.marketplace_id)
        now = timezone.now()
        previous, following = neighbours(schedule)
        if previous is not None and following is not None:
            FeeChange.objects.filter(previous=previous, schedule=following, withdrawn_at__isnull=True).update(
                withdrawn_at=now
            )
        recorded = []
        if previous is not None:
            recorded += _record_pair(previous, schedule, now)
        if following is not None:
            recorded += _record_pair(schedule, following, now)
        if alert and recorded:
            _alert_staff(schedule, marketplace, recorded, following)
        linking.link_marketplace(marketplace)
    return [pair[0] for pair in recorded]


# --- Wording --------------------------------------------------------------------------------------------


def describe(diff) -> str:
    """A diff (or a recorded change given its ``note``) as one French sentence, with its note."""
    sentence = wording.change_sentence(diff)
    note = getattr(diff, "note", "")
    return f"{sentence} — {note}" if note and diff.measure != BASIS else sentence


# --- Alert e-mails ------------------------------------------------------------------------------


def _alert_staff(schedule: FeeSchedule, marketplace, recorded, following: FeeSchedule | None) -> None:
    """One e-mail per active agent, supervisor and administrator (deduplicated per version)."""
    from fairplace.core.models import OBSERVATORY_ROLES, User
    from fairplace.core.outbox import enqueue_email

    def lines(pairs):
        pairs = sorted(pairs, key=lambda pair: -SEVERITY_ORDER.index(pair[0].severity))
        return [
            {"severity": str(Severity(change.severity).label), "sentence": describe(diff)} for change, diff in pairs
        ]

    url = settings.FAIRPLACE_PUBLIC_URL.rstrip("/") + reverse("fees_backoffice:changes")
    context = {
        "marketplace": marketplace.name,
        "schedule": schedule,
        "count": len(recorded),
        "own": lines(pair for pair in recorded if pair[0].schedule_id == schedule.pk),
        "following": lines(pair for pair in recorded if pair[0].schedule_id != schedule.pk),
        "following_schedule": following,
        "notice": wording.notice_text(schedule.notice_days),
        "notice_flag": wording.notice_flag(schedule.notice_days),
        "url": f"{url}?place={marketplace.slug}",
    }
    staff = User.objects.filter(is_active=True, role__in=list(OBSERVATORY_ROLES)).order_by("pk")
    for user in staff:
        enqueue_email(
            to=user.email,
            template="fee_changes_alert",
            context=context,
            dedup_key=f"fees.changes.{schedule.pk}.{user.pk}",
        )
