"""The agents' case page: everything about one report, and one thin POST view per action.

Each POST view validates one form, calls one service, and either redirects back to the case
with a French success message or renders the case again (422) with the service's French
refusal beside the values the agent typed.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from fairplace.core.auth.guards import observatory_required

from .. import casework, messaging
from ..access import get_report_for_user
from ..answers import code_labels
from ..forms_backoffice import (
    AssignForm,
    MergeForm,
    MessageForm,
    NoteForm,
    RequalifyForm,
    TransitionChoiceForm,
    transition_form,
)
from ..models import (
    AnswerKind,
    Consent,
    MediationReferral,
    Party,
    SellerFeedback,
)
from ..questions import display_answers
from ..states import ReportState
from ..timeline import staff_timeline
from ..workflow import TRANSITIONS, TransitionError, apply_transition, available_transitions

S = ReportState
# How the seller's choice reads in the case header.
CONSENT_LABELS = {
    Consent.ANONYMOUS: (gettext_lazy("Transmission anonyme"), "info"),
    Consent.IDENTIFIED: (gettext_lazy("Transmission avec identité"), "new"),
    Consent.BAROMETER_ONLY: (gettext_lazy("Baromètre seulement"), "warning"),
    Consent.MEDIATION: (gettext_lazy("Médiation demandée"), "success"),
}
AWAITING_ANSWER_STATES = (S.FORWARDED, S.OVERDUE)


def _agent_transitions(report, user):
    return available_transitions(report, "agent", actor=user)


def _choice_label(value: str, choices) -> str:
    return choices(value).label if value in choices.values else value


def _platform_answers(report, files_by_answer) -> list[dict]:
    """The platform's claims, and beside them what the seller says of them."""
    feedback = defaultdict(dict)
    for item in SellerFeedback.objects.filter(report=report):
        feedback[item.answer_id][item.kind] = item
    rows = []
    for answer in report.platform_answers.select_related("author"):
        rating = feedback[answer.pk].get(SellerFeedback.Kind.ANSWER_RATING)
        confirmation = feedback[answer.pk].get(SellerFeedback.Kind.ACTION_CONFIRMATION)
        rows.append(
            {
                "answer": answer,
                "codes": code_labels(answer),
                "attachments": files_by_answer.get(answer.pk, []),
                "codes_title": _("Actions promises") if answer.kind == AnswerKind.ACCEPTED else _("Motifs"),
                "rating": rating,
                "confirmation": confirmation,
                "rating_label": _choice_label(rating.value, SellerFeedback.AnswerRating) if rating else "",
                "confirmation_label": (
                    _choice_label(confirmation.value, SellerFeedback.ActionOutcome) if confirmation else ""
                ),
            }
        )
    return rows


def _case_messages(report) -> list[dict]:
    rows = []
    for message in messaging.messages_for(report, Party.OBSERVATORY).select_related("author", "released_by"):
        held = message.sender == Party.SELLER and message.recipient == Party.PLATFORM and message.released_at is None
        rows.append(
            {
                "message": message,
                "held": held,
                "sender": Party(message.sender).label,
                "recipient": Party(message.recipient).label,
            }
        )
    return rows


def _case_context(request, report, bound: dict | None = None) -> dict:
    """Everything the case page shows; ``bound`` holds the submitted form to show again
    (key ``transition:<name>``, ``assign``, ``note``, ``requalify``, ``merge`` or ``message``)."""
    bound = bound or {}
    attachments = list(report.attachments.all())  # the seller's files and the answers' files, one query
    files_by_answer = defaultdict(list)
    for attachment in attachments:
        if attachment.answer_id:
            files_by_answer[attachment.answer_id].append(attachment)
    transitions = [
        {"transition": t, "form": bound.get(f"transition:{t.name}") or transition_form(report, t)}
        for t in _agent_transitions(report, request.user)
    ]
    now = timezone.now()
    consent_label, consent_badge = CONSENT_LABELS.get(report.consent, (report.get_consent_display(), "info"))
    failed = next(iter(bound.values()), None)
    return {
        "report": report,
        "consent_label": consent_label,
        "consent_badge": consent_badge,
        "is_late": bool(report.answer_due_at and report.answer_due_at < now and report.state in AWAITING_ANSWER_STATES),
        "referral": MediationReferral.objects.filter(report=report).select_related("mediator").first(),
        "answers": display_answers(report.family.questions, report.answers),
        "seller_attachments": [a for a in attachments if a.answer_id is None],
        "duplicates": list(report.duplicates.only("reference", "state", "submitted_at").order_by("submitted_at")),
        "platform_answers": _platform_answers(report, files_by_answer),
        "timeline": staff_timeline(report),
        "notes": list(report.internal_notes.select_related("author")),
        "case_messages": _case_messages(report),
        "transitions": transitions,
        "failed_form": failed,
        "assign_form": bound.get("assign") or AssignForm(initial={"assignee": report.assigned_to_id}),
        "note_form": bound.get("note") or NoteForm(),
        "requalify_form": (
            bound.get("requalify") or RequalifyForm(report=report)
            if report.state in casework.REQUALIFIABLE_STATES
            else None
        ),
        "merge_form": (
            bound.get("merge") or MergeForm(user=request.user)
            if report.state in casework.REQUALIFIABLE_STATES
            else None
        ),
        "message_form": bound.get("message") or MessageForm(),
    }


