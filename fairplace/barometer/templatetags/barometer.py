"""Template helpers of the public barometer: server-drawn SVG charts (no script, no external
resource) and small formatting tags. Each chart is an image with an accessible name and
description; the page prints the same figures in a table next to it."""

import math
from dataclasses import dataclass

from django import template
from django.urls import translate_url
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from fairplace.barometer import display
from fairplace.barometer.display import Shown

register = template.Library()

WIDTH = 400
BAR_AREA = 300  # bars and whiskers from x=0 to BAR_AREA; the value text follows
ROW = 44
LABEL_Y = 15
BAR_Y = 22
BAR_HEIGHT = 14
AXIS = 26
# DSFR colours: blue-france-main-525 bars (3:1 against white), a near-black whisker over them.
COLOURS = {"bar": "#6a6af4", "whisker": "#161616", "grid": "#dddddd", "muted": "#666666"}
VALUE_X = BAR_AREA + 8


@dataclass
class ChartRow:
    label: str
    shown: Shown
    lang: str = ""  # lang attribute of the label, when it differs from the page's


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(rows: list[ChartRow], *, chart_id: str, title: str, description: str, scale: str = "percent") -> str:
    """Horizontal bars, one per row, with the Wilson interval as a whisker when there is one.
    Rows without a published value show their words ("moins de 5") instead of a bar."""
    if scale == "percent":
        top = 100.0
    else:
        top = _nice_max(max([row.shown.high or row.shown.value or 0 for row in rows] + [0]))
    height = ROW * len(rows) + AXIS

    def x(value: float) -> str:
        return _number(max(0.0, min(value, top)) / top * BAR_AREA)

    parts = [
        format_html(
            '<svg class="fp-chart" id="{id}" role="img" aria-labelledby="{id}-titre {id}-desc" focusable="false" '
            'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
            'xmlns="http://www.w3.org/2000/svg">'
            '<title id="{id}-titre">{title}</title><desc id="{id}-desc">{desc}</desc>',
            id=chart_id,
            w=WIDTH,
            h=height,
            title=title,
            desc=description,
        )
    ]
    # Grid: four quarters of the scale, labelled under the bars.
    for quarter in range(5):
        value = top * quarter / 4
        position = _number(BAR_AREA * quarter / 4)
        label = display.percent(value / 100, places=0) if scale == "percent" else display.decimal(value, 1)
        anchor = "start" if quarter == 0 else ("end" if quarter == 4 else "middle")
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="0" y2="{y}" stroke="{c}" stroke-width="1"/>'
                '<text x="{x}" y="{ty}" font-size="11" fill="{m}" text-anchor="{a}">{label}</text>',
                x=position,
                y=ROW * len(rows),
                c=COLOURS["grid"],
                ty=ROW * len(rows) + 16,
                m=COLOURS["muted"],
                a=anchor,
                label=label,
            )
        )
    for index, row in enumerate(rows):
        top_y = index * ROW
        shown = row.shown
        lang = format_html(' lang="{}"', row.lang) if row.lang else ""
        parts.append(format_html('<g class="fp-chart__row" data-status="{}">', shown.status))
        parts.append(
            format_html(
                '<text class="fp-chart__label" x="0" y="{y}" font-size="13" fill="#161616"{lang}>{label}</text>',
                y=top_y + LABEL_Y,
                lang=lang,
                label=row.label,
            )
        )
        if shown.value is not None:
            parts.append(
                format_html(
                    '<rect class="fp-chart__bar" x="0" y="{y}" width="{w}" height="{h}" fill="{c}" data-value="{v}"/>',
                    y=top_y + BAR_Y,
                    w=x(shown.value),
                    h=BAR_HEIGHT,
                    c=COLOURS["bar"],
                    v=_number(shown.value),
                )
            )
            if shown.low is not None and shown.high is not None:
                middle = top_y + BAR_Y + BAR_HEIGHT / 2
                parts.append(
                    format_html(
                        '<g class="fp-chart__interval" data-low="{lo}" data-high="{hi}" stroke="{c}" stroke-width="2">'
                        '<line x1="{x1}" x2="{x2}" y1="{m}" y2="{m}"/>'
                        '<line x1="{x1}" x2="{x1}" y1="{t}" y2="{b}"/>'
                        '<line x1="{x2}" x2="{x2}" y1="{t}" y2="{b}"/></g>',
                        lo=_number(shown.low),
                        hi=_number(shown.high),
                        c=COLOURS["whisker"],
                        x1=x(shown.low),
                        x2=x(shown.high),
                        m=_number(middle),
                        t=_number(middle - 6),
                        b=_number(middle + 6),
                    )
                )
            parts.append(
                format_html(
                    '<text class="fp-chart__value" x="{x}" y="{y}" font-size="13" font-weight="700" fill="#161616">'
                    "{text}</text>",
                    x=VALUE_X,
                    y=top_y + BAR_Y + BAR_HEIGHT - 2,
                    text=shown.text,
                )
            )
        else:
            parts.append(
                format_html(
                    '<text class="fp-chart__value fp-chart__value--none" x="{x}" y="{y}" font-size="13" '
                    'font-style="italic" fill="{m}">{text}</text>',
                    x=0,
                    y=top_y + BAR_Y + BAR_HEIGHT - 2,
                    m=COLOURS["muted"],
                    text=shown.text,
                )
            )
        parts.append(mark_safe("</g>"))  # noqa: S308 - a constant
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part is escaped above


@register.inclusion_tag("barometer/_figure.html")
def figure(shown: Shown, compact: bool = False):
    """A figure in a table cell: value, interval, details, rank and trend."""
    return {"shown": shown, "compact": compact}


@register.simple_tag
def trend(shown: Shown) -> SafeString:
    """The trend arrow with its words (visible to screen readers; the legend explains the
    arrows to everyone)."""
    if not shown.trend:
        return mark_safe("")  # noqa: S308 - empty
    words = _("%(trend)s par rapport à l'édition précédente") % {"trend": shown.trend_text}
    return format_html(
        '<span class="fp-trend fp-trend--{q}" title="{w}"><span aria-hidden="true">{s}</span>'
        '<span class="fr-sr-only">{w}</span></span>',
        q=shown.trend_quality or "neutral",
        w=words,
        s=shown.trend_symbol,
    )


LANGUAGES = (("fr", "Français"), ("en", "English"))


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """The same page in each language (the DSFR language switch), keeping the comparison's
    query string (``language_query`` in the context) and nothing else."""
    request = context.get("request")
    if request is None:
        return []
    current = display.current_language()
    query = context.get("language_query") or ""
    suffix = f"?{query}" if query else ""
    return [
        {"code": code, "name": name, "current": code == current, "url": translate_url(request.path, code) + suffix}
        for code, name in LANGUAGES
    ]


@register.filter(expects_localtime=True)
def long_date(value) -> str:
    """ "1er avril 2026" / "1 April 2026"."""
    if not value:
        return ""
    if display.current_language() == "en":
        return date_format(value, "j F Y")
    text = date_format(value, "j F Y")
    return "1er" + text[1:] if value.day == 1 else text


@register.filter
def paragraphs(text: str) -> SafeString:
    """Plain text (a platform's reply) as escaped paragraphs."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n") if block.strip()]
    return mark_safe(  # noqa: S308 - each block is escaped
        "".join("<p>" + escape(block).replace("\n", "<br>") + "</p>" for block in blocks)
    )
