from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from fairplace.core.models import User
from fairplace.platforms.models import Marketplace, PlatformRepresentative
from fairplace.reports.demo import create_demo_fee_reports, create_demo_reports, create_demo_terms_reports

DEMO_PASSWORD = "demo-fairplace-2026"  # noqa: S105 - demo accounts, printed on purpose
DEMO_USERS = [
    ("admin@fairplace.demo", "Administratrice", "administrator", True),
    ("agent@fairplace.demo", "Agent de l'observatoire", "agent", False),
    ("superviseur@fairplace.demo", "Superviseur", "supervisor", False),
    ("mediateur@fairplace.demo", "Médiateur des entreprises", "mediator", False),
    ("plateforme@fairplace.demo", "Représentant Cdiscount", "platform", False),
]
DEMO_PLATFORM = ("plateforme@fairplace.demo", "cdiscount")


class Command(BaseCommand):
    help = "Crée les comptes et signalements de démonstration (idempotent). Jamais en production."

    def handle(self, *args, **options):
        # The demo sellers and platform do not exist: their notifications (sent when the
        # transaction commits) are not printed.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
            created = self._load()
        self.stdout.write(f"Signalements de démonstration créés : {created}")
        self.stdout.write(
            "Comptes de démonstration (connexion : /compte/connexion/ ; "
            "double authentification demandée à la première connexion, sauf pour la plateforme) :"
        )
        for email, label, _role, _superuser in DEMO_USERS:
            self.stdout.write(f"  {label:<26} {email:<27} mot de passe : {DEMO_PASSWORD}")

    def _load(self) -> int:
        for email, label, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=email,
                defaults={"is_staff": superuser, "is_superuser": superuser, "first_name": label, "role": role},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
        email, slug = DEMO_PLATFORM
        PlatformRepresentative.objects.get_or_create(
            user=User.objects.get(email=email), defaults={"marketplace": Marketplace.objects.get(slug=slug)}
        )
        created = create_demo_reports(
            agent=User.objects.get(email="agent@fairplace.demo"),
            mediator=User.objects.get(email="mediateur@fairplace.demo"),
        )
        return created + create_demo_fee_reports() + create_demo_terms_reports()
