"""Queue exports: CSV and XLSX contents read back, the worker path, claims, failures, access."""

import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fairplace.reports import exports
from fairplace.reports.models import ExportJob
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
HEADER = [
    "Référence",
    "Déposé le",
    "État",
    "Issue",
    "Place de marché",
    "Famille de problèmes",
    "SIREN",
    "Raison sociale",
    "Choix de transmission",
    "Agent chargé",
    "Réponse attendue avant le",
    "Transmis le",
    "En retard",
]


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.FAIRPLACE_RATE_LIMITS = dict.fromkeys(settings.FAIRPLACE_RATE_LIMITS, "1000/h")


@pytest.fixture
def agent(client, personas):
    return login_as(client, personas, "agent")


@pytest.fixture
def forwarded_report(make_report, personas):
    return make_report(
        state="forwarded",
        consent="identified",
        company_name='=HYPERLINK("http://x")',
        submitted_at=datetime(2025, 3, 2, 9, 15, tzinfo=PARIS),
        forwarded_at=datetime(2025, 3, 3, 10, 0, tzinfo=PARIS),
        # Long past: the platform is late.
        answer_due_at=datetime(2025, 4, 2, 23, 59, tzinfo=PARIS),
        assigned_to=personas["supervisor"],
    )


def export(client, query="", fmt="csv"):
    return client.post(reverse("backoffice:export_create"), {"query": query, "format": fmt})


def downloaded(client, response) -> bytes:
    assert response.status_code == 302, response.content[:500]
    file_response = client.get(response.url)
    assert file_response.status_code == 200
    return b"".join(file_response.streaming_content)


def test_csv_export_is_utf8_with_bom_and_semicolons_with_the_selection_only(agent, make_report, forwarded_report):
    make_report(state="submitted")  # not in the selection
    content = downloaded(agent, export(agent, "state=forwarded"))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    assert rows[1:] == [
        [
            forwarded_report.reference,
            "02/03/2025 09:15",
            "Transmis à la plateforme",
            "",
            "Cdiscount",
            "Mon compte vendeur a été suspendu ou fermé",
            forwarded_report.siren,
            '\'=HYPERLINK("http://x")',  # a seller's text never becomes a formula
            "Transmettre à la plateforme avec mon identité",
            "superviseur@fairplace.test",
            "02/04/2025 23:59",
            "03/03/2025 10:00",
            "oui",
        ]
    ]


