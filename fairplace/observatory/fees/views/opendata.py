"""Open data downloads of the fee observatory (every schedule version, every change)."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from .. import opendata


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
def schedules_csv(request):
    return _csv(opendata.schedules_csv(), "fairplace-grilles-tarifaires.csv")


@require_safe
def changes_csv(request):
    return _csv(opendata.changes_csv(), "fairplace-evolutions-tarifaires.csv")
