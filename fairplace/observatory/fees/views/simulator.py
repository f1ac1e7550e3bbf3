"""The fee simulator (/observatoire/frais/simulateur/): a seller's product mix → what each
marketplace would charge per month, ranked; the same query as a CSV for a spreadsheet.

Thin: the form reads the query (``forms_simulator``), the engine computes (``simulator``), this
module only arranges the results for the page and the CSV. Categories, schedules and
marketplaces come from the reference cache, so a warm request makes no SQL query.
"""

import csv
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from fairplace.core.spreadsheets import spreadsheet_safe
from fairplace.platforms.queries import active_marketplaces

from .. import catalogue, simulator, wording
from .. import simulator_html as html
from ..forms_simulator import MAX_LINES, MixForm
from ..models import ComponentKind
from ..templatetags.fees import euros, long_date, percent

# Column headings of the component kinds, in the engine's order.
KIND_COLUMNS = {
    ComponentKind.SUBSCRIPTION: "Abonnement",
    ComponentKind.COMMISSION: "Commission",
    ComponentKind.PER_ITEM: "Frais fixes",
    ComponentKind.PAYMENT: "Paiement",
    ComponentKind.FULFILMENT: "Logistique",
    ComponentKind.OTHER_RATE: "Autres frais",
}
# "… inconnue" in the reasons of an incomplete result.
UNKNOWN_KINDS = {
    ComponentKind.SUBSCRIPTION: "abonnement inconnu",
    ComponentKind.COMMISSION: "commission inconnue",
    ComponentKind.PER_ITEM: "frais fixes par article inconnus",
    ComponentKind.PAYMENT: "frais de paiement inconnus",
    ComponentKind.FULFILMENT: "frais de logistique inconnus",
    ComponentKind.OTHER_RATE: "autres frais inconnus",
}
CSV_FILENAME = "fairplace-simulation-frais.csv"
# Up to this many lines, every marketplace's details show the mix line by line; above, only the
# marketplace asked for with ``detail=<slug>`` does (a page of 20 × 100 rows helps no one, on a
# phone least of all, and costs more to build than the rest of the page).
INLINE_LINES = 10
DETAIL_PARAM = "detail"
EDIT_PARAM = "modifier"


# Presentation --------------------------------------------------------------------------------


@dataclass
class Cell:
    value: Decimal | None
    published: bool = True  # False: a fee the schedule does not publish (not counted)


@dataclass
class ShownPlan:
    name: str
    total: Decimal
    complete: bool

    @property
    def text(self) -> str:
        return total_text(self.total, self.complete)


@dataclass
class ShownLine:
    number: int
    category: str
    line: simulator.MixLine
    turnover: Decimal
    cells: list[Cell]
    total: Decimal
    complete: bool

    @property
    def total_text(self) -> str:
        return total_text(self.total, self.complete)


