"""The operators' and reviewers' decisions on the contract-terms observatory.

``resolve_failure`` closes an incident of the fetch queue (a failed fetch is never a change: once
the cause is fixed, an operator marks it resolved). ``review_notice`` records a reviewer's decision
on a flagged notice check (P2B art. 3 and 8): ``exception`` when an exception applies (legal
obligation, fraud or security threat, waiver by the seller…), ``confirmed`` when the short notice or
the retroactive effect stands. The measure itself (``NoticeCheck.status``) is never rewritten: the
decision sits beside it, with its author, date and note, and the public pages show both.

Both services lock the row, re-check under the lock and raise ``ReviewError`` (French message).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fairplace.core.errors import DomainError

from .models import FetchFailure, NoticeCheck

EXCEPTION = "exception"
CONFIRMED = "confirmed"
DECISIONS = {
    EXCEPTION: gettext_lazy("Exception retenue : le préavis court ou l’effet rétroactif est justifié"),
    CONFIRMED: gettext_lazy("Manquement confirmé : aucune exception ne s’applique"),
}
NOTE_MAX_LENGTH = 2000


class ReviewError(DomainError):
    """A decision the observatory refuses; ``message`` is French and shown as is."""


def resolve_failure(failure: FetchFailure, by) -> FetchFailure:
    """Mark an incident of the fetch queue resolved by ``by`` (once)."""
    with transaction.atomic():
        locked = FetchFailure.objects.select_for_update().get(pk=failure.pk)
        if locked.resolved_at is not None:
            raise ReviewError(_("Cet incident est déjà marqué comme résolu."))
        locked.resolved_at = timezone.now()
        locked.resolved_by = by
        locked.save(update_fields=["resolved_at", "resolved_by"])
    failure.resolved_at, failure.resolved_by = locked.resolved_at, locked.resolved_by
    return locked


def review_notice(check: NoticeCheck, by, decision: str, note: str) -> NoticeCheck:
    """Record the reviewer's decision on a flagged notice check (once)."""
    note = (note or "").strip()
    if decision not in DECISIONS:
        raise ReviewError(_("Choisissez une décision : exception retenue ou manquement confirmé."))
    if len(note) > NOTE_MAX_LENGTH:
        raise ReviewError(_("La note ne peut pas dépasser %(max)s caractères.") % {"max": NOTE_MAX_LENGTH})
    if decision == EXCEPTION and not note:
        raise ReviewError(
            _(
                "Indiquez dans la note l’exception retenue (obligation légale, fraude ou "
                "sécurité, renonciation du vendeur…) : elle sera publiée."
            )
        )
    with transaction.atomic():
        locked = NoticeCheck.objects.select_for_update().get(pk=check.pk)
        if not locked.needs_review:
            raise ReviewError(_("Ce préavis n’est pas à examiner."))
        if locked.review_decision:
            raise ReviewError(_("Ce préavis a déjà été examiné : la décision enregistrée ne peut pas être modifiée."))
        locked.review_decision = decision
        locked.review_note = note
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["review_decision", "review_note", "reviewed_by", "reviewed_at"])
    return locked
