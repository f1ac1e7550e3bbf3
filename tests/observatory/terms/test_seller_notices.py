"""Sellers' notices: a TCCHG report linked by an agent to the version it is about counts in its notice check."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from fairplace.observatory.terms import reviews, seller_notices
from fairplace.observatory.terms.models import DocumentType, NoticeCheck, SellerNotice, TrackedDocument
from fairplace.observatory.terms.recording import record_snapshot
from fairplace.platforms.models import Marketplace
from fairplace.reports.models import Attachment
from fairplace.reports.queries import terms_change_reports

from ...conftest import login_as

pytestmark = pytest.mark.django_db

START = datetime(2024, 8, 1, 8, 0, tzinfo=UTC)
TERMS = """# Conditions des vendeurs

Mise à jour le 1er juillet 2024

## 1. Commissions

1.1 Le vendeur paie une commission de 15 % sur chaque vente, facturée chaque mois par l'opérateur.

## 2. Suspension

2.1 Nous pouvons suspendre le compte du vendeur avec un préavis de trente jours en cas de manquement.
"""
# No date of effect stated: the tracker alone cannot measure the notice.
SILENT_CHANGE = TERMS.replace("Mise à jour le 1er juillet 2024", "").replace("15 %", "18 %")
# Published on 5 August, in force on 10 August: a 5-day notice by the text itself.
STATED_CHANGE = TERMS.replace(
    "Mise à jour le 1er juillet 2024", "Mise à jour le 5 août 2024, en vigueur au 10 août 2024"
).replace("15 %", "18 %")


def tcchg_answers(announced="2024-07-30", effective="2024-08-05", topic="fees", medium="email"):
    answers = {
        "change_topic": topic,
        "change_effective_on": effective,
        "change_medium": medium,
        "adaptation_needed": "no",
    }
    if announced:
        answers["change_announced_on"] = announced
    return answers


@pytest.fixture
def cdiscount(reference_data):
    return Marketplace.objects.get(slug="cdiscount")


@pytest.fixture
def document(cdiscount):
    return TrackedDocument.objects.create(
        marketplace=cdiscount,
        service_name="Cdiscount",
        doc_type=DocumentType.SELLER_TERMS,
        title="Conditions des vendeurs",
        urls=["https://cdiscount.test/cgv"],
    )


def _record(document, markdown, hours):
    return record_snapshot(
        document, fetched_at=START + timedelta(hours=hours), markdown=markdown, source="fetch", alert=False
    )


@pytest.fixture
def silent_version(document):
    _record(document, TERMS, 0)
    return _record(document, SILENT_CHANGE, 24 * 4).version  # seen on 5 August 2024


@pytest.fixture
def stated_version(document):
    _record(document, TERMS, 0)
    return _record(document, STATED_CHANGE, 24 * 4).version


@pytest.fixture
def tcchg(make_report):
    def make(answers=None, marketplace="cdiscount", state="submitted", **fields):
        return make_report(
            state, family_code="TCCHG", marketplace=marketplace, answers=answers or tcchg_answers(), **fields
        )

    return make


def _attach(report, name="avis.pdf", scan_status=Attachment.ScanStatus.CLEAN, **fields) -> Attachment:
    attachment = Attachment(
        report=report,
        original_name=name,
        kind="pdf",
        size=9,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
        scan_status=scan_status,
        **fields,
    )
    attachment.file.save(attachment.id.hex, ContentFile(b"%PDF-avis"), save=False)
    attachment.save()
    return attachment


# --- Reading reports ----------------------------------------------------------------------------------


def test_reports_are_read_without_identity_and_only_for_the_family(tcchg, make_report):
    report = tcchg()
    evidence = _attach(report)
    make_report("submitted", family_code="SUSP")
    tcchg(state="duplicate")
    [row] = terms_change_reports()
    assert row["reference"] == report.reference and row["answers"] == tcchg_answers()
    assert row["attachments"] == [{"id": str(evidence.id), "name": "avis.pdf", "kind": "pdf", "scan_status": "clean"}]
    assert set(row) == {"id", "reference", "marketplace_id", "submitted_at", "occurred_on", "answers", "attachments"}
    flat = repr(row)
    assert report.siret not in flat and report.contact_email not in flat and report.company_name not in flat


# --- Matching -----------------------------------------------------------------------------------------


def test_score_prefers_the_closest_date_and_the_named_topic(silent_version, tcchg):
    marketplace = silent_version.document.marketplace_id
    report = terms_change_reports(report_ids=[tcchg().pk])[0]
    close = seller_notices.score_match(report, silent_version, topics={"fees"})
    no_topic = seller_notices.score_match(report, silent_version, topics={"ranking"})
    assert close == no_topic + seller_notices.SCORE_TOPIC
    far = dict(report, answers=tcchg_answers(effective="2024-09-25"))
    assert seller_notices.score_match(far, silent_version) is None  # 51 days
    elsewhere = dict(report, marketplace_id=marketplace + 1000)
    assert seller_notices.score_match(elsewhere, silent_version) is None


def test_candidates_leave_out_other_marketplaces_and_linked_reports(silent_version, tcchg, personas):
    mine, elsewhere, far = tcchg(), tcchg(marketplace="manomano"), tcchg(tcchg_answers(effective="2025-01-01"))
    assert [s.report["reference"] for s in seller_notices.candidate_reports(silent_version)] == [mine.reference]
    seller_notices.link_seller_notice(
        silent_version,
        mine.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
    )
    assert seller_notices.candidate_reports(silent_version) == []
    assert elsewhere.pk and far.pk


# --- Linking recomputes the notice check ----------------------------------------------------------------


def test_a_seller_notice_measures_a_change_the_text_gives_no_date_for(silent_version, tcchg, personas):
    assert silent_version.notice.status == "unknown"
    report = tcchg()
    evidence = _attach(report)
    notice = seller_notices.link_seller_notice(
        silent_version,
        report.reference.lower(),
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
        attachment_ids=[str(evidence.id)],
        note="Courriel du 30/07 lu.",
    )
    assert notice.medium == "email" and notice.attachment_ids == [str(evidence.id)]
    check = NoticeCheck.objects.get(version=silent_version)
    assert (check.status, check.gap_days, check.effective_on, check.notified_on) == (
        "short",
        6,
        date(2024, 8, 5),
        date(2024, 7, 30),
    )
    assert check.effective_basis == "seller_notice" and check.notified_source == "seller_upload"
    assert check.needs_review and not check.review_decision
    [former] = check.history
    assert former["status"] == "unknown" and "rattaché" in former["reason"] and report.reference in former["reason"]


def test_an_earlier_seller_notice_lengthens_a_stated_notice_and_clears_the_decision(stated_version, tcchg, personas):
    check = stated_version.notice
    assert (check.status, check.gap_days) == ("short", 5)
    reviews.review_notice(check, personas["agent"], reviews.CONFIRMED, "")
    report = tcchg(tcchg_answers(announced="2024-07-20", effective="2024-08-10"))
    seller_notices.link_seller_notice(
        stated_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 20),
        effective_on=date(2024, 8, 10),
    )
    check.refresh_from_db()
    assert (check.status, check.gap_days, check.notified_source) == ("ok", 21, "seller_upload")
    assert check.effective_basis == "stated_effective"  # the text's own date of effect comes first
    assert not check.needs_review and check.review_decision == "" and check.reviewed_by is None
    assert check.history[-1]["review_decision"] == "confirmed"  # kept in the history


def test_withdrawing_a_notice_restores_the_measure_and_keeps_the_link(stated_version, tcchg, personas):
    report = tcchg(tcchg_answers(announced="2024-07-20", effective="2024-08-10"))
    notice = seller_notices.link_seller_notice(
        stated_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 20),
        effective_on=date(2024, 8, 10),
    )
    seller_notices.withdraw_seller_notice(notice, by=personas["supervisor"], reason="Avis d'un autre document.")
    check = NoticeCheck.objects.get(version=stated_version)
    assert (check.status, check.gap_days, check.notified_source) == ("short", 5, "stated")
    assert len(check.history) == 2
    kept = SellerNotice.objects.get(pk=notice.pk)
    assert kept.withdrawn_by == personas["supervisor"] and kept.withdrawal_reason == "Avis d'un autre document."
    with pytest.raises(seller_notices.SellerNoticeError, match="déjà été retiré"):
        seller_notices.withdraw_seller_notice(kept, by=personas["agent"], reason="encore")
    # Linked again after the withdrawal: a new link, the old one kept.
    seller_notices.link_seller_notice(
        stated_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 20),
        effective_on=date(2024, 8, 10),
    )
    assert SellerNotice.objects.filter(version=stated_version, report=report).count() == 2


def test_a_seller_never_notified_gives_the_date_of_effect_only(silent_version, tcchg, personas):
    report = tcchg(tcchg_answers(announced=None, effective="2024-08-05", medium="found_myself"))
    seller_notices.link_seller_notice(
        silent_version, report.reference, by=personas["agent"], notified_on=None, effective_on=date(2024, 8, 5)
    )
    check = NoticeCheck.objects.get(version=silent_version)
    # The tracker first saw the text on 5 August, the day it applied: no notice at all that can be shown.
    assert (check.status, check.gap_days, check.notified_source) == ("short", 0, "first_seen")


def test_a_decision_stays_when_the_status_it_was_about_stands(stated_version, tcchg, personas):
    reviews.review_notice(stated_version.notice, personas["agent"], reviews.CONFIRMED, "")
    report = tcchg(tcchg_answers(announced="2024-08-01", effective="2024-08-10"))
    seller_notices.link_seller_notice(
        stated_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 8, 1),
        effective_on=date(2024, 8, 10),
    )
    check = NoticeCheck.objects.get(version=stated_version)
    assert (check.status, check.gap_days) == ("short", 9)
    assert check.review_decision == "confirmed" and check.needs_review


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown", "Aucun signalement"),
        ("duplicate", "Aucun signalement"),
        ("other_marketplace", "autre place de marché"),
        ("no_date", "au moins une date"),
        ("future", "futur"),
        ("too_old", "deux ans"),
        ("foreign_file", "n’appartient pas"),
        ("twice", "déjà rattaché"),
    ],
)
def test_bad_links_are_refused_and_change_nothing(silent_version, tcchg, personas, case, message):
    report = (
        tcchg(marketplace="manomano")
        if case == "other_marketplace"
        else tcchg(state="duplicate" if case == "duplicate" else "submitted")
    )
    other_file = _attach(tcchg())
    reference = "FP-INCONNU" if case == "unknown" else report.reference
    kwargs = {"notified_on": date(2024, 7, 30), "effective_on": date(2024, 8, 5), "attachment_ids": ()}
    if case == "no_date":
        kwargs.update(notified_on=None, effective_on=None)
    elif case == "future":
        kwargs["notified_on"] = timezone.localdate() + timedelta(days=1)
    elif case == "too_old":
        kwargs["notified_on"] = date(2021, 1, 1)
    elif case == "foreign_file":
        kwargs["attachment_ids"] = [str(other_file.id)]
    elif case == "twice":
        seller_notices.link_seller_notice(silent_version, reference, by=personas["agent"], **kwargs)
    before = (SellerNotice.objects.count(), NoticeCheck.objects.get(version=silent_version).status)
    with pytest.raises(seller_notices.SellerNoticeError, match=message):
        seller_notices.link_seller_notice(silent_version, reference, by=personas["agent"], **kwargs)
    assert (SellerNotice.objects.count(), NoticeCheck.objects.get(version=silent_version).status) == before


# --- Back-office pages ------------------------------------------------------------------------------------


def test_queue_suggests_the_version_then_shows_the_link(client, personas, silent_version, tcchg):
    report = tcchg()
    login_as(client, personas, "agent")
    queue = reverse("terms_backoffice:seller_notices")
    page = client.get(queue).content.decode()
    version_url = reverse("terms_backoffice:version_notices", args=[silent_version.pk])
    assert report.reference in page and f"{version_url}?reference={report.reference}" in page
    seller_notices.link_seller_notice(
        silent_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
    )
    assert report.reference not in client.get(queue).content.decode()  # no longer to be linked
    page = client.get(queue, {"tous": "1"}).content.decode()
    assert report.reference in page and "rattaché" in page


def test_agent_links_a_notice_through_the_version_page(client, personas, silent_version, tcchg):
    report = tcchg()
    evidence = _attach(report, "courriel-30-juillet.pdf")
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:version_notices", args=[silent_version.pk])
    page = client.get(url, {"reference": report.reference}).content.decode()
    assert 'value="2024-07-30"' in page and 'value="2024-08-05"' in page and "courriel-30-juillet.pdf" in page
    response = client.post(
        url,
        {
            "reference": report.reference,
            "notified_on": "2024-07-30",
            "effective_on": "05/08/2024",
            "attachments": [str(evidence.id)],
            "note": "",
        },
    )
    assert response.status_code == 302 and response.url == url
    check = NoticeCheck.objects.get(version=silent_version)
    assert (check.status, check.gap_days) == ("short", 6)
    page = client.get(url).content.decode()
    assert "1 avis rattaché" in page and reverse("reports:staff_attachment", args=[evidence.id]) in page


def test_a_refused_link_keeps_what_was_typed(client, personas, silent_version, tcchg):
    report = tcchg(marketplace="manomano")
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:version_notices", args=[silent_version.pk])
    response = client.post(
        url,
        {"reference": report.reference, "notified_on": "30/07/2024", "effective_on": "pas une date", "note": "ma note"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Saisissez une date valide" in page and "ma note" in page and report.reference in page
    response = client.post(url, {"reference": report.reference, "notified_on": "2024-07-30", "effective_on": ""})
    assert response.status_code == 422 and "autre place de marché" in response.content.decode()
    assert not SellerNotice.objects.exists()


def test_withdrawal_needs_a_reason(client, personas, silent_version, tcchg):
    report = tcchg()
    notice = seller_notices.link_seller_notice(
        silent_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
    )
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:withdraw_seller_notice", args=[notice.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Indiquez pourquoi" in response.content.decode()
    assert SellerNotice.objects.get(pk=notice.pk).withdrawn_at is None
    client.post(url, {"reason": "Mauvaise version."})
    assert SellerNotice.objects.get(pk=notice.pk).withdrawn_at is not None
    assert NoticeCheck.objects.get(version=silent_version).status == "unknown"


def test_public_page_names_the_source_never_the_report(client, personas, silent_version, tcchg):
    report = tcchg()
    seller_notices.link_seller_notice(
        silent_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
        note="Vu le courriel",
    )
    page = client.get(reverse("terms:version", args=[silent_version.pk])).content.decode()
    assert "avis reçus par des vendeurs" in page and "préavis inférieur à 15 jours" in page
    assert "Signalé par moins de 5 vendeurs" in page
    assert report.reference not in page and "Vu le courriel" not in page


def test_back_office_pages_read_a_fixed_number_of_queries(
    client, personas, silent_version, tcchg, django_assert_max_num_queries
):
    reports = [tcchg(siret=siret) for siret in ("73282932000074", "55208131766522", "35600000049837")]
    for report in reports:
        _attach(report)
    seller_notices.link_seller_notice(
        silent_version,
        reports[0].reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 30),
        effective_on=date(2024, 8, 5),
    )
    login_as(client, personas, "agent")
    # session, user, then the page's own reads: as many with three reports as with thirty
    with django_assert_max_num_queries(12):
        assert client.get(reverse("terms_backoffice:seller_notices"), {"tous": "1"}).status_code == 200
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("terms_backoffice:version_notices", args=[silent_version.pk]), {"reference": reports[1].reference}
        )
    assert response.status_code == 200


def test_the_change_alert_points_agents_to_the_reports_that_may_date_it(document, tcchg, personas):
    from fairplace.core.models import OutboxMessage

    tcchg()  # a seller reported the change before the tracker saw it
    _record(document, TERMS, 0)
    version = record_snapshot(
        document, fetched_at=START + timedelta(days=4), markdown=SILENT_CHANGE, source="fetch"
    ).version
    message = OutboxMessage.objects.filter(template="terms_change_alert", to=personas["agent"].email).get()
    assert "1 signalement de vendeur pourrait concerner cette modification" in message.body_text
    assert reverse("terms_backoffice:version_notices", args=[version.pk]) in message.body_text


def test_the_version_page_shows_former_measures_in_french(client, personas, stated_version, tcchg):
    reviews.review_notice(stated_version.notice, personas["agent"], reviews.CONFIRMED, "Vu.")
    report = tcchg(tcchg_answers(announced="2024-07-20", effective="2024-08-10"))
    seller_notices.link_seller_notice(
        stated_version,
        report.reference,
        by=personas["agent"],
        notified_on=date(2024, 7, 20),
        effective_on=date(2024, 8, 10),
    )
    login_as(client, personas, "agent")
    page = client.get(reverse("terms_backoffice:version_notices", args=[stated_version.pk])).content.decode()
    assert "1 mesure précédente" in page and "Préavis inférieur à 15 jours, 5 jours" in page
    assert "Manquement confirmé : aucune exception ne s’applique : Vu." in page
