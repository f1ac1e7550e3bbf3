"""The platform's answer as a service: one transaction with its files, and the first reading."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fairplace.core.models import OutboxMessage
from fairplace.reports.answers import AnswerError, code_labels, mark_read_by_platform, record_platform_answer
from fairplace.reports.models import Attachment, PlatformAnswer, Report
from fairplace.reports.states import ReportState
from fairplace.reports.workflow import apply_transition
from tests.conftest import run_in_threads

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def forwarded(make_report):
    report = make_report("qualified", consent="anonymous")
    return apply_transition(report, "forward")


def _answer(report, actor, files=(), **overrides):
    arguments = {
        "kind": "accepted",
        "reasons": [],
        "actions": ["fee_refund"],
        "message_for_seller": "Remboursé.",
        "message_for_administration": "Erreur de facturation.",
        **overrides,
    }
    return record_platform_answer(report, actor=actor, files=files, **arguments)


def _stored_files() -> int:
    try:
        _dirs, files = default_storage.listdir("attachments")
    except FileNotFoundError:
        return 0
    count = len(files)
    for year in _dirs:
        for month in default_storage.listdir(f"attachments/{year}")[0]:
            count += len(default_storage.listdir(f"attachments/{year}/{month}")[1])
    return count


def test_an_answer_and_its_files_are_stored_together(forwarded, personas):
    answer = _answer(
        forwarded,
        personas["platform_a"],
        files=[SimpleUploadedFile("avoir.pdf", PDF), SimpleUploadedFile("écran.png", PNG)],
    )
    assert Report.objects.get(pk=forwarded.pk).state == ReportState.ANSWERED
    files = list(answer.attachments.order_by("original_name"))
    assert [(f.original_name, f.kind, f.report_id) for f in files] == [
        ("avoir.pdf", "pdf", forwarded.pk),
        ("écran.png", "png", forwarded.pk),
    ]
    assert all(f.scan_status == Attachment.ScanStatus.PENDING and f.file.read() for f in files)
    assert _stored_files() == 2
    # The seller's own evidence is a separate list.
    assert not forwarded.attachments.filter(answer__isnull=True).exists()


@pytest.mark.parametrize(
    "files, message",
    [
        ([SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("faux.pdf", b"not a pdf at all")], "type accepté"),
        ([SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(4)], "3 fichiers au plus"),
        ([SimpleUploadedFile("vide.pdf", b"")], "est vide"),
        ([SimpleUploadedFile("image.pdf", PNG)], "ne correspond pas à son extension"),
    ],
)
def test_a_refused_file_refuses_the_whole_answer_and_stores_nothing(forwarded, personas, files, message):
    with pytest.raises(AnswerError, match=message) as caught:
        _answer(forwarded, personas["platform_a"], files=files)
    assert "la réponse n'a pas été enregistrée" in caught.value.message.lower()
    assert not PlatformAnswer.objects.exists() and not Attachment.objects.exists()
    assert Report.objects.get(pk=forwarded.pk).state == ReportState.FORWARDED
    assert not forwarded.events.filter(code="report.answered").exists()
    assert _stored_files() == 0


def test_a_file_too_large_is_refused(forwarded, personas, monkeypatch):
    from fairplace.reports import answers

    monkeypatch.setattr(answers, "MAX_BYTES", 10)
    with pytest.raises(AnswerError, match="dépasse la taille maximale"):
        _answer(forwarded, personas["platform_a"], files=[SimpleUploadedFile("gros.pdf", PDF)])
    assert not PlatformAnswer.objects.exists()


def test_a_failure_after_the_files_were_written_removes_them(forwarded, personas, monkeypatch):
    real_save, calls = Attachment.save, []

    def save_then_fail(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise OSError("base indisponible")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save_then_fail)
    with pytest.raises(OSError):
        _answer(
            forwarded,
            personas["platform_a"],
            files=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)],
        )
    monkeypatch.undo()
    assert _stored_files() == 0 and not PlatformAnswer.objects.exists() and not Attachment.objects.exists()


def test_the_structure_is_checked_by_the_workflow_in_french(forwarded, personas):
    with pytest.raises(AnswerError, match="au moins un motif"):
        _answer(forwarded, personas["platform_a"], kind="rejected", actions=[], reasons=["unknown_seller"])
    with pytest.raises(AnswerError, match="message pour le vendeur"):
        _answer(forwarded, personas["platform_a"], message_for_seller="   ")
    assert not PlatformAnswer.objects.exists()


@pytest.mark.parametrize("name", ["platform_b", "agent"])
def test_only_the_marketplaces_representative_answers_or_reads(forwarded, personas, name):
    with pytest.raises(AnswerError, match="Seul un représentant"):
        _answer(forwarded, personas[name])
    assert mark_read_by_platform(forwarded, actor=personas[name]) is False
    assert not PlatformAnswer.objects.exists() and not forwarded.events.filter(code="report.read_by_platform").exists()


def test_a_second_answer_is_refused_as_already_answered(forwarded, personas):
    _answer(forwarded, personas["platform_a"])
    with pytest.raises(AnswerError) as caught:
        _answer(forwarded, personas["platform_a"])
    assert caught.value.already_answered and "déjà reçu une réponse" in caught.value.message
    assert PlatformAnswer.objects.count() == 1


def test_an_overdue_report_may_still_be_answered(make_report, personas):
    report = make_report("overdue", consent="anonymous", forwarded_at=timezone.now())
    answer = _answer(report, personas["platform_a"])
    assert Report.objects.get(pk=report.pk).state == ReportState.ANSWERED and answer.pk


def test_the_seller_is_told_by_e_mail_once_the_answer_is_recorded(forwarded, personas):
    OutboxMessage.objects.all().delete()
    _answer(forwarded, personas["platform_a"])
    assert list(OutboxMessage.objects.values_list("to", "template")) == [
        (forwarded.contact_email, "report_state_changed")
    ]


def test_code_labels_are_french(forwarded, personas):
    answer = _answer(forwarded, personas["platform_a"], actions=["fee_refund", "stock_return"])
    assert code_labels(answer) == ["Remboursement de frais ou de commissions", "Restitution du stock"]
    answer.kind, answer.reasons = "not_concerned", ["unknown_seller"]
    assert code_labels(answer) == ["Aucun compte vendeur correspondant"]


# First reading -------------------------------------------------------------------------


def test_the_first_reading_is_recorded_once(forwarded, personas):
    assert mark_read_by_platform(forwarded, actor=personas["platform_a"]) is True
    stale = Report.objects.get(pk=forwarded.pk)
    assert mark_read_by_platform(stale, actor=personas["platform_a"]) is False
    assert mark_read_by_platform(forwarded, actor=personas["platform_a"]) is False
    event = forwarded.events.get(code="report.read_by_platform")
    assert event.actor == personas["platform_a"] and event.actor_kind == "platform"
    assert Report.objects.get(pk=forwarded.pk).platform_first_read_at is not None


def test_a_report_not_forwarded_is_not_marked_read(make_report, personas):
    report = make_report("qualified", consent="anonymous")
    assert mark_read_by_platform(report, actor=personas["platform_a"]) is False
    assert not report.events.filter(code="report.read_by_platform").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_openings_record_one_reading(make_report, personas):
    report = apply_transition(make_report("qualified", consent="anonymous"), "forward")
    results = []
    errors = run_in_threads(
        lambda: results.append(mark_read_by_platform(Report.objects.get(pk=report.pk), actor=personas["platform_a"])), 4
    )
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert report.events.filter(code="report.read_by_platform").count() == 1
    from fairplace.reports.events import verify_chain

    assert verify_chain(report)
