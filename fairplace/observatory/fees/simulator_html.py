"""The HTML of the simulator's repeated parts, built in Python.

A 50-line mix across 20 marketplaces repeats a few fragments hundreds of times (the mix's
fieldsets, the ranking rows, each marketplace's details): through the template engine they cost
several times the whole simulation (``bench/simulator.py``). The page's layout stays in
``fees/simulator.html``; these functions write only the repeated fragments, with the same
DSFR markup. Every value that does not come from a constant of this module goes through
``escape``; the category options are built with ``format_html_join``.
"""

from html import escape as _escape

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .forms_simulator import plain_number
from .templatetags.fees import euros


def escape(value) -> str:
    """Text for HTML (the standard library's escape, quotes included: Django's conditional_escape
    does the same at several times the cost, and the values here are never SafeStrings)."""
    return _escape(str(value))


# --- The mix (form) ----------------------------------------------------------------------------

_OPTIONS: list = [None, ""]  # [the cached taxonomy list they were rendered from, the options]


def category_options(categories: list) -> str:
    """The <option> elements of the category select, rendered once per cached taxonomy."""
    source, options = _OPTIONS
    if source is not categories:
        options = format_html_join(
            "", '<option value="{}">{}</option>', ((category.code, category.label) for category in categories)
        )
        _OPTIONS[:] = [categories, options]
    return options


def select_option(options: str, code: str) -> str:
    if not code:
        return options
    # Both sides are escaped HTML: the options from format_html_join, the code through escape().
    option = f'<option value="{escape(code)}"'
    if f"{option}>" not in options:  # typed by hand or from an old link: kept, shown as typed
        return options + format_html('<option value="{}" selected>{}</option>', code, code)
    return mark_safe(options.replace(f"{option}>", f"{option} selected>", 1))  # noqa: S308


# The fields of one line of the mix (a phone shows them one under the other).
_INPUTS = (
    ("prix", "decimal", "fr-col-12 fr-col-sm-4 fr-col-md-3"),
    ("port", "decimal", "fr-col-6 fr-col-sm-4 fr-col-md-2"),
    ("quantite", "numeric", "fr-col-6 fr-col-sm-4 fr-col-md-3"),
)


def field_texts() -> dict[str, str]:
    """The fixed texts of a line, in the active language, escaped once for every line."""
    texts = {
        "categorie": _("Catégorie de produits"),
        "choose": _("Choisir une catégorie"),
        "legend": _("Produit %(number)s") % {"number": "{n}"},
        "prix": _("Prix TTC (€)"),
        "prix_hint": _("hors port, par article"),
        "port": _("Port (€)"),
        "port_hint": _("facturé, par article"),
        "quantite": _("Ventes par mois"),
        "quantite_hint": _("nombre d’articles"),
    }
    return {key: escape(value) for key, value in texts.items()}


def line_html(number, typed: dict, errors: dict, options: str, texts: dict) -> str:
    """One line of the mix as a DSFR fieldset (``number`` "__N__" for the script's model line)."""
    n = escape(number)

    def error_of(name):
        if not errors.get(name):
            return "", "", ""
        return (
            f' aria-describedby="ligne-{n}-{name}-erreur"',
            f'<p class="fr-error-text" id="ligne-{n}-{name}-erreur">{escape(errors[name])}</p>',
            "--error",
        )

    described, message, flag = error_of("categorie")
    parts = [
        f'<fieldset class="fr-fieldset fp-mix-line" id="ligne-{n}" aria-labelledby="ligne-{n}-legende" data-line>'
        f'<legend class="fr-fieldset__legend fr-text--bold" id="ligne-{n}-legende">'
        f"{texts['legend'].replace('{n}', n)}</legend>"
        f'<div class="fr-fieldset__element fr-col-12 fr-col-md-4">'
        f'<div class="fr-select-group{" fr-select-group" + flag if flag else ""}">'
        f'<label class="fr-label" for="ligne-{n}-categorie">{texts["categorie"]}</label>'
        f'<select class="fr-select{" fr-select" + flag if flag else ""}" id="ligne-{n}-categorie" name="categorie"'
        f'{described}><option value="">{texts["choose"]}</option>{options}</select>{message}</div></div>'
    ]
    for name, mode, columns in _INPUTS:
        described, message, flag = error_of(name)
        parts.append(
            f'<div class="fr-fieldset__element {columns}">'
            f'<div class="fr-input-group{" fr-input-group" + flag if flag else ""}">'
            f'<label class="fr-label" for="ligne-{n}-{name}">{texts[name]}'
            f'<span class="fr-hint-text">{texts[name + "_hint"]}</span></label>'
            f'<input class="fr-input{" fr-input" + flag if flag else ""}" type="text" inputmode="{mode}"'
            f' autocomplete="off" id="ligne-{n}-{name}" name="{name}" value="{escape(typed.get(name, ""))}"'
            f"{described}>{message}</div></div>"
        )
    parts.append("</fieldset>")
    return mark_safe("".join(parts))  # noqa: S308 - see the docstring


