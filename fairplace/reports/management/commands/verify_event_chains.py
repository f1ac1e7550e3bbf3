from django.core.management.base import BaseCommand, CommandError

from fairplace.reports.events import verify_chain
from fairplace.reports.models import Report


class Command(BaseCommand):
    help = "Vérifie la chaîne d'empreintes des événements de chaque signalement (historique non altéré)."

    def handle(self, *args, **options):
        broken = [
            report.reference for report in Report.objects.only("pk", "reference").iterator() if not verify_chain(report)
        ]
        if broken:
            raise CommandError(f"Historique altéré pour {len(broken)} signalement(s) : {', '.join(broken[:50])}")
        self.stdout.write("Toutes les chaînes d'événements sont intactes.")
