"""Messages between the seller, the observatory and the platform: who may write to whom,
held messages of anonymous sellers, who reads what, e-mail notifications without identity."""

import pytest
from django.db import transaction
from django.utils import timezone

from fairplace.core.models import OutboxMessage
from fairplace.core.outbox import deliver_due
from fairplace.reports import intake
from fairplace.reports.messaging import (
    MAX_BODY,
    MessagingError,
    display_messages,
    messages_for,
    release_message,
    send_message,
)
from fairplace.reports.models import Message, Report
from fairplace.reports.workflow import apply_transition
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

IDENTITY = {
    "company_name": "Boutique Zéphyrine",
    "contact_first_name": "Philibert",
    "contact_last_name": "Vautrin-Lacombe",
    "contact_phone": "06 98 76 54 32",
}
SELLER_EMAIL = "philibert.vautrin@exemple.fr"
IDENTITY_STRINGS = [*IDENTITY.values(), SELLER_EMAIL, "73282932000074", "732829320"]


def forwarded(make_report, consent="anonymous", **fields):
    report = make_report("qualified", consent=consent, email=SELLER_EMAIL, **IDENTITY, **fields)
    return apply_transition(report, "forward")


@pytest.fixture
def report(make_report):
    return forwarded(make_report)


def _send(report, sender, recipient, body="Bonjour, pouvez-vous préciser ?", author=None):
    return send_message(report, sender=sender, recipient=recipient, body=body, author=author)


# Who may write to whom -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sender, recipient",
    [
        ("seller", "observatory"),
        ("observatory", "seller"),
        ("observatory", "platform"),
        ("platform", "observatory"),
        ("seller", "platform"),
        ("platform", "seller"),
    ],
)
def test_the_allowed_pairs_once_forwarded(report, sender, recipient):
    message = _send(report, sender, recipient)
    assert (message.sender, message.recipient) == (sender, recipient)


@pytest.mark.parametrize(
    "sender, recipient",
    [("seller", "seller"), ("observatory", "observatory"), ("platform", "platform"), ("mediator", "seller")],
)
def test_other_pairs_are_refused(report, sender, recipient):
    with pytest.raises(MessagingError, match="destinataire n'est pas possible"):
        _send(report, sender, recipient)


@pytest.mark.parametrize(
    "sender, recipient",
    [("seller", "platform"), ("platform", "seller"), ("observatory", "platform"), ("platform", "observatory")],
)
def test_nothing_goes_to_or_from_the_platform_before_forwarding(make_report, sender, recipient):
    report = make_report("qualified", consent="anonymous")
    with pytest.raises(MessagingError, match="pas été transmis"):
        _send(report, sender, recipient)
    assert _send(report, "seller", "observatory").pk  # the observatory is always reachable
    assert Message.objects.count() == 1


def test_no_direct_exchange_with_the_platform_without_the_sellers_consent(make_report):
    report = make_report("answered", consent="barometer_only", forwarded_at=timezone.now())
    with pytest.raises(MessagingError, match="pas accepté la transmission"):
        _send(report, "seller", "platform")
    with pytest.raises(MessagingError, match="pas accepté la transmission"):
        _send(report, "platform", "seller")
    assert _send(report, "observatory", "platform").pk


@pytest.mark.parametrize(
    "body, error",
    [
        ("", "Écrivez votre message."),
        ("   \n ", "Écrivez votre message."),
        ("x" * (MAX_BODY + 1), "dépasse 5000 caractères"),
    ],
)
def test_the_body_is_required_and_bounded(report, body, error):
    with pytest.raises(MessagingError, match=error):
        _send(report, "seller", "observatory", body=body)
    assert _send(report, "seller", "observatory", body="x" * MAX_BODY).body == "x" * MAX_BODY


# Held and released ---------------------------------------------------------------------