def mix_summary(lines: list, labels: dict[str, str]) -> str:
    """The mix as a table (a long mix, once computed: shown above the results instead of its fields)."""
    headings = [
        _("Produit"),
        _("Catégorie"),
        _("Prix TTC"),
        _("Port"),
        _("Ventes par mois"),
        _("Chiffre d’affaires par mois"),
    ]
    head = "".join(f'<th scope="col">{escape(heading)}</th>' for heading in headings)
    rows = "".join(
        f'<tr><th scope="row">{number}</th><td>{escape(labels.get(line.category, line.category))}</td>'
        f"<td>{euros(line.unit_price)}</td><td>{euros(line.shipping)}</td><td>{line.units}</td>"
        f"<td>{euros((line.unit_price + line.shipping) * line.units)}</td></tr>"
        for number, line in enumerate(lines, start=1)
    )
    caption = escape(_("Votre mix de produits (%(count)s lignes)") % {"count": len(lines)})
    return mark_safe(  # noqa: S308 - every value escaped above
        '<div class="fr-table fr-table--sm fr-table--bordered"><div class="fr-table__wrapper">'
        '<div class="fr-table__container"><div class="fr-table__content">'
        f'<table id="mix"><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>'
        "</table></div></div></div></div>"
    )


def hidden_mix(lines: list) -> str:
    """The mix as hidden fields of the form, for the buttons that send it again (line-by-line detail)."""
    fields = "".join(
        f'<input type="hidden" name="categorie" value="{escape(line.category)}">'
        f'<input type="hidden" name="prix" value="{plain_number(line.unit_price)}">'
        f'<input type="hidden" name="port" value="{plain_number(line.shipping)}">'
        f'<input type="hidden" name="quantite" value="{line.units}">'
        for line in lines
    )
    return mark_safe(fields)  # noqa: S308 - the category escaped, the numbers formatted here


# --- The results -------------------------------------------------------------------------------


def _cell(cell, unpublished: str) -> str:
    return unpublished if not cell.published else euros(cell.value)


def _items(texts, css: str = "") -> str:
    items = "".join(f"<li>{escape(text)}</li>" for text in texts)
    return f'<ul class="{css}">{items}</ul>' if css else f"<ul>{items}</ul>"


