"""Public barometer pages (no login), in French and in English.

Figures of a published edition never change: for anonymous visitors the whole page is cached
(``published.cached``) per path, language and comparison, under the barometer generation that
publications and replies bump. Signed-in users (whose header differs) get a fresh rendering,
with the same constant number of queries.
"""

import gzip
import re

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .. import charters as charter_registry
from .. import display, published
from ..display import Shown, current_language, show
from ..indicators import Indicator
from ..templatetags.barometer import ChartRow, bar_chart

COMPARE_PARAM = "comparer"
COMPARE_MIN, COMPARE_MAX = 2, 4
# The columns of "Choisir sa place de marché".
KEY_INDICATORS = ("reports_received", "answered_in_time", "time_to_answer", "answer_satisfactory", "action_confirmed")
FAMILY_INDICATOR = "family_share"
OVERVIEW_CHART = "answered_in_time"
RANKED_KINDS = ("rate", "distribution")  # as figures.py ranks them
INDENTATION = re.compile(r"\n\s+")
DOWNLOAD_FORMATS = (("csv", "CSV"), ("json", "JSON"), ("parquet", "Parquet"))


# --- Plumbing -------------------------------------------------------------------------------


def _serve(request, parts: tuple, build, query: str = "") -> HttpResponse:
    """Render ``build()`` → (template, context); cached whole for anonymous visitors."""
    lang = current_language()

    def render_page() -> bytes:
        template_name, context = build()
        context.update(language_query=query, lang=lang)
        html = render_to_string(template_name, context, request=request)
        return INDENTATION.sub("\n", html).encode()  # ~10 % lighter; these pages have no <pre>

    if _signed_in(request):
        response = HttpResponse(render_page())
    else:
        key = ("page", lang, request.path, *parts)
        if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
            # A compressed copy, made once per page and generation (74 kB → ~9 kB on the wire), the
            # same bytes from every process (no timestamp in the gzip header).
            body = published.cached(
                ("gzip", *key), lambda: gzip.compress(published.cached(key, render_page), 6, mtime=0)
            )
            response = HttpResponse(body)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(published.cached(key, render_page))
        patch_vary_headers(response, ["Accept-Encoding"])
    response["Content-Language"] = lang
    return response


