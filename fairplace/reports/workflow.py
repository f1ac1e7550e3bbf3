"""The only place a report changes state.

A transition names its allowed source states, its target, a guard that returns a French
reason when it may not happen, and what it records. ``apply_transition`` locks the report,
re-checks everything under the lock, writes the new state and one append-only event in the
same transaction; the e-mail to the seller goes through the outbox in that transaction too,
so it leaves only if the change is committed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fairplace.core.errors import DomainError
from fairplace.core.models import Role
from fairplace.core.outbox import enqueue_email

from . import deadlines
from .events import record_event
from .intake import tracking_url
from .models import (
    AnswerKind,
    Consent,
    MediationReferral,
    NotConcernedReason,
    PlatformAnswer,
    PromisedAction,
    RejectionReason,
    Report,
)
from .states import MEDIATION_OUTCOMES, SELLER_STATE_HELP, Outcome, ReportState

S = ReportState


class TransitionError(DomainError):
    """A refused transition; ``message`` is French and shown as is."""


Guard = Callable[[Report, dict], str | None]


AGENT, PLATFORM, MEDIATOR, SELLER, SYSTEM = "agent", "platform", "mediator", "seller", "system"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    event: str
    guard: Guard = lambda report, payload: None
    notify_seller: bool = False
    payload_keys: tuple[str, ...] = field(default=())
    # Who may take this step (``actor_kind`` of apply_transition).
    actors: frozenset[str] = frozenset({AGENT})
    # The guard reads the report only (no payload): a step it refuses is not offered at all.
    guard_reads_report_only: bool = False
    # Which people may take it, beyond their actor kind (None: anyone of the kind). Code acting for no one
    # (actor=None: imports, the system) is not a person and is not refused by this rule.
    person_may: Callable | None = None

    def allows(self, actor) -> bool:
        return actor is None or self.person_may is None or self.person_may(actor)


def _needs_reason(report, payload):
    if not (payload.get("reason") or "").strip():
        return _("Indiquez le motif.")
    return None


def _supervises(user) -> bool:
    """Reopening undoes a decision: supervisors and administrators only, never a plain agent."""
    return user.is_superuser or user.role != Role.AGENT


def _duplicate_guard(report, payload):
    original = Report.objects.filter(reference=payload.get("duplicate_of") or "").first()
    if original is None:
        return _("Indiquez la référence du signalement d'origine.")
    if original.pk == report.pk:
        return _("Un signalement ne peut pas être le doublon de lui-même.")
    if original.state == S.DUPLICATE:
        return _("Le signalement d'origine est lui-même un doublon : indiquez l'original.")
    return None


def _forward_guard(report, payload):
    if report.consent not in (Consent.ANONYMOUS, Consent.IDENTIFIED):
        return _("Le vendeur n'a pas accepté la transmission à la plateforme.")
    if report.marketplace_id is None:
        return _("La place de marché n'est pas dans le registre : transmission impossible.")
    return None


def _overdue_guard(report, payload):
    if report.answer_due_at is None or report.answer_due_at >= timezone.now():
        return _("Le délai de réponse de la plateforme n'est pas écoulé.")
    return None


# The codes a structured answer may carry, by kind: promised actions when accepted, reason
# codes when rejected or not concerned.
ANSWER_CODES = {
    AnswerKind.ACCEPTED: ("actions", PromisedAction),
    AnswerKind.REJECTED: ("reasons", RejectionReason),
    AnswerKind.NOT_CONCERNED: ("reasons", NotConcernedReason),
}


def _answer_guard(report, payload):
    kind = payload.get("kind")
    if kind not in ANSWER_CODES:
        return _("Indiquez le sens de la réponse : acceptée, rejetée ou non concernée.")
    key, choices = ANSWER_CODES[kind]
    codes = payload.get(key) or []
    if not codes or any(code not in choices.values for code in codes):
        return (
            _("Indiquez au moins une action promise.")
            if key == "actions"
            else _("Indiquez au moins un motif parmi ceux proposés.")
        )
    other_key = "reasons" if key == "actions" else "actions"
    if payload.get(other_key):
        message = (
            _("Une réponse « %(kind)s » ne comporte pas de motif.")
            if other_key == "reasons"
            else _("Une réponse « %(kind)s » ne comporte pas d'action promise.")
        )
        return message % {"kind": AnswerKind(kind).label}
    if not (payload.get("message_for_seller") or "").strip():
        return _("La réponse doit comporter un message pour le vendeur.")
    return None


def _mediation_guard(report, payload):
    if report.consent != Consent.MEDIATION and not payload.get("seller_consent"):
        return _("Le vendeur n'a pas demandé la médiation : elle ne peut être engagée qu'avec son accord.")
    return None


def _close_guard(report, payload):
    outcome = payload.get("outcome")
    if outcome not in Outcome.values:
        return _("Indiquez l'issue du signalement.")
    if outcome in MEDIATION_OUTCOMES and report.state not in (S.REFERRED, S.IN_MEDIATION):
        return _("Cette issue n'est possible qu'après une saisine du médiateur.")
    if payload.get("_actor_kind") == MEDIATOR and outcome not in MEDIATION_OUTCOMES:
        return _("Le médiateur clôt un dossier par l'issue de la médiation.")
    if payload.get("_actor_kind") == MEDIATOR and _not_their_case(report, payload.get("_actor")):
        return _("Ce dossier est confié à un autre médiateur.")
    if outcome == Outcome.WITHDRAWN:
        return _("Le retrait d'un signalement se fait par l'action « Retirer le signalement ».")
    return None


def _not_their_case(report, mediator) -> bool:
    referral = MediationReferral.objects.filter(report=report).only("mediator_id").first()
    return referral is None or referral.mediator_id not in (None, getattr(mediator, "pk", None))


def _start_mediation_guard(report, payload):
    if payload.get("_actor_kind") == MEDIATOR and _not_their_case(report, payload.get("_actor")):
        return _("Ce dossier est confié à un autre médiateur.")
    return None


def _t(name, label, sources, target, event, **kwargs):
    return Transition(name, label, frozenset(sources), target, event, **kwargs)


OPEN_STATES = [S.SUBMITTED, S.QUALIFIED, S.FORWARDED, S.ANSWERED, S.OVERDUE, S.REFERRED, S.IN_MEDIATION]

TRANSITIONS = {
    t.name: t
    for t in [
        _t("qualify", gettext_lazy("Qualifier"), [S.SUBMITTED], S.QUALIFIED, "report.qualified", notify_seller=True),
        _t(
            "reject_as_not_admissible",
            gettext_lazy("Déclarer non recevable"),
            [S.SUBMITTED, S.QUALIFIED],
            S.NOT_ADMISSIBLE,
            "report.not_admissible",
            guard=_needs_reason,
            notify_seller=True,
            payload_keys=("reason",),
        ),
        _t(
            "mark_duplicate",
            gettext_lazy("Marquer comme doublon"),
            [S.SUBMITTED, S.QUALIFIED],
            S.DUPLICATE,
            "report.duplicate",
            guard=_duplicate_guard,
            payload_keys=("duplicate_of",),
        ),
        _t(
            "forward",
            gettext_lazy("Transmettre à la plateforme"),
            [S.QUALIFIED],
            S.FORWARDED,
            "report.forwarded",
            guard=_forward_guard,
            notify_seller=True,
            guard_reads_report_only=True,
        ),
        _t(
            "mark_overdue",
            gettext_lazy("Constater l'absence de réponse"),
            [S.FORWARDED],
            S.OVERDUE,
            "report.overdue",
            guard=_overdue_guard,
            notify_seller=True,
            actors=frozenset({SYSTEM, AGENT}),
            guard_reads_report_only=True,
        ),
        # Platforms answer in their space; an agent may record an answer received another way.
        _t(
            "record_answer",
            gettext_lazy("Enregistrer la réponse de la plateforme"),
            [S.FORWARDED, S.OVERDUE],
            S.ANSWERED,
            "report.answered",
            guard=_answer_guard,
            notify_seller=True,
            payload_keys=("kind", "reasons", "actions"),
            actors=frozenset({PLATFORM, AGENT}),
        ),
        _t(
            "refer_to_mediation",
            gettext_lazy("Confier au médiateur"),
            [S.QUALIFIED, S.ANSWERED, S.OVERDUE],
            S.REFERRED,
            "report.referred_to_mediation",
            guard=_mediation_guard,
            notify_seller=True,
            payload_keys=("seller_consent",),
        ),
        _t(
            "start_mediation",
            gettext_lazy("Ouvrir la médiation"),
            [S.REFERRED],
            S.IN_MEDIATION,
            "report.mediation_started",
            guard=_start_mediation_guard,
            actors=frozenset({MEDIATOR, AGENT}),
        ),
        _t(
            "close",
            gettext_lazy("Clore"),
            [S.QUALIFIED, S.ANSWERED, S.OVERDUE, S.REFERRED, S.IN_MEDIATION],
            S.CLOSED,
            "report.closed",
            guard=_close_guard,
            notify_seller=True,
            payload_keys=("outcome", "reason"),
            actors=frozenset({AGENT, MEDIATOR}),
        ),
        # The seller may withdraw a report at any time before it is closed.
        _t(
            "withdraw",
            gettext_lazy("Retirer le signalement"),
            OPEN_STATES,
            S.CLOSED,
            "report.withdrawn",
            notify_seller=True,
            payload_keys=("reason",),
            actors=frozenset({SELLER, AGENT}),
        ),
        _t(
            "reopen",
            gettext_lazy("Rouvrir"),
            [S.CLOSED, S.NOT_ADMISSIBLE, S.DUPLICATE],
            S.QUALIFIED,
            "report.reopened",
            guard=_needs_reason,
            notify_seller=True,
            payload_keys=("reason",),
            person_may=_supervises,
        ),
    ]
}


def available_transitions(report: Report, actor_kind: str = AGENT, actor=None) -> list[Transition]:
    """The steps ``actor_kind`` (and the person ``actor``) may offer on ``report`` now. Steps whose guard
    reads only the report and refuses (forwarding a "baromètre seulement" report, overdue before the
    deadline) are left out; the others are offered and their guard answers on submit."""
    return [
        t
        for t in TRANSITIONS.values()
        if report.state in t.sources
        and actor_kind in t.actors
        and t.allows(actor)
        and not (t.guard_reads_report_only and t.guard(report, {"_actor_kind": actor_kind}))
    ]


def apply_transition(report: Report, name: str, *, actor=None, actor_kind: str = "agent", **payload) -> Report:
    """Move ``report`` through transition ``name`` or raise TransitionError."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionError(_("Action inconnue."))
    if actor_kind not in transition.actors:
        raise TransitionError(_("Vous ne pouvez pas effectuer l'action « %(action)s ».") % {"action": transition.label})
    if not transition.allows(actor):
        raise TransitionError(
            _("« %(action)s » est réservé aux superviseurs et aux administrateurs.") % {"action": transition.label}
        )
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state not in transition.sources:
            raise TransitionError(
                _("« %(action)s » est impossible pour un signalement à l'état « %(state)s ».")
                % {"action": transition.label, "state": locked.get_state_display()}
            )
        reason = transition.guard(locked, {**payload, "_actor_kind": actor_kind, "_actor": actor})
        if reason:
            raise TransitionError(reason)
        previous = locked.state
        recorded = _set_fields(locked, transition, {**payload, "_actor": actor})
        recorded = {**{key: payload[key] for key in transition.payload_keys if key in payload}, **recorded}
        record_event(
            locked,
            transition.event,
            actor=actor,
            actor_kind=actor_kind,
            payload={"from": previous, "to": locked.state, **recorded},
        )
        if transition.notify_seller:
            _notify_seller(locked)
        if transition.name == "forward":
            notify_platform(locked, "report_forwarded_to_platform")
    return locked


