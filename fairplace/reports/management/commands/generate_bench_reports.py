from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from fairplace.reports.benchdata import generate, is_bench_database


class Command(BaseCommand):
    help = (
        "Génère des signalements réalistes avec leur historique (chaîne d'empreintes comprise), "
        "pour les mesures de performance. Refuse une base dont le nom ne contient pas « bench » "
        "sauf avec --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="nombre de signalements")
        parser.add_argument("--seed", type=int, default=1, help="graine du tirage (défaut 1)")
        parser.add_argument("--batch", type=int, default=10_000, help="signalements par lot écrit (défaut 10000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processus de génération sur PostgreSQL (défaut : un par processeur, 4 au plus)",
        )
        parser.add_argument(
            "--force", action="store_true", help="écrire même dans une base dont le nom ne contient pas « bench »"
        )

    def handle(self, *args, count, seed, batch, workers, force, **options):
        name = str(connection.settings_dict["NAME"])
        if not is_bench_database(name) and not force:
            raise CommandError(
                f"La base « {name} » n'est pas une base de mesure (son nom ne contient pas "
                "« bench ») : rien n'a été écrit. Ajoutez --force si c'est voulu."
            )
        if count < 1 or batch < 1 or (workers is not None and workers < 1):
            raise CommandError("--count, --batch et --workers doivent valoir au moins 1.")
        result = generate(count, seed=seed, batch=batch, workers=workers, progress=self.stdout.write)
        self.stdout.write(
            f"Terminé en {result.seconds:.1f} s (dont {result.index_seconds:.1f} s d'index, {result.workers} "
            f"processus) : {result.reports} signalements, {result.events} événements, {result.contacts} contacts, "
            f"{result.answers} réponses, {result.feedback} avis de vendeurs, {result.referrals} saisines, "
            f"{result.attachments} pièces jointes "
            f"— {result.rows / result.seconds:.0f} lignes/s."
        )
        self.stdout.write("États : " + ", ".join(f"{state} {n}" for state, n in result.states.most_common()))
