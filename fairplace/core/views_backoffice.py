"""The administrators' page of the background work (``/gestion/taches/``): workers, queue, periodic jobs
with their last runs, and the e-mails that could not be sent, which may be sent again."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .auth.guards import administrator_required
from .jobs.health import worker_health
from .models import JobRun, OutboxMessage
from .outbox import resend

FAILED_PER_PAGE = 50


@never_cache
@administrator_required
@require_safe
def overview(request):
    failed = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).order_by("-created_at")
    return render(
        request,
        "core/backoffice/jobs.html",
        {
            "health": worker_health(),
            "recent_runs": JobRun.objects.select_related("job").order_by("-started_at")[:30],
            "failed": Paginator(
                failed.only("pk", "to", "subject", "template", "attempts", "last_error", "created_at"), FAILED_PER_PAGE
            ).get_page(request.GET.get("page")),
        },
    )


@administrator_required
@require_POST
def resend_message(request, pk):
    if resend(pk):
        messages.success(request, _("Le courriel n° %(pk)s sera envoyé à nouveau.") % {"pk": pk})
    else:
        messages.error(request, _("Le courriel n° %(pk)s n’est pas en échec : rien à renvoyer.") % {"pk": pk})
    return redirect("jobs_backoffice:overview")
