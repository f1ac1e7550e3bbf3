from datetime import date

from django.core.management.base import BaseCommand, CommandError

from fairplace.barometer.editions import EditionError, freeze_edition, publish_edition


class Command(BaseCommand):
    help = (
        "Fige l'édition trimestrielle (ex. 2026-T3) et l'ouvre à la relecture des plateformes ; "
        "--publish la publie ensuite si la date de publication est atteinte."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="Trimestre, ex. 2026-T3")
        parser.add_argument(
            "--publication-date",
            type=date.fromisoformat,
            default=None,
            help="AAAA-MM-JJ (au moins 15 jours après aujourd'hui)",
        )
        parser.add_argument("--publish", action="store_true")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help=("Date du jour à retenir (données de démonstration et bancs d'essai seulement)."),
        )

    def handle(self, *args, code, publication_date=None, publish=False, today=None, **options):
        try:
            edition = freeze_edition(code, publication_date=publication_date, today=today)
            self.stdout.write(
                f"Édition {edition.code} figée : {edition.figures.count()} chiffres, "
                f"publication prévue le {edition.publication_date:%d/%m/%Y}"
            )
            if publish:
                publish_edition(edition, today=edition.publication_date if today else None)
                self.stdout.write(f"Édition {edition.code} publiée")
        except EditionError as error:
            raise CommandError(error.message) from error
