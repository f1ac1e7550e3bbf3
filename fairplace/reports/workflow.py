"""The only place a report changes state.

A transition names its allowed source states, its target, a guard that returns a French
reason when it may not happen, and what it records. ``apply_transition`` locks the report,
re-checks everything under the lock, writes the new state and one append-only event in the
same transaction; the e-mail to the seller goes through the outbox in that transaction too,
so it leaves only if the change is committed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fairplace.core.outbox import enqueue_email

from . import deadlines
from .events import record_event
from .intake import tracking_url
from .models import Consent, MediationReferral, Report
from .states import MEDIATION_OUTCOMES, SELLER_STATE_HELP, Outcome, ReportState

S = ReportState


class TransitionError(Exception):
    """A refused transition; ``message`` is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


Guard = Callable[[Report, dict], str | None]


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


def _needs_reason(report, payload):
    if not (payload.get("reason") or "").strip():
        return _("Indiquez le motif.")
    return None


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


ANSWER_KINDS = {"accepted", "rejected", "not_concerned"}


def _answer_guard(report, payload):
    if payload.get("kind") not in ANSWER_KINDS:
        return _("Indiquez le sens de la réponse : acceptée, rejetée ou non concernée.")
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
    return None


def _t(name, label, sources, target, event, **kwargs):
    return Transition(name, label, frozenset(sources), target, event, **kwargs)


TRANSITIONS = {t.name: t for t in [
    _t("qualify", gettext_lazy("Qualifier"), [S.SUBMITTED], S.QUALIFIED, "report.qualified", notify_seller=True),
    _t("reject_as_not_admissible", gettext_lazy("Déclarer non recevable"), [S.SUBMITTED, S.QUALIFIED],
       S.NOT_ADMISSIBLE, "report.not_admissible", guard=_needs_reason, notify_seller=True, payload_keys=("reason",)),
    _t("mark_duplicate", gettext_lazy("Marquer comme doublon"), [S.SUBMITTED, S.QUALIFIED], S.DUPLICATE,
       "report.duplicate", guard=_duplicate_guard, payload_keys=("duplicate_of",)),
    _t("forward", gettext_lazy("Transmettre à la plateforme"), [S.QUALIFIED], S.FORWARDED, "report.forwarded",
       guard=_forward_guard, notify_seller=True),
    _t("mark_overdue", gettext_lazy("Constater l'absence de réponse"), [S.FORWARDED], S.OVERDUE, "report.overdue",
       guard=_overdue_guard, notify_seller=True),
    _t("record_answer", gettext_lazy("Enregistrer la réponse de la plateforme"), [S.FORWARDED, S.OVERDUE],
       S.ANSWERED, "report.answered", guard=_answer_guard, notify_seller=True,
       payload_keys=("kind", "reasons", "actions", "message_for_seller", "message_for_administration")),
    _t("refer_to_mediation", gettext_lazy("Confier au médiateur"), [S.QUALIFIED, S.ANSWERED, S.OVERDUE],
       S.REFERRED, "report.referred_to_mediation", guard=_mediation_guard, notify_seller=True,
       payload_keys=("seller_consent",)),
    _t("start_mediation", gettext_lazy("Ouvrir la médiation"), [S.REFERRED], S.IN_MEDIATION,
       "report.mediation_started"),
    _t("close", gettext_lazy("Clore"), [S.QUALIFIED, S.ANSWERED, S.OVERDUE, S.REFERRED, S.IN_MEDIATION],
       S.CLOSED, "report.closed", guard=_close_guard, notify_seller=True, payload_keys=("outcome", "reason")),
    _t("reopen", gettext_lazy("Rouvrir"), [S.CLOSED, S.NOT_ADMISSIBLE, S.DUPLICATE], S.QUALIFIED,
       "report.reopened", guard=_needs_reason, notify_seller=True, payload_keys=("reason",)),
]}


def available_transitions(report: Report) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if report.state in t.sources]


def apply_transition(report: Report, name: str, *, actor=None, actor_kind: str = "agent", **payload) -> Report:
    """Move ``report`` through transition ``name`` or raise TransitionError."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionError(_("Action inconnue."))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state not in transition.sources:
            raise TransitionError(_("« %(action)s » est impossible pour un signalement à l'état « %(state)s ».")
                                  % {"action": transition.label, "state": locked.get_state_display()})
        reason = transition.guard(locked, payload)
        if reason:
            raise TransitionError(reason)
        previous = locked.state
        recorded = _set_fields(locked, transition, payload)
        recorded.update({key: payload[key] for key in transition.payload_keys if key in payload})
        record_event(locked, transition.event, actor=actor, actor_kind=actor_kind,
                     payload={"from": previous, "to": locked.state, **recorded})
        if transition.notify_seller:
            _notify_seller(locked)
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
    elif transition.name == "refer_to_mediation":
        mediator = payload.get("mediator")
        recorded["mediator_id"] = mediator.pk if mediator else None  # the event stores the id
        MediationReferral.objects.update_or_create(
            report=report, defaults={"mediator": mediator, "referred_at": timezone.now()})
    elif transition.name == "close":
        report.outcome = payload["outcome"]
        fields.append("outcome")
    elif transition.name == "reopen":
        report.outcome, report.answer_due_at = "", None
        fields += ["outcome", "answer_due_at"]
    report.save(update_fields=fields)
    return recorded


def _notify_seller(report: Report) -> None:
    enqueue_email(to=report.contact_email, template="report_state_changed", context={
        "report": report, "state_label": report.get_state_display(),
        "state_help": SELLER_STATE_HELP.get(report.state, ""), "tracking_url": tracking_url(report.contact),
    })
