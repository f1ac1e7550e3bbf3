"""The PDF of a published edition (WeasyPrint), built once and kept in ``Edition.pdf``.

The PDF is French whoever asks first (the stored file is shared). Its tables are built from
``opendata.edition_rows`` — the same publishable rows as the open data — and worded by
``display.show``, so the PDF says "moins de 5" exactly where the pages and the files do.
WeasyPrint fetches nothing: the stylesheet is inline, the fonts are the system's DejaVu (through
fontconfig), and the URL fetcher accepts ``data:`` URLs only.
"""

import logging
from collections import defaultdict
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import display, opendata
from .indicators import all_indicators
from .models import Edition, PlatformReply

logger = logging.getLogger(__name__)


def _fetcher():
    from weasyprint.urls import URLFetcher

    # No network, no local files: only what the document carries itself.
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def _figure(row: dict) -> SimpleNamespace:
    """A row of the open data in the shape ``display.show`` reads (an ``EditionFigure``)."""
    extra = {
        "awaiting": row["awaiting"],
        "awaiting_status": row["awaiting_status"],
        "awaiting_overdue": row["awaiting_overdue"],
        "awaiting_overdue_status": row["awaiting_overdue_status"],
        "sellers": row["sellers"],
        "source": row["sellers_source"],
        "source_url": row["sellers_source_url"],
    }
    return SimpleNamespace(
        status=row["status"],
        n=row["n"],
        k=row["k"],
        value=row["value"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        p90=row["p90"],
        rank=row["rank"],
        ranked_count=row["ranked_count"],
        trend=row["trend"] or "",
        extra=extra,
    )


def _counts(row: dict) -> str:
    """The effective of a line, as published: n when shown, else nothing."""
    return display.integer(row["n"], "fr") if row["n"] is not None else "—"


def indicator_tables(rows: list[dict]) -> list[dict]:
    """One table per indicator: its lines (marketplace, family), worded in French."""
    by_indicator = defaultdict(list)
    ties = defaultdict(int)
    for row in rows:
        by_indicator[row["indicator"]].append(row)
        if row["rank"] is not None:
            ties[(row["indicator"], row["breakdown"], row["rank"])] += 1
    tables = []
    for indicator in all_indicators():
        lines = []
        for row in by_indicator.get(indicator.code, []):
            tied = ties[(row["indicator"], row["breakdown"], row["rank"])] > 1
            shown = display.show(_figure(row), indicator, tied=tied, lang="fr")
            lines.append(
                {
                    "marketplace": row["marketplace_name"],
                    "breakdown": display.family_name(row["breakdown"]) if row["breakdown"] else "",
                    "status": row["status"],
                    "text": shown.text,
                    "interval": shown.interval,
                    "n": _counts(row),
                    "detail": shown.detail,
                    "rank": shown.rank,
                    "trend": shown.trend_text,
                    "notes": shown.notes,
                    "source_url": row["sellers_source_url"] or "",
                }
            )
        tables.append(
            {
                "indicator": indicator,
                "lines": lines,
                "has_breakdown": indicator.kind == "breakdown",
                "ranked": indicator.higher_is_better is not None,
            }
        )
    return tables


def pdf_context(edition: Edition) -> dict:
    rows = opendata.edition_rows(edition)
    replies = PlatformReply.objects.filter(edition=edition).select_related("marketplace").order_by("marketplace__name")
    sources = sorted(
        {
            (row["marketplace_name"], row["sellers_source"] or "", row["sellers_source_url"] or "", row["sellers_year"])
            for row in rows
            if row["sellers_source"] or row["sellers_source_url"]
        }
    )
    limits = opendata.thresholds(edition)
    return {
        "edition": edition,
        "thresholds": limits,
        "below": limits["SUPPRESS_BELOW"],
        "below_max": limits["SUPPRESS_BELOW"] - 1,
        "tables": indicator_tables(rows),
        "replies": list(replies),
        "population_sources": [
            {"marketplace": name, "label": label, "url": url, "year": year} for name, label, url, year in sources
        ],
        "licence": opendata.LICENCE,
        "urls": {
            "methodology": opendata.public_url("barometer:methodology"),
            "open_data": opendata.public_url("barometer:open_data"),
            "csv": opendata.public_url("barometer:edition_data", code=edition.code, fmt="csv"),
            "charters": opendata.public_url("barometer:charters"),
        },
        "generated_at": timezone.localtime(),
    }


def render_html(edition: Edition) -> str:
    """The HTML the PDF is printed from (French); the edition must be published."""
    with translation.override("fr"):
        return render_to_string("barometer/pdf/edition.html", pdf_context(edition))


def render_pdf(edition: Edition) -> bytes:
    from weasyprint import HTML

    html = render_html(edition)
    # PDF/UA-1: a tagged PDF (headings, tables with their header cells, reading order, language)
    # that screen readers can follow, as the RGAA asks of downloadable documents.
    return HTML(string=html, base_url=opendata.public_url("barometer:open_data"), url_fetcher=_fetcher()).write_pdf(
        pdf_variant="pdf/ua-1"
    )


def build_pdf(edition: Edition, *, force: bool = False):
    """Print the edition's PDF and keep it in ``Edition.pdf`` (call at publication; the download
    view calls it on first request). Returns the stored ``FieldFile``. Two processes building at
    once both print, but only the first one's file is recorded; the other deletes its copy."""
    if edition.status != Edition.Status.PUBLISHED:
        raise ValueError(f"Edition {edition.code} is not published.")
    if edition.pdf and not force:
        return edition.pdf
    field = edition.pdf.field
    previous = edition.pdf.name or ""
    content = render_pdf(edition)
    name = field.storage.save(
        field.generate_filename(edition, opendata.export_filename(edition.code, "pdf")), ContentFile(content)
    )
    updated = Edition.objects.filter(pk=edition.pk, pdf=previous).update(pdf=name)
    if updated:
        if previous and previous != name:
            field.storage.delete(previous)
        edition.pdf.name = name
    else:  # another process recorded its file first: keep that one
        field.storage.delete(name)
        edition.refresh_from_db(fields=["pdf"])
    logger.info("PDF of edition %s stored as %s", edition.code, edition.pdf.name)
    return edition.pdf
