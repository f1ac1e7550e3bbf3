"""Fetch the tracked documents now (all active ones, or one) and record their new versions."""

import sys

from django.core.management.base import BaseCommand, CommandError

from fairplace.observatory.terms.models import TrackedDocument
from fairplace.observatory.terms.tracking import track

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Relève les documents suivis (tous les documents actifs, ou un seul avec --document) : nouvelles "
        "versions enregistrées, échecs placés dans la file des opérateurs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--document", type=int, metavar="PK", help="Seulement ce document (même inactif).")
        parser.add_argument("--workers", type=int, default=4, help="Relevés simultanés (4 par défaut).")
        parser.add_argument("--no-progress", action="store_true", help="Sans barre de progression.")

    def handle(self, *args, document=None, workers=4, no_progress=False, **options):
        if workers < 1:
            raise CommandError("--workers doit valoir au moins 1.")
        if document is not None:
            documents = list(TrackedDocument.objects.filter(pk=document))
            if not documents:
                raise CommandError(f"Aucun document suivi n° {document}.")
        else:
            documents = list(TrackedDocument.objects.filter(is_active=True).order_by("pk"))
        if not documents:
            self.stdout.write("Aucun document actif à relever.")
            return
        err = self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr
        progress = None if no_progress else _bar(err)
        report = track(documents, workers=workers, progress=progress)
        if progress:
            err.write("\n")
            err.flush()
        style = self.style.SUCCESS if not report.failed else self.style.WARNING
        self.stdout.write(style(report.summary()))
        if report.failed:
            self.stdout.write("Les échecs sont dans la file des opérateurs (/gestion/conditions/incidents/).")


def _bar(stream):
    def progress(done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        stream.write(f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done}/{total}")
        stream.flush()

    return progress
