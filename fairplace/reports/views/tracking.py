"""The seller's space, reached by a signed link sent by e-mail (no password): follow a
report, read the platform's answer and rate it, say whether the promised action happened,
write to the observatory or the platform, withdraw the report."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from dsfr.forms import DsfrBaseForm

from fairplace.core.outbox import enqueue_email
from fairplace.core.ratelimit import RateLimited, client_ip, hit
from fairplace.core.views import rate_limited

from .. import intake
from ..answers import code_labels
from ..feedback import (
    FeedbackError,
    confirm_action,
    confirmation_refusal,
    feedback_of,
    rate_answer,
    rating_refusal,
    review_deadline,
    value_label,
)
from ..forms import TrackingRequestForm
from ..messaging import MessagingError, can_write, display_messages, held_messages_of_seller, send_message
from ..models import Attachment, Consent, Party, Report, SellerContact, SellerFeedback
from ..questions import display_answers
from ..states import SELLER_STATE_HELP
from ..timeline import seller_timeline
from ..workflow import OPEN_STATES, TransitionError, apply_transition


def _contact_or_404(token) -> SellerContact:
    contact = intake.contact_from_token(token)
    if contact is None:
        raise Http404
    return contact


def _report_or_404(token, reference) -> Report:
    contact = _contact_or_404(token)
    return get_object_or_404(
        Report.objects.select_related("marketplace", "family"), contact=contact, reference=reference
    )


# Forms ---------------------------------------------------------------------------------


class RatingForm(DsfrBaseForm):
    value = forms.ChoiceField(
        label=gettext_lazy("Cette réponse vous satisfait-elle ?"),
        widget=forms.RadioSelect,
        choices=SellerFeedback.AnswerRating.choices,
        error_messages={"required": gettext_lazy("Choisissez votre avis sur la réponse.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "rating_%s")  # two forms on one page: distinct HTML ids
        super().__init__(*args, **kwargs)


class ActionForm(DsfrBaseForm):
    value = forms.ChoiceField(
        label=gettext_lazy("La plateforme a-t-elle réalisé ce qu'elle avait promis ?"),
        widget=forms.RadioSelect,
        choices=SellerFeedback.ActionOutcome.choices,
        error_messages={"required": gettext_lazy("Indiquez si l'action promise a été réalisée.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)


class SellerMessageForm(DsfrBaseForm):
    recipient = forms.ChoiceField(
        label=gettext_lazy("Destinataire"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez le destinataire.")},
    )
    body = forms.CharField(
        label=gettext_lazy("Votre message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Écrivez votre message.")},
    )

    def __init__(self, *args, report: Report, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(Party.OBSERVATORY, _("L'observatoire"))]
        if can_write(report, Party.SELLER, Party.PLATFORM):
            choices.append((Party.PLATFORM, _("La plateforme (%(name)s)") % {"name": report.marketplace_label}))
        self.fields["recipient"].choices = choices
        if len(choices) == 1:
            self.fields["recipient"].initial = Party.OBSERVATORY


class WithdrawForm(DsfrBaseForm):
    reason = forms.CharField(
        label=gettext_lazy("Pourquoi retirez-vous votre signalement ?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "Je confirme retirer ce signalement : il ne sera plus traité, et je ne pourrai pas le rouvrir moi-même."
        ),
        error_messages={"required": gettext_lazy("Cochez la case pour confirmer le retrait.")},
    )


# Views ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def tracking_request(request):
    form = TrackingRequestForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            hit("link_email", email)
            hit("code_ip", client_ip(request))
        except RateLimited as exc:
            return rate_limited(request, exc)
        contact = SellerContact.objects.filter(email=email).first()
        if contact is not None:
            enqueue_email(to=email, template="tracking_link", context={"tracking_url": intake.tracking_url(contact)})
        # Same answer whether or not the address is known: no one can test an address.
        return render(request, "reports/tracking/sent.html", {"email": email})
    return render(request, "reports/tracking/request.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET"])
def tracking(request, token):
    contact = _contact_or_404(token)
    reports = contact.reports.select_related("marketplace", "family").order_by("-submitted_at")
    return render(request, "reports/tracking/list.html", {"reports": reports, "token": token, "contact": contact})


def _feedback_context(report, bound: dict) -> dict:
    answers = list(report.platform_answers.prefetch_related("attachments", "feedback"))
    latest = answers[-1] if answers else None
    given = feedback_of(latest) if latest else {"rating": None, "confirmation": None}
    can_rate = latest is not None and given["rating"] is None and rating_refusal(report, latest) is None
    can_confirm = latest is not None and given["confirmation"] is None and confirmation_refusal(latest) is None
    return {
        "platform_answers": [(answer, code_labels(answer)) for answer in answers],
        "latest_answer": latest,
        "rating_label": value_label(given["rating"]) if given["rating"] else "",
        "confirmation_label": value_label(given["confirmation"]) if given["confirmation"] else "",
        "review_deadline": review_deadline(latest) if latest else None,
        "rating_form": bound.get("rate") or (RatingForm() if can_rate else None),
        "action_form": bound.get("action") or (ActionForm() if can_confirm else None),
    }


def _render_detail(request, token, report, *, bound=None, status=200):
    bound = bound or {}
    context = {
        "report": report,
        "token": token,
        "answers": display_answers(report.family.questions, report.answers),
        "state_help": SELLER_STATE_HELP.get(report.state, ""),
        "timeline": seller_timeline(report),
        # The seller's own evidence; files joined to an answer are listed under the answer.
        "attachments": report.attachments.filter(answer__isnull=True),
        "thread": display_messages(report, Party.SELLER),
        "held_messages": held_messages_of_seller(report),
        "message_form": bound.get("message") or SellerMessageForm(report=report),
        "anonymous": report.consent == Consent.ANONYMOUS,
        "withdraw_form": bound.get("withdraw") or (WithdrawForm() if report.state in OPEN_STATES else None),
        "failed_form": next(iter(bound.values()), None),
        **_feedback_context(report, bound),
    }
    return render(request, "reports/tracking/detail.html", context, status=status)


@require_http_methods(["GET"])
def tracking_detail(request, token, reference):
    return _render_detail(request, token, _report_or_404(token, reference))


def _post(request, token, reference, *, key, form, action, success):
    """Validate the form ``form(report)``, run ``action(report, cleaned_data)``; on a domain
    error show it in French with everything typed kept (422)."""
    report = _report_or_404(token, reference)
    form = form(report)
    if form.is_valid():
        try:
            result = action(report, form.cleaned_data)
        except (FeedbackError, MessagingError, TransitionError) as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect("reports:tracking_detail", token, reference)
    return _render_detail(request, token, report, bound={key: form}, status=422)


@require_http_methods(["POST"])
def tracking_rate(request, token, reference):
    return _post(
        request,
        token,
        reference,
        key="rate",
        form=lambda report: RatingForm(data=request.POST),
        action=lambda report, data: rate_answer(report, value=data["value"], comment=data["comment"]),
        success=_("Merci : votre avis sur la réponse de la plateforme a été enregistré."),
    )


@require_http_methods(["POST"])
def tracking_action(request, token, reference):
    return _post(
        request,
        token,
        reference,
        key="action",
        form=lambda report: ActionForm(data=request.POST),
        action=lambda report, data: confirm_action(report, value=data["value"], comment=data["comment"]),
        success=_("Merci : votre réponse sur l'action promise a été enregistrée."),
    )


def _message_sent(message) -> str:
    if message.released_at is None:
        return _(
            "Votre message a été enregistré. Comme vous avez choisi l'anonymat, un agent de l'observatoire "
            "le relit avant de le transmettre à la plateforme."
        )
    return _("Votre message a été envoyé.")


@require_http_methods(["POST"])
def tracking_message(request, token, reference):
    return _post(
        request,
        token,
        reference,
        key="message",
        form=lambda report: SellerMessageForm(data=request.POST, report=report),
        action=lambda report, data: send_message(
            report, sender=Party.SELLER, recipient=data["recipient"], body=data["body"]
        ),
        success=_message_sent,
    )


@require_http_methods(["POST"])
def tracking_withdraw(request, token, reference):
    return _post(
        request,
        token,
        reference,
        key="withdraw",
        form=lambda report: WithdrawForm(data=request.POST),
        action=lambda report, data: apply_transition(
            report, "withdraw", actor_kind="seller", reason=data["reason"].strip()
        ),
        success=_("Votre signalement a été retiré."),
    )


@require_http_methods(["GET"])
def tracking_attachment(request, token, reference, attachment_id):
    report = _report_or_404(token, reference)
    attachment = get_object_or_404(report.attachments, pk=attachment_id)
    # The seller's own files, always; a platform's files only once the antivirus said clean.
    if attachment.answer_id is not None and attachment.scan_status != Attachment.ScanStatus.CLEAN:
        return render(request, "reports/attachment_blocked.html", {"attachment": attachment}, status=403)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


def tracking_home(request):
    return redirect("reports:tracking_request")