def _signed_in(request) -> bool:
    """Without a session cookie nobody is signed in: no need to load the session and the user
    (the common case of a public page, and a measurable share of its cost)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return request.user.is_authenticated


def _indicators() -> dict[str, Indicator]:
    return {indicator.code: indicator for indicator in published.indicator_list()}


def _charter_statuses() -> dict:
    return charter_registry.charter_statuses()


def _thresholds() -> dict:
    thresholds = dict(settings.FAIRPLACE_BAROMETER)
    thresholds["SUPPRESS_MAX"] = thresholds["SUPPRESS_BELOW"] - 1  # the largest count never published
    return thresholds


def edition_name(edition) -> str:
    """ "3e trimestre 2026" / "Q3 2026" from the code "2026-T3"."""
    year, quarter = edition.code[:4], edition.code[-1]
    if current_language() == "en":
        return f"Q{quarter} {year}"
    return f"{display.ordinal(int(quarter), 'fr')} trimestre {year}" if quarter.isdigit() else edition.code


def _downloads(edition) -> list[dict]:
    links = [
        {
            "url": reverse("barometer:edition_data", kwargs={"code": edition.code, "fmt": fmt}),
            "format": label,
            "label": _("Données de l'édition %(edition)s") % {"edition": edition.code},
        }
        for fmt, label in DOWNLOAD_FORMATS
    ]
    links.append(
        {
            "url": reverse("barometer:edition_pdf", kwargs={"code": edition.code}),
            "format": "PDF",
            "label": _("Édition %(edition)s en PDF") % {"edition": edition.code},
        }
    )
    return links


def _edition_info(edition) -> dict:
    return {"edition": edition, "edition_name": edition_name(edition), "downloads": _downloads(edition)}


def _text(indicator: Indicator, name: str) -> str:
    return indicator.text(name, current_language())


# --- Comparison: "Choisir sa place de marché" -----------------------------------------------


def _selection(request, marketplaces: list) -> tuple[list, str, bool]:
    """The marketplaces ticked for the side-by-side comparison (in the page's order), a French
    error, and whether the selection is made of known marketplaces only (cacheable)."""
    raw = request.GET.getlist(COMPARE_PARAM)[:50]
    by_slug = {marketplace.slug: marketplace for marketplace in marketplaces}
    wanted = {slug.strip() for slug in raw if slug.strip()}
    known = all(slug in by_slug for slug in wanted)
    chosen = [marketplace for marketplace in marketplaces if marketplace.slug in wanted]
    if not known:
        return chosen, _("Une des places de marché choisies n'existe pas ; choisissez-les dans la liste."), False
    if len(chosen) == 1:
        return chosen, _("Choisissez au moins deux places de marché à comparer."), True
    if len(chosen) > COMPARE_MAX:
        return chosen, _("Choisissez au plus quatre places de marché à comparer."), True
    return chosen, "", True


@require_safe
def compare(request, code=None):
    if COMPARE_PARAM in request.GET:
        marketplaces = published.marketplaces()
        chosen, error, cacheable = _selection(request, marketplaces)
    else:  # the plain page, by far the most requested: nothing to work out before the cache
        marketplaces, chosen, error, cacheable = None, [], "", True
    query = urlencode([(COMPARE_PARAM, marketplace.slug) for marketplace in chosen])

    def build():
        edition = published.published_edition(code) if code else published.latest_edition()
        if edition is None:
            if code:
                raise Http404
            return "barometer/no_edition.html", {"thresholds": _thresholds()}
        return "barometer/compare.html", _compare_context(
            edition, marketplaces if marketplaces is not None else published.marketplaces(), chosen, error
        )

    if not cacheable:
        template_name, context = build()
        lang = current_language()
        context.update(language_query=query, lang=lang)
        return render(request, template_name, context)
    return _serve(request, ("compare", code or "", tuple(m.slug for m in chosen)), build, query)


def _compare_context(edition, marketplaces: list, chosen: list, error: str) -> dict:
    registry = _indicators()
    figures = published.edition_figures(edition)
    statuses = _charter_statuses()
    replies = published.replies_of(edition)
    key = [registry[code] for code in KEY_INDICATORS if code in registry]
    rows = []
    for marketplace in marketplaces:
        status = statuses.get(marketplace.pk)
        rows.append(
            {
                "marketplace": marketplace,
                "charter_status": (status or {}).get("status", "not_signatory"),
                "charter_label": display.charter_status_label(status),
                "charter_title": _charter_title(status),
                "cells": [_shown(figures, marketplace.pk, indicator) for indicator in key],
                "has_reply": marketplace.pk in replies,
            }
        )
    overview = None
    if OVERVIEW_CHART in registry:
        # Only the marketplaces the edition has a figure for (the table above lists them all).
        items = [(m.name, figures.get(m.pk, OVERVIEW_CHART), figures) for m in marketplaces]
        items = [item for item in items if item[1] is not None]
        overview = _indicator_chart(registry[OVERVIEW_CHART], "graphique-ensemble", items) if items else None
    context = {
        **_edition_info(edition),
        "key_indicators": key,
        "rows": rows,
        "overview": overview,
        "choices": [{"slug": m.slug, "name": m.name, "checked": m in chosen} for m in marketplaces],
        "selection_error": error,
        "compare_param": COMPARE_PARAM,
        "compare_max": COMPARE_MAX,
        "thresholds": _thresholds(),
        "comparison": None,
    }
    if chosen and not error:
        context["comparison"] = _comparison(chosen, registry, figures, statuses, replies)
    return context


def _shown(figures, marketplace_id: int, indicator: Indicator) -> Shown:
    figure = figures.get(marketplace_id, indicator.code)
    return show(figure, indicator, tied=figures.is_tied(figure))


def _charter_title(status: dict | None) -> str:
    if not status or not status.get("charter"):
        return ""
    return status.get("charter_title_en") if current_language() == "en" else status.get("charter_title", "")


def _comparison(chosen: list, registry: dict, figures, statuses: dict, replies: dict) -> dict:
    rows, charts = [], []
    for indicator in registry.values():
        if indicator.kind == "breakdown":
            continue
        found = [figures.get(m.pk, indicator.code) for m in chosen]
        cells = [show(figure, indicator, tied=figures.is_tied(figure)) for figure in found]
        rows.append({"indicator": indicator, "label": _text(indicator, "label"), "cells": cells})
        if indicator.kind in ("rate", "distribution") and any(cell.published for cell in cells):
            charts.append(
                _indicator_chart(
                    indicator,
                    f"comparaison-{indicator.code}",
                    [(m.name, figures.get(m.pk, indicator.code), figures) for m in chosen],
                )
            )
    families = []
    family = registry.get(FAMILY_INDICATOR)
    if family is not None:
        codes = sorted(
            {f.breakdown for m in chosen for f in figures.breakdowns(m.pk, FAMILY_INDICATOR)}, key=display.family_name
        )
        families = [
            {
                "name": display.family_name(code),
                "cells": [show(figures.get(m.pk, FAMILY_INDICATOR, code), family) for m in chosen],
            }
            for code in codes
        ]
    return {
        "marketplaces": chosen,
        "names": ", ".join(m.name for m in chosen),
        "rows": rows,
        "charts": charts,
        "families": families,
        "columns": [
            {
                "marketplace": m,
                "charter": display.charter_status_label(statuses.get(m.pk)),
                "has_reply": m.pk in replies,
            }
            for m in chosen
        ],
    }


def _indicator_chart(indicator: Indicator, chart_id: str, items: list[tuple]) -> dict:
    """A chart of one indicator (items: (label, figure, figures-with-ties)) and the rows of the
    table printed next to it — the same Shown objects, so the same numbers."""
    label = _text(indicator, "label")
    rows = [
        ChartRow(name, show(figure, indicator, tied=source.is_tied(figure) if source else False))
        for name, figure, source in items
    ]
    return _chart(indicator, chart_id, label, rows)


def _chart(indicator: Indicator, chart_id: str, title: str, rows: list[ChartRow]) -> dict:
    if indicator.is_rate:
        description = _(
            "Barres horizontales : part en pourcentage ; le trait noir montre l'intervalle de "
            "confiance à 95 %. Les mêmes chiffres figurent dans le tableau qui suit."
        )
        scale = "percent"
    elif indicator.kind == "distribution":
        description = _(
            "Barres horizontales : délai médian en jours ; le trait noir montre l'intervalle de "
            "confiance de la médiane (95 %). Les mêmes chiffres figurent dans le tableau qui suit."
        )
        scale = "days"
    else:
        description = _("Barres horizontales : %(unit)s. Les mêmes chiffres figurent dans le tableau qui suit.") % {
            "unit": _text(indicator, "unit")
        }
        scale = "count"
    return {
        "id": chart_id,
        "indicator": indicator,
        "title": title,
        "rows": rows,
        "svg": bar_chart(rows, chart_id=chart_id, title=title, description=description, scale=scale),
    }


# --- One marketplace --------------------------------------------------------------------------


@require_safe
def marketplace(request, slug):
    found = next((m for m in published.marketplaces() if m.slug == slug), None)
    if found is None:
        raise Http404
    return _serve(request, ("marketplace", slug), lambda: ("barometer/marketplace.html", _marketplace_context(found)))


def _marketplace_context(marketplace) -> dict:
    registry = _indicators()
    editions = published.published_editions()
    status = _charter_statuses().get(marketplace.pk)
    charters = charter_registry.charter_list()
    context = {
        "marketplace": marketplace,
        "charter_label": display.charter_status_label(status),
        "charter_status": (status or {}).get("status", "not_signatory"),
        "charter_history": (status or {}).get("history", []),
        "editions": editions,
        "latest": None,
        "thresholds": _thresholds(),
    }
    series = published.marketplace_series(marketplace.pk, editions) if editions else None
    latest_shown: dict[str, Shown] = {}
    if editions:
        latest = editions[0]
        replies = published.replies_of_marketplace(marketplace.pk)
        context.update(_edition_info(latest))
        context["latest"] = latest
        context["latest_rows"] = []
        for indicator in registry.values():
            if indicator.kind == "breakdown":
                continue
            figure = series.get(latest, indicator.code)
            shown = show(figure, indicator, tied=series.is_tied(figure))
            latest_shown[indicator.code] = shown
            context["latest_rows"].append({"indicator": indicator, "label": _text(indicator, "label"), "shown": shown})
        context["reply"] = replies.get(latest.pk)
        context["earlier_replies"] = [
            {"edition": edition, "name": edition_name(edition), "reply": replies[edition.pk]}
            for edition in editions[1:]
            if edition.pk in replies
        ]
        family = registry.get(FAMILY_INDICATOR)
        if family is not None:
            rows = [
                ChartRow(display.family_name(f.breakdown), show(f, family))
                for f in series.breakdowns(latest, FAMILY_INDICATOR)
            ]
            rows.sort(key=lambda row: (-(row.shown.value or -1), row.label))
            context["families"] = _chart(family, "graphique-familles", _text(family, "label"), rows) if rows else None
        context["series"] = [
            _series_block(indicator, series) for indicator in registry.values() if indicator.kind != "breakdown"
        ]
    context["charters"] = [_charter_block(charter, marketplace, registry, latest_shown) for charter in charters]
    return context


def _series_block(indicator: Indicator, series) -> dict:
    rows = []
    for edition in series.editions:
        figure = series.get(edition, indicator.code)
        rows.append(ChartRow(edition.code, show(figure, indicator, tied=series.is_tied(figure))))
    block = {
        "indicator": indicator,
        "label": _text(indicator, "label"),
        "definition": _text(indicator, "definition"),
        "rows": rows,
        "chart": None,
    }
    if any(row.shown.published for row in rows):
        block["chart"] = _chart(indicator, f"serie-{indicator.code}", _text(indicator, "label"), rows)
    return block


def _charter_block(charter, marketplace, registry: dict, latest_shown: dict) -> dict:
    lang = current_language()
    own = [s for s in charter.signatures.all() if s.marketplace_id == marketplace.pk]
    axes = []
    for axis in charter_registry.commitments_by_axis(charter):
        commitments = []
        for commitment in axis["commitments"]:
            evidence = [
                {
                    "indicator": indicator,
                    "label": indicator.text("label", lang),
                    "shown": latest_shown.get(indicator.code),
                }
                for indicator in charter_registry.indicators_of(commitment)
            ]
            commitments.append(
                {
                    "commitment": commitment,
                    "text": (commitment.text_en or commitment.text) if lang == "en" else commitment.text,
                    "text_lang": "fr" if lang == "en" and not commitment.text_en else "",
                    "evidence": evidence,
                }
            )
        axes.append(
            {
                "number": axis["number"],
                "title": (axis["title_en"] or axis["title"]) if lang == "en" else axis["title"],
                "commitments": commitments,
            }
        )
    return {
        "charter": charter,
        "title": (charter.title_en or charter.title) if lang == "en" else charter.title,
        "own_signatures": own,
        "axes": axes,
    }


# --- Methodology, charters, editions ----------------------------------------------------------


@require_safe
def methodology(request):
    def build():
        lang = current_language()
        rows = [
            {
                "indicator": indicator,
                "label": indicator.text("label", lang),
                "definition": indicator.text("definition", lang),
                "unit": indicator.text("unit", lang),
                "kind": _kind_label(indicator.kind),
                "ranked": indicator.higher_is_better is not None and indicator.kind in RANKED_KINDS,
            }
            for indicator in published.indicator_list()
        ]
        return "barometer/methodology.html", {
            "indicators": rows,
            "thresholds": _thresholds(),
            "family_names": [str(name) for name in display.FAMILY_NAMES.values()],
        }

    return _serve(request, ("methodology",), build)


def _kind_label(kind: str) -> str:
    return {
        "count": _("nombre de signalements"),
        "rate": _("part, avec intervalle de confiance à 95 %"),
        "per_thousand": _("taux pour 1 000 vendeurs"),
        "distribution": _("délai médian et 90e centile"),
        "breakdown": _("part par famille, avec intervalle de confiance à 95 %"),
    }.get(kind, kind)


@require_safe
def charters(request):
    def build():
        lang = current_language()
        registry = _indicators()
        statuses = _charter_statuses()
        blocks = []
        for charter in charter_registry.charter_list():
            block = _charter_block(charter, _Nobody, registry, {})
            block["summary"] = (charter.summary_en or charter.summary) if lang == "en" else charter.summary
            block["signatures"] = list(charter.signatures.all())
            blocks.append(block)
        marketplaces = [
            {
                "marketplace": m,
                "label": display.charter_status_label(statuses.get(m.pk)),
                "status": (statuses.get(m.pk) or {}).get("status", "not_signatory"),
                "charter_title": _charter_title(statuses.get(m.pk)),
                "date": (statuses.get(m.pk) or {}).get("date"),
            }
            for m in published.marketplaces()
        ]
        return "barometer/charters.html", {"charters": blocks, "marketplaces": marketplaces}

    return _serve(request, ("charters",), build)


class _Nobody:
    """No marketplace: the charter registry page lists commitments without anyone's signatures."""

    pk = -1


@require_safe
def editions(request):
    def build():
        rows = [{**_edition_info(edition)} for edition in published.published_editions()]
        return "barometer/editions.html", {"editions": rows}

    return _serve(request, ("editions",), build)
