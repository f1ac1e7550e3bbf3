"""A platform's structured answer, with its files, and the platform's first reading."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError
from fairplace.core.files import check_upload, safe_filename

from .events import record_event
from .models import (
    AnswerKind,
    Attachment,
    NotConcernedReason,
    PlatformAnswer,
    PromisedAction,
    RejectionReason,
    Report,
)
from .states import ReportState
from .workflow import TransitionError, apply_transition

MAX_FILES = 3
MAX_BYTES = 10 * 1024 * 1024
ANSWERABLE_STATES = {ReportState.FORWARDED, ReportState.OVERDUE}
READ_EVENT = "report.read_by_platform"


class AnswerError(DomainError):
    """A refused answer; ``message`` is French and shown as is. ``field`` names the form
    field it concerns, if any; ``already_answered`` tells a repeated submission apart."""

    def __init__(self, message: str, *, field: str | None = None, already_answered: bool = False):
        super().__init__(message)
        self.field = field
        self.already_answered = already_answered


def represents(actor, report: Report) -> bool:
    """Whether ``actor`` is a representative of the report's marketplace."""
    representative = getattr(actor, "platform_representative", None)
    return representative is not None and report.marketplace_id == representative.marketplace_id


def _checked_files(files) -> list[tuple]:
    """(uploaded file, kind) for each file, or AnswerError for the first refused one: a
    refused file refuses the whole answer."""
    files = [uploaded for uploaded in files or [] if uploaded]
    if len(files) > MAX_FILES:
        raise AnswerError(
            _("Joignez %(max)d fichiers au plus (vous en avez choisi %(n)d) ; la réponse n'a pas été enregistrée.")
            % {"max": MAX_FILES, "n": len(files)},
            field="files",
        )
    checked = []
    for uploaded in files:
        try:
            checked.append((uploaded, check_upload(uploaded, max_bytes=MAX_BYTES)))
        except ValidationError as exc:
            raise AnswerError(
                _("%(error)s La réponse n'a pas été enregistrée.") % {"error": " ".join(exc.messages)}, field="files"
            ) from exc
    return checked


def record_platform_answer(
    report: Report,
    *,
    actor,
    kind: str,
    reasons,
    actions,
    message_for_seller: str,
    message_for_administration: str = "",
    files=(),
) -> PlatformAnswer:
    """Record the platform's answer and its files in one transaction: the state change, the
    event, the seller's e-mail and the files are kept together or not at all. A second
    submission (double click, two tabs) finds the report answered and records nothing."""
    if not represents(actor, report):
        raise AnswerError(_("Seul un représentant de la place de marché concernée peut répondre à ce signalement."))
    checked = _checked_files(files)
    stored = []
    try:
        with transaction.atomic():
            # Locked first, so that a repeated submission gets its own message even in a race.
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if locked.state not in ANSWERABLE_STATES:
                raise AnswerError(
                    _(
                        "Ce signalement a déjà reçu une réponse ou n'attend plus de réponse : "
                        "rien n'a été enregistré une seconde fois."
                    ),
                    already_answered=True,
                )
            try:
                locked = apply_transition(
                    locked,
                    "record_answer",
                    actor=actor,
                    actor_kind="platform",
                    kind=kind,
                    reasons=list(reasons or []),
                    actions=list(actions or []),
                    message_for_seller=message_for_seller or "",
                    message_for_administration=message_for_administration or "",
                )
            except TransitionError as exc:
                raise AnswerError(exc.message) from exc
            answer = locked.platform_answers.order_by("-id").first()
            for uploaded, file_kind in checked:
                attachment = _attachment_for(locked, answer, uploaded, file_kind)
                stored.append(attachment)  # before writing: a half-written file is removed too
                attachment.file.save(attachment.id.hex, uploaded, save=False)
                attachment.save()
    except BaseException:
        for attachment in stored:  # rolled back: no file may stay behind in the storage
            attachment.file.delete(save=False)
        raise
    return answer


def _attachment_for(report: Report, answer: PlatformAnswer, uploaded, kind: str) -> Attachment:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return Attachment(
        report=report,
        answer=answer,
        original_name=safe_filename(uploaded.name),
        kind=kind,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        uploaded_at=timezone.now(),
    )


def mark_read_by_platform(report: Report, *, actor) -> bool:
    """Record the platform's first reading of a forwarded report (once: later or concurrent
    openings record nothing). Returns True when this call recorded it."""
    if report.platform_first_read_at is not None or report.forwarded_at is None or not represents(actor, report):
        return False
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.platform_first_read_at is not None:
            report.platform_first_read_at = locked.platform_first_read_at
            return False
        locked.platform_first_read_at = timezone.now()
        locked.save(update_fields=["platform_first_read_at"])
        record_event(locked, READ_EVENT, actor_kind="platform", actor=actor)
    report.platform_first_read_at = locked.platform_first_read_at
    return True


def code_labels(answer: PlatformAnswer) -> list[str]:
    """The French labels of an answer's promised actions or reasons."""
    if answer.kind == AnswerKind.ACCEPTED:
        choices, codes = PromisedAction, answer.actions
    else:
        choices = RejectionReason if answer.kind == AnswerKind.REJECTED else NotConcernedReason
        codes = answer.reasons
    labels = dict(choices.choices)
    return [str(labels.get(code, code)) for code in codes]
