"""The timeline of one marketplace's changes of terms (/observatoire/conditions/places-de-marche/<key>/).

Every tracked document of the marketplace (seller terms, fee page, complaints policy, ranking parameters…)
on one timeline, newest first, grouped by year: each version that changed something, with its clause
counts, the topics it touched and its notice check. Filters (GET, checked on the server): the type of
document, a topic, and whether changes of pure form are shown.

``key`` is the marketplace's slug in the registry, or, for a service outside the registry (OTA's
"kaufland.de"), the slug of its service name (``public.service_key``).
"""

from dataclasses import dataclass
from itertools import groupby

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from dsfr.forms import DsfrBaseForm

from ..models import TOPIC_LABELS, DocumentType, NoticeStatus, TermsVersion
from .public import documents_of, light_changes, service_label, summarise

PER_PAGE = 50


class TimelineFilters(DsfrBaseForm):
    type = forms.ChoiceField(
        label=gettext_lazy("Type de document"),
        required=False,
        choices=[("", gettext_lazy("Tous les documents")), *DocumentType.choices],
        error_messages={"invalid_choice": gettext_lazy("Type de document inconnu : filtre ignoré.")},
    )
    theme = forms.ChoiceField(
        label=gettext_lazy("Thème"),
        required=False,
        choices=[("", gettext_lazy("Tous les thèmes")), *TOPIC_LABELS.items()],
        error_messages={"invalid_choice": gettext_lazy("Thème inconnu : filtre ignoré.")},
    )
    forme = forms.BooleanField(label=gettext_lazy("Montrer aussi les modifications de pure forme"), required=False)


@dataclass
class Year:
    year: int
    summaries: list


@require_safe
def marketplace(request, key):
    documents = documents_of(key)
    filters = TimelineFilters(request.GET)
    filters.is_valid()  # errors are shown; a wrong filter is left out of cleaned_data, never an error page
    chosen = filters.cleaned_data
    doc_type, theme, with_form = chosen.get("type"), chosen.get("theme"), chosen.get("forme")
    versions = (
        TermsVersion.objects.filter(document__in=documents, previous__isnull=False)
        .select_related("document", "document__marketplace", "notice")
        .defer("stated_dates")
        .prefetch_related(light_changes())
        .order_by("-first_seen_at", "-id")
    )
    if doc_type:
        versions = versions.filter(document__doc_type=doc_type)
    if not with_form:
        versions = versions.filter(substantive=True)
    summaries = [summarise(version) for version in versions]
    if theme:
        summaries = [summary for summary in summaries if theme in {code for code, _label in summary.topics}]
    page = Paginator(summaries, PER_PAGE).get_page(request.GET.get("page"))
    years = [
        Year(year, list(items)) for year, items in groupby(page.object_list, key=lambda s: s.version.first_seen_at.year)
    ]
    flagged = sum(1 for summary in summaries if summary.notice.flagged)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "terms/marketplace.html",
        {
            "key": key,
            "service": service_label(documents[0]),
            "documents": documents,
            "filters": filters,
            "page": page,
            "years": years,
            "total": len(summaries),
            "flagged": flagged,
            "marketplace": documents[0].marketplace,
            "query": query.urlencode(),
            "filtered": bool(doc_type or theme or with_form),
            "unknown_notice": NoticeStatus.UNKNOWN,
        },
    )
