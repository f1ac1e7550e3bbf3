"""Link sellers' "fees" reports to the recorded fee changes they describe."""

from django.core.management.base import BaseCommand

from fairplace.observatory.fees import linking


class Command(BaseCommand):
    help = (
        "Rapproche les signalements « Frais et commissions » des évolutions tarifaires enregistrées "
        "(les nouveaux signalements ; --all : tout recalculer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="rescan",
            help="Recalculer les rapprochements de toutes les places de marché.",
        )

    def handle(self, *args, rescan=False, **options):
        from fairplace.platforms.models import Marketplace

        created = 0
        if rescan:
            marketplaces = Marketplace.objects.filter(fee_changes__isnull=False).distinct().order_by("pk")
            for marketplace in marketplaces:
                created += linking.link_marketplace(marketplace)
        created += linking.link_new_reports()
        self.stdout.write(f"{created} rapprochement(s) créé(s).")
