"""Case handling by the observatory: assignment, internal notes, requalification, duplicates,
and the queue's bulk actions. Each service takes the acting user as a keyword argument and
raises ``CaseworkError`` with a French message the view shows as is.

Changes to a report lock its row (``select_for_update``) and record one append-only event in
the same transaction, like ``workflow.apply_transition``.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fairplace.core.errors import DomainError

from .events import record_event
from .models import InternalNote, Report
from .states import ReportState
from .workflow import TransitionError, apply_transition

NOTE_MAX_LENGTH = 5000
# Requalification changes what the platform would receive: only before forwarding.
REQUALIFIABLE_STATES = (ReportState.SUBMITTED, ReportState.QUALIFIED)


class CaseworkError(DomainError):
    """A refused case-handling action; ``message`` is French and shown as is."""


def _check_actor(actor) -> None:
    if actor is None or not actor.works_the_queue:
        raise CaseworkError(_("Seuls les agents de l'observatoire peuvent traiter les dossiers."))


def assign(report: Report, *, assignee, actor) -> Report:
    """Give the case to ``assignee`` (an active observatory user), or to nobody (None)."""
    _check_actor(actor)
    if assignee is not None and not assignee.works_the_queue:
        raise CaseworkError(
            _("%(user)s n'est pas un agent actif de l'observatoire : attribution impossible.")
            % {"user": assignee.get_full_name() or assignee.email}
        )
    new_id = assignee.pk if assignee is not None else None
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        old_id = locked.assigned_to_id
        if old_id != new_id:
            locked.assigned_to = assignee
            locked.save(update_fields=["assigned_to"])
            record_event(
                locked, "report.assigned", actor_kind="agent", actor=actor, payload={"from": old_id, "to": new_id}
            )
    return locked


def add_internal_note(report: Report, *, author, body: str) -> InternalNote:
    """An agents' note on the case (never shown to the seller or the platform)."""
    _check_actor(author)
    body = (body or "").strip()
    if not body:
        raise CaseworkError(_("La note est vide."))
    if len(body) > NOTE_MAX_LENGTH:
        raise CaseworkError(
            _("La note compte %(count)d caractères ; %(max)d au plus.") % {"count": len(body), "max": NOTE_MAX_LENGTH}
        )
    return InternalNote.objects.create(report=report, author=author, body=body, created_at=timezone.now())


def requalify(report: Report, *, actor, family=None, marketplace=None, reason: str) -> Report:
    """Change the problem family and/or the marketplace of a report not yet forwarded."""
    _check_actor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise CaseworkError(_("Indiquez le motif de la requalification."))
    with transaction.atomic():
        # No select_related: PostgreSQL cannot lock the nullable side of an outer join (marketplace).
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state not in REQUALIFIABLE_STATES:
            raise CaseworkError(
                _(
                    "Un signalement à l'état « %(state)s » ne peut plus être requalifié : la "
                    "requalification se fait avant la transmission à la plateforme."
                )
                % {"state": locked.get_state_display()}
            )
        changes = {}
        if family is not None and family.pk != locked.family_id:
            changes["family"] = {"from": locked.family.code, "to": family.code}
            locked.family = family
        if marketplace is not None and marketplace.pk != locked.marketplace_id:
            changes["marketplace"] = {
                "from": locked.marketplace.slug if locked.marketplace_id else None,
                "to": marketplace.slug,
            }
            locked.marketplace = marketplace
        if not changes:
            raise CaseworkError(_("Rien à changer : choisissez une autre famille ou une autre place de marché."))
        locked.save(update_fields=[{"family": "family", "marketplace": "marketplace"}[key] for key in changes])
        record_event(
            locked,
            "report.requalified",
            actor_kind="agent",
            actor=actor,
            payload={"changes": changes, "reason": reason},
        )
    return locked


def merge_duplicate(duplicate: Report, *, original: Report, actor, reason: str = "") -> Report:
    """Mark ``duplicate`` as a duplicate of ``original`` (the workflow's ``mark_duplicate``).
    Nothing moves: the original lists its duplicates (``original.duplicates``). The reason,
    when given, is kept as an internal note (the transition's event records the reference)."""
    _check_actor(actor)
    with transaction.atomic():
        try:
            merged = apply_transition(
                duplicate, "mark_duplicate", actor=actor, actor_kind="agent", duplicate_of=original.reference
            )
        except TransitionError as exc:
            raise CaseworkError(exc.message) from exc
        if (reason or "").strip():
            add_internal_note(
                merged,
                author=actor,
                body=_("Doublon de %(reference)s : %(reason)s")
                % {"reference": original.reference, "reason": reason.strip()},
            )
    return merged


# Bulk actions of the queue ----------------------------------------------------------------

BULK_MAX = 100
# action → (transition name or None, French noun used in "FP-… : <noun> impossible : …")
BULK_ACTIONS = {
    "assign_me": (None, gettext_lazy("attribution")),
    "assign_to": (None, gettext_lazy("attribution")),
    "unassign": (None, gettext_lazy("retrait de l'attribution")),
    "qualify": ("qualify", gettext_lazy("qualification")),
    "forward": ("forward", gettext_lazy("transmission")),
    "mark_overdue": ("mark_overdue", gettext_lazy("constat de retard")),
}


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def apply_bulk_action(references: list[str], *, action: str, actor, assignee=None) -> BulkResult:
    """Apply ``action`` to each report, one at a time (each in its own transaction): a
    refusal for one report is reported and does not stop the others."""
    _check_actor(actor)
    if action not in BULK_ACTIONS:
        raise CaseworkError(_("Action inconnue."))
    if len(references) > BULK_MAX:
        raise CaseworkError(_("Sélectionnez %(max)d signalements au plus.") % {"max": BULK_MAX})
    if action == "assign_to" and assignee is None:
        raise CaseworkError(_("Choisissez l'agent à qui attribuer les signalements."))
    transition, noun = BULK_ACTIONS[action]
    reports = {r.reference: r for r in Report.objects.visible_to(actor).filter(reference__in=references)}
    result = BulkResult()
    for reference in dict.fromkeys(references):  # de-duplicated, in the order given
        report = reports.get(reference)
        try:
            if report is None:
                raise CaseworkError(_("signalement introuvable"))
            if transition:
                apply_transition(report, transition, actor=actor, actor_kind="agent")
            else:
                target = {"assign_me": actor, "assign_to": assignee, "unassign": None}[action]
                assign(report, assignee=target, actor=actor)
        except (TransitionError, CaseworkError) as exc:
            result.failures.append(
                _("%(reference)s : %(noun)s impossible : %(reason)s")
                % {"reference": reference, "noun": noun, "reason": exc.message}
            )
        else:
            result.done.append(reference)
    return result
