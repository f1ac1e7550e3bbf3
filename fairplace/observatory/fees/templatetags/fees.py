"""Formatting of fee figures, the French way: "15 %", "39,99 €", "+2 pts", "× 1,5"."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()

NBSP = "\u00a0"


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(4)}


def _number(value, places: int) -> str:
    """French grouping and decimal comma ("1 234,50"), whatever the active language: these pages
    are French. Formatted directly (Django's number_format costs ten times more, and the
    simulator prints hundreds of amounts per page)."""
    rounded = Decimal(value).quantize(_QUANTA.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}".replace(",", NBSP).replace(".", ",")


def _trim(value) -> str:
    """Up to 3 decimals, without trailing zeros: 15 → "15", 0.35 → "0,35"."""
    value = Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP).normalize()
    places = max(0, -value.as_tuple().exponent)
    return _number(value, places)


@register.filter
def percent(value) -> str:
    """A rate in percent: 15 → "15 %". None → "inconnu"."""
    if value is None or value == "":
        return "inconnu"
    return f"{_trim(value)}{NBSP}%"


@register.filter
def euros(value) -> str:
    """An amount in euros with cents: 39.99 → "39,99 €". None → "inconnu"."""
    if value is None or value == "":
        return "inconnu"
    return f"{_number(value, 2)}{NBSP}€"


@register.filter
def signed_points(value) -> str:
    """A change of rate in percentage points: 2 → "+2 pts"."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{_trim(abs(value))}{NBSP}pt{'s' if abs(value) >= 2 else ''}"


@register.filter
def signed_euros(value) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{_number(abs(value), 2)}{NBSP}€"


@register.filter
def signed_percent(fraction) -> str:
    """A relative change given as a fraction: 0.5 → "+50 %"."""
    if fraction is None:
        return "—"
    value = Decimal(fraction) * 100
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{_number(abs(value), 0 if abs(value) >= 10 else 1)}{NBSP}%"


@register.filter
def times(multiplier) -> str:
    """A multiplier: 2 → "× 2", 1.333 → "× 1,33"."""
    if multiplier is None:
        return "—"
    return f"×{NBSP}{_trim(Decimal(multiplier).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP))}"


@register.filter
def long_date(value) -> str:
    """ "1er octobre 2026", "15 décembre 2024" (French writes the first of the month "1er")."""
    if not value:
        return ""
    from django.utils.dateformat import format as date_format

    text = date_format(value, "j F Y")
    return f"1er{text[1:]}" if value.day == 1 else text
