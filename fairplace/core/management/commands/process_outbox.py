import time

from django.core.management.base import BaseCommand

from fairplace.core.outbox import deliver_due


class Command(BaseCommand):
    help = "Envoie les messages en attente de l'outbox (une fois, ou en boucle avec --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Continue indéfiniment.")
        parser.add_argument("--interval", type=float, default=5.0, help="Secondes entre deux passes.")

    def handle(self, *args, loop=False, interval=5.0, **options):
        while True:
            sent = deliver_due()
            if sent:
                self.stdout.write(f"{sent} message(s) envoyé(s)")
            if not loop:
                return
            time.sleep(interval)
