"""The reporting wizard (/signaler/). Thin views: forms validate, services in ``intake``."""

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fairplace.core.ratelimit import RateLimited, client_ip, hit
from fairplace.core.views import rate_limited

from .. import attachments, intake
from ..attachments import add_attachments, remove_attachment
from ..forms import CodeForm, CompanyForm, ConfirmForm
from ..models import Report, ReportDraft
from ..questions import display_answers
from . import wizard_cookies as cookies
from .summary import draft_summary


def current_draft(request) -> ReportDraft | None:
    draft_id = cookies.read_uuid(request, cookies.DRAFT)
    if not draft_id:
        return None
    draft = ReportDraft.objects.filter(pk=draft_id, report__isnull=True).first()
    if draft is None:
        cookies.forget(request, cookies.DRAFT)
    return draft


def _ensure_draft(request, draft):
    if draft is None:
        draft = ReportDraft.objects.create()
        cookies.remember(request, cookies.DRAFT, draft.pk)
    return draft


@require_http_methods(["GET"])
@cookies.applies_cookies
def start(request):
    return redirect("reports:step", intake.first_incomplete_step(current_draft(request)))


@require_http_methods(["GET", "POST"])
@cookies.applies_cookies
def step(request, key):
    if key not in intake.STEP_KEYS:
        raise Http404
    draft = current_draft(request)
    try:
        if key == "recapitulatif" and request.method == "POST":
            # submit_draft validates the whole draft again: no need for the guard's pass.
            if draft is not None:
                return _summary_step(request, draft)
            replayed = submit_retry(request)
            if replayed is not None:
                return replayed
        reachable = intake.first_incomplete_step(draft)
        if intake.STEP_KEYS.index(key) > intake.STEP_KEYS.index(reachable):
            return redirect("reports:step", reachable)
        if key == "recapitulatif":
            return _summary_step(request, draft)
        if request.method == "POST":
            return _post_step(request, key, draft)
        return _render_step(request, key, draft, form=None)
    except RateLimited as exc:
        return rate_limited(request, exc)


def _post_step(request, key, draft):
    draft = _ensure_draft(request, draft)
    action = request.POST.get("action", "next")
    intake.save_step(draft, key, request.POST)
    if key == "description":
        errors = add_attachments(draft, request.FILES.getlist("attachments"))
        if action.startswith("remove:"):
            remove_attachment(draft, action.removeprefix("remove:"))
            return redirect("reports:step", key)
        for error in errors:
            messages.error(request, error)
        if errors or action == "upload":
            return redirect("reports:step", key)
    if action == "back":
        index = intake.STEP_KEYS.index(key)
        return redirect("reports:step", intake.STEP_KEYS[max(index - 1, 0)])
    if key == "entreprise" and action == "lookup":
        return _lookup_company(request, draft)
    form = intake.bound_form(draft, key)
    if not form.is_valid():
        return _render_step(request, key, draft, form=form, status=422)
    if key == "contact" and draft.email_verified != form.cleaned_data["email"]:
        intake.send_email_code(draft, form.cleaned_data["email"], ip=client_ip(request))
        return redirect("reports:email_code")
    return redirect("reports:step", intake.STEP_KEYS[intake.STEP_KEYS.index(key) + 1])


def _lookup_company(request, draft):
    form = CompanyForm(data=request.POST, lookup_only=True)
    if not form.is_valid():
        return _render_step(request, "entreprise", draft, form=form, status=422)
    hit("lookup_ip", client_ip(request))
    found, message = intake.fill_company(draft, form.cleaned_data["siret"])
    (messages.success if found else messages.warning)(request, message)
    return redirect("reports:step", "entreprise")


