"""A double click, a browser retry or two tabs create one report, never two."""

import pytest

from fairplace.core.outbox import deliver_due
from fairplace.reports import intake
from fairplace.reports.models import Report
from fairplace.reports.views import wizard_cookies
from tests.conftest import run_in_threads
from tests.reports.wizard import STEP_URL, attach_draft, fill_until_summary, submit


@pytest.mark.django_db
def test_double_submit_in_the_same_session_creates_one_report(client, reference_data):
    fill_until_summary(client)
    first, key = submit(client)
    second = client.post(STEP_URL.format("recapitulatif"), {"accuracy": "on", "submit_key": key})
    assert first.url == second.url == "/signaler/recu/"
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_browser_retry_after_the_session_moved_on_lands_on_the_same_receipt(client, reference_data):
    fill_until_summary(client)
    _, key = submit(client)
    report = Report.objects.get()
    client.cookies.pop(wizard_cookies.DRAFT, None)
    client.cookies.pop(wizard_cookies.RECEIPT, None)
    replay = client.post(STEP_URL.format("recapitulatif"), {"accuracy": "on", "submit_key": key})
    assert replay.url == "/signaler/recu/"
    assert report.reference in client.get("/signaler/recu/").content.decode()
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_one_receipt_email_per_report_even_when_submitted_twice(client, complete_draft, mailoutbox):
    draft = complete_draft()
    intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")
    intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")
    deliver_due()
    assert len([m for m in mailoutbox if "bien reçu" in m.subject]) == 1


@pytest.mark.django_db
def test_a_stale_submit_key_is_refused_with_a_french_message(complete_draft):
    draft = complete_draft()
    with pytest.raises(intake.IntakeError, match="déjà été envoyé ou a expiré"):
        intake.submit_draft(draft.pk, "00000000-0000-0000-0000-000000000000", ip="1.1.1.1")
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_incomplete_draft_is_refused_and_names_the_step(client, complete_draft):
    draft = complete_draft()
    draft.steps["entreprise"]["siret"] = "123"
    draft.save()
    with pytest.raises(intake.IntakeError) as caught:
        intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")
    assert caught.value.step == "entreprise"
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_unverified_email_cannot_be_submitted(client, complete_draft):
    draft = attach_draft(client, complete_draft())
    draft.email_verified = "quelquun@autre.fr"
    draft.save()
    with pytest.raises(intake.IntakeError) as caught:
        intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")
    assert caught.value.step == "contact"


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_draft_create_one_report(complete_draft):
    draft = complete_draft()
    results = []
    errors = run_in_threads(lambda: results.append(intake.submit_draft(draft.pk, draft.submit_key, ip="9.9.9.9").pk), 6)
    assert errors == []
    assert len(results) == 6 and len(set(results)) == 1
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_garbled_submit_key_without_a_draft_goes_back_to_the_start(client, reference_data):
    response = client.post(STEP_URL.format("recapitulatif"), {"accuracy": "on", "submit_key": "pas-un-uuid"})
    assert response.status_code == 302 and response.url == STEP_URL.format("plateforme")


@pytest.mark.django_db
def test_posting_the_summary_of_an_incomplete_draft_redirects_to_the_step_to_fix(client, complete_draft):
    draft = attach_draft(client, complete_draft())
    draft.steps["entreprise"]["siret"] = "123"
    draft.save()
    for data in ({"submit_key": str(draft.submit_key)}, {"accuracy": "on", "submit_key": str(draft.submit_key)}):
        response = client.post(STEP_URL.format("recapitulatif"), data)
        assert response.status_code == 302 and response.url == STEP_URL.format("entreprise")
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_the_wizard_keeps_its_place_in_signed_cookies_not_in_a_session(client, reference_data):
    from django.contrib.sessions.models import Session

    fill_until_summary(client)
    submit(client)
    assert Session.objects.count() == 0
    forged = client.cookies[wizard_cookies.RECEIPT].value.split(":")
    client.cookies[wizard_cookies.RECEIPT] = ":".join([str(int(forged[0]) + 1), *forged[1:]])
    assert client.get("/signaler/recu/").url == "/signaler/"  # a tampered cookie shows nothing
