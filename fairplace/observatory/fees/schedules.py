"""Recording a fee schedule: the one service that writes ``FeeSchedule`` and ``FeeComponent``.

The rules a component must follow live here once (``component_problems`` for one row,
``components_problems`` across the rows of a schedule); the import file, the back-office form
and ``record_schedule`` itself all apply them. Components are plain dicts keyed by the model's
field names (``kind``, ``plan``, ``platform_category``, ``category`` — a ``FeeCategory`` or
None —, ``rate``, ``amount``, ``base``, ``includes_shipping``, ``min_per_item``,
``max_per_item``, ``price_from``, ``price_to``, ``tier_mode``, ``reliability``, ``notes``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError

from .models import Base, ComponentKind, FeeComponent, FeeSchedule, Reliability, TierMode

# Kinds that may be given by category of the common taxonomy.
KINDS_BY_CATEGORY = (ComponentKind.COMMISSION, ComponentKind.PER_ITEM, ComponentKind.FULFILMENT)
COMPONENT_FIELDS = (
    "kind",
    "plan",
    "platform_category",
    "category",
    "rate",
    "amount",
    "base",
    "includes_shipping",
    "min_per_item",
    "max_per_item",
    "price_from",
    "price_to",
    "tier_mode",
    "reliability",
    "notes",
)
COMPONENT_DEFAULTS = {
    "plan": "",
    "platform_category": "",
    "category": None,
    "rate": None,
    "amount": None,
    "base": Base.PRICE_INCL_VAT,
    "includes_shipping": True,
    "min_per_item": None,
    "max_per_item": None,
    "price_from": None,
    "price_to": None,
    "tier_mode": "",
    "reliability": "",
    "notes": "",
}
MAX_LENGTHS = {"plan": 60, "platform_category": 200, "notes": 300}
HUNDRED = Decimal(100)


class ScheduleError(DomainError):
    """A schedule that cannot be recorded; ``problems`` lists (component index or None, field,
    message) when the cause is in the data."""

    def __init__(self, message: str, problems: Sequence["Problem"] = ()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    """One broken rule. ``index`` is the component's position (None for the schedule itself)."""

    index: int | None
    field: str
    message: str


def _is_set(value) -> bool:
    return value is not None and value != ""


def component_problems(component: dict) -> list[tuple[str, str]]:
    """The rules one component breaks, as (field, French message)."""
    c = {**COMPONENT_DEFAULTS, **component}
    problems: list[tuple[str, str]] = []
    kind, rate, amount = c["kind"], c["rate"], c["amount"]

    def add(field, message):
        problems.append((field, message))

    if kind not in ComponentKind.values:
        add("kind", _("type de frais inconnu : %(kind)s") % {"kind": kind or "—"})
        return problems
    for field in ("rate", "amount", "min_per_item", "max_per_item", "price_from", "price_to"):
        if c[field] is not None and c[field] < 0:
            add(field, _("nombre négatif"))
    if rate is not None and rate > HUNDRED:
        add("rate", _("taux supérieur à 100 %"))
    for field, length in MAX_LENGTHS.items():
        if len(c[field] or "") > length:
            add(field, _("%(n)s caractères au plus") % {"n": length})
    if c["base"] not in Base.values:
        add("base", _("assiette inconnue : %(value)s") % {"value": c["base"]})
    if c["reliability"] and c["reliability"] not in Reliability.values:
        add("reliability", _("fiabilité inconnue : %(value)s") % {"value": c["reliability"]})
    if c["tier_mode"] and c["tier_mode"] not in TierMode.values:
        add("tier_mode", _("mode de tranche inconnu : %(value)s") % {"value": c["tier_mode"]})
    if c["category"] is not None and kind not in KINDS_BY_CATEGORY:
        add(
            "category",
            _(
                "pas de catégorie commune pour ce type de frais (seulement pour une commission, "
                "des frais fixes ou de logistique)"
            ),
        )

    if kind == ComponentKind.SUBSCRIPTION:
        if amount is None:
            add("amount", _("montant de l'abonnement manquant (0 s'il n'y a pas d'abonnement)"))
        if rate is not None:
            add("rate", _("un abonnement n'a pas de taux"))
        for field in ("min_per_item", "max_per_item", "price_from", "price_to"):
            if c[field] is not None:
                add(field, _("sans objet pour un abonnement"))
    elif kind == ComponentKind.COMMISSION:
        if rate is None and not (c["notes"] or "").strip():
            add("rate", _("taux manquant : indiquez-le, ou expliquez dans les remarques pourquoi il est inconnu"))
        if amount is not None:
            add("amount", _("une commission est un taux : un montant par article se saisit en frais fixes"))
    elif kind in (ComponentKind.PER_ITEM, ComponentKind.FULFILMENT):
        if amount is None:
            add("amount", _("montant manquant"))
    elif kind == ComponentKind.PAYMENT:
        if rate is None and amount is None:
            add("rate", _("indiquez un taux ou un montant"))
    elif kind == ComponentKind.OTHER_RATE:
        if rate is None:
            add("rate", _("taux manquant"))
        if amount is not None:
            add("amount", _("des frais proportionnels n'ont pas de montant fixe"))

    low, high = c["min_per_item"], c["max_per_item"]
    if low is not None and high is not None and low > high:
        add("max_per_item", _("le plafond est inférieur au minimum"))

    has_band = c["price_from"] is not None or c["price_to"] is not None
    if has_band and kind != ComponentKind.SUBSCRIPTION:
        if c["price_from"] is None:
            add("price_from", _("début de tranche manquant (0 pour la première tranche)"))
        elif c["price_to"] is not None and c["price_from"] >= c["price_to"]:
            add("price_to", _("la tranche doit finir après son début"))
        elif c["price_to"] is None and c["price_from"] == 0:
            add("price_to", _("tranche sans borne : laissez les deux colonnes de tranche vides"))
        if not c["tier_mode"]:
            add("tier_mode", _("mode de tranche manquant (prix ou marginal)"))
    elif c["tier_mode"] and not has_band:
        add("tier_mode", _("mode de tranche sans tranche de prix"))
    return problems


