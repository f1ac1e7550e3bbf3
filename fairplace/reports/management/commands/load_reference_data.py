from django.core.management.base import BaseCommand

from fairplace.platforms.reference import load_marketplaces
from fairplace.reports.families import load_families


class Command(BaseCommand):
    help = "Charge (ou met à jour) les places de marché et les familles de problèmes depuis les fichiers du dépôt."

    def handle(self, *args, **options):
        created, updated = load_marketplaces()
        self.stdout.write(f"Places de marché : {created} créée(s), {updated} mise(s) à jour")
        created, updated = load_families()
        self.stdout.write(f"Familles de problèmes : {created} créée(s), {updated} mise(s) à jour")
