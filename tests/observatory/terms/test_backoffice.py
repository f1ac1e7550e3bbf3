"""Back office of the contract-terms observatory: the fetch failures queue and the notice reviews."""

import pytest
from django.urls import reverse
from django.utils import timezone

from fairplace.observatory.terms import reviews
from fairplace.observatory.terms.models import FetchFailure, NoticeCheck

from ...conftest import login_as
from .factories import at, make_document, make_version, short_notice

pytestmark = pytest.mark.django_db

FAILURES = reverse("terms_backoffice:failures")
NOTICES = reverse("terms_backoffice:notices")


@pytest.fixture
def queue(personas):
    document = make_document("Boulanger", "Conditions générales de vente marketplace")
    old = FetchFailure.objects.create(
        document=document,
        occurred_at=at("2024-05-01"),
        kind="blocked",
        status_code=403,
        detail="Accès refusé par le pare-feu <b>WAF</b>",
    )
    recent = FetchFailure.objects.create(
        document=document,
        occurred_at=at("2024-06-01"),
        kind="selector_missing",
        detail="Sélecteur « .cgv » introuvable",
    )
    done = FetchFailure.objects.create(
        document=document,
        occurred_at=at("2024-07-01"),
        kind="empty",
        resolved_at=timezone.now(),
        resolved_by=personas["agent"],
    )
    first = make_version(document, "2024-01-01")
    flagged = make_version(
        document,
        "2024-08-05",
        previous=first,
        notice=short_notice(),
        changes=[{"kind": "modified", "topics": ["fees"], "old_text": "a", "new_text": "b"}],
    )
    fine = make_version(
        document,
        "2024-09-01",
        previous=flagged,
        notice={
            "status": "ok",
            "gap_days": 20,
            "effective_on": "2024-09-21",
            "notified_on": "2024-09-01",
            "notified_source": "first_seen",
        },
    )
    return {
        "document": document,
        "old": old,
        "recent": recent,
        "done": done,
        "flagged": flagged.notice,
        "fine": fine.notice,
    }


ROUTES = ["failures", "notices", "review"]


def _url(name, queue):
    return (
        reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk])
        if name == "review"
        else {"failures": FAILURES, "notices": NOTICES}[name]
    )


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator"])
@pytest.mark.parametrize("route", ROUTES)
def test_observatory_staff_open_the_pages(client, personas, queue, persona, route):
    login_as(client, personas, persona)
    assert client.get(_url(route, queue)).status_code == 200


@pytest.mark.parametrize("persona", ["no_role", "platform_a", "mediator"])
@pytest.mark.parametrize("route", ROUTES)
def test_other_roles_are_forbidden(client, personas, queue, persona, route):
    login_as(client, personas, persona)
    assert client.get(_url(route, queue)).status_code == 403
    resolve = reverse("terms_backoffice:resolve_failure", args=[queue["recent"].pk])
    assert client.post(resolve).status_code == 403
    assert FetchFailure.objects.get(pk=queue["recent"].pk).resolved_at is None


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_visitors_go_to_the_login_page(client, queue, route):
    response = client.get(_url(route, queue))
    assert response.status_code == 302
    assert "next=" in response["Location"]
    post = client.post(reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk]), {"decision": "confirmed"})
    assert post.status_code == 302
    assert NoticeCheck.objects.get(pk=queue["flagged"].pk).review_decision == ""


def test_failures_queue_lists_unresolved_first(client, personas, queue, django_assert_max_num_queries):
    login_as(client, personas, "agent")
    with django_assert_max_num_queries(12):
        page = client.get(FAILURES).content.decode()
    assert "2 incidents non résolus" in page
    rows = [page.index(f'data-failure="{queue[name].pk}"') for name in ("recent", "old", "done")]
    assert rows == sorted(rows)
    assert "Accès bloqué (403)" in page and "Sélecteur introuvable" in page
    assert "&lt;b&gt;WAF&lt;/b&gt;" in page
    assert "par agent@fairplace.test" in page
    assert reverse("terms_backoffice:resolve_failure", args=[queue["done"].pk]) not in page


def test_resolving_a_failure(client, personas, queue):
    login_as(client, personas, "supervisor")
    url = reverse("terms_backoffice:resolve_failure", args=[queue["recent"].pk])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == FAILURES
    assert "Incident marqué comme résolu" in response.content.decode()
    failure = FetchFailure.objects.get(pk=queue["recent"].pk)
    assert failure.resolved_at is not None and failure.resolved_by == personas["supervisor"]
    again = client.post(url, follow=True).content.decode()
    assert "Cet incident est déjà marqué comme résolu." in again
    assert client.post(reverse("terms_backoffice:resolve_failure", args=[999999])).status_code == 404


def test_notices_to_review(client, personas, queue, django_assert_max_num_queries):
    login_as(client, personas, "agent")
    with django_assert_max_num_queries(12):
        page = client.get(NOTICES).content.decode()
    assert "1 préavis à examiner" in page
    assert f'data-check="{queue["flagged"].pk}"' in page
    assert f'data-check="{queue["fine"].pk}"' not in page
    assert reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk]) in page
    assert "Aucune décision enregistrée." in page
    review = client.get(reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk])).content.decode()
    assert "date d’entrée en vigueur indiquée dans le texte" in review and "5 jours" in review


