from django.core.management.base import BaseCommand, CommandError

from fairplace.barometer.charters import CharterDataError, load_charters

KINDS = (("charters", "Chartes"), ("commitments", "Engagements"), ("signatures", "Signatures"))


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) le registre des chartes du baromètre depuis "
        "fairplace/barometer/data/charters.yaml (tout ou rien)."
    )

    def handle(self, *args, **options):
        try:
            counts = load_charters()
        except CharterDataError as exc:
            raise CommandError(
                "Registre des chartes non chargé, rien n'a été modifié.\n"
                + "\n".join(f"- {error}" for error in exc.errors)
            ) from exc
        for key, label in KINDS:
            count = counts[key]
            self.stdout.write(
                f"{label} : {count['created']} créé(s), {count['updated']} mis à jour, "
                f"{count['unchanged']} inchangé(s), "
                f"{count['kept']} conservé(s) tel(s) que modifié(s) par un administrateur"
            )
