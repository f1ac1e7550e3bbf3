"""Sellers' evidence files: checked by content, stored privately, scanned before anyone but
the seller may download them."""

import hashlib
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.adapters.antivirus import AntivirusError, DisabledScanner, ScanResult, get_scanner
from fairplace.core.files import check_upload, safe_filename

from .models import Attachment, ReportDraft

logger = logging.getLogger(__name__)

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024


def add_attachments(draft: ReportDraft, uploaded_files) -> list[str]:
    """Store every acceptable file; return a French error for each refused one. A refused
    file never prevents the others (or anything typed) from being kept."""
    errors = []
    count = draft.attachments.count()
    for uploaded in uploaded_files:
        if count >= MAX_FILES:
            errors.append(
                _("« %(name)s » n'a pas été ajouté : %(max)d fichiers au maximum.")
                % {"name": safe_filename(uploaded.name), "max": MAX_FILES}
            )
            continue
        try:
            kind = check_upload(uploaded, max_bytes=MAX_BYTES)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        _store(draft, uploaded, kind)
        count += 1
    return errors


def _store(draft: ReportDraft, uploaded, kind: str) -> Attachment:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    attachment = Attachment(
        draft=draft,
        original_name=safe_filename(uploaded.name),
        kind=kind,
        size=uploaded.size,
        sha256=digest.hexdigest(),
        uploaded_at=timezone.now(),
    )
    attachment.file.save(attachment.id.hex, uploaded, save=False)
    attachment.save()
    return attachment


def remove_attachment(draft: ReportDraft, attachment_id) -> bool:
    attachment = draft.attachments.filter(pk=attachment_id, report__isnull=True).first()
    if attachment is None:
        return False
    attachment.file.delete(save=False)
    attachment.delete()
    return True


def scan_pending(limit: int = 50) -> int:
    """Scan files waiting for the antivirus. Returns how many got a verdict. Without an antivirus, files stay
    pending (only the seller sees them) and none is even read; a file missing from the storage gets the
    verdict "analyse impossible" instead of stopping the scan of the others."""
    scanner = get_scanner()
    if isinstance(scanner, DisabledScanner):
        return 0
    done = 0
    for attachment in Attachment.objects.filter(scan_status=Attachment.ScanStatus.PENDING)[:limit]:
        try:
            with attachment.file.open("rb") as handle:
                result = scanner.scan(handle)
        except AntivirusError as exc:
            if not exc.retryable:
                return done
            logger.warning("antivirus: %s not scanned: %s", attachment.pk, exc)
            continue
        except OSError as exc:  # not in the storage: lost, or never written
            logger.error("antivirus: %s cannot be read: %s", attachment.pk, exc)
            result = ScanResult(Attachment.ScanStatus.ERROR, "fichier introuvable dans le stockage")
        with transaction.atomic():
            Attachment.objects.filter(pk=attachment.pk).update(
                scan_status=result.status, scan_detail=result.detail[:200], scanned_at=timezone.now()
            )
        done += 1
    return done
