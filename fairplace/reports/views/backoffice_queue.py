"""The agents' queue (/gestion/): the filtered list, bulk actions, saved filters, exports."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import FileResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from fairplace.core.auth.guards import observatory_required

from ..casework import CaseworkError, apply_bulk_action
from ..exports import CONTENT_TYPES, ExportError, ExportRequestForm, download_name, request_export
from ..models import ExportJob, SavedFilter
from ..queue import (
    SORTS,
    BulkActionForm,
    QueueFilters,
    QueuePaginator,
    SavedFilterForm,
    observatory_users,
    queue_queryset,
    selection_query,
)

MAX_FAILURES_SHOWN = 20


def _flash_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _queue_url(query: str = "") -> str:
    query = selection_query(QueryDict(query or ""))
    return reverse("backoffice:queue") + (f"?{query}" if query else "")


@require_http_methods(["GET"])
@observatory_required
def queue(request):
    agents = observatory_users()
    filters = QueueFilters(request.GET, user=request.user, agents=agents)
    page = None
    if filters.is_valid():
        page = QueuePaginator(queue_queryset(request.user, filters), filters.page_size).get_page(
            request.GET.get("page")
        )
    query = selection_query(request.GET)
    return render(
        request,
        "reports/backoffice/queue.html",
        {
            "filters": filters,
            "page": page,
            "query": query,
            "sort": filters.sort_key,
            "sorts": SORTS,
            "bulk_form": BulkActionForm(agents=agents, initial={"query": query}),
            "export_form": ExportRequestForm(initial={"query": query}),
            "saved_filter_form": SavedFilterForm(user=request.user, initial={"query": query}),
            "saved_filters": SavedFilter.objects.filter(user=request.user).only("id", "name", "query"),
        },
        status=200 if page is not None else 422,
    )


@require_http_methods(["POST"])
@observatory_required
def bulk(request):
    form = BulkActionForm(request.POST, agents=observatory_users())
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect(_queue_url(request.POST.get("query")))
    try:
        result = apply_bulk_action(
            form.cleaned_data["reports"],
            action=form.cleaned_data["action"],
            actor=request.user,
            assignee=form.cleaned_data["assignee"],
        )
    except CaseworkError as exc:
        messages.error(request, exc.message)
        return redirect(_queue_url(form.cleaned_data["query"]))
    if result.done:
        messages.success(
            request,
            ngettext("%(count)d signalement traité.", "%(count)d signalements traités.", len(result.done))
            % {"count": len(result.done)},
        )
    for failure in result.failures[:MAX_FAILURES_SHOWN]:
        messages.error(request, failure)
    if len(result.failures) > MAX_FAILURES_SHOWN:
        messages.error(
            request, _("… et %(count)d autres refus.") % {"count": len(result.failures) - MAX_FAILURES_SHOWN}
        )
    return redirect(_queue_url(form.cleaned_data["query"]))


@require_http_methods(["POST"])
@observatory_required
def save_filter(request):
    form = SavedFilterForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                SavedFilter.objects.create(user=request.user, **form.cleaned_data)
        except IntegrityError:  # the same name saved from another tab meanwhile
            messages.error(request, _("Vous avez déjà un filtre nommé « %(name)s ».") % form.cleaned_data)
        else:
            messages.success(request, _("Filtre « %(name)s » enregistré.") % form.cleaned_data)
        return redirect(_queue_url(form.cleaned_data["query"]))
    _flash_errors(request, form)
    return redirect(_queue_url(request.POST.get("query")))


@require_http_methods(["POST"])
@observatory_required
def delete_filter(request, filter_id):
    saved = get_object_or_404(SavedFilter, pk=filter_id, user=request.user)
    saved.delete()
    messages.success(request, _("Filtre « %(name)s » supprimé.") % {"name": saved.name})
    return redirect("backoffice:queue")


@require_http_methods(["GET", "POST"])
@observatory_required
def exports(request):
    """GET: the user's exports (``backoffice:exports``); POST: a new one (``backoffice:export_create``)."""
    if request.method == "POST":
        return _create_export(request)
    jobs = ExportJob.objects.filter(requested_by=request.user).order_by("-created_at")[:50]
    return render(request, "reports/backoffice/exports.html", {"jobs": jobs})


def _create_export(request):
    form = ExportRequestForm(request.POST)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect(_queue_url(request.POST.get("query")))
    try:
        job = request_export(request.user, query=form.cleaned_data["query"], export_format=form.cleaned_data["format"])
    except ExportError as exc:
        messages.error(request, exc.message)
        return redirect(_queue_url(form.cleaned_data["query"]))
    if job.status == ExportJob.Status.DONE:
        return redirect("backoffice:export_download", job_id=job.pk)
    if job.status == ExportJob.Status.FAILED:
        messages.error(request, job.error)
    else:
        messages.info(
            request,
            _(
                "La sélection est volumineuse : l'export est en préparation. Il apparaîtra "
                "dans cette liste dès qu'il sera prêt."
            ),
        )
    return redirect("backoffice:exports")


@require_http_methods(["GET"])
@observatory_required
def export_download(request, job_id):
    job = get_object_or_404(ExportJob, pk=job_id, requested_by=request.user, status=ExportJob.Status.DONE)
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=download_name(job), content_type=CONTENT_TYPES[job.format]
    )
