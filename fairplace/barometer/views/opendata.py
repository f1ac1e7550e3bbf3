"""Downloads of the published editions (PDF, CSV, JSON, Parquet), the data dictionary, the
charter registry, and the open-data page that lists them. Anything but a published edition is
a 404, whatever its status (no existence leak of previews)."""

import hashlib
import logging

from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition, require_safe

from .. import display, opendata
from ..indicators import all_indicators

logger = logging.getLogger(__name__)

# Part of every ETag and cache key: change it when the files' layout changes.
EXPORT_VERSION = "1"
# Published figures never change; a withdrawn edition must disappear within this delay.
MAX_AGE = 60 * 60
DICTIONARY_MAX_AGE = 24 * 60 * 60
CHARTERS_MAX_AGE = 10 * 60
DICTIONARY_FORMATS = ("csv", "json")


def _edition(request, code):
    """The published edition ``code`` (looked up once per request), or None."""
    cached = getattr(request, "_barometer_editions", None)
    if cached is None:
        cached = request._barometer_editions = {}
    if code not in cached:
        cached[code] = opendata.published_edition(code)
    return cached[code]


def _etag(request, code, fmt="pdf"):
    edition = _edition(request, code)
    if edition is None or (fmt != "pdf" and fmt not in opendata.FORMATS):
        return None
    published = edition.published_at.timestamp() if edition.published_at else 0
    raw = f"{edition.pk}:{edition.code}:{published}:{fmt}:{EXPORT_VERSION}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _last_modified(request, code, fmt="pdf"):
    edition = _edition(request, code)
    return edition.published_at if edition is not None else None


def _public(response, max_age=MAX_AGE):
    patch_cache_control(response, public=True, max_age=max_age)
    return response


def _download(content: bytes, content_type: str, filename: str, max_age=MAX_AGE) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return _public(response, max_age)


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def edition_pdf(request, code):
    from ..pdf import build_pdf

    edition = _edition(request, code)
    if edition is None:
        raise Http404
    stored = edition.pdf
    if not stored or not stored.storage.exists(stored.name):
        # First download, or a storage that lost the file: print it (once).
        try:
            stored = build_pdf(edition, force=bool(stored))
        except OSError:  # WeasyPrint's system libraries (Pango) missing, or the storage failing
            logger.exception("PDF of edition %s cannot be built", edition.code)
            response = render(request, "barometer/pdf/unavailable.html", {"code": edition.code}, status=503)
            response["Retry-After"] = "600"
            return response
    response = FileResponse(
        stored.storage.open(stored.name, "rb"),
        content_type="application/pdf",
        filename=opendata.export_filename(edition.code, "pdf"),
    )
    return _public(response)


@require_safe
@condition(etag_func=_etag, last_modified_func=_last_modified)
def edition_data(request, code, fmt):
    if fmt not in opendata.FORMATS:
        raise Http404
    edition = _edition(request, code)
    if edition is None:
        raise Http404
    key = f"barometer:opendata:{_etag(request, code, fmt)}"
    content = cache.get(key)
    if content is None:
        content = opendata.export(edition, fmt)
        cache.set(key, content, timeout=MAX_AGE)
    return _download(content, opendata.CONTENT_TYPES[fmt], opendata.export_filename(edition.code, fmt))


@require_safe
def dictionary(request, fmt):
    if fmt not in DICTIONARY_FORMATS:
        raise Http404
    content = opendata.dictionary_csv() if fmt == "csv" else opendata.dictionary_json()
    return _download(
        content, opendata.CONTENT_TYPES[fmt], f"fairplace-barometre-dictionnaire.{fmt}", DICTIONARY_MAX_AGE
    )


@require_safe
def charter_registry(request, fmt):
    if fmt not in DICTIONARY_FORMATS:
        raise Http404
    content = opendata.charter_registry_csv() if fmt == "csv" else opendata.charter_registry_json()
    return _download(content, opendata.CONTENT_TYPES[fmt], f"fairplace-registre-des-chartes.{fmt}", CHARTERS_MAX_AGE)


@require_safe
def open_data(request):
    """The open-data page: every published edition and its files, the dictionary, the API."""
    english = display.current_language() == "en"
    content = opendata.dictionary()
    columns = [
        {
            "name": column["name"],
            "type": column["type"],
            "allowed": column["allowed_values"],
            "description": column["description_en" if english else "description"],
        }
        for column in content["columns"]
    ]
    indicators = [
        {
            "code": indicator.code,
            "label": indicator.text("label", "en" if english else "fr"),
            "definition": indicator.text("definition", "en" if english else "fr"),
            "unit": indicator.text("unit", "en" if english else "fr"),
            "kind": indicator.kind,
            "formula": indicator.formula,
        }
        for indicator in all_indicators()
    ]
    notes = [note["description_en" if english else "description"] for note in content["format"]]
    return render(
        request,
        "barometer/open_data.html",
        {
            "editions": list(opendata.published_editions()),
            "formats": opendata.FORMATS,
            "columns": columns,
            "indicators": indicators,
            "notes": notes,
            "licence": opendata.LICENCE,
        },
    )