def _set_fields(report: Report, transition: Transition, payload: dict) -> dict:
    """Write the new state and what goes with it; return what the event records beyond the
    transition's payload keys."""
    report.state = transition.target
    fields, recorded = ["state"], {}
    if transition.name == "forward":
        report.forwarded_at = timezone.now()
        report.answer_due_at = deadlines.due_at("platform_answer", report.forwarded_at)
        fields += ["forwarded_at", "answer_due_at"]
        recorded["answer_due_at"] = report.answer_due_at.isoformat()
    elif transition.name == "mark_duplicate":
        report.duplicate_of = Report.objects.get(reference=payload["duplicate_of"])
        fields.append("duplicate_of")
    elif transition.name == "record_answer":
        answer = _create_answer(report, payload)
        recorded.update({"answer_id": answer.pk, "reasons": answer.reasons, "actions": answer.actions})
    elif transition.name == "refer_to_mediation":
        mediator = payload.get("mediator")
        recorded["mediator_id"] = mediator.pk if mediator else None  # the event stores the id
        MediationReferral.objects.update_or_create(
            report=report, defaults={"mediator": mediator, "referred_at": timezone.now()}
        )
    elif transition.name == "close":
        report.outcome = payload["outcome"]
        fields.append("outcome")
    elif transition.name == "withdraw":
        report.outcome = Outcome.WITHDRAWN
        fields.append("outcome")
        recorded["outcome"] = Outcome.WITHDRAWN
    elif transition.name == "reopen":
        report.outcome, report.answer_due_at, report.duplicate_of = "", None, None
        fields += ["outcome", "answer_due_at", "duplicate_of"]
    report.save(update_fields=fields)
    return recorded


