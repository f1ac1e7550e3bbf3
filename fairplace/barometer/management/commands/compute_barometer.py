from django.core.management.base import BaseCommand

from fairplace.barometer.compute import full_recompute, refresh_stale


class Command(BaseCommand):
    help = (
        "Met à jour les agrégats du baromètre : par défaut, seulement les signalements qui ont reçu un "
        "événement depuis la dernière mise à jour ; avec --full, recalcul complet depuis les événements."
    )

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Recalcul complet depuis la table des événements.")

    def handle(self, *args, full=False, **options):
        if full:
            result = full_recompute()
            timings = ", ".join(
                f"{name} {seconds:.1f} s"
                for name, seconds in result.items()
                if name not in ("reports", "cells", "seconds")
            )
            self.stdout.write(
                f"Recalcul complet : {result['reports']} signalements, {result['cells']} cellules, "
                f"{result['seconds']:.1f} s ({timings})"
            )
        else:
            self.stdout.write(f"Mise à jour : {refresh_stale()} signalement(s) recompté(s)")