def test_xlsx_export_reads_back_with_dates_in_paris_time(agent, forwarded_report):
    content = downloaded(agent, export(agent, "state=forwarded", fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADER
    assert values[1][0] == forwarded_report.reference
    assert values[1][1] == datetime(2025, 3, 2, 9, 15)
    assert values[1][7] == '\'=HYPERLINK("http://x")'
    assert values[1][11] == datetime(2025, 3, 3, 10, 0)
    assert values[1][12] == "oui"
    assert len(values) == 2


def test_small_export_is_listed_as_done_for_its_owner(agent, personas, forwarded_report):
    response = export(agent, "state=forwarded&page=4")
    job = ExportJob.objects.get(requested_by=personas["agent"])
    assert response.url == reverse("backoffice:export_download", args=[job.pk])
    assert (job.status, job.row_count, job.query, job.format) == ("done", 1, "state=forwarded", "csv")
    page = agent.get(reverse("backoffice:exports")).content.decode()
    assert reverse("backoffice:export_download", args=[job.pk]) in page


def test_export_with_invalid_filters_is_refused_in_french(agent, personas):
    response = export(agent, "siren=123")
    assert response.status_code == 302
    assert "Les filtres de cet export ne sont plus valides" in agent.get(response.url).content.decode()
    assert not ExportJob.objects.exists()


def test_export_format_must_be_csv_or_xlsx(agent):
    response = export(agent, "", fmt="pdf")
    assert "Choisissez CSV ou XLSX." in agent.get(response.url).content.decode()
    assert not ExportJob.objects.exists()


def test_large_export_is_left_to_the_worker(agent, personas, make_report, settings):
    settings.FAIRPLACE_EXPORT_SYNC_MAX_ROWS = 2
    for _ in range(3):
        make_report()
    response = export(agent, "state=submitted", fmt="xlsx")
    assert response.url == reverse("backoffice:exports")
    job = ExportJob.objects.get()
    assert job.status == "pending" and not job.file
    assert agent.get(reverse("backoffice:export_download", args=[job.pk])).status_code == 404
    assert "l&#x27;export est en préparation" in agent.get(response.url).content.decode()

    assert exports.build_pending_exports() == 1
    job.refresh_from_db()
    assert (job.status, job.row_count) == ("done", 3)
    assert job.finished_at is not None
    file_response = agent.get(reverse("backoffice:export_download", args=[job.pk]))
    assert file_response["Content-Disposition"].startswith('attachment; filename="signalements-')
    sheet = load_workbook(io.BytesIO(b"".join(file_response.streaming_content))).active
    assert sheet.max_row == 4


def test_a_job_is_claimed_once(personas):
    job = ExportJob.objects.create(requested_by=personas["agent"], format="csv", query="", created_at=timezone.now())
    assert exports.claim_export(job.pk) is True
    assert exports.claim_export(job.pk) is False
    # A job another worker holds is not built again.
    assert exports.build_pending_exports() == 0
    assert ExportJob.objects.get(pk=job.pk).status == "running"


def test_two_worker_passes_build_a_job_once(personas, make_report, monkeypatch):
    make_report()
    ExportJob.objects.create(requested_by=personas["agent"], format="csv", query="", created_at=timezone.now())
    builds = []
    real_build = exports.build_export
    monkeypatch.setattr(exports, "build_export", lambda job: builds.append(job.pk) or real_build(job))
    assert exports.build_pending_exports() + exports.build_pending_exports() == 1
    assert len(builds) == 1


def test_a_build_that_fails_is_marked_failed_with_a_french_message(personas, make_report, monkeypatch):
    make_report()
    job = ExportJob.objects.create(requested_by=personas["agent"], format="xlsx", query="", created_at=timezone.now())

    def broken_writer(data, target):
        raise OSError("disk full")

    monkeypatch.setitem(exports.WRITERS, "xlsx", broken_writer)
    assert exports.build_pending_exports() == 1
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
    assert job.error.startswith("La création du fichier a échoué.")


def test_a_stored_query_that_no_longer_validates_fails_the_job(personas):
    job = ExportJob.objects.create(
        requested_by=personas["agent"], format="csv", query="marketplace=closed-down", created_at=timezone.now()
    )
    exports.build_pending_exports()
    job.refresh_from_db()
    assert job.status == "failed"
    assert "Les filtres de cet export ne sont plus valides" in job.error


def test_the_export_applies_the_requesters_visibility_at_build_time(personas, make_report):
    make_report()
    job = ExportJob.objects.create(requested_by=personas["agent"], format="csv", query="", created_at=timezone.now())
    personas["agent"].role = ""  # left the observatory before the worker ran
    personas["agent"].save()
    exports.build_pending_exports()
    job.refresh_from_db()
    assert (job.status, job.row_count) == ("done", 0)
    with job.file.open("rb") as handle:
        assert handle.read().decode("utf-8-sig").splitlines() == [";".join(HEADER)]


def test_only_the_owner_downloads_an_export(agent, personas, forwarded_report):
    export(agent, "")
    job = ExportJob.objects.get()
    other = login_as(Client(), personas, "supervisor")
    assert other.get(reverse("backoffice:export_download", args=[job.pk])).status_code == 404
    assert job.pk.hex not in other.get(reverse("backoffice:exports")).content.decode()
    assert agent.get(reverse("backoffice:export_download", args=[uuid.uuid4()])).status_code == 404


def test_failed_job_is_listed_with_its_error(agent, personas):
    ExportJob.objects.create(
        requested_by=personas["agent"],
        format="csv",
        status="failed",
        error="La création du fichier a échoué.",
        created_at=timezone.now() - timedelta(hours=1),
    )
    page = agent.get(reverse("backoffice:exports")).content.decode()
    assert "échec" in page and "La création du fichier a échoué." in page
