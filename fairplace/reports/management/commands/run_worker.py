import time

from django.core.management.base import BaseCommand

from fairplace.core.outbox import deliver_due
from fairplace.core.ratelimit import purge_expired
from fairplace.reports.attachments import scan_pending
from fairplace.reports.digest import send_daily_digests_when_due
from fairplace.reports.drafts import purge_stale_drafts
from fairplace.reports.exports import build_pending_exports
from fairplace.reports.schedule import mark_overdue_reports, send_action_follow_ups, send_answer_reminders


class Command(BaseCommand):
    help = ("Tâches de fond : envoi des courriels de l'outbox, analyse antivirus des pièces jointes, "
            "échéances des plateformes, purge des compteurs et des brouillons expirés. "
            "Plusieurs workers peuvent tourner en parallèle.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Une seule passe puis s'arrête.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, once=False, interval=5.0, **options):
        while True:
            sent, scanned = deliver_due(), scan_pending()
            send_answer_reminders()
            mark_overdue_reports()
            send_action_follow_ups()
            purge_expired()
            purge_stale_drafts()
            build_pending_exports()
            send_daily_digests_when_due()  # once a day after 7:00 Paris time
            if sent or scanned:
                self.stdout.write(f"{sent} courriel(s) envoyé(s), {scanned} fichier(s) analysé(s)")
            if once:
                return
            time.sleep(interval)
