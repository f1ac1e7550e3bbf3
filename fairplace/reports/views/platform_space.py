"""The platform space (/plateforme/): a marketplace's representatives read the reports
forwarded to it, answer them in a structured way and exchange messages.

Everything a page shows of a report is built from ``access.platform_view`` (the seller's
identity only when the seller chose "with my identity"); every report is reached through
``Report.objects.visible_to`` / ``get_report_for_user`` (404 outside the marketplace).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fairplace.core.auth.guards import platform_required

from .. import answers
from ..access import IDENTITY_FIELDS, get_report_for_user, platform_timeline, platform_view
from ..answers import ANSWERABLE_STATES, AnswerError, code_labels, mark_read_by_platform, record_platform_answer
from ..deadlines import is_late, late_condition
from ..exports import csv_lines
from ..forms_platform import AnswerForm, PlatformMessageForm, ReportFilterForm
from ..messaging import MessagingError, display_messages, send_message
from ..models import (
    Attachment,
    Consent,
    Party,
    PlatformAnswer,
    Report,
)
from ..questions import display_answers
from ..states import ReportState

PAGE_SIZE = 25


# Views ---------------------------------------------------------------------------------


def _latest_answer_at():
    return Subquery(PlatformAnswer.objects.filter(report=OuterRef("pk")).order_by("-id").values("created_at")[:1])


def _deadline(report, now) -> dict:
    """Days left before the answer is due, or "late"."""
    late = is_late(report, now)
    days_left = None
    if report.state == ReportState.FORWARDED and report.answer_due_at and not late:
        days_left = (timezone.localdate(report.answer_due_at) - timezone.localdate(now)).days
    return {"late": late, "days_left": days_left}


def _forwarded_reports(request):
    return (
        Report.objects.visible_to(request.user)
        .filter(marketplace=request.marketplace)
        .select_related("family")
        .annotate(answered_at=_latest_answer_at())
    )


def _filtered(request, form: ReportFilterForm, now):
    """The marketplace's forwarded reports, newest first, narrowed by the valid filters (an
    unknown value is ignored)."""
    queryset = _forwarded_reports(request).order_by("-forwarded_at", "-id")
    if form.is_valid():
        if form.cleaned_data["etat"]:
            queryset = queryset.filter(state=form.cleaned_data["etat"])
        if form.cleaned_data["retard"]:
            queryset = queryset.filter(late_condition(now))
    return queryset


def _filters_query(request) -> str:
    """The list's filters as a query string, for the export link (the page number left out)."""
    filters = request.GET.copy()
    filters.pop("page", None)
    return filters.urlencode()