def test_review_form_errors_are_422_in_french(client, personas, queue):
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk])
    missing = client.post(url, {"note": "x"})
    assert missing.status_code == 422
    assert "Choisissez une décision." in missing.content.decode()
    bad = client.post(url, {"decision": "whatever"})
    assert bad.status_code == 422 and "Choisissez une décision dans la liste." in bad.content.decode()
    no_note = client.post(url, {"decision": "exception", "note": "  "})
    assert no_note.status_code == 422
    assert "Indiquez dans la note l’exception retenue" in no_note.content.decode()
    assert NoticeCheck.objects.get(pk=queue["flagged"].pk).review_decision == ""


def test_review_is_saved_and_shown_on_public_pages(client, personas, queue):
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk])
    response = client.post(
        url, {"decision": "exception", "note": "Obligation légale : mise en conformité DSA."}, follow=True
    )
    assert response.redirect_chain[-1][0] == NOTICES
    page = response.content.decode()
    assert "Décision enregistrée" in page and "0 préavis à examiner" in page
    assert "Obligation légale : mise en conformité DSA." in page  # latest decisions
    check = NoticeCheck.objects.get(pk=queue["flagged"].pk)
    assert check.review_decision == "exception" and check.reviewed_by == personas["agent"]
    assert check.reviewed_at is not None and check.status == "short"  # the measure stays
    version_page = client.get(reverse("terms:version", args=[check.version_id])).content.decode()
    assert "Décision de l’examinateur : exception retenue" in version_page
    assert "Obligation légale : mise en conformité DSA." in version_page
    document_page = client.get(reverse("terms:document", args=[queue["document"].pk])).content.decode()
    assert "exception retenue — mesuré : préavis inférieur à 15 jours (règlement P2B, art. 3)" in document_page
    # a second decision is refused
    again = client.post(url, {"decision": "confirmed"})
    assert again.status_code == 422
    assert "Ce préavis a déjà été examiné" in again.content.decode()
    assert NoticeCheck.objects.get(pk=queue["flagged"].pk).review_decision == "exception"


def test_confirmed_decision_keeps_the_flag(client, personas, queue):
    login_as(client, personas, "supervisor")
    client.post(reverse("terms_backoffice:review_notice", args=[queue["flagged"].pk]), {"decision": "confirmed"})
    page = client.get(reverse("terms:document", args=[queue["document"].pk])).content.decode()
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in page
    assert "manquement confirmé après examen" in page


def test_a_check_that_is_not_flagged_cannot_be_reviewed(client, personas, queue):
    login_as(client, personas, "agent")
    url = reverse("terms_backoffice:review_notice", args=[queue["fine"].pk])
    page = client.get(url).content.decode()
    assert "Ce préavis n’est pas à examiner" in page and '<form method="post"' not in page
    response = client.post(url, {"decision": "confirmed"})
    assert response.status_code == 422 and "Ce préavis n’est pas à examiner." in response.content.decode()
    assert client.get(reverse("terms_backoffice:review_notice", args=[999999])).status_code == 404


def test_services_raise_domain_errors(personas, queue):
    with pytest.raises(reviews.ReviewError) as error:
        reviews.review_notice(queue["flagged"], personas["agent"], "maybe", "")
    assert "Choisissez une décision" in error.value.message
    with pytest.raises(reviews.ReviewError):
        reviews.review_notice(queue["flagged"], personas["agent"], "confirmed", "x" * 2001)
    reviews.resolve_failure(queue["old"], personas["agent"])
    assert queue["old"].resolved_by == personas["agent"]
    with pytest.raises(reviews.ReviewError):
        reviews.resolve_failure(queue["old"], personas["agent"])


def test_failures_page_lists_active_documents_the_tracker_no_longer_reaches(client, personas, settings):
    from datetime import timedelta

    from fairplace.observatory.terms.models import TrackedDocument

    settings.FAIRPLACE_SCHEDULES = {"terms.track": "0 */12 * * *"}
    now = timezone.now()
    never = make_document("Fnac", "Conditions marketplace")
    stale = make_document(
        "Darty", "Conditions marketplace", last_checked_at=now - timedelta(hours=25), last_check_outcome="failure"
    )
    fresh = make_document(
        "Boulanger",
        "Conditions marketplace",
        last_checked_at=now - timedelta(hours=3),
        last_check_outcome="not_modified",
    )
    make_document("Conforama", "Conditions marketplace", is_active=False)
    login_as(client, personas, "agent")
    page = client.get(FAILURES).content.decode()
    assert 'data-overdue="2"' in page
    overdue = page[page.index("data-overdue") : page.index('role="status"')]
    assert str(never) in overdue and str(stale) in overdue and str(fresh) not in overdue
    assert overdue.index(str(never)) < overdue.index(str(stale))  # never checked first
    assert "Conforama" not in overdue  # tracking stopped: not overdue
    settings.FAIRPLACE_SCHEDULES = {"terms.track": "off"}  # periodic tracking off: nothing is overdue
    assert "data-overdue" not in client.get(FAILURES).content.decode()
    assert TrackedDocument.objects.filter(last_checked_at__isnull=True).count() == 2
