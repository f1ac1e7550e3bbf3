"""Editions and computation for supervisors and administrators (/gestion/barometre/)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fairplace.core.auth.guards import supervisor_required

from ..editions import EditionError, freeze_edition, publish_edition
from ..forms import FreezeForm
from ..models import ComputationRun, Edition, StaleReport


def _render(request, form, status=200):
    return render(
        request,
        "barometer/backoffice/overview.html",
        {
            "editions": Edition.objects.all(),
            "runs": ComputationRun.objects.all()[:10],
            "stale": StaleReport.objects.count(),
            "form": form,
        },
        status=status,
    )


@supervisor_required
def overview(request):
    return _render(request, FreezeForm())


@supervisor_required
@require_POST
def freeze(request):
    form = FreezeForm(request.POST)
    if form.is_valid():
        try:
            edition = freeze_edition(
                form.cleaned_data["code"], by=request.user, publication_date=form.cleaned_data["publication_date"]
            )
        except EditionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Édition %(code)s figée : les plateformes peuvent la relire jusqu'au %(date)s.")
                % {"code": edition.code, "date": edition.publication_date.strftime("%d/%m/%Y")},
            )
            return redirect("barometer_backoffice:overview")
    return _render(request, form, status=422)


@supervisor_required
@require_POST
def publish(request, code):
    edition = get_object_or_404(Edition, code=code)
    try:
        publish_edition(edition)
    except EditionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Édition %(code)s publiée.") % {"code": edition.code})
    return redirect("barometer_backoffice:overview")
