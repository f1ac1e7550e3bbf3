"""The mediator's work on a case confided to the Médiateur des entreprises: stages, private
notes, closing with the outcome of the mediation.

Stages are append-only events (``report.mediation_stage``); the barometer only ever reads the
outcome category of a mediation, nothing of its content (anchors.md, A3). Private notes are a
separate table read by their author only: not agents, not administrators, not another mediator.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError

from .events import record_event
from .models import (
    AnswerKind,
    MediationReferral,
    MediatorNote,
    NotConcernedReason,
    PlatformAnswer,
    PromisedAction,
    RejectionReason,
    Report,
    ReportEvent,
)
from .states import MEDIATION_OUTCOMES, MediationStage, Outcome, ReportState
from .workflow import TransitionError, apply_transition

STAGE_EVENT = "report.mediation_stage"
OPEN_MEDIATION_STATES = (ReportState.REFERRED, ReportState.IN_MEDIATION)
DETAIL_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 10_000
# A stage that calls for closing: the mediator confirms it with the close form (never automatic).
SUGGESTED_OUTCOMES = {MediationStage.PLATFORM_REFUSED: Outcome.PLATFORM_DECLINED_MEDIATION}


class MediationError(DomainError):
    """A refused mediation action; ``message`` is French and shown as is."""


@dataclass(frozen=True)
class StageRecorded:
    event: ReportEvent
    started_mediation: bool
    suggested_outcome: str | None


def _own_referral(report: Report, mediator) -> MediationReferral:
    referral = MediationReferral.objects.filter(report=report).first()
    if referral is None or referral.mediator_id is None or referral.mediator_id != getattr(mediator, "pk", None):
        raise MediationError(_("Ce dossier n'est pas confié à vous."))
    return referral


def record_stage(report: Report, *, mediator, stage: str, on: date, detail: str = "") -> StageRecorded:
    """Record that a stage of the mediation took place ``on`` that day. The first stage of a
    case still "referred" also opens the mediation (``start_mediation``), in the same
    transaction."""
    if stage not in MediationStage.values:
        raise MediationError(_("Choisissez une étape parmi celles proposées."))
    detail = (detail or "").strip()
    if len(detail) > DETAIL_MAX_LENGTH:
        raise MediationError(_("La précision compte %(max)s caractères au plus.") % {"max": DETAIL_MAX_LENGTH})
    if on > timezone.localdate():
        raise MediationError(_("La date de l'étape ne peut pas être dans le futur."))
    with transaction.atomic():
        # The row lock serialises stages and transitions of this report: one chain of events.
        locked = Report.objects.select_for_update().get(pk=report.pk)
        referral = _own_referral(locked, mediator)
        if locked.state not in OPEN_MEDIATION_STATES:
            raise MediationError(
                _("Ce dossier n'est pas en médiation (état : %(state)s).") % {"state": locked.get_state_display()}
            )
        referred_on = timezone.localdate(referral.referred_at)
        if on < referred_on:
            raise MediationError(
                _("La date de l'étape ne peut pas précéder la saisine du %(date)s.")
                % {"date": referred_on.strftime("%d/%m/%Y")}
            )
        started = locked.state == ReportState.REFERRED
        if started:
            try:
                locked = apply_transition(locked, "start_mediation", actor=mediator, actor_kind="mediator")
            except TransitionError as exc:
                raise MediationError(exc.message) from exc
        payload = {"stage": stage, "on": on.isoformat()}
        if detail:
            payload["detail"] = detail
        event = record_event(
            locked, STAGE_EVENT, actor_kind=ReportEvent.ActorKind.MEDIATOR, actor=mediator, payload=payload
        )
    return StageRecorded(event, started, SUGGESTED_OUTCOMES.get(stage))


def close_mediation(report: Report, *, mediator, outcome: str, reason: str = "") -> Report:
    """Close the case with the outcome of the mediation (the seller is told, by the workflow)."""
    if outcome not in MEDIATION_OUTCOMES:
        raise MediationError(_("Le médiateur clôt un dossier par l'issue de la médiation."))
    _own_referral(report, mediator)
    try:
        return apply_transition(
            report, "close", actor=mediator, actor_kind="mediator", outcome=outcome, reason=(reason or "").strip()
        )
    except TransitionError as exc:
        raise MediationError(exc.message) from exc


def add_mediator_note(report: Report, *, mediator, body: str) -> MediatorNote:
    body = (body or "").strip()
    if not body:
        raise MediationError(_("La note est vide."))
    if len(body) > NOTE_MAX_LENGTH:
        raise MediationError(_("Une note compte %(max)s caractères au plus.") % {"max": NOTE_MAX_LENGTH})
    referral = _own_referral(report, mediator)
    return MediatorNote.objects.create(referral=referral, author=mediator, body=body, created_at=timezone.now())


def mediator_notes(report: Report, mediator):
    """The private notes ``mediator`` wrote on this case, oldest first; nobody else's."""
    if not getattr(mediator, "is_authenticated", False):
        return MediatorNote.objects.none()
    return MediatorNote.objects.filter(referral__report=report, author=mediator).order_by("created_at", "id")


def recorded_stages(report: Report) -> list[dict]:
    """The stages recorded on the case, in the order they were recorded."""
    events = report.events.filter(code=STAGE_EVENT).select_related("actor").order_by("id")
    return [
        {
            "stage": event.payload.get("stage"),
            "label": MediationStage(event.payload["stage"]).label
            if event.payload.get("stage") in MediationStage.values
            else event.payload.get("stage", ""),
            "on": date.fromisoformat(event.payload["on"]) if event.payload.get("on") else None,
            "detail": event.payload.get("detail", ""),
            "recorded_at": event.created_at,
        }
        for event in events
    ]


def answers_for_mediator(report: Report) -> list[dict]:
    """The platform's answers as the seller sees them: the message meant for the
    administration only is never read here."""
    labels = {
        AnswerKind.ACCEPTED: dict(PromisedAction.choices),
        AnswerKind.REJECTED: dict(RejectionReason.choices),
        AnswerKind.NOT_CONCERNED: dict(NotConcernedReason.choices),
    }
    rows = (
        PlatformAnswer.objects.filter(report=report)
        .order_by("created_at", "id")
        .values("kind", "reasons", "actions", "message_for_seller", "created_at")
    )
    return [
        {
            "kind": AnswerKind(row["kind"]).label if row["kind"] in AnswerKind.values else row["kind"],
            "codes": [
                str(labels.get(row["kind"], {}).get(code, code)) for code in (row["actions"] or row["reasons"] or [])
            ],
            "message_for_seller": row["message_for_seller"],
            "created_at": row["created_at"],
        }
        for row in rows
    ]


def mediator_cases(mediator):
    """The mediator's cases (one query): open ones first, the longest waiting first, each
    with its referral and its last recorded stage."""
    last_stage = (
        ReportEvent.objects.filter(report=OuterRef("pk"), code=STAGE_EVENT)
        .order_by("-id")
        .annotate(stage_code=KeyTextTransform("stage", "payload"), stage_on=KeyTextTransform("on", "payload"))
    )
    return (
        Report.objects.visible_to(mediator)
        .select_related("mediation_referral", "marketplace", "family")
        .annotate(
            last_stage=Subquery(last_stage.values("stage_code")[:1]),
            last_stage_on=Subquery(last_stage.values("stage_on")[:1]),
            is_closed=Case(
                When(state__in=OPEN_MEDIATION_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("is_closed", "mediation_referral__referred_at", "id")
    )