@dataclass
class ShownResult:
    result: simulator.MarketplaceResult
    rank_label: str
    plan: str
    cells: list[Cell]
    reasons: list[str]
    lines: list[ShownLine] = field(default_factory=list)
    other_plans: list[ShownPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The figures as written on the page (a minimum or a maximum when the result is incomplete).
    total_text: str = ""
    net_text: str = ""
    rate_text: str = ""
    effective_text: str = ""
    grid_url: str = ""

    @property
    def schedule(self):
        return self.result.schedule

    @property
    def reliability(self) -> str:
        return wording.reliability_short(self.schedule.reliability)

    @property
    def reliability_badge(self) -> str:
        return wording.reliability_badge(self.schedule.reliability)


def total_text(total: Decimal, complete: bool) -> str:
    return euros(total) if complete else _("au moins %(amount)s") % {"amount": euros(total)}


def rank_label(result: simulator.MarketplaceResult) -> str:
    if result.rank is None:
        return ""
    label = _("1er") if result.rank == 1 else _("%(rank)se") % {"rank": result.rank}
    return f"{label} {_('ex aequo')}" if result.tied else label


def plan_label(result: simulator.MarketplaceResult, plan: str) -> str:
    if plan:
        return plan
    return _("formule unique") if result.schedule.plans else _("formule non relevée")


def columns_of(simulation: simulator.Simulation) -> list[str]:
    """The kinds some result counts, in the engine's order (subscription and commission always)."""
    present = {kind for result in simulation.results for kind in result.best.components}
    return [kind for kind in simulator.KIND_ORDER if kind in present]


def reasons_of(result: simulator.MarketplaceResult, labels: dict[str, str]) -> list[str]:
    """Why an incomplete result is incomplete: "commission inconnue : Mode, à partir de 20 € — …"."""
    reasons: list[str] = []
    best = result.best
    if best.components.get(ComponentKind.SUBSCRIPTION, Decimal(0)) is None:
        why = (
            _("montant de la formule non relevé") if result.schedule.plans else _("aucune formule d'abonnement relevée")
        )
        reasons.append(f"{UNKNOWN_KINDS[ComponentKind.SUBSCRIPTION]} — {why}")
    for unknown in best.unknowns:
        rules = unknown.rules
        where = next((rule.platform_category for rule in rules if rule.platform_category), "")
        where = where or labels.get(unknown.category, unknown.category)
        bands = [wording.band_label(rule.price_from, rule.price_to) for rule in rules if rule.is_banded]
        subject = ", ".join([where, *(band for band in bands[:1] if band)])
        text = f"{UNKNOWN_KINDS[unknown.kind]} : {subject} — {unknown.reason or _('valeur non relevée')}"
        if text not in reasons:
            reasons.append(text)
    return reasons


def present(
    simulation: simulator.Simulation, labels: dict[str, str], columns: list[str], detailed=lambda slug: True
) -> list[ShownResult]:
    """The results as the page shows them; the line-by-line breakdown only for the marketplaces
    ``detailed(slug)`` accepts."""
    shown = []
    # Words and links said for every marketplace: translated and reversed once per page.
    at_most, at_least = _("au plus %(amount)s"), _("au moins %(rate)s")
    in_force = _("Grille en vigueur depuis le %(day)s")
    grid_path = reverse("fees:marketplace", args=["__slug__"])
    days: dict = {}
    for result in simulation.results:
        best = result.best
        cells = [
            Cell(best.components[kind]) if kind in best.components else Cell(None, published=False) for kind in columns
        ]
        item = ShownResult(
            result,
            rank_label(result),
            plan_label(result, best.plan),
            cells,
            [] if result.complete else reasons_of(result, labels),
        )
        for number, line_result in enumerate(best.lines if detailed(result.schedule.marketplace_slug) else (), start=1):
            fees = [
                Cell(simulator.cents(line_result.fees[kind]))
                if kind in best.components
                else Cell(None, published=False)
                for kind in columns
                if kind != ComponentKind.SUBSCRIPTION
            ]
            known = [cell.value for cell in fees if cell.published and cell.value is not None]
            item.lines.append(
                ShownLine(
                    number,
                    labels.get(line_result.line.category, line_result.line.category),
                    line_result.line,
                    simulator.cents(line_result.turnover),
                    fees,
                    sum(known, Decimal(0)),
                    all(cell.value is not None for cell in fees if cell.published),
                )
            )
        item.other_plans = [
            ShownPlan(plan_label(result, plan.plan), plan.total_known, plan.complete) for plan in result.other_plans
        ]
        item.notes = result.notes  # walks every line's rules: once
        item.total_text = total_text(result.total, result.complete)
        net, rate = euros(result.net_revenue), percent(result.effective_rate)
        item.net_text = net if result.complete else at_most % {"amount": net}
        item.rate_text = rate if result.complete else at_least % {"rate": rate}
        day = result.schedule.effective_on
        if day not in days:
            days[day] = in_force % {"day": long_date(day)}
        item.effective_text = days[day]
        item.grid_url = grid_path.replace("__slug__", result.schedule.marketplace_slug)
        shown.append(item)
    return shown


# Views ---------------------------------------------------------------------------------------


def _form(request) -> tuple[MixForm, dict[str, str]]:
    categories = catalogue.categories()
    labels = {category.code: category.label for category in categories}
    return MixForm(request.GET, labels), labels


@require_safe
def simulate(request):
    form, labels = _form(request)
    # A long mix, once computed, is summed up above the results (the results come first, not after
    # dozens of fields); "Modifier" (?modifier=1) gives the fields back.
    summary = form.is_valid() and len(form.lines) > INLINE_LINES and EDIT_PARAM not in request.GET
    options, texts = html.category_options(catalogue.categories()), html.field_texts()
    lines_html = (
        []
        if summary
        else [
            html.line_html(
                row.number, row.typed, row.errors, html.select_option(options, row.typed["categorie"]), texts
            )
            for row in form.rows
        ]
    )
    context = {
        "form": form,
        "lines_html": lines_html,
        "model_line": html.line_html("__N__", {}, {}, options, texts),
        "assumptions": simulator.ASSUMPTIONS,
        "max_lines": MAX_LINES,
    }
    if summary:
        context.update(
            mix_summary=html.mix_summary(form.lines, labels),
            hidden_mix=html.hidden_mix(form.lines),
            edit_path=f"{reverse('fees:simulator')}?{form.query}&{EDIT_PARAM}=1#lignes",
        )
    if form.is_valid():
        simulation = simulator.simulate(form.lines)
        columns = columns_of(simulation)
        covered = {result.schedule.marketplace_slug for result in simulation.results}
        page = reverse("fees:simulator")
        share_path = f"{page}?{form.query}"
        detail = request.GET.get(DETAIL_PARAM, "")
        inline = len(form.lines) <= INLINE_LINES
        results = present(simulation, labels, columns, lambda slug: inline or slug == detail)
        has_incomplete = any(not result.complete for result in simulation.results)
        line_columns = [(kind, KIND_COLUMNS[kind]) for kind in columns if kind != ComponentKind.SUBSCRIPTION]
        context.update(
            simulation=simulation,
            columns=[(kind, KIND_COLUMNS[kind]) for kind in columns],
            results=results,
            ranking_rows=html.ranking_rows(results, len(columns), has_incomplete),
            details_html=html.details(results, detail=detail, line_columns=line_columns, page_path=page),
            has_incomplete=has_incomplete,
            without_grid=[m for m in active_marketplaces() if m.slug not in covered],
            page_path=page,
            share_path=share_path,
            share_url=request.build_absolute_uri(share_path),
            csv_path=f"{reverse('fees:simulator_csv')}?{form.query}",
        )
    return render(request, "fees/simulator.html", context, status=422 if form.errors else 200)


CSV_HEADER = (
    "rang",
    "place de marché",
    "formule",
    "abonnement",
    "commission",
    "frais fixes",
    "paiement",
    "logistique",
    "autres frais",
    "total mensuel",
    "complet",
    "chiffre d'affaires",
    "revenu net",
    "taux effectif (%)",
    "grille en vigueur depuis",
    "fiabilité",
    "source",
)
CSV_KINDS = tuple(KIND_COLUMNS)


@require_safe
def export_csv(request):
    form, labels = _form(request)
    if not form.is_valid():
        errors = form.errors or [_("Saisissez au moins une ligne : une catégorie, un prix et des ventes par mois.")]
        text = "\n".join(
            [
                _("La simulation ne peut pas être calculée :"),
                *(f"- {getattr(error, 'message', error)}" for error in errors),
            ]
        )
        return HttpResponse(text + "\n", status=422, content_type="text/plain; charset=utf-8")
    simulation = simulator.simulate(form.lines)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{CSV_FILENAME}"'
    response.write("\ufeff")  # French Excel reads UTF-8 only with a byte-order mark
    writer = csv.writer(response, delimiter=";")
    writer.writerow(CSV_HEADER)
    for result in simulation.results:
        writer.writerow(_csv_row(result))
    return response


def _csv_row(result: simulator.MarketplaceResult) -> list[str]:
    best, schedule = result.best, result.schedule
    fees = [(_number(best.components[kind]) if kind in best.components else _("non publié")) for kind in CSV_KINDS]
    return [
        str(result.rank) if result.rank is not None else "",
        spreadsheet_safe(schedule.marketplace_name),
        spreadsheet_safe(plan_label(result, best.plan)),
        *fees,
        _number(result.total),
        _("oui") if result.complete else _("non"),
        _number(result.turnover),
        _number(result.net_revenue),
        _number(result.effective_rate),
        schedule.effective_on.strftime("%d/%m/%Y"),
        spreadsheet_safe(wording.reliability_short(schedule.reliability)),
        spreadsheet_safe(schedule.source_url or schedule.source_document),
    ]


def _number(value: Decimal | None) -> str:
    """Decimal comma, two places, no thousands separator (a French spreadsheet reads it as a number)."""
    if value is None:
        return _("inconnu")
    return f"{value:.2f}".replace(".", ",")
