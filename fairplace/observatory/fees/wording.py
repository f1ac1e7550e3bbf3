"""French wording of fee figures and changes, in one place for the pages, the feed and the back office.

``change_sentence`` takes a ``FeeChange`` or a ``changes.ComponentDiff`` (anything with kind,
plan, category, platform_category, band, measure, old_value, new_value and the abs_change /
rel_change / multiplier properties) and returns e.g.
"Commission Mode, jusqu'à 15 € : 7 % → 5 % (−2 pts, −29 %, × 0,71)".
Numbers go through the ``fees`` template filters, the only formatters of the observatory.
"""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Base, ComponentKind, Reliability, Severity
from .templatetags.fees import euros, percent, signed_euros, signed_percent, signed_points, times

# P2B Regulation art. 3(2): changes of terms apply at the earliest 15 days after notification.
MIN_NOTICE_DAYS = 15

# DSFR badge variants (fr-badge--<variant>).
RELIABILITY_BADGES = {
    Reliability.PRIMARY: "success",
    Reliability.SECONDARY: "info",
    Reliability.TO_VERIFY: "warning",
}
SEVERITY_BADGES = {
    Severity.INFO: "info",
    Severity.MODERATE: "new",
    Severity.HIGH: "warning",
    Severity.CRITICAL: "error",
}
SEVERITY_ORDER = [Severity.INFO, Severity.MODERATE, Severity.HIGH, Severity.CRITICAL]

# Short names of the components, as a sentence starts with them.
KIND_NAMES = {
    ComponentKind.SUBSCRIPTION: gettext_lazy("Abonnement"),
    ComponentKind.COMMISSION: gettext_lazy("Commission"),
    ComponentKind.PER_ITEM: gettext_lazy("Frais fixes par article"),
    ComponentKind.PAYMENT: gettext_lazy("Frais de paiement"),
    ComponentKind.FULFILMENT: gettext_lazy("Frais de logistique"),
    ComponentKind.OTHER_RATE: gettext_lazy("Autres frais proportionnels"),
}
MEASURE_NAMES = {
    "min_per_item": gettext_lazy("minimum par article"),
    "max_per_item": gettext_lazy("plafond par article"),
}
BASIS = "basis"  # a change of what a rate applies to (base, shipping, band mode): no value


RELIABILITY_SHORT = {
    Reliability.PRIMARY: gettext_lazy("Source primaire"),
    Reliability.SECONDARY: gettext_lazy("Source secondaire"),
    Reliability.TO_VERIFY: gettext_lazy("À vérifier"),
}


def reliability_short(value: str) -> str:
    return str(RELIABILITY_SHORT.get(value, value))


def reliability_badge(value: str) -> str:
    return RELIABILITY_BADGES.get(value, "info")


def severity_badge(value: str) -> str:
    return SEVERITY_BADGES.get(value, "info")


def highest_severity(values) -> str | None:
    ranks = [SEVERITY_ORDER.index(value) for value in values if value in SEVERITY_ORDER]
    return SEVERITY_ORDER[max(ranks)].value if ranks else None


# --- Amounts and bands ----------------------------------------------------------------------


def round_euros(value) -> str:
    """An amount without cents when it is whole: 15 → "15 €", 15.5 → "15,50 €"."""
    text = euros(value)
    return text.replace(",00\u00a0€", "\u00a0€") if value is not None else text


def band_label(price_from, price_to) -> str:
    """The price band of a component: "jusqu'à 15 €", "de 15 à 20 €", "à partir de 20 €", or ""."""
    if price_from in (None, "", 0, Decimal(0)) and price_to in (None, ""):
        return ""
    if price_from in (None, "", 0, Decimal(0)):
        return _("jusqu'à %(to)s") % {"to": round_euros(price_to)}
    if price_to in (None, ""):
        return _("à partir de %(from)s") % {"from": round_euros(price_from)}
    start = round_euros(price_from).removesuffix("\u00a0€")
    return _("de %(from)s à %(to)s") % {"from": start, "to": round_euros(price_to)}


def base_label(base: str, includes_shipping: bool) -> str:
    """What a rate applies to: "prix TTC + port", "prix HT"."""
    text = str(Base(base).label) if base in Base.values else _("prix TTC")
    return text + (_(" + port") if includes_shipping else "")


# --- Notice ------------------------------------------------------------------------------------


def notice_flag(notice_days: int | None) -> str:
    """A warning on a version's notice, "" when it respects the 15 days of P2B art. 3."""
    if notice_days is None:
        return _("préavis inconnu")
    if notice_days < 0:
        return _("effet rétroactif (règlement P2B, art. 8)")
    if notice_days < MIN_NOTICE_DAYS:
        return _("préavis inférieur à 15 jours (règlement P2B, art. 3)")
    return ""


