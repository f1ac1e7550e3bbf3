"""The agents' view of recorded fee changes (/gestion/frais/evolutions/) and of the sellers'
reports linked to each (/gestion/frais/evolutions/<pk>/).

Filters: ``place`` (marketplace slug), ``gravite`` (severity), ``retirees=1`` to show the
changes withdrawn since (an older version was inserted between the two compared ones).
"""

from datetime import date

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fairplace.core.auth.guards import observatory_required
from fairplace.platforms.models import Marketplace

from .. import changes, linking, wording
from ..models import FeeChange, FeeChangeReport, Severity
from ..templatetags.fees import euros, percent

CHANGES_PER_PAGE = 50
PLACE_PARAM, SEVERITY_PARAM, WITHDRAWN_PARAM, PAGE_PARAM = "place", "gravite", "retirees", "page"

# The sellers' answers (reports/data/families.yaml, family FEES), in French.
FEE_TYPES = {
    "commission": gettext_lazy("Commission sur les ventes"),
    "subscription": gettext_lazy("Abonnement"),
    "logistics": gettext_lazy("Frais de logistique ou d'expédition"),
    "advertising": gettext_lazy("Publicité ou mise en avant"),
    "other": gettext_lazy("Autres frais"),
}
FEE_ISSUES = {
    "increase": gettext_lazy("Les frais ont augmenté"),
    "new_fee": gettext_lazy("Un nouveau frais a été créé"),
    "imposed_service": gettext_lazy("On m'impose un service payant"),
    "unclear": gettext_lazy("Les frais ou les factures sont incompréhensibles"),
    "other": gettext_lazy("Autre"),
}


class BadFilter(ValueError):
    """A filter value the page does not know; its message is French and shown as is."""


def _filters(request) -> dict:
    place_slug = request.GET.get(PLACE_PARAM, "")
    severity = request.GET.get(SEVERITY_PARAM, "")
    place = None
    if place_slug:
        place = Marketplace.objects.filter(slug=place_slug).first()
        if place is None:
            raise BadFilter(
                _("La place de marché « %(value)s » n’existe pas. Choisissez-en une dans la liste.")
                % {"value": place_slug[:60]}
            )
    if severity and severity not in Severity.values:
        raise BadFilter(
            _("La gravité « %(value)s » n’existe pas. Choisissez-en une dans la liste.") % {"value": severity[:60]}
        )
    return {"place": place, "severity": severity, "withdrawn": request.GET.get(WITHDRAWN_PARAM) == "1"}


class ChangeRow:
    def __init__(self, change: FeeChange, reports: int):
        self.change = change
        self.sentence = changes.describe(change)
        self.reports = reports
        self.severity_badge = wording.severity_badge(change.severity)
        self.notice_flag = wording.notice_flag(change.notice_days)


def _rows(change_list) -> list[ChangeRow]:
    change_list = list(change_list)
    counts = linking.reported_counts([change.pk for change in change_list])
    return [ChangeRow(change, counts.get(change.pk, 0)) for change in change_list]


@observatory_required
@require_safe
def change_list(request):
    context = {
        "marketplaces": Marketplace.objects.order_by("name"),
        "severities": Severity.choices,
        "selected_place": request.GET.get(PLACE_PARAM, ""),
        "selected_severity": request.GET.get(SEVERITY_PARAM, ""),
        "show_withdrawn": request.GET.get(WITHDRAWN_PARAM) == "1",
    }
    try:
        filters = _filters(request)
    except BadFilter as error:
        context["error"] = str(error)
        return render(request, "fees/backoffice/changes.html", context, status=400)
    queryset = FeeChange.objects.select_related("marketplace", "schedule", "previous", "category")
    if filters["place"] is not None:
        queryset = queryset.filter(marketplace=filters["place"])
    if filters["severity"]:
        queryset = queryset.filter(severity=filters["severity"])
    if not filters["withdrawn"]:
        queryset = queryset.filter(withdrawn_at__isnull=True)
    queryset = queryset.order_by(
        "-schedule__effective_on",
        "marketplace__name",
        "kind",
        "plan",
        "category__position",
        "platform_category",
        "band",
        "measure",
        "id",
    )
    page = Paginator(queryset, CHANGES_PER_PAGE).get_page(request.GET.get(PAGE_PARAM))
    query = request.GET.copy()
    query.pop(PAGE_PARAM, None)
    context.update(page=page, rows=_rows(page.object_list), query=query.urlencode())
    return render(request, "fees/backoffice/changes.html", context)


def _answer_rows(answers: dict) -> dict:
    def number(key, formatter):
        value = answers.get(key)
        return formatter(value) if value not in (None, "") else "—"

    def day(key):
        value = answers.get(key)
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y") if value else "—"
        except ValueError:
            return str(value)

    return {
        "fee_type": FEE_TYPES.get(answers.get("fee_type"), answers.get("fee_type") or "—"),
        "fee_issue": FEE_ISSUES.get(answers.get("fee_issue"), answers.get("fee_issue") or "—"),
        "rate_before": number("fee_rate_before", percent),
        "rate_after": number("fee_rate_after", percent),
        "monthly_before": number("monthly_fee_before", euros),
        "monthly_after": number("monthly_fee_after", euros),
        "announced_on": day("change_announced_on"),
        "effective_on": day("change_effective_on"),
    }


@observatory_required
@require_safe
def change_detail(request, pk):
    from fairplace.reports.queries import fee_reports

    change = get_object_or_404(
        FeeChange.objects.select_related("marketplace", "schedule", "previous", "category"), pk=pk
    )
    row = _rows([change])[0]
    links = {link.report_id: link.score for link in FeeChangeReport.objects.filter(change=change)}
    reports = []
    for report in fee_reports(report_ids=list(links)):
        reports.append(
            {
                "reference": report["reference"],
                "submitted_at": report["submitted_at"],
                "url": reverse("backoffice:case", args=[report["reference"]]),
                "score": links[report["id"]],
                "answers": _answer_rows(report["answers"]),
            }
        )
    context = {
        "change": change,
        "row": row,
        "reports": reports,
        "set_aside": len(links) - len(reports),
        "notice_text": wording.notice_text(change.notice_days),
        "compare_url": reverse("fees:compare", args=[change.marketplace.slug])
        + f"?de={change.previous_id}&a={change.schedule_id}",
    }
    return render(request, "fees/backoffice/change.html", context)
