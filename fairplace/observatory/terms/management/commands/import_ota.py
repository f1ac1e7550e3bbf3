"""Import Open Terms Archive declarations (documents to track) and/or version histories (the corpus)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fairplace.core.errors import DomainError
from fairplace.observatory.terms import ota
from fairplace.observatory.terms.text import corpus


class Command(BaseCommand):
    help = (
        "Importe des déclarations Open Terms Archive (--declarations) et/ou les historiques de versions "
        "du corpus OTA (--history, tous les documents ou ceux d'un service avec --service)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--declarations", metavar="CHEMIN", help="Fichier de déclaration OTA (.json) ou dossier de déclarations."
        )
        parser.add_argument(
            "--history",
            action="store_true",
            help="Charger les versions du corpus OTA comme si elles avaient été relevées à leur date.",
        )
        parser.add_argument("--service", help="Avec --history : seulement les documents de ce service (nom OTA).")
        parser.add_argument(
            "--if-available",
            action="store_true",
            help="Avec --history : ne rien faire (sans erreur) si le corpus OTA est absent "
            "(make run sur une machine sans la documentation partagée).",
        )

    def handle(self, *args, declarations=None, history=False, service=None, if_available=False, **options):
        if not declarations and not history:
            raise CommandError("Indiquez --declarations <chemin> et/ou --history.")
        if declarations:
            documents, problems = ota.import_declaration(declarations)
            self.stdout.write(
                f"{len(documents)} document(s) suivi(s) importé(s) ou mis à jour depuis les déclarations."
            )
            inactive = [document for document in documents if not document.is_active]
            if inactive:
                self.stdout.write(f"{len(inactive)} document(s) importé(s) sans suivi actif (à compléter).")
            self._problems(problems)
        if history and if_available and corpus.corpus_root(settings.FAIRPLACE_OTA_CORPUS) is None:
            self.stdout.write("Corpus OTA absent : aucun historique de conditions chargé.")
        elif history:
            self._history(service)

    def _history(self, service):
        root = corpus.corpus_root(settings.FAIRPLACE_OTA_CORPUS)
        if root is None:
            raise CommandError("Corpus OTA introuvable : attendu dans ../shared/data/ota-p2b ou $FAIRPLACE_OTA_CORPUS.")
        selected = [doc for doc in corpus.documents(root) if service is None or doc.service.lower() == service.lower()]
        if not selected:
            raise CommandError(f"Aucun document du service « {service} » dans le corpus OTA.")
        totals = {"snapshots": 0, "skipped": 0, "versions": 0}
        for doc in selected:
            try:
                counts = ota.import_history(doc.collection, doc.service, doc.terms_type, root=root)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            for key in totals:
                totals[key] += counts[key]
            self.stdout.write(
                f"{doc.service} / {doc.terms_type} : {counts['snapshots']} relevé(s) importé(s), "
                f"{counts['versions']} version(s), {counts['skipped']} déjà importé(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Historique OTA : {len(selected)} document(s), {totals['snapshots']} relevé(s) importé(s), "
                f"{totals['versions']} version(s) créée(s), {totals['skipped']} relevé(s) déjà présent(s)."
            )
        )

    def _problems(self, problems):
        if not problems:
            self.stdout.write("Aucun problème d'import.")
            return
        self.stdout.write(f"{len(problems)} élément(s) non importé(s) ou à vérifier :")
        for problem in problems:
            self.stdout.write(f"  - {problem}")
