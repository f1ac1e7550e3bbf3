from django.core.management.base import BaseCommand, CommandError

from fairplace.core.jobs.runs import JOBS, run_now


class Command(BaseCommand):
    help = (
        "Lance une tâche périodique tout de suite, dans ce processus, enregistrée comme les autres "
        "exécutions (sans rien attendre du worker). Sans argument : la liste des tâches."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="tâche")

    def handle(self, *args, names=(), **options):
        if not names:
            for name, spec in sorted(JOBS.items()):
                self.stdout.write(f"{name:28} {spec.schedule_text:16} {spec.description}")
            return
        unknown = [name for name in names if name not in JOBS]
        if unknown:
            raise CommandError(f"Tâche inconnue : {', '.join(unknown)}. Connues : {', '.join(sorted(JOBS))}")
        failed = False
        for name in names:
            run = run_now(name)
            if run is None:
                self.stdout.write(f"{name} : une exécution est déjà en cours ailleurs.")
                continue
            run.refresh_from_db()
            self.stdout.write(f"{name} : {run.get_status_display()} {run.result}".rstrip())
            failed = failed or run.status != run.Status.SUCCEEDED
        if failed:
            raise CommandError("Au moins une tâche a échoué (voir le journal ci-dessus).")
