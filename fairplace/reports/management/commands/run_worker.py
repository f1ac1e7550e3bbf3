import time

from django.core.management.base import BaseCommand

from fairplace.core.outbox import deliver_due
from fairplace.core.tasks import periodic_tasks
from fairplace.reports.attachments import scan_pending


class Command(BaseCommand):
    help = ("Tâches de fond : envoi des courriels de l'outbox, analyse antivirus des pièces jointes, "
            "puis les tâches périodiques des applications (échéances des plateformes, purges, exports, "
            "mise à jour du baromètre…). Plusieurs workers peuvent tourner en parallèle.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Une seule passe puis s'arrête.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, once=False, interval=5.0, **options):
        while True:
            sent, scanned = deliver_due(), scan_pending()
            for _name, task in periodic_tasks():
                task()
            if sent or scanned:
                self.stdout.write(f"{sent} courriel(s) envoyé(s), {scanned} fichier(s) analysé(s)")
            if once:
                return
            time.sleep(interval)
