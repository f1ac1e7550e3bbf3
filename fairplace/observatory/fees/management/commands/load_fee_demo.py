from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fairplace.observatory.fees.importing import import_schedules
from fairplace.observatory.fees.linking import link_marketplace
from fairplace.platforms.models import Marketplace

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo_schedules.csv"


class Command(BaseCommand):
    help = (
        "Données de démonstration de l'observatoire des frais (jamais en production) : une grille fictive de "
        "Cdiscount au 01/10/2026, annoncée une semaine avant, que des signalements de démonstration "
        "(load_demo_data) décrivent. Idempotent."
    )

    def handle(self, *args, **options):
        with DEMO_FILE.open("rb") as handle:
            result = import_schedules(handle, filename=DEMO_FILE.name, by=None, alert=False, skip_existing=True)
        if not result.succeeded:
            raise CommandError(f"Grille de démonstration non chargée : {result.errors}")
        linked = link_marketplace(Marketplace.objects.get(slug="cdiscount"))
        self.stdout.write(
            f"Grilles de démonstration : {len(result.schedules)} créée(s), "
            f"{len(result.skipped)} déjà présente(s) ; signalements rapprochés : {linked}"
        )