def notice_text(notice_days: int | None) -> str:
    """The notice as a phrase: "préavis de 30 jours", "annoncée 3 jours après son entrée en vigueur"."""
    if notice_days is None:
        return _("préavis inconnu")
    if notice_days < 0:
        return ngettext(
            "annoncée %(days)s jour après son entrée en vigueur",
            "annoncée %(days)s jours après son entrée en vigueur",
            -notice_days,
        ) % {"days": -notice_days}
    return ngettext("préavis de %(days)s jour", "préavis de %(days)s jours", notice_days) % {"days": notice_days}


# --- Changes -----------------------------------------------------------------------------------


def change_subject(change) -> str:
    """What changed: "Commission Mode, jusqu'à 15 €", "Abonnement Pro", "Commission Mode, minimum par article".

    The platform's own category name comes first (sellers know it), else the common one; a
    commission row without category is the default rate of the schedule."""
    parts = [str(KIND_NAMES.get(change.kind, change.kind))]
    if change.plan:
        parts.append(change.plan)
    where = change.platform_category or (change.category.label if change.category is not None else "")
    if not where and change.kind == ComponentKind.COMMISSION:
        where = _("par défaut (autres catégories)")
    if where:
        parts.append(where)
    details = [str(detail) for detail in (change.band, MEASURE_NAMES.get(change.measure, "")) if detail]
    return ", ".join([" ".join(parts), *details])


def change_sentence(change) -> str:
    """One change as a French sentence (see the module docstring).

    Worded from the values alone, so a recorded ``FeeChange`` and the ``ComponentDiff`` it came
    from read the same: a rate without value is "inconnu" (a NULL rate means unknown); an
    amount, minimum or cap that appears is "nouveau", one that disappears "supprimé". A change of
    basis (measure "basis") says what changed when the object carries its ``note``."""
    subject = change_subject(change)
    if change.measure == BASIS:
        return f"{subject} : {getattr(change, 'note', '') or _('assiette modifiée')}"
    old, new = change.old_value, change.new_value
    status = getattr(change, "status", "")
    if change.measure == "rate" and status == "added":
        return _("%(subject)s : nouveau, %(new)s") % {"subject": subject, "new": percent(new)}
    if change.measure == "rate" and status == "removed":
        return _("%(subject)s : supprimé (auparavant %(old)s)") % {"subject": subject, "old": percent(old)}
    if change.measure != "rate" and old is None and new is not None:
        return _("%(subject)s : nouveau, %(new)s") % {"subject": subject, "new": euros(new)}
    if change.measure != "rate" and new is None and old is not None:
        return _("%(subject)s : supprimé (auparavant %(old)s)") % {"subject": subject, "old": euros(old)}
    value = percent if change.measure == "rate" else euros
    sentence = f"{subject} : {value(old)} → {value(new)}"
    deltas = change_deltas(change)
    return f"{sentence} ({deltas})" if deltas else sentence


def change_deltas(change) -> str:
    """ "−2 pts, −29 %, × 0,71" for a rate; "+10,00 €, +25 %, × 1,25" for an amount; "" if unknown."""
    abs_change = change.abs_change
    if abs_change is None:
        return ""
    first = signed_points(abs_change) if change.measure == "rate" else signed_euros(abs_change)
    parts = [first]
    if change.rel_change is not None:
        parts += [signed_percent(change.rel_change), times(change.multiplier)]
    return ", ".join(parts)


# --- Seller reports (privacy) --------------------------------------------------------------------


def suppress_below() -> int:
    """Counts of sellers below this are shown as "moins de N" (the barometer's rule)."""
    return getattr(settings, "FAIRPLACE_BAROMETER", {}).get("SUPPRESS_BELOW", 5)


def reported_label(count: int) -> str:
    """ "Signalé par 7 vendeurs"; 1 to 4 → "Signalé par moins de 5 vendeurs"; 0 → ""."""
    if not count:
        return ""
    threshold = suppress_below()
    if count < threshold:
        return _("Signalé par moins de %(threshold)s vendeurs") % {"threshold": threshold}
    return ngettext("Signalé par %(count)s vendeur", "Signalé par %(count)s vendeurs", count) % {"count": count}


def version_title(marketplace_name: str, effective_on) -> str:
    """ "Cdiscount : évolution des frais au 01/04/2026"."""
    return _("%(marketplace)s : évolution des frais au %(date)s") % {
        "marketplace": marketplace_name,
        "date": effective_on.strftime("%d/%m/%Y"),
    }
