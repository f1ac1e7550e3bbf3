"""The reports' background work: deadlines (reminders, overdue), sellers' follow-ups, large exports,
antivirus scans, the agents' daily digest and the purge of abandoned drafts. Schedules are Paris time."""

from datetime import timedelta

from fairplace.core.jobs.runs import db_task, periodic_job

from . import attachments, digest, drafts, exports, schedule


@periodic_job(
    "reports.overdue",
    "*/5 * * * *",
    description="Passe « en retard » les signalements dont l'échéance de réponse est dépassée.",
)
def mark_overdue() -> int:
    return schedule.mark_overdue_reports()


@periodic_job(
    "reports.answer_reminders", "*/5 * * * *", description="Relance les plateformes avant l'échéance de réponse."
)
def answer_reminders() -> int:
    return schedule.send_answer_reminders()


@periodic_job(
    "reports.action_follow_ups",
    "*/10 * * * *",
    description="Demande au vendeur, 21 jours après, si l'action promise a été faite.",
)
def action_follow_ups() -> int:
    return schedule.send_action_follow_ups()


@periodic_job(
    "reports.digest",
    "0 7-11 * * *",
    description="Récapitulatif quotidien des agents, à 7 h (rattrapé jusqu'à 11 h si le worker était "
    "arrêté ; un seul par jour et par agent).",
)
def daily_digest() -> int:
    return digest.send_daily_digests_when_due()


@periodic_job("reports.purge_drafts", "45 3 * * *", description="Supprime les brouillons abandonnés.")
def purge_drafts():
    return drafts.purge_stale_drafts()


@periodic_job("reports.scan_attachments", "* * * * *", description="Analyse antivirus des pièces jointes en attente.")
def scan_attachments() -> int:
    return attachments.scan_pending()


@periodic_job(
    "reports.exports",
    "* * * * *",
    lease=timedelta(minutes=40),
    description="Prépare les exports volumineux en attente (et reprend ceux d'un worker arrêté).",
)
def pending_exports() -> int:
    return exports.build_pending_exports()


@db_task(retries=3, retry_delay=10)
def build_export(pk) -> bool:
    """Build one large export as soon as it is requested (the periodic job catches any left behind)."""
    if not exports.claim_export(pk):
        return False
    exports.build_claimed_export(pk)
    return True