def _render_case(request, report, bound: dict | None = None, status: int = 200):
    return render(request, "reports/backoffice/case.html", _case_context(request, report, bound), status=status)


def _refused(request, report, key, form, message: str):
    """Show the case again with the service's French refusal and what the agent typed."""
    form.add_error(None, message)
    return _render_case(request, report, {key: form}, status=422)


def _done(request, report, message: str):
    messages.success(request, message)
    return redirect("backoffice:case", reference=report.reference)


@require_GET
@observatory_required
def case(request, reference):
    report = get_report_for_user(request.user, reference)
    return _render_case(request, report)


@require_POST
@observatory_required
def case_transition(request, reference):
    report = get_report_for_user(request.user, reference)
    choice = TransitionChoiceForm(request.POST)
    if not choice.is_valid():
        return _render_case(request, report, {"transition:": choice}, status=422)
    transition = TRANSITIONS[choice.cleaned_data["transition"]]
    if not transition.allows(request.user):
        raise PermissionDenied
    form = transition_form(report, transition, data=request.POST)
    if not form.is_valid():
        return _render_case(request, report, {f"transition:{transition.name}": form}, status=422)
    try:
        apply_transition(report, transition.name, actor=request.user, actor_kind="agent", **form.payload())
    except TransitionError as exc:
        return _refused(request, report, f"transition:{transition.name}", form, exc.message)
    return _done(request, report, _("Action « %(action)s » enregistrée.") % {"action": transition.label})


@require_POST
@observatory_required
def case_assign(request, reference):
    report = get_report_for_user(request.user, reference)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _render_case(request, report, {"assign": form}, status=422)
    assignee = form.cleaned_data["assignee"]
    try:
        casework.assign(report, assignee=assignee, actor=request.user)
    except casework.CaseworkError as exc:
        return _refused(request, report, "assign", form, exc.message)
    if assignee is None:
        return _done(request, report, _("Le dossier n'est plus attribué."))
    return _done(request, report, _("Dossier attribué à %(email)s.") % {"email": assignee.email})


@require_POST
@observatory_required
def case_note(request, reference):
    report = get_report_for_user(request.user, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, report, {"note": form}, status=422)
    try:
        casework.add_internal_note(report, author=request.user, body=form.cleaned_data["body"])
    except casework.CaseworkError as exc:
        return _refused(request, report, "note", form, exc.message)
    return _done(request, report, _("Note ajoutée."))


@require_POST
@observatory_required
def case_requalify(request, reference):
    report = get_report_for_user(request.user, reference)
    form = RequalifyForm(request.POST, report=report)
    if not form.is_valid():
        return _render_case(request, report, {"requalify": form}, status=422)
    try:
        casework.requalify(report, actor=request.user, **form.changes())
    except casework.CaseworkError as exc:
        return _refused(request, report, "requalify", form, exc.message)
    return _done(request, report, _("Signalement requalifié."))


@require_POST
@observatory_required
def case_merge(request, reference):
    report = get_report_for_user(request.user, reference)
    form = MergeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_case(request, report, {"merge": form}, status=422)
    original = form.cleaned_data["original"]
    try:
        casework.merge_duplicate(report, original=original, actor=request.user, reason=form.cleaned_data["reason"])
    except casework.CaseworkError as exc:
        return _refused(request, report, "merge", form, exc.message)
    return _done(request, report, _("Signalement rattaché à %(reference)s.") % {"reference": original.reference})


@require_POST
@observatory_required
def case_message(request, reference):
    report = get_report_for_user(request.user, reference)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_case(request, report, {"message": form}, status=422)
    recipient = form.cleaned_data["recipient"]
    try:
        messaging.send_message(
            report, sender=Party.OBSERVATORY, recipient=recipient, body=form.cleaned_data["body"], author=request.user
        )
    except messaging.MessagingError as exc:
        return _refused(request, report, "message", form, exc.message)
    return _done(
        request,
        report,
        _("Message envoyé au vendeur.") if recipient == Party.SELLER else _("Message envoyé à la plateforme."),
    )


@require_POST
@observatory_required
def case_message_release(request, reference, message_id):
    report = get_report_for_user(request.user, reference)
    message = messaging.messages_for(report, Party.OBSERVATORY).filter(pk=message_id).first()
    if message is None:
        raise Http404
    try:
        messaging.release_message(message, agent=request.user)
    except messaging.MessagingError as exc:
        messages.error(request, exc.message)
        return _render_case(request, report, status=422)
    return _done(request, report, _("Message transmis à la plateforme."))