def test_an_anonymous_sellers_message_to_the_platform_waits_for_an_agent(report, personas):
    held = _send(report, "seller", "platform", body="Mon SIRET est 73282932000074")
    assert held.released_at is None
    assert held not in messages_for(report, "platform") and held not in messages_for(report, "seller")
    assert held in messages_for(report, "observatory")
    event = report.events.filter(code="report.message_sent").get()
    assert event.payload == {"from": "seller", "to": "platform", "message_id": held.pk, "held": True}
    assert not OutboxMessage.objects.filter(template="message_to_platform").exists()

    released = release_message(held, agent=personas["agent"])
    assert released.released_at is not None and released.released_by == personas["agent"]
    assert released in messages_for(report, "platform")
    assert OutboxMessage.objects.filter(template="message_to_platform", to="rep@cdiscount.test").count() == 1
    last = report.events.filter(code="report.message_sent").order_by("-id").first()
    assert last.payload["released"] is True and last.actor == personas["agent"]
    with pytest.raises(MessagingError, match="déjà été transmis"):
        release_message(held, agent=personas["agent"])


def test_only_an_agent_releases_and_only_held_messages(report, personas):
    held = _send(report, "seller", "platform")
    for name in ("platform_a", "mediator", "no_role"):
        with pytest.raises(MessagingError, match="Seul un agent"):
            release_message(held, agent=personas[name])
    direct = _send(report, "platform", "seller")
    with pytest.raises(MessagingError, match="déjà été transmis"):
        release_message(direct, agent=personas["agent"])


def test_other_messages_are_delivered_at_once(make_report):
    identified = forwarded(make_report, consent="identified")
    assert _send(identified, "seller", "platform").released_at is not None
    anonymous = forwarded(make_report, siret="35600000049837")
    for sender, recipient in (("platform", "seller"), ("seller", "observatory"), ("observatory", "platform")):
        assert _send(anonymous, sender, recipient).released_at is not None


# Who reads what ------------------------------------------------------------------------


def test_each_party_reads_only_its_own_conversations(report):
    to_seller = _send(report, "observatory", "seller")
    to_platform = _send(report, "observatory", "platform")
    from_platform = _send(report, "platform", "seller")
    assert list(messages_for(report, "seller")) == [to_seller, from_platform]
    assert list(messages_for(report, "platform")) == [to_platform, from_platform]
    assert list(messages_for(report, "observatory")) == [to_seller, to_platform, from_platform]
    assert list(messages_for(report, "mediator")) == []


def test_the_platform_reads_le_vendeur_and_the_seller_never_reads_a_representatives_address(report, personas):
    release_message(_send(report, "seller", "platform"), agent=personas["agent"])
    _send(report, "platform", "seller", author=personas["platform_a"])
    platform_side = display_messages(report, "platform")
    assert [(row["sender"], row["recipient"]) for row in platform_side] == [
        ("Le vendeur", "Vous"),
        ("Vous", "Le vendeur"),
    ]
    seller_side = display_messages(report, "seller")
    assert seller_side[-1]["sender"] == "Cdiscount"
    assert all("rep@cdiscount.test" not in str(row.values()) for row in seller_side)


# Notifications -------------------------------------------------------------------------


def _mails(smtp_server) -> list[tuple[str, str]]:
    deliver_due()
    return [(mail["To"], mail.get_payload(decode=True).decode("utf-8")) for mail in smtp_server.messages]


def test_notifications_travel_over_smtp_without_the_anonymous_sellers_identity(report, personas, smtp_server):
    Report.objects.filter(pk=report.pk).update(assigned_to=personas["agent"])
    report.refresh_from_db()
    deliver_due()
    smtp_server.messages.clear()
    _send(report, "platform", "seller", author=personas["platform_a"])
    _send(report, "observatory", "platform", author=personas["agent"])
    _send(report, "seller", "observatory")
    held = _send(report, "seller", "platform", body="Atelier de Philibert Vautrin-Lacombe")
    release_message(held, agent=personas["agent"])
    mails = _mails(smtp_server)
    recipients = [to for to, _body in mails]
    assert recipients == [
        SELLER_EMAIL,
        "rep@cdiscount.test",
        "agent@fairplace.test",
        "agent@fairplace.test",
        "rep@cdiscount.test",
    ]
    seller_mail = mails[0][1]
    assert "/suivi/" in seller_mail and report.reference in seller_mail and "rep@cdiscount.test" not in seller_mail
    for to, body in mails:
        if to == "rep@cdiscount.test":
            assert f"http://testserver/plateforme/signalements/{report.reference}/" in body
            assert "Le vendeur" in body or "L'observatoire" in body
            for value in IDENTITY_STRINGS:
                assert value not in body
    assert "relisez son message" in mails[3][1]  # the held message: to the assigned agent, to review


