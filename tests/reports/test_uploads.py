"""Evidence files in the wizard: checked by content, kept privately, downloadable only by
those allowed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fairplace.core.models import User
from fairplace.reports import attachments, intake
from fairplace.reports.models import Attachment
from tests.conftest import login_verified
from tests.core.test_files import make_docx, make_pdf, make_png
from tests.reports.wizard import STEP_URL, attach_draft

pytestmark = pytest.mark.django_db
DESCRIPTION = "Toutes mes offres ont été retirées sans explication le 2 mars."


def _post(client, files, action="upload", description=DESCRIPTION):
    return client.post(
        STEP_URL.format("description"), {"action": action, "description": description, "attachments": files}
    )


def test_valid_files_are_stored_outside_the_web_root_with_their_hash(client, complete_draft, settings):
    draft = attach_draft(client, complete_draft())
    response = _post(
        client,
        [
            SimpleUploadedFile("capture.png", make_png()),
            SimpleUploadedFile("courriel.pdf", make_pdf()),
            SimpleUploadedFile("contrat.docx", make_docx()),
        ],
    )
    assert response.status_code == 302
    stored = list(draft.attachments.order_by("original_name"))
    assert [(a.original_name, a.kind) for a in stored] == [
        ("capture.png", "png"),
        ("contrat.docx", "docx"),
        ("courriel.pdf", "pdf"),
    ]
    assert all(len(a.sha256) == 64 and a.scan_status == "pending" for a in stored)
    location = settings.STORAGES["default"]["OPTIONS"]["location"]
    assert all(a.file.path.startswith(location) and "capture" not in a.file.path for a in stored)
    page = client.get(STEP_URL.format("description")).content.decode()
    assert "capture.png" in page and "contrat.docx" in page


def test_a_wrong_file_is_refused_clearly_and_nothing_else_is_lost(client, complete_draft):
    draft = attach_draft(client, complete_draft())
    response = _post(
        client,
        [
            SimpleUploadedFile("facture.pdf", make_png()),
            SimpleUploadedFile("script.exe", b"MZ\x90\x00" + b"\x00" * 100),
            SimpleUploadedFile("ok.png", make_png()),
        ],
        action="next",
        description="Nouvelle description tapée avant l'erreur de fichier.",
    )
    assert response.status_code == 302 and response.url == STEP_URL.format("description")
    page = client.get(STEP_URL.format("description")).content.decode()
    assert "ne correspond pas à son extension" in page
    assert "n&#x27;est pas d&#x27;un type accepté" in page
    assert "Nouvelle description tapée avant l&#x27;erreur de fichier." in page
    assert list(draft.attachments.values_list("original_name", flat=True)) == ["ok.png"]


def test_oversized_files_and_a_sixth_file_are_refused(client, complete_draft, monkeypatch):
    draft = attach_draft(client, complete_draft())
    monkeypatch.setattr(attachments, "MAX_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("gros.pdf", make_pdf() + b"0" * (1024 * 1024))
    _post(client, [big] + [SimpleUploadedFile(f"p{i}.png", make_png()) for i in range(6)])
    page = client.get(STEP_URL.format("description")).content.decode()
    assert "« gros.pdf » dépasse la taille maximale" in page
    assert "« p5.png » n&#x27;a pas été ajouté : 5 fichiers au maximum." in page
    assert draft.attachments.count() == 5


def test_a_file_can_be_removed_before_sending(client, complete_draft):
    draft = attach_draft(client, complete_draft())
    _post(client, [SimpleUploadedFile("a.png", make_png())])
    attachment = draft.attachments.get()
    path = attachment.file.path
    _post(client, [], action=f"remove:{attachment.pk}")
    assert not draft.attachments.exists()
    import os

    assert not os.path.exists(path)


def test_the_seller_downloads_own_draft_files_but_another_visitor_cannot(client, complete_draft):
    from django.test import Client

    draft = attach_draft(client, complete_draft())
    _post(client, [SimpleUploadedFile("a.png", make_png())])
    attachment = draft.attachments.get()
    url = f"/signaler/pieces/{attachment.pk}/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == make_png()
    assert Client().get(url).status_code == 404


def test_staff_may_download_only_files_the_antivirus_declared_clean(client, complete_draft):
    draft = attach_draft(client, complete_draft())
    _post(client, [SimpleUploadedFile("a.png", make_png())])
    intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")
    attachment = Attachment.objects.get()
    assert attachment.report_id is not None
    agent = User.objects.create_user("agent@exemple.fr", "motdepasse-long-123", role="agent")
    staff = login_verified(type(client)(), agent)
    url = f"/gestion/pieces/{attachment.pk}/"
    blocked = staff.get(url)
    assert blocked.status_code == 403 and "antivirus" in blocked.content.decode()
    Attachment.objects.filter(pk=attachment.pk).update(scan_status="clean")
    assert staff.get(url).status_code == 200
    Attachment.objects.filter(pk=attachment.pk).update(scan_status="infected")
    assert staff.get(url).status_code == 403
    assert client.get(url).status_code == 302  # a seller is not staff: sent to the login page
    unverified = type(client)()
    unverified.force_login(agent)
    assert unverified.get(url).url.startswith("/compte/verification/")  # password alone is not enough
    platform = User.objects.create_user("rep@exemple.fr", "motdepasse-long-123", role="platform")
    platform_client = type(client)()
    platform_client.force_login(platform)
    assert platform_client.get(url).status_code == 403  # wrong role: the observatory guard refuses


def test_scan_pending_records_the_antivirus_verdict(complete_draft, monkeypatch):
    from fairplace.core.adapters.antivirus import ScanResult

    draft = complete_draft()
    attachments._store(draft, SimpleUploadedFile("a.png", make_png()), "png")
    attachments._store(draft, SimpleUploadedFile("b.png", b"X5O-EICAR-LIKE" + make_png()), "png")

    class RecordingScanner:
        """Stands in for clamd, whose wire protocol is tested in tests/core/test_antivirus.py."""

        def scan(self, handle):
            content = handle.read()
            return ScanResult("infected", "Eicar-Test") if b"EICAR" in content else ScanResult("clean", "")

    monkeypatch.setattr(attachments, "get_scanner", RecordingScanner)
    assert attachments.scan_pending() == 2
    verdicts = dict(Attachment.objects.values_list("original_name", "scan_status"))
    assert verdicts == {"a.png": "clean", "b.png": "infected"}
    assert Attachment.objects.get(original_name="b.png").scan_detail == "Eicar-Test"


def test_a_file_missing_from_the_storage_gets_an_error_verdict_and_the_others_are_scanned(complete_draft, monkeypatch):
    from fairplace.core.adapters.antivirus import ScanResult

    draft = complete_draft()
    lost = attachments._store(draft, SimpleUploadedFile("perdu.png", make_png()), "png")
    attachments._store(draft, SimpleUploadedFile("a.png", make_png()), "png")
    lost.file.storage.delete(lost.file.name)

    class CleanScanner:
        def scan(self, handle):
            return ScanResult("clean", "")

    monkeypatch.setattr(attachments, "get_scanner", CleanScanner)
    assert attachments.scan_pending() == 2
    verdicts = dict(Attachment.objects.values_list("original_name", "scan_status"))
    assert verdicts == {"perdu.png": "error", "a.png": "clean"}


def test_disabled_antivirus_leaves_files_pending(complete_draft):
    draft = complete_draft()
    attachments._store(draft, SimpleUploadedFile("a.png", make_png()), "png")
    assert attachments.scan_pending() == 0
    assert Attachment.objects.get().scan_status == "pending"