def _category_key(category):
    return None if category is None else getattr(category, "pk", category)


def components_problems(components: Sequence[dict], where: Callable[[int], str]) -> list[Problem]:
    """The rules broken across the components of one schedule: duplicates, and bands (one mode,
    no overlap, not mixed with an unbanded row). ``where(index)`` names a component in a
    message ("la ligne 12")."""
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    groups: dict[tuple, list[int]] = {}
    for index, raw in enumerate(components):
        c = {**COMPONENT_DEFAULTS, **raw}
        group = (c["kind"], (c["plan"] or "").strip().casefold(), _category_key(c["category"]))
        key = (*group, c["price_from"])
        if key in seen:
            problems.append(
                Problem(index, "", _("ligne en double (identique à %(where)s)") % {"where": where(seen[key])})
            )
            continue
        seen[key] = index
        groups.setdefault(group, []).append(index)

    for indexes in groups.values():
        if len(indexes) < 2:
            continue
        rows = [(i, {**COMPONENT_DEFAULTS, **components[i]}) for i in indexes]
        banded = [(i, c) for i, c in rows if c["price_from"] is not None or c["price_to"] is not None]
        if not banded:
            continue
        if len(banded) != len(rows):
            first_banded = banded[0][0]
            for i, c in rows:
                if c["price_from"] is None and c["price_to"] is None:
                    problems.append(
                        Problem(
                            i,
                            "price_from",
                            _("ligne sans tranche de prix alors que %(where)s en a une, pour les mêmes frais")
                            % {"where": where(first_banded)},
                        )
                    )
        mode_of_first = banded[0][1]["tier_mode"]
        for i, c in banded[1:]:
            if c["tier_mode"] and mode_of_first and c["tier_mode"] != mode_of_first:
                problems.append(
                    Problem(
                        i,
                        "tier_mode",
                        _("mode de tranche différent de celui de %(where)s") % {"where": where(banded[0][0])},
                    )
                )
        ordered = sorted((b for b in banded if b[1]["price_from"] is not None), key=lambda b: b[1]["price_from"])
        for (i_prev, prev), (i_next, nxt) in zip(ordered, ordered[1:], strict=False):
            if prev["price_to"] is None or nxt["price_from"] < prev["price_to"]:
                problems.append(
                    Problem(
                        i_next, "price_from", _("tranche qui chevauche celle de %(where)s") % {"where": where(i_prev)}
                    )
                )
    return problems


