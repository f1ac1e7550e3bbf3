from django.core.management.base import BaseCommand, CommandError

from fairplace.observatory.fees.loading import SeedError, load_seed, load_taxonomy


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) la taxonomie commune des catégories de l'observatoire des frais, puis les "
        "grilles tarifaires de référence initiales (data/seed_schedules.csv) qui ne sont pas encore "
        "enregistrées. Les places de marché doivent être chargées (load_reference_data)."
    )

    def handle(self, *args, **options):
        count = load_taxonomy()
        self.stdout.write(f"Catégories communes : {count} chargée(s) ou mise(s) à jour")
        try:
            counts = load_seed()
        except SeedError as exc:
            lines = "\n".join(
                f"- ligne {error['ligne']}, {error['colonne'] or 'fichier'} : {error['message']}"
                for error in exc.errors
            )
            raise CommandError(
                "Grilles de référence non chargées, aucune n'a été enregistrée "
                "(les places de marché sont-elles chargées ? manage.py load_reference_data).\n" + lines
            ) from exc
        self.stdout.write(
            f"Grilles de référence : {counts['created']} créée(s) ({counts['components']} "
            f"composante(s)), {counts['skipped']} déjà présente(s), laissée(s) telle(s) quelle(s)"
        )