def ranking_rows(results: list, columns: int, has_incomplete: bool) -> str:
    """The <tr> of the ranking table: complete results ranked, then a heading row and the
    incomplete ones, unranked."""
    per_month, not_ranked = escape(_("par mois")), escape(_("non classé"))
    unpublished = f'<span class="fr-text--xs">{escape(_("non publié"))}</span>'
    heading = escape(
        _("Résultats incomplets, non classés : une partie des frais n’est pas connue, le total est un minimum.")
    )
    rows, in_incomplete = [], False
    for shown in results:
        result, schedule = shown.result, shown.schedule
        if not result.complete and not in_incomplete:
            in_incomplete = True
            rows.append(
                f'<tr class="fp-incomplete-heading"><th scope="colgroup" colspan="{columns + 7}">{heading}</th></tr>'
            )
        slug, total = escape(schedule.marketplace_slug), escape(shown.total_text)
        rank = escape(shown.rank_label) if shown.rank_label else f'<span class="fr-text--xs">{not_ranked}</span>'
        cells = "".join(f"<td>{_cell(cell, unpublished)}</td>" for cell in shown.cells)
        reasons = ""
        if has_incomplete:
            reasons = (
                f'<td class="fp-reasons">{_items(shown.reasons, "fr-text--xs fr-mb-0")}</td>'
                if shown.reasons
                else '<td class="fp-reasons">—</td>'
            )
        rows.append(
            f'<tr data-marketplace="{slug}" data-complete="{"oui" if result.complete else "non"}">'
            f"<td>{rank}</td>"
            f'<th scope="row"><a href="#detail-{slug}">{escape(schedule.marketplace_name)}</a>'
            # The total under the name on a phone, where the table scrolls; read once, in its column.
            f'<span class="fr-hidden-md fr-text--xs" aria-hidden="true"><br>{total} {per_month}</span></th>'
            f"<td>{escape(shown.plan)}</td>{cells}"
            f'<td class="fp-total">{f"<strong>{total}</strong>" if result.complete else total}</td>'
            f"<td>{escape(shown.net_text)}</td><td>{escape(shown.rate_text)}</td>{reasons}</tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped above


class _DetailTexts:
    """The fixed words of the details blocks, translated once per page."""

    def __init__(self):
        self.per_month = escape(_("par mois"))
        self.seed_flag = escape(_("donnée de référence initiale, à revérifier"))
        self.full_grid = escape(_("la grille complète"))
        self.source_title = escape(_("Source de la grille — nouvelle fenêtre"))
        self.source = escape(_("Source"))
        self.no_source = escape(_("source non précisée"))
        self.other_plans = escape(_("Autres formules, pour la même activité :"))
        self.missing = escape(_("Données manquantes :"))
        self.notes = escape(_("Remarques sur la grille :"))
        self.subscription = escape(_("Abonnement de la formule retenue :"))
        self.line_detail = escape(_("Voir le détail ligne par ligne pour"))


def _source(schedule, texts: _DetailTexts) -> str:
    if schedule.source_url:
        label = escape(schedule.source_document) if schedule.source_document else texts.source
        return (
            f'<a class="fr-link fr-text--sm" href="{escape(schedule.source_url)}" rel="noopener noreferrer '
            f'external" target="_blank" title="{texts.source_title}">{label}</a>'
        )
    if schedule.source_document:
        return f"{texts.source} : {escape(schedule.source_document)}"
    return texts.no_source


def _lines_table(shown, line_columns: list) -> str:
    caption = escape(
        _("%(name)s : frais par ligne et par mois, formule %(plan)s")
        % {"name": shown.schedule.marketplace_name, "plan": shown.plan}
    )
    headings = [
        _("Ligne"),
        _("Catégorie"),
        _("Articles"),
        _("Chiffre d’affaires"),
        *(label for _kind, label in line_columns),
        _("Frais de la ligne"),
    ]
    head = "".join(f'<th scope="col">{escape(heading)}</th>' for heading in headings)
    body = []
    for line in shown.lines:
        cells = "".join(f"<td>{'—' if not cell.published else euros(cell.value)}</td>" for cell in line.cells)
        body.append(
            f'<tr><th scope="row">{line.number}</th>'
            f"<td>{escape(line.category)} ({euros(line.line.unit_price)})</td><td>{line.line.units}</td>"
            f"<td>{euros(line.turnover)}</td>{cells}<td>{escape(line.total_text)}</td></tr>"
        )
    return (
        '<div class="fr-table fr-table--sm fr-table--bordered fr-mb-2w"><div class="fr-table__wrapper">'
        '<div class="fr-table__container"><div class="fr-table__content">'
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></div></div></div></div>"
    )


def details(results: list, *, detail: str, line_columns: list, page_path: str) -> str:
    """One <details> per marketplace: grid, reliability, source, the line-by-line breakdown (or
    the button that asks for it), the plan, the other plans, what is missing, the notes."""
    texts, blocks = _DetailTexts(), []
    for shown in results:
        schedule = shown.schedule
        slug, name = escape(schedule.marketplace_slug), escape(schedule.marketplace_name)
        seed = (
            f' <span class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon">{texts.seed_flag}</span>'
            if schedule.is_seed
            else ""
        )
        if shown.lines:
            lines = _lines_table(shown, line_columns)
        else:  # submits the mix form with detail=<slug>: no copy of the long query in every block
            lines = (
                f'<p><button class="fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-table-line" '
                f'type="submit" form="simulateur" name="detail" value="{slug}" '
                f'formaction="{escape(page_path)}#detail-{slug}">{texts.line_detail} {name}</button></p>'
            )
        parts = [
            f'<details class="fr-mb-2w" id="detail-{slug}"{" open" if detail == schedule.marketplace_slug else ""}>',
            f"<summary><strong>{name}</strong> — {escape(shown.total_text)} {texts.per_month}</summary>",
            f'<p class="fr-mt-2w">{escape(shown.effective_text)} · <span class="fr-badge fr-badge--sm '
            f'fr-badge--{escape(shown.reliability_badge)}">{escape(shown.reliability)}</span>{seed} · '
            f'{_source(schedule, texts)} · <a class="fr-link fr-text--sm" href="{escape(shown.grid_url)}">'
            f"{texts.full_grid}</a></p>",
            lines,
            f"<p>{texts.subscription} {euros(shown.result.best.subscription)} {texts.per_month}.</p>",
        ]
        if shown.other_plans:
            parts.append(
                f'<p class="fr-mb-1v">{texts.other_plans}</p>'
                + _items(f"{plan.name} : {plan.text} {_('par mois')}" for plan in shown.other_plans)
            )
        if shown.reasons:
            parts.append(f'<p class="fr-mb-1v">{texts.missing}</p>{_items(shown.reasons)}')
        if shown.notes:
            parts.append(f'<p class="fr-mb-1v">{texts.notes}</p>{_items(shown.notes, "fr-text--sm")}')
        parts.append("</details>")
        blocks.append("".join(parts))
    return mark_safe("".join(blocks))  # noqa: S308 - every value escaped above
