"""Drafts nobody finished are deleted after a week, with their files."""

from datetime import timedelta

from django.utils import timezone

from .models import ReportDraft

DRAFT_LIFETIME = timedelta(days=7)


def purge_stale_drafts() -> int:
    stale = ReportDraft.objects.filter(report__isnull=True, updated_at__lt=timezone.now() - DRAFT_LIFETIME)
    count = 0
    for draft in stale[:500]:
        for attachment in draft.attachments.filter(report__isnull=True):
            attachment.file.delete(save=False)
            attachment.delete()
        draft.delete()
        count += 1
    return count
