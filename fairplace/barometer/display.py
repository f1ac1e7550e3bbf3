"""How a published figure reads, in French or in English.

Every public page, chart and table goes through ``show(figure, indicator)``: it turns an
``EditionFigure`` into texts ("43,2 %", "[38,1 % – 48,4 %]", "moins de 5", "aucun cas",
"échantillon insuffisant (n = 7)", "1er ex aequo") and, only for published values, the numbers a
chart draws. A null field never becomes a number: a figure whose status is not "ok" has no
value to draw and its text says why.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .indicators import Indicator

NBSP = "\u00a0"  # before "%" and inside numbers in French, so that they never break across lines
THIN_NBSP = "\u202f"  # French thousands separator

# Public names of the problem families (the form words them as the seller speaks: "Mon compte
# vendeur a été suspendu"); an unknown code is shown as is.
FAMILY_NAMES = {
    "DEREF": gettext_lazy("Offres retirées ou bloquées"),
    "SUSP": gettext_lazy("Compte vendeur suspendu ou fermé"),
    "FUNDS": gettext_lazy("Fonds bloqués par la plateforme"),
    "TCCHG": gettext_lazy("Conditions changées sans préavis"),
    "FEES": gettext_lazy("Frais et commissions"),
    "CONTACT": gettext_lazy("Impossible de joindre un interlocuteur"),
    "RANK": gettext_lazy("Produits moins visibles"),
    "COUNTERFEIT-VICTIM": gettext_lazy("Produits copiés par d'autres vendeurs"),
    "COUNTERFEIT-ACCUSED": gettext_lazy("Accusation de contrefaçon contestée"),
    "REVIEWS": gettext_lazy("Sanctions liées aux avis ou aux indicateurs"),
    "GUARANTEE": gettext_lazy("Remboursements imposés au vendeur"),
    "PARITY": gettext_lazy("Prix imposés"),
    "SELFPREF": gettext_lazy("Concurrence de la plateforme avec les données du vendeur"),
    "CLAUSES": gettext_lazy("Clauses de contrat déséquilibrées"),
    "DATA-EXIT": gettext_lazy("Données perdues au départ de la plateforme"),
    "REDRESS": gettext_lazy("Réclamation sans suite"),
    "KYB": gettext_lazy("Compte bloqué pour vérification d'identité"),
    "COMPLIANCE-BLOCK": gettext_lazy("Produits bloqués pour non-conformité"),
    "OTHER": gettext_lazy("Autre problème"),
}

TREND_SYMBOLS = {"up": "↑", "down": "↓", "stable": "→"}


def family_name(code: str) -> str:
    return str(FAMILY_NAMES.get(code, code))


def current_language() -> str:
    return "en" if (translation.get_language() or "fr").startswith("en") else "fr"


def suppress_below() -> int:
    return settings.FAIRPLACE_BAROMETER["SUPPRESS_BELOW"]


# --- Numbers ------------------------------------------------------------------------------


def decimal(value: float, places: int = 1, lang: str | None = None) -> str:
    """``value`` with ``places`` decimals, a decimal comma in French, no trailing ",0"."""
    lang = lang or current_language()
    text = f"{value:,.{places}f}"
    if places and text.endswith("." + "0" * places):
        text = text[: -places - 1]
    if lang == "en":
        return text
    return text.replace(",", THIN_NBSP).replace(".", ",")


def integer(value: int, lang: str | None = None) -> str:
    lang = lang or current_language()
    text = f"{int(value):,}"
    return text if lang == "en" else text.replace(",", THIN_NBSP)


def percent(share: float, lang: str | None = None, places: int = 1) -> str:
    """0.432 → "43,2 %" (French) or "43.2%" (English)."""
    lang = lang or current_language()
    number = f"{share * 100:.{places}f}"
    if lang == "en":
        return f"{number}%"
    return f"{number.replace('.', ',')}{NBSP}%"


def interval(low: float, high: float, lang: str | None = None) -> str:
    """The Wilson interval of a rate: "[38,1 % – 48,4 %]"."""
    return f"[{percent(low, lang)} – {percent(high, lang)}]"


def days(value: float, lang: str | None = None) -> str:
    """A duration in days: "4,5 jours", "1 jour", "0,5 jour"."""
    lang = lang or current_language()
    number = decimal(value, 1, lang)
    if lang == "en":
        return f"{number} day" if value == 1 else f"{number} days"
    return f"{number}{NBSP}jour" if value < 2 else f"{number}{NBSP}jours"


def ordinal(rank: int, lang: str | None = None) -> str:
    lang = lang or current_language()
    if lang == "en":
        suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
        return f"{rank}{suffix}"
    return "1er" if rank == 1 else f"{rank}e"


def rank_text(rank: int | None, ranked_count: int | None, tied: bool = False, lang: str | None = None) -> str:
    """ "1er", "2e ex aequo", "2e ex aequo sur 8"; "" when not ranked."""
    if rank is None:
        return ""
    lang = lang or current_language()
    if lang == "en":
        text = f"joint {ordinal(rank, lang)}" if tied else ordinal(rank, lang)
        return f"{text} of {ranked_count}" if ranked_count else text
    text = f"{ordinal(rank, lang)} ex aequo" if tied else ordinal(rank, lang)
    return f"{text} sur {ranked_count}" if ranked_count else text


# --- Figures ------------------------------------------------------------------------------


@dataclass
class Shown:
    """What a page prints for one figure. ``value``/``low``/``high`` are what a chart draws
    (percent 0–100, days, count or per-thousand), None unless the figure is published."""

    status: str
    text: str
    interval: str = ""
    detail: str = ""
    rank: str = ""
    trend: str = ""
    trend_symbol: str = ""
    trend_text: str = ""
    trend_quality: str = ""  # "better" / "worse" / "" (colour only; the words carry the meaning)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.value is not None


def status_text(status: str, n: int | None = None, lang: str | None = None) -> str:
    """The words for a figure that carries no published value."""
    lang = lang or current_language()
    with translation.override(lang):
        if status == "none":
            return _("aucun cas")
        if status == "below_5":
            return _("moins de %(threshold)s") % {"threshold": suppress_below()}
        if status == "insufficient":
            if n is None:
                return _("échantillon insuffisant")
            return _("échantillon insuffisant (n = %(n)s)") % {"n": integer(n, lang)}
        if status == "unknown":
            return _("non disponible")
        return _("non publié")


def _trend(shown: Shown, trend: str, indicator: Indicator) -> None:
    if trend not in TREND_SYMBOLS:
        return
    shown.trend = trend
    shown.trend_symbol = TREND_SYMBOLS[trend]
    shown.trend_text = {"up": _("en hausse"), "down": _("en baisse"), "stable": _("stable")}[trend]
    if trend != "stable" and indicator.higher_is_better is not None:
        shown.trend_quality = "better" if (trend == "up") == indicator.higher_is_better else "worse"


def show(figure, indicator: Indicator, *, tied: bool = False, lang: str | None = None) -> Shown:
    """The texts of one ``EditionFigure`` (``figure`` may be None: "non publié")."""
    lang = lang or current_language()
    with translation.override(lang):
        if figure is None:
            return Shown(status="missing", text=_("non publié"))
        if indicator.kind in ("rate", "breakdown"):
            shown = _show_rate(figure, lang)
        elif indicator.kind == "distribution":
            shown = _show_distribution(figure, lang)
        elif indicator.kind == "per_thousand":
            shown = _show_per_thousand(figure, lang)
        else:
            shown = _show_count(figure, lang)
        if figure.status == "ok":
            shown.rank = rank_text(figure.rank, figure.ranked_count, tied, lang)
            _trend(shown, figure.trend, indicator)
        return shown


def _show_rate(figure, lang: str) -> Shown:
    if figure.status == "ok" and figure.value is not None:
        shown = Shown(status="ok", text=percent(figure.value, lang), value=round(figure.value * 100, 1))
        if figure.ci_low is not None and figure.ci_high is not None:
            shown.interval = interval(figure.ci_low, figure.ci_high, lang)
            shown.low, shown.high = round(figure.ci_low * 100, 1), round(figure.ci_high * 100, 1)
        if figure.k is not None and figure.n is not None:
            shown.detail = _("%(k)s sur %(n)s") % {"k": integer(figure.k, lang), "n": integer(figure.n, lang)}
        return shown
    status = figure.status if figure.status != "ok" else "unknown"
    shown = Shown(status=status, text=status_text(status, figure.n, lang))
    if status == "below_5" and figure.n is not None:
        shown.text = _("moins de %(threshold)s cas sur %(n)s") % {
            "threshold": suppress_below(),
            "n": integer(figure.n, lang),
        }
    return shown


def _show_count(figure, lang: str) -> Shown:
    if figure.status == "ok" and figure.n is not None:
        return Shown(status="ok", text=integer(figure.n, lang), value=float(figure.n))
    status = figure.status if figure.status != "ok" else "unknown"
    return Shown(status=status, text=status_text(status, None, lang))


def _show_per_thousand(figure, lang: str) -> Shown:
    extra = figure.extra or {}
    if figure.status == "ok" and figure.value is not None:
        shown = Shown(status="ok", text=decimal(figure.value, 1, lang), value=round(figure.value, 1))
        if extra.get("sellers"):
            shown.detail = _("%(sellers)s vendeurs") % {"sellers": integer(extra["sellers"], lang)}
        if extra.get("source"):
            shown.notes.append(_("Source du nombre de vendeurs : %(source)s") % {"source": extra["source"]})
        return shown
    status = figure.status if figure.status != "ok" else "unknown"
    return Shown(status=status, text=status_text(status, figure.n, lang))


def _show_distribution(figure, lang: str) -> Shown:
    extra = figure.extra or {}
    if figure.status == "ok" and figure.value is not None:
        shown = Shown(status="ok", text=days(figure.value, lang), value=round(figure.value, 1))
        if figure.ci_low is not None and figure.ci_high is not None:
            shown.interval = f"[{decimal(figure.ci_low, 1, lang)} – {days(figure.ci_high, lang)}]"
            shown.low, shown.high = round(figure.ci_low, 1), round(figure.ci_high, 1)
        if figure.p90 is not None:
            shown.detail = _("9 réponses sur 10 en %(p90)s au plus") % {"p90": days(figure.p90, lang)}
        if figure.n is not None:
            shown.notes.append(ngettext("%(n)s réponse", "%(n)s réponses", figure.n) % {"n": integer(figure.n, lang)})
    else:
        status = figure.status if figure.status != "ok" else "unknown"
        shown = Shown(status=status, text=status_text(status, figure.n, lang))
    awaiting = count_text(extra.get("awaiting"), extra.get("awaiting_status"), lang)
    if awaiting:
        overdue = count_text(extra.get("awaiting_overdue"), extra.get("awaiting_overdue_status"), lang)
        if overdue:
            shown.notes.append(
                _("Encore sans réponse : %(awaiting)s, dont %(overdue)s hors délai")
                % {"awaiting": awaiting, "overdue": overdue}
            )
        else:
            shown.notes.append(_("Encore sans réponse : %(awaiting)s") % {"awaiting": awaiting})
    return shown


def count_text(value: int | None, status: str | None, lang: str | None = None) -> str:
    """A suppressed count from an ``extra`` field: the number when "ok", else the status words;
    "" when nothing is known."""
    lang = lang or current_language()
    if status in (None, "", "ok"):
        return integer(value, lang) if value is not None else ""
    return status_text(status, None, lang)


def charter_status_label(status: dict | None, lang: str | None = None) -> str:
    """The label of an entry of ``charters.charter_statuses()``."""
    lang = lang or current_language()
    if not status:
        with translation.override(lang):
            return _("Non signataire")
    label = status.get("label_en") if lang == "en" else status.get("label")
    if label:
        return label
    with translation.override(lang):
        return {
            "signed": _("Signataire"),
            "refused": _("A refusé de signer"),
            "withdrawn": _("S'est retiré"),
            "not_signatory": _("Non signataire"),
        }.get(status.get("status"), "")
