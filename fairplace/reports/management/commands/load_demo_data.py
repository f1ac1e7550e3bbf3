from django.core.management.base import BaseCommand
from django.db import transaction

from fairplace.core.models import User
from fairplace.reports.demo import create_demo_reports

DEMO_PASSWORD = "demo-fairplace-2026"  # noqa: S105 - demo accounts, printed on purpose
DEMO_USERS = [
    ("admin@fairplace.demo", "Administratrice", "administrator", True),
    ("agent@fairplace.demo", "Agent de l'observatoire", "agent", False),
]


class Command(BaseCommand):
    help = "Crée les comptes et signalements de démonstration (idempotent). Jamais en production."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, label, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=email, defaults={"is_staff": True, "is_superuser": superuser, "first_name": label,
                                       "role": role})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
        created = create_demo_reports()
        self.stdout.write(f"Signalements de démonstration créés : {created}")
        self.stdout.write("Comptes de démonstration (connexion : /compte/connexion/ ; "
                          "double authentification demandée à la première connexion) :")
        for email, label, _role, _superuser in DEMO_USERS:
            self.stdout.write(f"  {label:<26} {email:<24} mot de passe : {DEMO_PASSWORD}")
