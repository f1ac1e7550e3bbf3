"""CSV and XLSX exports of a queue selection.

An export stores the selection's query string, not the rows: it is built (now, or by the
worker when large) by applying the filters again with the *requesting user's* visibility at
build time, so an agent who lost the role gets an empty file, never someone else's view.
Rows are streamed from the database (``iterator``) and the XLSX is written in openpyxl's
write-only mode, so memory stays flat whatever the size.
"""

import csv
import io
import logging
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm
from openpyxl import Workbook

from fairplace.core.errors import DomainError
from fairplace.core.forms import CachedFieldGroups
from fairplace.core.spreadsheets import spreadsheet_safe

from .models import ExportJob
from .queue import filters_from_query, queue_queryset, selection_query, user_label
from .states import Outcome

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OUTCOME_LABELS = dict(Outcome.choices)


class ExportError(DomainError):
    """An export that cannot be built; ``message`` is French."""


def _when(value):
    # Paris wall-clock time without tzinfo: Excel has no time zones (openpyxl refuses aware
    # datetimes) and a CSV reader would not know what to do with an offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


COLUMNS = [
    (gettext_lazy("Référence"), lambda r: r.reference),
    (gettext_lazy("Déposé le"), lambda r: _when(r.submitted_at)),
    (gettext_lazy("État"), lambda r: r.get_state_display()),
    (gettext_lazy("Issue"), lambda r: OUTCOME_LABELS.get(r.outcome, "")),
    (gettext_lazy("Place de marché"), lambda r: r.marketplace_label),
    (gettext_lazy("Famille de problèmes"), lambda r: r.family.label),
    (gettext_lazy("SIREN"), lambda r: r.siren),
    (gettext_lazy("Raison sociale"), lambda r: r.company_name),
    (gettext_lazy("Choix de transmission"), lambda r: r.get_consent_display()),
    (gettext_lazy("Agent chargé"), lambda r: user_label(r.assigned_to) if r.assigned_to_id else ""),
    (gettext_lazy("Réponse attendue avant le"), lambda r: _when(r.answer_due_at)),
    (gettext_lazy("Transmis le"), lambda r: _when(r.forwarded_at)),
    (gettext_lazy("En retard"), lambda r: _("oui") if r.is_late else _("non")),
]


def header() -> list[str]:
    return [str(title) for title, _getter in COLUMNS]


def rows(reports: QuerySet):
    for report in reports.iterator(chunk_size=CHUNK_SIZE):
        yield [getter(report) for _title, getter in COLUMNS]


def write_csv(data, target) -> int:
    """Write ``data`` rows to the binary file ``target``; return the number of rows.

    French Excel opens a CSV as UTF-8 only with a byte-order mark, and expects ";" between
    fields (the comma is the decimal separator in French).
    """
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, delimiter=";")
    writer.writerow(header())
    count = 0
    for row in data:
        writer.writerow([_csv_cell(value) for value in row])
        count += 1
    text.detach()  # leave ``target`` open for the caller
    return count


def _csv_cell(value):
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return spreadsheet_safe(value)


class _Echo:
    """A file whose write() hands the line back, for csv.writer in a streamed response."""

    def write(self, value):
        return value


