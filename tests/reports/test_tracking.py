"""The seller's space: a signed link, only one's own reports, no account enumeration."""

import re

import pytest
from django.test import Client

from fairplace.core.outbox import deliver_due
from fairplace.reports import intake
from fairplace.reports.models import SellerContact

pytestmark = pytest.mark.django_db


def _report(complete_draft, **kwargs):
    draft = complete_draft(**kwargs)
    return intake.submit_draft(draft.pk, draft.submit_key, ip="1.1.1.1")


def test_the_signed_link_lists_the_sellers_reports_only(client, complete_draft):
    mine = _report(complete_draft, email="moi@exemple.fr")
    other = _report(complete_draft, email="autre@exemple.fr", siret="35600000049837")
    token = intake.tracking_token(mine.contact)
    page = client.get(f"/suivi/{token}/").content.decode()
    assert mine.reference in page and other.reference not in page
    detail = client.get(f"/suivi/{token}/{mine.reference}/")
    assert detail.status_code == 200
    assert "Reçu, en attente d&#x27;examen" in detail.content.decode()
    assert client.get(f"/suivi/{token}/{other.reference}/").status_code == 404


def test_a_forged_or_altered_token_is_refused(client, complete_draft):
    mine = _report(complete_draft)
    token = intake.tracking_token(mine.contact)
    assert client.get(f"/suivi/{token[:-2]}xx/").status_code == 404
    assert client.get("/suivi/MQ:forged:signature/").status_code == 404


def test_an_expired_link_is_refused(client, complete_draft, monkeypatch):
    mine = _report(complete_draft)
    token = intake.tracking_token(mine.contact)
    monkeypatch.setattr(intake, "TRACKING_MAX_AGE", -1)
    assert client.get(f"/suivi/{token}/").status_code == 404


def test_asking_for_a_link_answers_the_same_for_known_and_unknown_addresses(client, complete_draft, mailoutbox):
    _report(complete_draft, email="moi@exemple.fr")
    deliver_due()  # the receipt
    mailoutbox.clear()
    known = client.post("/suivi/", {"email": "MOI@exemple.fr"})
    unknown = Client().post("/suivi/", {"email": "inconnu@exemple.fr"})
    deliver_due()
    strip = lambda html: re.sub(r"(moi|inconnu)@exemple\.fr|csrfmiddlewaretoken[^>]+", "", html)  # noqa: E731
    assert strip(known.content.decode()) == strip(unknown.content.decode())
    assert [m.to for m in mailoutbox] == [["moi@exemple.fr"]]
    link = re.search(r"(http\S+/suivi/\S+/)", mailoutbox[0].body).group(1)
    assert client.get(link.replace("http://testserver", "")).status_code == 200


def test_invalid_email_gets_a_french_error(client):
    response = client.post("/suivi/", {"email": "pas-un-courriel"})
    assert response.status_code == 422
    assert "Saisissez une adresse de courriel valide." in response.content.decode()


def test_one_contact_per_address_across_reports(complete_draft):
    _report(complete_draft, email="moi@exemple.fr")
    _report(complete_draft, email="moi@exemple.fr", siret="35600000049837")
    assert SellerContact.objects.get().reports.count() == 2


def test_the_seller_sees_a_french_timeline_without_internal_events(client, complete_draft):
    from fairplace.reports.events import record_event
    from fairplace.reports.workflow import apply_transition

    report = _report(complete_draft)
    apply_transition(report, "qualify")
    apply_transition(report, "forward")
    record_event(report, "report.answer_reminder_sent", actor_kind="system")
    html = client.get(f"/suivi/{intake.tracking_token(report.contact)}/{report.reference}/").content.decode()
    assert "Signalement examiné par l&#x27;observatoire" in html and "Signalement transmis à la plateforme" in html
    assert "relancée" not in html and "report." not in html
    assert "Transmis à la plateforme" in html  # the state badge
