"""Public pages of the fee observatory: today's fees, one marketplace, the timeline of changes.

No login, no seller data: the only thing taken from sellers' reports is how many are linked to a
change, with counts from 1 to 4 shown as "moins de 5" (the barometer's rule).
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from fairplace.platforms.models import Marketplace
from fairplace.platforms.queries import active_marketplaces

from .. import catalogue
from ..models import Severity

VERSIONS_PER_PAGE = 50
PLACE_PARAM, SEVERITY_PARAM, PAGE_PARAM = "place", "gravite", "page"


class BadFilter(ValueError):
    """A filter value the page does not know; its message is French and shown as is."""


@require_safe
def index(request):
    return render(request, "fees/index.html", {"overview": catalogue.overview(), "today": catalogue.today()})


@require_safe
def marketplace(request, slug):
    place = Marketplace.objects.filter(slug=slug).first()
    if place is None:
        raise Http404(_("Place de marché inconnue."))
    return render(
        request, "fees/marketplace.html", {"fees": catalogue.marketplace_fees(place), "today": catalogue.today()}
    )


def marketplace_filter(value: str) -> Marketplace | None:
    """The marketplace named by ``?place=<slug>`` (None when absent); ``BadFilter`` when unknown."""
    if not value:
        return None
    place = Marketplace.objects.filter(slug=value).first()
    if place is None:
        raise BadFilter(
            _("La place de marché « %(value)s » n’existe pas. Choisissez-en une dans la liste.") % {"value": value[:60]}
        )
    return place


def severity_filter(value: str) -> str | None:
    if not value:
        return None
    if value not in Severity.values:
        raise BadFilter(
            _("La gravité « %(value)s » n’existe pas. Choisissez-en une dans la liste.") % {"value": value[:60]}
        )
    return value


@require_safe
def timeline(request):
    context = {
        "marketplaces": active_marketplaces(),
        "severities": Severity.choices,
        "selected_place": request.GET.get(PLACE_PARAM, ""),
        "selected_severity": request.GET.get(SEVERITY_PARAM, ""),
    }
    try:
        place = marketplace_filter(context["selected_place"])
        severity = severity_filter(context["selected_severity"])
    except BadFilter as error:
        context["error"] = str(error)
        return render(request, "fees/timeline.html", context, status=400)
    versions = catalogue.versions_with_changes(marketplace=place, severity=severity)
    page = Paginator(versions, VERSIONS_PER_PAGE).get_page(request.GET.get(PAGE_PARAM))
    query = request.GET.copy()
    query.pop(PAGE_PARAM, None)
    context.update(
        place=place,
        page=page,
        groups=catalogue.change_groups(page.object_list, severity=severity),
        filter_query=query.urlencode(),
    )
    return render(request, "fees/timeline.html", context)