def csv_lines(header, data) -> Iterator[str]:
    """The lines of a CSV for French Excel (BOM, ";"), for a streamed response; cells are
    made spreadsheet-safe."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(header)
    for row in data:
        yield writer.writerow([spreadsheet_safe(value) for value in row])


def write_xlsx(data, target) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Signalements"))
    sheet.append(header())
    count = 0
    for row in data:
        sheet.append([spreadsheet_safe(value) for value in row])
        count += 1
    workbook.save(target)
    return count


WRITERS = {ExportJob.Format.CSV: write_csv, ExportJob.Format.XLSX: write_xlsx}


def selection(user, query: str) -> QuerySet:
    """The reports of a stored query string, as ``user`` may see them now."""
    filters = filters_from_query(user, query)
    if not filters.is_valid():
        raise ExportError(_("Les filtres de cet export ne sont plus valides : relancez l'export depuis la liste."))
    return queue_queryset(user, filters)


class ExportRequestForm(CachedFieldGroups, DsfrBaseForm):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.CSV,
        error_messages={
            "required": gettext_lazy("Choisissez un format."),
            "invalid_choice": gettext_lazy("Choisissez CSV ou XLSX."),
        },
    )
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "export-%s")  # unique ids beside the other forms of the queue page
        super().__init__(*args, **kwargs)


CLAIM_MINUTES = 30  # a running export whose claim is older was left by a stopped worker: it is taken again


def request_export(user, *, query: str, export_format: str) -> ExportJob:
    """Build the export now when the selection is small, else hand it to the worker (a task enqueued on
    commit; the periodic job ``reports.exports`` picks up any the queue lost)."""
    query = selection_query(QueryDict(query or ""))
    small = selection(user, query).count() <= settings.FAIRPLACE_EXPORT_SYNC_MAX_ROWS
    now = timezone.now()
    # A small export is created already "running" (and claimed) so that no worker takes it meanwhile.
    job = ExportJob.objects.create(
        requested_by=user,
        format=export_format,
        query=query,
        created_at=now,
        status=ExportJob.Status.RUNNING if small else ExportJob.Status.PENDING,
        claimed_until=now + timedelta(minutes=CLAIM_MINUTES) if small else None,
    )
    if small:
        build_export(job)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def _enqueue(pk) -> None:
    from .tasks import build_export as build_export_task

    build_export_task(pk)


def build_export(job: ExportJob) -> None:
    """Write the file of a claimed (running) job; a failure marks it failed, in French."""
    try:
        reports = selection(job.requested_by, job.query)
        with tempfile.TemporaryFile() as spool:
            count = WRITERS[job.format](rows(reports), spool)
            spool.seek(0)
            job.file.save(f"{job.pk.hex}.{job.format}", File(spool), save=False)
    except ExportError as exc:
        _fail(job, exc.message)
        return
    except Exception:  # storage or database trouble: the agent may simply try again
        logger.exception("export %s failed", job.pk)
        _fail(
            job,
            _(
                "La création du fichier a échoué. Relancez l'export ; si le problème persiste, "
                "prévenez l'équipe technique."
            ),
        )
        return
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        file=job.file.name,
        row_count=count,
        error="",
        finished_at=timezone.now(),
        claimed_until=None,
    )


def build_claimed_export(pk) -> None:
    build_export(ExportJob.objects.select_related("requested_by").get(pk=pk))


def _fail(job: ExportJob, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, error=message[:300], finished_at=timezone.now(), claimed_until=None
    )


def build_pending_exports(limit: int = 5) -> int:
    """Build waiting exports (worker). A job is claimed by a conditional UPDATE (pending →
    running): of two workers, only the one whose UPDATE changed the row builds it. A running job whose
    claim has lapsed (its worker stopped) goes back to pending first."""
    ExportJob.objects.filter(status=ExportJob.Status.RUNNING, claimed_until__lt=timezone.now()).update(
        status=ExportJob.Status.PENDING, claimed_until=None
    )
    built = 0
    waiting = ExportJob.objects.filter(status=ExportJob.Status.PENDING).order_by("created_at")
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        if not claim_export(pk):
            continue
        build_claimed_export(pk)
        built += 1
    return built


def claim_export(pk) -> bool:
    claimed = ExportJob.objects.filter(pk=pk, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, claimed_until=timezone.now() + timedelta(minutes=CLAIM_MINUTES)
    )
    return claimed == 1


def download_name(job: ExportJob) -> str:
    return f"signalements-{timezone.localtime(job.created_at):%Y-%m-%d-%H%M}.{job.format}"
