"""The mediator's space: their cases, a case file, stages, private notes, closing.

Every page needs a mediator with a verified second factor (``mediator_required``); a case is
taken with ``get_report_for_user`` (404 for a case referred to someone else).
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from fairplace.core.auth.guards import mediator_required

from .. import mediation
from ..access import get_report_for_user
from ..mediation import MediationError
from ..questions import DateInput, display_answers
from ..states import MEDIATION_OUTCOMES, MediationStage, Outcome
from ..timeline import staff_timeline


class StageForm(DsfrBaseForm):
    stage = forms.ChoiceField(
        label=gettext_lazy("Étape"), choices=[("", gettext_lazy("Choisir une étape"))] + MediationStage.choices
    )
    on = forms.DateField(
        label=gettext_lazy("Date de l'étape"),
        widget=DateInput,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": gettext_lazy("Indiquez une date valide, par exemple 14/03/2026.")},
    )
    detail = forms.CharField(
        label=gettext_lazy("Précision (facultatif)"),
        max_length=mediation.DETAIL_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy(
            "Figure dans l'historique du dossier, que l'observatoire lit : "
            "rien de confidentiel ici, gardez-le pour vos notes privées."
        ),
    )


class NoteForm(DsfrBaseForm):
    body = forms.CharField(
        label=gettext_lazy("Nouvelle note"),
        max_length=mediation.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Visible de vous seul."),
    )


class CloseForm(DsfrBaseForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Issue de la médiation"),
        widget=forms.RadioSelect,
        choices=[(o.value, o.label) for o in Outcome if o in MEDIATION_OUTCOMES],
    )
    reason = forms.CharField(
        label=gettext_lazy("Commentaire (facultatif)"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Visible de l'observatoire. Le vendeur est prévenu de la clôture par courriel."),
    )


@require_GET
@mediator_required
def cases(request):
    today = timezone.localdate()
    rows = [
        {
            "report": report,
            "referred_at": report.mediation_referral.referred_at,
            "days": (today - timezone.localdate(report.mediation_referral.referred_at)).days,
            "last_stage": MediationStage(report.last_stage).label if report.last_stage in MediationStage.values else "",
            "last_stage_on": date.fromisoformat(report.last_stage_on) if report.last_stage_on else None,
        }
        for report in mediation.mediator_cases(request.user)
    ]
    return render(request, "reports/mediation/cases.html", {"rows": rows})


@require_GET
@mediator_required
def case(request, reference):
    return _render_case(request, get_report_for_user(request.user, reference))


@require_POST
@mediator_required
def stage(request, reference):
    report = get_report_for_user(request.user, reference)
    form = StageForm(request.POST, prefix="stage")
    if form.is_valid():
        try:
            result = mediation.record_stage(report, mediator=request.user, **form.cleaned_data)
        except MediationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Étape enregistrée."))
            if result.started_mediation:
                messages.info(request, _("La médiation est ouverte."))
            if result.suggested_outcome:
                messages.warning(
                    request,
                    _(
                        "La plateforme refuse la médiation : si ce refus est définitif, "
                        "closez le dossier avec l'issue proposée ci-dessous."
                    ),
                )
            return redirect(_case_url(report, "etapes"))
    return _render_case(request, report, stage_form=form, status=422)


@require_POST
@mediator_required
def note(request, reference):
    report = get_report_for_user(request.user, reference)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            mediation.add_mediator_note(report, mediator=request.user, body=form.cleaned_data["body"])
        except MediationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Note enregistrée."))
            return redirect(_case_url(report, "notes"))
    return _render_case(request, report, note_form=form, status=422)


@require_POST
@mediator_required
def close(request, reference):
    report = get_report_for_user(request.user, reference)
    form = CloseForm(request.POST, prefix="close")
    if form.is_valid():
        try:
            mediation.close_mediation(report, mediator=request.user, **form.cleaned_data)
        except MediationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Dossier clos. Le vendeur en est informé."))
            return redirect(_case_url(report))
    return _render_case(request, report, close_form=form, status=422)


def _case_url(report, anchor: str = "") -> str:
    url = reverse("mediation:case", args=[report.reference])
    return f"{url}#{anchor}" if anchor else url


def _render_case(request, report, *, stage_form=None, note_form=None, close_form=None, status=200):
    stages = mediation.recorded_stages(report)
    suggested = mediation.SUGGESTED_OUTCOMES.get(stages[-1]["stage"]) if stages else None
    referral = report.mediation_referral
    return render(
        request,
        "reports/mediation/case.html",
        {
            "report": report,
            "referral": referral,
            "days": (timezone.localdate() - timezone.localdate(referral.referred_at)).days,
            "answers": display_answers(report.family.questions, report.answers),
            "platform_answers": mediation.answers_for_mediator(report),
            "timeline": staff_timeline(report),
            "stages": stages,
            "notes": mediation.mediator_notes(report, request.user),
            "is_open": report.state in mediation.OPEN_MEDIATION_STATES,
            "suggested_outcome": Outcome(suggested).label if suggested else "",
            "stage_form": stage_form or StageForm(prefix="stage", initial={"on": timezone.localdate()}),
            "note_form": note_form or NoteForm(prefix="note"),
            "close_form": close_form or CloseForm(prefix="close", initial={"outcome": suggested}),
            "error_form": stage_form or note_form or close_form,
        },
        status=status,
    )
