"""Public page comparing two fee schedule versions of one marketplace
(/observatoire/frais/<slug>/comparer/?de=<id>&a=<id>).

Without parameters, the two latest versions. Unknown marketplace, or a version id of another
marketplace (or none): 404. A parameter that is not a version id, the same version twice or a
"from" version not older than the "to" one: 400 with a French message and the pickers.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fairplace.platforms.models import Marketplace

from .. import changes, wording
from ..models import ComponentKind, FeeComponent, FeeSchedule, Severity
from ..templatetags.fees import euros, percent, signed_euros, signed_percent, signed_points, times

FROM_PARAM, TO_PARAM, ALL_PARAM = "de", "a", "tout"

MEASURE_LABELS = {
    "rate": gettext_lazy("taux"),
    "amount": gettext_lazy("montant"),
    "min_per_item": gettext_lazy("minimum par article"),
    "max_per_item": gettext_lazy("plafond par article"),
    changes.BASIS: gettext_lazy("assiette"),
}


class BadParameter(ValueError):
    """A parameter the page cannot use; its message is French and shown as is."""


def _version_id(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise BadParameter(
            _("Le paramètre « %(name)s » doit être le numéro d’une grille de la liste.") % {"name": name}
        )
    return int(raw)


def _value_text(diff, value, absent: bool) -> str:
    if diff.measure == changes.BASIS:
        return ""
    if value is None:
        return "—" if absent else _("inconnu")
    return percent(value) if diff.measure == "rate" else euros(value)


class Row:
    """One line of a comparison table, with its figures already in French."""

    def __init__(self, diff: changes.ComponentDiff):
        self.diff = diff
        rate = diff.measure == "rate"
        self.measure_label = MEASURE_LABELS.get(diff.measure, diff.measure)
        self.category_label = (
            diff.category.label
            if diff.category is not None
            else _("Toutes les autres catégories")
            if diff.kind == ComponentKind.COMMISSION
            else ""
        )
        self.old_text = _value_text(diff, diff.old_value, absent=diff.status == "added" or not rate)
        self.new_text = _value_text(diff, diff.new_value, absent=diff.status == "removed" or not rate)
        abs_change = diff.abs_change
        self.abs_text = "" if abs_change is None else signed_points(abs_change) if rate else signed_euros(abs_change)
        self.rel_text = "" if diff.rel_change is None else signed_percent(diff.rel_change)
        self.multiplier_text = "" if diff.multiplier is None else times(diff.multiplier)
        self.changed = diff.status != changes.Status.UNCHANGED


def _tables(diffs, show_all: bool) -> list[dict]:
    tables = []
    for kind, label in ComponentKind.choices:
        rows = [Row(diff) for diff in diffs if diff.kind == kind]
        shown = [row for row in rows if show_all or row.changed]
        if rows:
            tables.append(
                {"kind": kind, "label": label, "rows": shown, "unchanged": sum(1 for row in rows if not row.changed)}
            )
    return tables


def _side(title: str, schedule: FeeSchedule) -> dict:
    return {
        "title": title,
        "schedule": schedule,
        "reliability_label": wording.reliability_short(schedule.reliability),
        "reliability_badge": wording.reliability_badge(schedule.reliability),
    }


@require_safe
def compare_versions(request, slug):
    place = Marketplace.objects.filter(slug=slug).first()
    if place is None:
        raise Http404(_("Place de marché inconnue."))
    components = FeeComponent.objects.select_related("category")
    versions = list(
        FeeSchedule.objects.filter(marketplace=place)
        .order_by("effective_on", "id")
        .prefetch_related(Prefetch("components", queryset=components))
    )
    by_id = {version.pk: version for version in versions}
    context = {
        "marketplace": place,
        "versions": versions[::-1],
        "show_all": request.GET.get(ALL_PARAM) == "1",
        "severities": Severity.choices,
    }
    try:
        from_id, to_id = _version_id(request, FROM_PARAM), _version_id(request, TO_PARAM)
    except BadParameter as error:
        context["error"] = str(error)
        return render(request, "fees/compare.html", context, status=400)
    if (from_id is not None and from_id not in by_id) or (to_id is not None and to_id not in by_id):
        raise Http404(_("Cette grille n’existe pas pour cette place de marché."))
    after = by_id[to_id] if to_id is not None else (versions[-1] if versions else None)
    if from_id is not None:
        before = by_id[from_id]
    else:
        older = [version for version in versions if after is not None and version.effective_on < after.effective_on]
        before = older[-1] if older else None
    context.update(before=before, after=after)
    if before is not None and after is not None:
        if before.pk == after.pk:
            context["error"] = _("Choisissez deux grilles différentes.")
        elif before.effective_on > after.effective_on:
            context["error"] = _("La grille de départ (« de ») doit être antérieure à la grille d’arrivée (« à »).")
        if "error" in context:
            return render(request, "fees/compare.html", context, status=400)
    if before is None or after is None:
        return render(request, "fees/compare.html", context)
    diffs = changes.compare(before, after)
    between = [v for v in versions if before.effective_on < v.effective_on < after.effective_on]
    context.update(
        tables=_tables(diffs, context["show_all"]),
        changed_count=sum(1 for diff in diffs if diff.status != changes.Status.UNCHANGED),
        between=between,
        notice_status=changes.notice_status(after),
        notice_text=wording.notice_text(after.notice_days),
        notice_flag=wording.notice_flag(after.notice_days),
        sides=[_side(_("Grille de départ"), before), _side(_("Grille d’arrivée"), after)],
    )
    return render(request, "fees/compare.html", context)
