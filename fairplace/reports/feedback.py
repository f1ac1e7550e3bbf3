"""What the seller says of the platform's answer and, later, of the promised action.

Stored apart from the platform's ``PlatformAnswer`` (what the platform claims) so that the
barometer can publish the gap between the two (FixMyStreet's "fixed by user" vs "fixed by
council", SignalConso's answer review and "promise kept?" review).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError

from . import deadlines
from .events import record_event
from .models import PlatformAnswer, Report, SellerFeedback
from .states import ReportState

MAX_COMMENT = 2000
Kind = SellerFeedback.Kind
# States in which the latest answer may be rated: answered, or moved on since.
RATEABLE_STATES = {ReportState.ANSWERED, ReportState.REFERRED, ReportState.IN_MEDIATION, ReportState.CLOSED}


class FeedbackError(DomainError):
    """A refused rating or confirmation; ``message`` is French and shown as is."""


def latest_answer(report: Report) -> PlatformAnswer | None:
    return PlatformAnswer.objects.filter(report=report).order_by("-id").first()


def review_deadline(answer: PlatformAnswer):
    """The last moment the seller may rate ``answer``."""
    return deadlines.due_at("seller_review_window", answer.created_at)


def rating_refusal(report: Report, answer: PlatformAnswer | None) -> str | None:
    """Why the seller may not rate the latest answer now, or None. Does not look at an
    existing rating (the caller checks it under the lock)."""
    if answer is None or report.state not in RATEABLE_STATES:
        return _("La plateforme n'a pas encore répondu : il n'y a pas de réponse à évaluer.")
    if timezone.now() > review_deadline(answer):
        return _("Le délai pour évaluer cette réponse est écoulé (%(days)d jours après la réponse).") % {
            "days": deadlines.rules()["seller_review_window"].days
        }
    return None


def confirmation_refusal(answer: PlatformAnswer | None) -> str | None:
    if answer is None:
        return _("La plateforme n'a pas encore répondu.")
    if not answer.actions:
        return _("La réponse de la plateforme ne promettait aucune action.")
    return None


def _clean(value: str, choices, comment: str, missing: str) -> str:
    if value not in choices.values:
        raise FeedbackError(missing)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise FeedbackError(_("Votre commentaire dépasse %(max)d caractères.") % {"max": MAX_COMMENT})
    return comment


def rate_answer(report: Report, *, value: str, comment: str = "") -> SellerFeedback:
    """The seller's opinion of the latest answer: once per answer, within the review window."""
    comment = _clean(value, SellerFeedback.AnswerRating, comment, _("Choisissez votre avis sur la réponse."))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        answer = latest_answer(locked)
        refusal = rating_refusal(locked, answer)
        if refusal:
            raise FeedbackError(refusal)
        feedback = _create(
            locked,
            answer,
            Kind.ANSWER_RATING,
            value,
            comment,
            already=_("Vous avez déjà donné votre avis sur cette réponse."),
        )
        record_event(
            locked, "report.answer_rated", actor_kind="seller", payload={"answer_id": answer.pk, "value": value}
        )
    return feedback


def confirm_action(report: Report, *, value: str, comment: str = "") -> SellerFeedback:
    """Whether the action the platform promised happened, as the seller says: once per answer,
    asked from ``follow_up_due_at`` on but accepted earlier if the seller already knows."""
    comment = _clean(value, SellerFeedback.ActionOutcome, comment, _("Indiquez si l'action promise a été réalisée."))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        answer = latest_answer(locked)
        refusal = confirmation_refusal(answer)
        if refusal:
            raise FeedbackError(refusal)
        feedback = _create(
            locked,
            answer,
            Kind.ACTION_CONFIRMATION,
            value,
            comment,
            already=_("Vous avez déjà indiqué si l'action promise a été réalisée."),
        )
        record_event(
            locked, "report.action_confirmed", actor_kind="seller", payload={"answer_id": answer.pk, "value": value}
        )
    return feedback


def _create(report, answer, kind, value, comment, *, already: str) -> SellerFeedback:
    if SellerFeedback.objects.filter(answer=answer, kind=kind).exists():
        raise FeedbackError(already)
    try:
        with transaction.atomic():  # the unique constraint is the last word
            return SellerFeedback.objects.create(
                report=report, answer=answer, kind=kind, value=value, comment=comment, created_at=timezone.now()
            )
    except IntegrityError as exc:
        raise FeedbackError(already) from exc


def feedback_of(answer: PlatformAnswer) -> dict:
    """The seller's rating and action confirmation of ``answer`` (or None), by kind."""
    found = {feedback.kind: feedback for feedback in answer.feedback.all()}
    return {"rating": found.get(Kind.ANSWER_RATING), "confirmation": found.get(Kind.ACTION_CONFIRMATION)}


def value_label(feedback: SellerFeedback) -> str:
    """The French label of a rating or an action outcome."""
    choices = SellerFeedback.AnswerRating if feedback.kind == Kind.ANSWER_RATING else SellerFeedback.ActionOutcome
    return str(dict(choices.choices).get(feedback.value, feedback.value))
