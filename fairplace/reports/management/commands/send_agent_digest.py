from django.core.management.base import BaseCommand

from fairplace.reports.digest import send_agent_digests


class Command(BaseCommand):
    help = (
        "Envoie aux agents et superviseurs le point quotidien sur la file des signalements "
        "(un courriel par personne et par jour au plus ; rien quand il n'y a rien à dire)."
    )

    def handle(self, *args, **options):
        queued = send_agent_digests()
        self.stdout.write(f"{queued} point(s) quotidien(s) mis en file d'envoi")