@require_http_methods(["GET"])
@platform_required
def reports(request):
    form, now = ReportFilterForm(data=request.GET), timezone.now()
    queryset = _filtered(request, form, now)
    page = Paginator(
        queryset.only("reference", "state", "family__label", "forwarded_at", "answer_due_at", "platform_first_read_at"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rows = [{"report": report, **_deadline(report, now)} for report in page.object_list]
    return render(
        request,
        "reports/platform/list.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "marketplace": request.marketplace,
            "filtered": bool(request.GET.get("etat") or request.GET.get("retard")),
            "export_query": _filters_query(request),
        },
    )


def _render_report(request, report, *, message_form=None, status=200):
    view = platform_view(report)
    answers = list(report.platform_answers.prefetch_related("attachments"))
    seller_files = []
    if view["identified"]:
        # Evidence files only with the seller's identity, and only once the antivirus said clean.
        seller_files = report.attachments.filter(answer__isnull=True, scan_status=Attachment.ScanStatus.CLEAN)
    return render(
        request,
        "reports/platform/detail.html",
        {
            "view": view,
            "report_answers": display_answers(report.family.questions, view["answers"]),
            "timeline": platform_timeline(report),
            "answers": [(a, code_labels(a)) for a in answers],
            "thread": display_messages(report, Party.PLATFORM),
            "seller_files": seller_files,
            "message_form": message_form or PlatformMessageForm(),
            "can_answer": report.state in ANSWERABLE_STATES,
            "deadline": _deadline(report, timezone.now()),
            "marketplace": request.marketplace,
        },
        status=status,
    )


@require_http_methods(["GET"])
@platform_required
def report_detail(request, reference):
    report = get_report_for_user(request.user, reference)
    mark_read_by_platform(report, actor=request.user)
    return _render_report(request, report)


@require_http_methods(["GET", "POST"])
@platform_required
def answer(request, reference):
    report = get_report_for_user(request.user, reference)
    if report.state not in ANSWERABLE_STATES:
        messages.warning(
            request,
            _(
                "Ce signalement a déjà reçu une réponse ou n'attend plus de réponse : "
                "rien n'a été enregistré une seconde fois."
            )
            if request.method == "POST"
            else _("Ce signalement n'attend pas de réponse de votre part."),
        )
        return redirect("platform_space:report", report.reference)
    mark_read_by_platform(report, actor=request.user)
    form = AnswerForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record_platform_answer(
                report, actor=request.user, files=request.FILES.getlist("files"), **form.answer_payload()
            )
        except AnswerError as exc:
            if exc.already_answered:
                messages.warning(request, exc.message)
                return redirect("platform_space:report", report.reference)
            form.add_error(None, exc.message)  # files have no form field: shown in the summary
        else:
            messages.success(request, _("Votre réponse a été enregistrée et transmise au vendeur."))
            return redirect("platform_space:report", report.reference)
    return render(
        request,
        "reports/platform/answer.html",
        {
            "form": form,
            "view": platform_view(report),
            "marketplace": request.marketplace,
            "max_files": answers.MAX_FILES,
            "max_megabytes": answers.MAX_BYTES // (1024 * 1024),
            "files_sent": request.method == "POST" and bool(request.FILES),
        },
        status=422 if form.errors else 200,
    )


@require_http_methods(["POST"])
@platform_required
def message(request, reference):
    report = get_report_for_user(request.user, reference)
    form = PlatformMessageForm(data=request.POST)
    if form.is_valid():
        try:
            send_message(
                report,
                sender=Party.PLATFORM,
                recipient=form.cleaned_data["recipient"],
                body=form.cleaned_data["body"],
                author=request.user,
            )
        except MessagingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Votre message a été envoyé."))
            return redirect("platform_space:report", report.reference)
    return _render_report(request, report, message_form=form, status=422)


@require_http_methods(["GET"])
@platform_required
def attachment(request, reference, attachment_id):
    """The platform's own answer files; the seller's evidence only for an identified seller,
    once the antivirus said clean."""
    report = get_report_for_user(request.user, reference)
    file = get_object_or_404(Attachment, pk=attachment_id, report=report)
    if file.answer_id is None and (
        report.consent != Consent.IDENTIFIED or file.scan_status != Attachment.ScanStatus.CLEAN
    ):
        raise Http404
    return FileResponse(file.file.open("rb"), as_attachment=True, filename=file.original_name)


# Export --------------------------------------------------------------------------------

CSV_COLUMNS = [
    ("reference", gettext_lazy("Référence")),
    ("family", gettext_lazy("Problème")),
    ("submitted_at", gettext_lazy("Déposé le")),
    ("forwarded_at", gettext_lazy("Transmis le")),
    ("state", gettext_lazy("État")),
    ("answer_due_at", gettext_lazy("Réponse attendue avant le")),
    ("read_at", gettext_lazy("Lu le")),
    ("answered_at", gettext_lazy("Répondu le")),
    ("identified", gettext_lazy("Vendeur identifié")),
    ("siret", gettext_lazy("SIRET")),
    ("siren", gettext_lazy("SIREN")),
    ("company_name", gettext_lazy("Raison sociale")),
    ("contact_first_name", gettext_lazy("Prénom")),
    ("contact_last_name", gettext_lazy("Nom")),
    ("contact_email", gettext_lazy("Courriel")),
    ("contact_phone", gettext_lazy("Téléphone")),
]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return str(value)


def _csv_row(report) -> list[str]:
    view = platform_view(report)  # the identity columns stay empty unless the seller is identified
    values = {
        **dict.fromkeys(IDENTITY_FIELDS, ""),
        **view,
        "forwarded_at": report.forwarded_at,
        "read_at": report.platform_first_read_at,
        "answered_at": report.answered_at,
    }
    return [_csv_cell(values[key]) for key, _label in CSV_COLUMNS]


@require_http_methods(["GET"])
@platform_required
def export(request):
    queryset = _filtered(request, ReportFilterForm(data=request.GET), timezone.now())
    rows = (_csv_row(report) for report in queryset.iterator(chunk_size=500))
    lines = csv_lines([str(label) for _key, label in CSV_COLUMNS], rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    filename = f"fairplace-{request.marketplace.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
