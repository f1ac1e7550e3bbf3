"""Fee schedules in the back office (/gestion/frais/): the list, one schedule, typing a schedule
in, importing a file. Forms check what was typed; ``schedules.record_schedule`` and
``importing.import_schedules`` do the writing."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from fairplace.core.auth.guards import observatory_required
from fairplace.platforms.models import Marketplace

from .. import wording
from ..forms import ComponentFormSet, ImportForm, ScheduleForm
from ..importing import import_schedules, template_csv
from ..models import ComponentKind, FeeImport, FeeSchedule
from ..schedules import KINDS_BY_CATEGORY, ScheduleError, record_schedule

KIND_ORDER = [
    ComponentKind.SUBSCRIPTION,
    ComponentKind.COMMISSION,
    ComponentKind.PER_ITEM,
    ComponentKind.PAYMENT,
    ComponentKind.FULFILMENT,
    ComponentKind.OTHER_RATE,
]
COMPONENTS_PREFIX = "composantes"


def _describe(schedule: FeeSchedule) -> FeeSchedule:
    """Attach what the templates show about the notice and the reliability."""
    schedule.notice_flag = wording.notice_flag(schedule.notice_days)
    schedule.reliability_label = wording.reliability_short(schedule.reliability)
    schedule.reliability_badge = wording.reliability_badge(schedule.reliability)
    return schedule


@observatory_required
def schedule_list(request):
    marketplaces = Marketplace.objects.filter(fee_schedules__isnull=False).distinct().order_by("name")
    schedules = (
        FeeSchedule.objects.select_related("marketplace")
        .annotate(component_count=Count("components"))
        .order_by("marketplace__name", "-effective_on")
    )
    chosen = request.GET.get("place", "")
    if chosen:
        schedules = schedules.filter(marketplace__slug=chosen)
    return render(
        request,
        "fees/backoffice/schedules.html",
        {
            "schedules": [_describe(schedule) for schedule in schedules],
            "marketplaces": marketplaces,
            "chosen": chosen,
        },
    )


@observatory_required
def schedule_detail(request, pk):
    schedule = _describe(get_object_or_404(FeeSchedule.objects.select_related("marketplace", "created_by"), pk=pk))
    components = list(schedule.components.select_related("category"))
    groups = []
    for kind in KIND_ORDER:
        rows = [component for component in components if component.kind == kind]
        for component in rows:
            component.band = wording.band_label(component.price_from, component.price_to)
            component.base_text = wording.base_label(component.base, component.includes_shipping)
            component.own_reliability = (
                wording.reliability_short(component.reliability)
                if component.reliability and component.reliability != schedule.reliability
                else ""
            )
        if rows:
            groups.append(
                {
                    "kind": kind,
                    "label": ComponentKind(kind).label,
                    "components": rows,
                    "by_category": kind in KINDS_BY_CATEGORY,
                    "by_rate": kind
                    not in (ComponentKind.SUBSCRIPTION, ComponentKind.PER_ITEM, ComponentKind.FULFILMENT),
                }
            )
    others = (
        FeeSchedule.objects.filter(marketplace=schedule.marketplace).exclude(pk=schedule.pk).order_by("-effective_on")
    )
    return render(
        request,
        "fees/backoffice/schedule.html",
        {
            "schedule": schedule,
            "groups": groups,
            "others": others,
            "imports": schedule.imports.select_related("imported_by"),
        },
    )


def _render_create(request, form, formset, status=200):
    return render(request, "fees/backoffice/create.html", {"form": form, "formset": formset}, status=status)


@observatory_required
def schedule_create(request):
    if request.method != "POST":
        return _render_create(request, ScheduleForm(), ComponentFormSet(prefix=COMPONENTS_PREFIX))
    form = ScheduleForm(request.POST)
    formset = ComponentFormSet(request.POST, prefix=COMPONENTS_PREFIX)
    if form.is_valid() and formset.is_valid():
        try:
            schedule = record_schedule(
                **form.schedule_fields(), is_seed=False, components=formset.components(), by=request.user
            )
        except ScheduleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "Grille enregistrée : %(schedule)s. Les évolutions par rapport aux "
                    "versions voisines ont été calculées."
                )
                % {"schedule": schedule},
            )
            return redirect("fees_backoffice:schedule", schedule.pk)
    return _render_create(request, form, formset, status=422)


def _render_import(request, form, result=None, status=200):
    return render(
        request,
        "fees/backoffice/import.html",
        {
            "form": form,
            "result": result,
            "history": FeeImport.objects.select_related("imported_by").order_by("-imported_at")[:10],
        },
        status=status,
    )


@observatory_required
def import_file(request):
    if request.method != "POST":
        return _render_import(request, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_import(request, form, status=422)
    upload = form.cleaned_data["file"]
    result = import_schedules(upload, filename=upload.name, by=request.user)
    return _render_import(request, ImportForm(), result, status=200 if result.succeeded else 422)


@observatory_required
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-import-grilles-frais.csv"'
    return response