def _render_step(request, key, draft, *, form, status=200):
    if form is None:
        cls = intake.form_class(draft, key) if draft else intake.STORED_FORMS.get(key)
        if cls is None:
            return redirect("reports:step", intake.first_incomplete_step(draft))
        form = cls(initial=(draft.steps.get(intake.storage_key(draft, key)) or {}) if draft else {})
    index = intake.STEP_KEYS.index(key)
    context = {
        "form": form,
        "step": intake.STEPS[index],
        "step_number": index + 1,
        "step_count": len(intake.STEPS),
        "next_step": intake.STEPS[index + 1] if index + 1 < len(intake.STEPS) else None,
        "draft": draft,
        "family": intake.chosen_family(draft) if draft else None,
        "attachments": list(draft.attachments.all()) if draft and key == "description" else [],
        "max_files": attachments.MAX_FILES,
        "max_megabytes": attachments.MAX_BYTES // (1024 * 1024),
    }
    return render(request, f"reports/intake/{key}.html", context, status=status)


@require_http_methods(["GET", "POST"])
@cookies.applies_cookies
def email_code(request):
    draft = current_draft(request)
    if draft is None or not draft.email_code_for:
        return redirect("reports:start")
    form = CodeForm(data=request.POST or None)
    try:
        if request.method == "POST" and request.POST.get("action") == "resend":
            intake.send_email_code(draft, draft.email_code_for, ip=client_ip(request))
            messages.info(request, _("Un nouveau code a été envoyé."))
            return redirect("reports:email_code")
    except RateLimited as exc:
        return rate_limited(request, exc)
    if request.method == "POST" and form.is_valid():
        try:
            intake.verify_email_code(draft, form.cleaned_data["code"])
        except intake.IntakeError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("Adresse électronique confirmée."))
            return redirect("reports:step", "choix")
    index = intake.STEP_KEYS.index("contact")
    return render(
        request,
        "reports/intake/code.html",
        {
            "form": form,
            "email": draft.email_code_for,
            "step": intake.STEPS[index],
            "step_number": index + 1,
            "step_count": len(intake.STEPS),
            "next_step": intake.STEPS[index + 1],
        },
        status=422 if form.errors else 200,
    )


def _summary_step(request, draft):
    form = ConfirmForm(
        data=request.POST if request.method == "POST" else None, initial={"submit_key": draft.submit_key}
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = intake.submit_draft(draft.pk, form.cleaned_data["submit_key"], ip=client_ip(request))
        except intake.IntakeError as exc:
            messages.error(request, exc.message)
            return redirect("reports:step", exc.step or "recapitulatif")
        cookies.remember(request, cookies.RECEIPT, report.pk)
        cookies.forget(request, cookies.DRAFT)
        return redirect("reports:receipt")
    try:
        summary = draft_summary(draft)
    except intake.IntakeError as exc:  # a step became invalid (e.g. a marketplace withdrawn)
        return redirect("reports:step", exc.step)
    index = intake.STEP_KEYS.index("recapitulatif")
    return render(
        request,
        "reports/intake/recapitulatif.html",
        {
            "form": form,
            "summary": summary,
            "step": intake.STEPS[index],
            "step_number": index + 1,
            "step_count": len(intake.STEPS),
            "draft": draft,
        },
        status=422 if form.errors else 200,
    )


def submit_retry(request):
    """A final POST replayed after the draft cookie was cleared (browser retry): the
    submit key still finds the report."""
    try:
        key = uuid.UUID(request.POST.get("submit_key", ""))
    except ValueError:
        return None
    report = Report.objects.filter(idempotency_key=key).only("pk").first()
    if report is None:
        return None
    cookies.remember(request, cookies.RECEIPT, report.pk)
    return redirect("reports:receipt")


@require_http_methods(["GET"])
def receipt(request):
    report_id = cookies.read_int(request, cookies.RECEIPT)
    if not report_id:
        return redirect("reports:start")
    report = get_object_or_404(Report.objects.select_related("family", "marketplace", "contact"), pk=report_id)
    return render(
        request,
        "reports/intake/receipt.html",
        {
            "report": report,
            "answers": display_answers(report.family.questions, report.answers),
            "tracking_url": reverse("reports:tracking", args=[intake.tracking_token(report.contact)]),
        },
    )


@require_http_methods(["GET"])
def draft_attachment(request, attachment_id):
    draft = current_draft(request)
    if draft is None:
        raise Http404
    attachment = get_object_or_404(draft.attachments, pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
