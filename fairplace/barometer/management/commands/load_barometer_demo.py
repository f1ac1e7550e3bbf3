from django.core.management.base import BaseCommand
from django.test import override_settings
from django.utils import timezone

from fairplace.barometer.compute import full_recompute
from fairplace.barometer.editions import freeze_edition, post_reply, publish_edition
from fairplace.barometer.facts import previous_quarter, quarter_of
from fairplace.barometer.models import Edition, SellerPopulation
from fairplace.core.models import User
from fairplace.platforms.models import Marketplace
from fairplace.reports.benchdata import generate

DEMO_SOURCE = "Donnée de démonstration (fictive)"


class Command(BaseCommand):
    help = (
        "Données de démonstration du baromètre : des signalements synthétiques avec leur historique "
        "d'événements, le calcul des agrégats et deux éditions publiées (les deux trimestres passés). "
        "Ne fait rien si une édition existe déjà."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reports", type=int, default=6000)

    def handle(self, *args, reports=6000, **options):
        if Edition.objects.exists():
            self.stdout.write("Baromètre de démonstration : déjà en place.")
            return
        # Demo e-mails (previews sent to the representatives) go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._load(reports)

    def _load(self, reports):
        today = timezone.localdate()
        generate(reports, seed=2026, progress=lambda _message: None)
        for slug, sellers in (("cdiscount", 14000), ("manomano", 6500)):
            marketplace = Marketplace.objects.filter(slug=slug).first()
            if marketplace:
                SellerPopulation.objects.update_or_create(
                    marketplace=marketplace,
                    year=today.year,
                    defaults={"sellers": sellers, "source_label": DEMO_SOURCE, "source_url": ""},
                )
        full_recompute()
        latest = previous_quarter(quarter_of(today))
        representative = User.objects.filter(email="plateforme@fairplace.demo").first()
        for code in (previous_quarter(latest), latest):
            edition = freeze_edition(code, today=today)
            if representative and code == latest:
                post_reply(
                    edition,
                    representative.platform_representative.marketplace,
                    author=representative,
                    text="Cdiscount a renforcé son équipe de support aux vendeurs en septembre ; les délais "
                    "de réponse du trimestre suivant devraient en tenir compte. (Réponse de démonstration)",
                )
            publish_edition(edition, today=edition.publication_date)
            self.stdout.write(f"Édition de démonstration {code} publiée ({edition.figures.count()} chiffres).")