def schedule_problems(*, effective_on, observed_on, source_url, source_document, reliability) -> list[Problem]:
    """The rules the schedule's own fields break (a retroactive announcement is allowed: it is
    flagged on the pages, never refused)."""
    problems = []
    if not isinstance(effective_on, date):
        problems.append(Problem(None, "effective_on", _("date d'effet manquante")))
    if not isinstance(observed_on, date):
        problems.append(Problem(None, "observed_on", _("date de relevé manquante")))
    elif observed_on > timezone.localdate():
        problems.append(Problem(None, "observed_on", _("la date de relevé est dans le futur")))
    if reliability not in Reliability.values:
        problems.append(Problem(None, "reliability", _("fiabilité manquante ou inconnue")))
    if not (source_url or "").strip() and not (source_document or "").strip():
        problems.append(Problem(None, "source_url", _("source manquante : indiquez une adresse ou un document")))
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url)
        except ValidationError:
            problems.append(Problem(None, "source_url", _("adresse invalide (https://…)")))
        if len(source_url) > 500:
            problems.append(Problem(None, "source_url", _("500 caractères au plus")))
    if len(source_document or "") > 300:
        problems.append(Problem(None, "source_document", _("300 caractères au plus")))
    return problems


def schedule_exists(marketplace, effective_on) -> bool:
    return FeeSchedule.objects.filter(marketplace=marketplace, effective_on=effective_on).exists()


def existing_message(marketplace, effective_on) -> str:
    return _("une grille de %(marketplace)s existe déjà à la date d'effet du %(date)s") % {
        "marketplace": marketplace.name,
        "date": effective_on.strftime("%d/%m/%Y"),
    }


def record_schedule(
    *,
    marketplace,
    effective_on,
    announced_on,
    observed_on,
    source_url,
    source_document,
    reliability,
    notes,
    is_seed,
    components: list[dict],
    by,
    alert=True,
) -> FeeSchedule:
    """Validate and write one schedule with its components, then record its changes against
    the neighbouring versions (``changes.record_changes``), all in one transaction."""
    problems = schedule_problems(
        effective_on=effective_on,
        observed_on=observed_on,
        source_url=source_url,
        source_document=source_document,
        reliability=reliability,
    )
    if not components:
        problems.append(Problem(None, "", _("une grille doit contenir au moins une composante")))
    for index, component in enumerate(components):
        unknown = set(component) - set(COMPONENT_FIELDS)
        if unknown:
            raise ValueError(f"Unknown component fields: {sorted(unknown)}")
        problems += [Problem(index, field, message) for field, message in component_problems(component)]
    problems += components_problems(components, where=lambda i: _("la composante %(n)s") % {"n": i + 1})
    if problems:
        first = problems[0]
        where = "" if first.index is None else _("composante %(n)s : ") % {"n": first.index + 1}
        raise ScheduleError(
            _("Grille non enregistrée : %(where)s%(message)s%(more)s")
            % {
                "where": where,
                "message": first.message,
                "more": _(" (et %(n)s autre(s) erreur(s))") % {"n": len(problems) - 1} if len(problems) > 1 else "",
            },
            problems,
        )

    from .changes import record_changes

    with transaction.atomic():
        if schedule_exists(marketplace, effective_on):
            raise ScheduleError(
                _("Grille non enregistrée : %(message)s.") % {"message": existing_message(marketplace, effective_on)}
            )
        try:
            with transaction.atomic():
                schedule = FeeSchedule.objects.create(
                    marketplace=marketplace,
                    effective_on=effective_on,
                    announced_on=announced_on,
                    observed_on=observed_on,
                    source_url=source_url or "",
                    source_document=source_document or "",
                    reliability=reliability,
                    notes=notes or "",
                    is_seed=is_seed,
                    created_by=by,
                )
        except IntegrityError as exc:  # recorded meanwhile by someone else
            raise ScheduleError(
                _("Grille non enregistrée : %(message)s.") % {"message": existing_message(marketplace, effective_on)}
            ) from exc
        FeeComponent.objects.bulk_create(
            FeeComponent(schedule=schedule, **{**COMPONENT_DEFAULTS, **component}) for component in components
        )
        record_changes(schedule, alert=alert)
    return schedule