def test_an_unassigned_case_notifies_no_agent(report):
    OutboxMessage.objects.all().delete()
    _send(report, "seller", "observatory")
    _send(report, "seller", "platform")
    assert not OutboxMessage.objects.exists()


def test_an_identified_sellers_message_reaches_the_platform_at_once(make_report, personas, smtp_server):
    identified = forwarded(make_report, consent="identified")
    deliver_due()
    smtp_server.messages.clear()
    _send(identified, "seller", "platform")
    assert [to for to, _body in _mails(smtp_server)] == ["rep@cdiscount.test"]


def test_a_refused_message_leaves_nothing_behind(report):
    OutboxMessage.objects.all().delete()
    with pytest.raises(MessagingError):
        _send(report, "seller", "seller")
    assert not Message.objects.exists() and not OutboxMessage.objects.exists()
    assert not report.events.filter(code="report.message_sent").exists()


def test_a_rollback_of_the_callers_transaction_sends_nothing(report):
    OutboxMessage.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(report, "platform", "seller")
        raise RuntimeError
    assert not Message.objects.exists() and not OutboxMessage.objects.exists()


# The seller's and the platform's pages -------------------------------------------------


def _detail_url(report) -> str:
    return f"/suivi/{intake.tracking_token(report.contact)}/{report.reference}/"


def test_the_seller_writes_to_the_platform_and_is_told_an_agent_rereads_it(client, report):
    page = client.get(_detail_url(report)).content.decode()
    assert 'value="platform"' in page and "relus par un agent" in page
    response = client.post(
        _detail_url(report) + "messages/", {"recipient": "platform", "body": "Mon texte"}, follow=True
    )
    html = response.content.decode()
    assert "un agent de l&#x27;observatoire le relit avant de le transmettre" in html
    assert "Mon texte" in html and "en relecture par l'observatoire" in html and "Aucun message" not in html
    assert Message.objects.get().released_at is None


def test_before_forwarding_the_seller_may_only_write_to_the_observatory(client, make_report):
    report = make_report("submitted", consent="anonymous")
    page = client.get(_detail_url(report)).content.decode()
    assert 'value="platform"' not in page
    refused = client.post(_detail_url(report) + "messages/", {"recipient": "platform", "body": "Texte gardé"})
    assert refused.status_code == 422 and "Texte gardé" in refused.content.decode()
    assert (
        client.post(_detail_url(report) + "messages/", {"recipient": "observatory", "body": "Une question"}).status_code
        == 302
    )
    assert Message.objects.get().recipient == "observatory"


def test_an_empty_message_keeps_the_chosen_recipient(client, report):
    response = client.post(_detail_url(report) + "messages/", {"recipient": "platform", "body": " "})
    assert response.status_code == 422
    assert "Écrivez votre message." in response.content.decode()
    assert 'value="platform" dsfr="dsfr" id="id_recipient_1" required checked' in response.content.decode()


def test_the_platform_page_shows_released_messages_only(client, personas, report):
    held = _send(report, "seller", "platform", body="TEXTE-EN-ATTENTE")
    _send(report, "seller", "observatory", body="TEXTE-POUR-L-OBSERVATOIRE")
    login_as(client, personas, "platform_a")
    url = f"/plateforme/signalements/{report.reference}/"
    html = client.get(url).content.decode()
    assert "TEXTE-EN-ATTENTE" not in html and "TEXTE-POUR-L-OBSERVATOIRE" not in html
    release_message(held, agent=personas["agent"])
    html = client.get(url).content.decode()
    assert "TEXTE-EN-ATTENTE" in html and "Le vendeur → Vous" in html