def _create_answer(report: Report, payload: dict) -> PlatformAnswer:
    now = timezone.now()
    actions = list(payload.get("actions") or [])
    return PlatformAnswer.objects.create(
        report=report,
        kind=payload["kind"],
        reasons=list(payload.get("reasons") or []),
        actions=actions,
        message_for_seller=payload["message_for_seller"].strip(),
        message_for_administration=(payload.get("message_for_administration") or "").strip(),
        author=payload.get("_actor"),
        created_at=now,
        follow_up_due_at=deadlines.due_at("promised_action_follow_up", now) if actions else None,
    )


def notify_platform(report: Report, template: str, **context) -> None:
    """E-mail every representative of the report's marketplace (never the seller's identity:
    the templates carry the reference and a link to the platform space only)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        platform_representative__marketplace_id=report.marketplace_id, is_active=True
    )
    url = settings.FAIRPLACE_PUBLIC_URL + reverse("platform_space:report", args=[report.reference])
    for user in users.only("email"):
        enqueue_email(
            to=user.email,
            template=template,
            context={
                "reference": report.reference,
                "marketplace": report.marketplace.name if report.marketplace_id else "",
                "answer_due_at": report.answer_due_at,
                "url": url,
                **context,
            },
        )


def _notify_seller(report: Report) -> None:
    enqueue_email(
        to=report.contact_email,
        template="report_state_changed",
        context={
            "report": report,
            "state_label": report.get_state_display(),
            "state_help": SELLER_STATE_HELP.get(report.state, ""),
            "tracking_url": tracking_url(report.contact),
        },
    )
