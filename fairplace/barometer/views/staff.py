"""Figures as rows of text for the staff and platform pages (the public pages have their own
presentation). Nothing is shown for a null value."""

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..models import EditionFigure

Status = EditionFigure.Status


def _percent(value):
    return f"{number_format(100 * value, 1)} %"


def describe(figure, indicator) -> str:
    if figure.status == Status.NONE:
        return _("aucun cas")
    if figure.status == Status.UNKNOWN:
        return _("non disponible")
    if figure.status == Status.BELOW_5:
        return _("moins de 5 cas sur %(n)s") % {"n": figure.n} if figure.n is not None else _("moins de 5")
    if figure.status == Status.INSUFFICIENT:
        return _("échantillon insuffisant (n = %(n)s)") % {"n": figure.n}
    if indicator.kind in ("rate", "breakdown"):
        return _("%(value)s [%(low)s – %(high)s], n = %(n)s") % {
            "value": _percent(figure.value), "low": _percent(figure.ci_low), "high": _percent(figure.ci_high),
            "n": figure.n}
    if indicator.kind == "distribution":
        return _("médiane %(median)s j, 90e centile %(p90)s j, n = %(n)s") % {
            "median": number_format(figure.value, 1), "p90": number_format(figure.p90, 1), "n": figure.n}
    if indicator.kind == "per_thousand":
        return number_format(figure.value, 2)
    return str(figure.n)


def figure_rows(figures, indicators) -> list[dict]:
    rows = []
    for figure in figures:
        indicator = indicators.get(figure.indicator)
        if indicator is None:
            continue
        rows.append({"label": indicator.label, "breakdown": figure.breakdown, "text": describe(figure, indicator),
                     "rank": figure.rank, "ranked_count": figure.ranked_count})
    return rows
