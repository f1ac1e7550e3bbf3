"""What the seller says of the answer and of the promised action: once each, in their
windows, stored apart from the platform's answer; the follow-up e-mail 21 days later."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from fairplace.core.models import OutboxMessage
from fairplace.core.outbox import deliver_due
from fairplace.reports import intake
from fairplace.reports.answers import record_platform_answer
from fairplace.reports.feedback import FeedbackError, confirm_action, rate_answer
from fairplace.reports.models import Attachment, PlatformAnswer, Report, SellerFeedback
from fairplace.reports.schedule import send_action_follow_ups
from fairplace.reports.states import Outcome, ReportState
from fairplace.reports.workflow import apply_transition

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _at(*args):
    return datetime(*args, tzinfo=PARIS)


def answered(make_report, *, kind="accepted", actions=("reinstatement",), reasons=(), **fields):
    report = apply_transition(make_report("qualified", consent="anonymous", **fields), "forward")
    apply_transition(
        report,
        "record_answer",
        actor_kind="platform",
        kind=kind,
        actions=list(actions),
        reasons=list(reasons),
        message_for_seller="Nous avons rétabli votre compte.",
        message_for_administration="NOTE-RESERVEE-ADMINISTRATION",
    )
    return Report.objects.get(pk=report.pk)


def _detail_url(report) -> str:
    return f"/suivi/{intake.tracking_token(report.contact)}/{report.reference}/"


# Rating the answer ---------------------------------------------------------------------


def test_the_seller_rates_the_answer_once_and_it_is_kept_apart_from_the_answer(make_report):
    report = answered(make_report)
    feedback = rate_answer(report, value="partly_satisfied", comment=" Compte rétabli mais tard. ")
    answer = PlatformAnswer.objects.get(report=report)
    assert (feedback.kind, feedback.value, feedback.comment, feedback.answer) == (
        "answer_rating",
        "partly_satisfied",
        "Compte rétabli mais tard.",
        answer,
    )
    assert answer.kind == "accepted"  # the platform's claim is untouched
    event = report.events.get(code="report.answer_rated")
    assert event.payload == {"answer_id": answer.pk, "value": "partly_satisfied"} and event.actor_kind == "seller"
    with pytest.raises(FeedbackError, match="déjà donné votre avis"):
        rate_answer(report, value="satisfied")
    assert SellerFeedback.objects.count() == 1


def test_there_is_nothing_to_rate_before_the_platform_answers(make_report):
    report = apply_transition(make_report("qualified", consent="anonymous"), "forward")
    with pytest.raises(FeedbackError, match="pas encore répondu"):
        rate_answer(report, value="satisfied")
    assert not SellerFeedback.objects.exists()


def test_an_unknown_rating_or_a_long_comment_is_refused(make_report):
    report = answered(make_report)
    with pytest.raises(FeedbackError, match="Choisissez votre avis"):
        rate_answer(report, value="bof")
    with pytest.raises(FeedbackError, match="2000 caractères"):
        rate_answer(report, value="satisfied", comment="x" * 2001)


def test_the_rating_window_closes_30_days_after_the_answer(make_report):
    with time_machine.travel(_at(2026, 6, 1, 10), tick=False):
        report = answered(make_report)
        late = answered(make_report, siret="35600000049837")
    with time_machine.travel(_at(2026, 7, 1, 23), tick=False):
        assert rate_answer(report, value="satisfied").pk
    with time_machine.travel(_at(2026, 7, 2, 0, 1), tick=False), pytest.raises(FeedbackError, match="délai"):
        rate_answer(late, value="satisfied")


def test_a_report_that_moved_on_may_still_have_its_answer_rated(make_report):
    report = answered(make_report)
    apply_transition(report, "close", outcome=Outcome.RESOLVED)
    assert rate_answer(report, value="satisfied").pk


# Confirming the promised action --------------------------------------------------------


def test_the_seller_confirms_the_promised_action_once_even_before_the_follow_up(make_report):
    report = answered(make_report)
    feedback = confirm_action(report, value="not_done", comment="Toujours bloqué.")
    assert (feedback.kind, feedback.value) == ("action_confirmation", "not_done")
    event = report.events.get(code="report.action_confirmed")
    assert event.payload == {"answer_id": feedback.answer_id, "value": "not_done"}
    with pytest.raises(FeedbackError, match="déjà indiqué"):
        confirm_action(report, value="done")
    # Rating and confirmation are two separate things.
    assert rate_answer(report, value="not_satisfied").kind == "answer_rating"
    assert SellerFeedback.objects.filter(report=report).count() == 2


def test_there_is_no_action_to_confirm_when_none_was_promised(make_report):
    report = answered(make_report, kind="rejected", actions=(), reasons=("fraud_risk",))
    with pytest.raises(FeedbackError, match="ne promettait aucune action"):
        confirm_action(report, value="done")
    with pytest.raises(FeedbackError, match="Indiquez si l'action promise"):
        confirm_action(report, value="peut-être")


# The seller's page ---------------------------------------------------------------------


def test_the_seller_reads_the_answer_without_the_message_for_the_administration(client, make_report):
    report = answered(make_report)
    html = client.get(_detail_url(report)).content.decode()
    assert "Nous avons rétabli votre compte." in html and "Réactivation du compte ou des offres" in html
    assert "NOTE-RESERVEE-ADMINISTRATION" not in html
    assert 'id="rating-form"' in html and 'id="action-form"' in html


def test_rating_through_the_page_and_errors_keep_the_comment(client, make_report):
    report = answered(make_report)
    url = _detail_url(report) + "evaluer/"
    missing = client.post(url, {"comment": "Mon commentaire tapé"})
    assert missing.status_code == 422
    assert "Choisissez votre avis sur la réponse." in missing.content.decode()
    assert "Mon commentaire tapé" in missing.content.decode()
    done = client.post(url, {"value": "satisfied", "comment": ""}, follow=True)
    assert "votre avis sur la réponse de la plateforme a été enregistré" in done.content.decode()
    assert 'id="rating-given"' in done.content.decode() and 'id="rating-form"' not in done.content.decode()
    again = client.post(url, {"value": "not_satisfied", "comment": "Finalement non"})
    assert again.status_code == 422
    assert "déjà donné votre avis" in again.content.decode() and "Finalement non" in again.content.decode()
    assert SellerFeedback.objects.get().value == "satisfied"


def test_confirming_the_action_through_the_page(client, make_report):
    report = answered(make_report)
    url = _detail_url(report) + "action/"
    assert client.post(url, {"value": ""}).status_code == 422
    response = client.post(url, {"value": "partly_done", "comment": "Une partie du stock rendue"})
    assert response.status_code == 302
    assert SellerFeedback.objects.get().comment == "Une partie du stock rendue"


def test_another_sellers_link_cannot_rate(client, make_report):
    report = answered(make_report)
    other = make_report(email="autre@exemple.fr", siret="35600000049837")
    url = f"/suivi/{intake.tracking_token(other.contact)}/{report.reference}/evaluer/"
    assert client.post(url, {"value": "satisfied"}).status_code == 404
    assert not SellerFeedback.objects.exists()


def test_answer_files_are_listed_under_the_answer_and_served_once_clean(client, make_report, personas):
    report = apply_transition(make_report("qualified", consent="anonymous"), "forward")
    answer = record_platform_answer(
        report,
        actor=personas["platform_a"],
        kind="accepted",
        reasons=[],
        actions=["fee_refund"],
        message_for_seller="Avoir joint.",
        files=[SimpleUploadedFile("avoir-cdiscount.pdf", PDF)],
    )
    own = Attachment(
        report=report,
        original_name="ma-preuve.pdf",
        kind="pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_at=answer.created_at,
    )
    own.file.save(own.id.hex, SimpleUploadedFile("ma-preuve.pdf", PDF), save=False)
    own.save()
    html = client.get(_detail_url(report)).content.decode()
    own_section = html.split("Pièces jointes</h2>")[1]
    assert "ma-preuve.pdf" in own_section and "avoir-cdiscount.pdf" not in own_section
    assert "avoir-cdiscount.pdf" in html.split("La réponse de la plateforme")[1].split("Historique")[0]
    file = answer.attachments.get()
    download = _detail_url(report) + f"pieces/{file.id}/"
    assert client.get(download).status_code == 403  # not yet declared clean by the antivirus
    Attachment.objects.filter(pk=file.pk).update(scan_status="clean")
    assert client.get(download).status_code == 200
    assert client.get(_detail_url(report) + f"pieces/{own.id}/").status_code == 200  # one's own file, always


# Withdrawal ----------------------------------------------------------------------------


def test_withdrawing_needs_a_confirmation_and_closes_the_report(client, make_report):
    report = apply_transition(make_report("qualified", consent="anonymous"), "forward")
    url = _detail_url(report) + "retirer/"
    refused = client.post(url, {"reason": "Réglé à l'amiable"})
    assert refused.status_code == 422
    assert "Cochez la case pour confirmer le retrait." in refused.content.decode()
    assert "Réglé à l&#x27;amiable" in refused.content.decode()
    assert client.post(url, {"reason": "Réglé à l'amiable", "confirm": "on"}).status_code == 302
    report.refresh_from_db()
    assert (report.state, report.outcome) == (ReportState.CLOSED, Outcome.WITHDRAWN)
    event = report.events.get(code="report.withdrawn")
    assert event.actor_kind == "seller" and event.payload["reason"] == "Réglé à l'amiable"
    assert 'id="withdraw-form"' not in client.get(_detail_url(report)).content.decode()
    again = client.post(url, {"confirm": "on"})
    assert again.status_code == 422 and "impossible" in again.content.decode()


# The follow-up of the promised action --------------------------------------------------


def test_the_seller_is_asked_about_the_promised_action_21_days_later_once(make_report, smtp_server):
    with time_machine.travel(_at(2026, 6, 1, 10), tick=False):
        report = answered(make_report, actions=("reinstatement", "fee_refund"))
        rejected = answered(
            make_report,
            kind="rejected",
            actions=(),
            reasons=("fraud_risk",),
            siret="35600000049837",
            email="autre@exemple.fr",
        )
        OutboxMessage.objects.all().delete()
    with time_machine.travel(_at(2026, 6, 22, 12), tick=False):
        assert send_action_follow_ups() == 0
    with time_machine.travel(_at(2026, 6, 23, 8), tick=False):
        assert send_action_follow_ups() == 1
        assert send_action_follow_ups() == 0
        assert deliver_due() == 1
    mail = smtp_server.messages[-1]
    body = mail.get_payload(decode=True).decode("utf-8")
    assert mail["To"] == report.contact_email
    assert "Réactivation du compte ou des offres" in body and "Remboursement de frais" in body
    link = re.search(r"(http\S+/suivi/\S+/)", body).group(1)
    assert link.endswith(f"/{report.reference}/")
    assert report.events.filter(code="report.action_follow_up_sent").count() == 1
    assert not rejected.events.filter(code="report.action_follow_up_sent").exists()


def test_no_follow_up_when_the_seller_already_answered_or_withdrew(make_report):
    with time_machine.travel(_at(2026, 6, 1, 10), tick=False):
        confirmed = answered(make_report)
        confirm_action(confirmed, value="done")
        withdrawn = answered(make_report, siret="35600000049837", email="autre@exemple.fr")
        apply_transition(withdrawn, "withdraw", actor_kind="seller")
    with time_machine.travel(_at(2026, 7, 15), tick=False):
        assert send_action_follow_ups() == 0
    assert not OutboxMessage.objects.filter(template="action_follow_up").exists()


def test_each_answer_with_promised_actions_gets_its_own_follow_up(make_report):
    with time_machine.travel(_at(2026, 6, 1, 10), tick=False):
        report = answered(make_report)
        apply_transition(report, "close", outcome=Outcome.UNRESOLVED)
        apply_transition(report, "reopen", reason="Nouvel élément")
        apply_transition(report, "forward")
        apply_transition(
            report,
            "record_answer",
            actor_kind="platform",
            kind="accepted",
            actions=["fee_refund"],
            message_for_seller="Remboursement en cours.",
        )
    with time_machine.travel(_at(2026, 6, 30), tick=False):
        assert send_action_follow_ups() == 2
        assert send_action_follow_ups() == 0
    assert OutboxMessage.objects.filter(template="action_follow_up").count() == 2


def test_the_deadline_command_and_the_worker_send_the_follow_ups(make_report):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(_at(2026, 6, 1, 10), tick=False):
        first = answered(make_report)
    with time_machine.travel(_at(2026, 6, 3, 10), tick=False):
        second = answered(make_report, siret="35600000049837", email="autre@exemple.fr")
    with time_machine.travel(_at(2026, 6, 23, 8), tick=False):
        out = StringIO()
        call_command("check_deadlines", stdout=out)
        assert "1 vendeur(s) interrogé(s) sur l'action promise" in out.getvalue()
    assert first.events.filter(code="report.action_follow_up_sent").count() == 1
    assert not second.events.filter(code="report.action_follow_up_sent").exists()
    with time_machine.travel(_at(2026, 6, 26, 8), tick=False):
        call_command("run_job", "reports.action_follow_ups", stdout=StringIO())
    assert second.events.filter(code="report.action_follow_up_sent").count() == 1
    assert first.events.filter(code="report.action_follow_up_sent").count() == 1
