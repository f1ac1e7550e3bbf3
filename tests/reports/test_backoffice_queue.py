"""The agents' queue (/gestion/): filters, search, sort, pagination, saved filters, bulk actions,
access by role, and the query-count guard."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fairplace.reports.models import Attachment, PlatformAnswer, Report, ReportEvent, SavedFilter
from tests.conftest import login_as

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SIRET_A, SIREN_A = "73282932000074", "732829320"
SIRET_B, SIREN_B = "35600000049837", "356000000"


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    settings.FAIRPLACE_RATE_LIMITS = dict.fromkeys(settings.FAIRPLACE_RATE_LIMITS, "1000/h")


@pytest.fixture
def agent(client, personas):
    return login_as(client, personas, "agent")


def queue_url(query: str = "") -> str:
    return reverse("backoffice:queue") + (f"?{query}" if query else "")


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return [report.reference for report in response.context["page"].object_list]


def refs(*reports) -> set[str]:
    return {report.reference for report in reports}


def add_evidence(report, *, answer=None) -> Attachment:
    return Attachment.objects.create(
        report=report,
        answer=answer,
        file=f"attachments/{uuid.uuid4().hex}",
        original_name="preuve.pdf",
        kind="pdf",
        size=10,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )


# Access ------------------------------------------------------------------------------------

ROUTES = [
    ("get", lambda: reverse("backoffice:queue")),
    ("get", lambda: reverse("backoffice:exports")),
    ("get", lambda: reverse("backoffice:export_download", args=[uuid.uuid4()])),
    ("post", lambda: reverse("backoffice:bulk")),
    ("post", lambda: reverse("backoffice:save_filter")),
    ("post", lambda: reverse("backoffice:delete_filter", args=[1])),
    ("post", lambda: reverse("backoffice:export_create")),
]


@pytest.mark.parametrize("persona", ["platform_a", "platform_b", "mediator", "no_role"])
@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_other_roles_are_refused_every_backoffice_queue_page(client, personas, persona, method, url):
    login_as(client, personas, persona)
    assert getattr(client, method)(url()).status_code == 403


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, method, url):
    response = getattr(client, method)(url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def test_an_agent_without_a_verified_second_factor_is_asked_for_it(client, personas):
    client.force_login(personas["agent"])
    response = client.get(queue_url())
    assert response.status_code == 302 and response.url.startswith(reverse("core:verify"))


@pytest.mark.parametrize("persona", ["agent", "supervisor", "administrator"])
def test_observatory_roles_see_the_queue_with_links_to_the_case_page(client, personas, make_report, persona):
    report = make_report()
    response = login_as(client, personas, persona).get(queue_url())
    assert listed(response) == [report.reference]
    assert reverse("backoffice:case", args=[report.reference]) in response.content.decode()


# Filters -----------------------------------------------------------------------------------


def test_filter_by_marketplace(agent, make_report):
    at_cdiscount = make_report(marketplace="cdiscount")
    make_report(marketplace="manomano")
    assert listed(agent.get(queue_url("marketplace=cdiscount"))) == [at_cdiscount.reference]


def test_filter_by_family(agent, make_report):
    make_report(family_code="SUSP")
    fees = make_report(family_code="FEES")
    assert listed(agent.get(queue_url("family=FEES"))) == [fees.reference]


def test_filter_by_several_states(agent, make_report):
    submitted, qualified = make_report(state="submitted"), make_report(state="qualified")
    make_report(state="closed")
    assert set(listed(agent.get(queue_url("state=submitted&state=qualified")))) == refs(submitted, qualified)


def test_filter_overdue_keeps_overdue_and_forwarded_past_their_deadline(agent, make_report):
    now = timezone.now()
    overdue = make_report(state="overdue", answer_due_at=now - timedelta(days=3))
    past_due = make_report(
        state="forwarded", forwarded_at=now - timedelta(days=40), answer_due_at=now - timedelta(hours=1)
    )
    make_report(state="forwarded", forwarded_at=now, answer_due_at=now + timedelta(days=30))
    make_report(state="answered", answer_due_at=now - timedelta(days=3))
    response = agent.get(queue_url("overdue=1"))
    assert set(listed(response)) == refs(overdue, past_due)
    assert response.content.decode().count("en retard</span>") == 2


def test_filter_by_submission_dates_counts_whole_days_in_paris_time(agent, make_report):
    late_evening = make_report(submitted_at=datetime(2026, 3, 1, 23, 30, tzinfo=PARIS))
    make_report(submitted_at=datetime(2026, 3, 2, 0, 30, tzinfo=PARIS))
    make_report(submitted_at=datetime(2026, 2, 27, 23, 59, tzinfo=PARIS))
    first_day = make_report(submitted_at=datetime(2026, 2, 28, 0, 0, tzinfo=PARIS))
    response = agent.get(queue_url("submitted_from=2026-02-28&submitted_to=2026-03-01"))
    assert set(listed(response)) == refs(late_evening, first_day)
    # The French format typed by hand works too.
    assert set(listed(agent.get(queue_url("submitted_from=28/02/2026&submitted_to=01/03/2026")))) == refs(
        late_evening, first_day
    )


def test_dates_in_the_wrong_order_are_refused_in_french(agent, make_report):
    make_report()
    response = agent.get(queue_url("submitted_from=2026-03-10&submitted_to=2026-03-01"))
    assert response.status_code == 422
    assert response.context["page"] is None
    assert "La date de fin doit être postérieure ou égale à la date de début." in response.content.decode()


def test_filter_by_siren(agent, make_report):
    company_a = make_report(siret=SIRET_A)
    make_report(siret=SIRET_B)
    assert listed(agent.get(queue_url(f"siren={SIREN_A}"))) == [company_a.reference]
    assert listed(agent.get(queue_url("siren=732 829 320"))) == [company_a.reference]


@pytest.mark.parametrize(
    ("siren", "message"),
    [
        ("732829321", "Ce numéro SIREN n&#x27;est pas valide"),
        ("12345", "Le SIREN compte 9 chiffres."),
        ("ABCDEFGHI", "Le SIREN compte 9 chiffres."),
    ],
)
def test_an_invalid_siren_is_refused_in_french(agent, siren, message):
    response = agent.get(queue_url(f"siren={siren}"))
    assert response.status_code == 422
    assert message in response.content.decode()


def test_filter_by_attachments_counts_the_sellers_evidence_only(agent, make_report):
    with_evidence, without = make_report(), make_report()
    answered = make_report(state="answered")
    add_evidence(with_evidence)
    answer = PlatformAnswer.objects.create(
        report=answered, kind="accepted", message_for_seller="Rétabli", created_at=timezone.now()
    )
    add_evidence(answered, answer=answer)  # the platform's file, not the seller's
    assert listed(agent.get(queue_url("attachments=yes"))) == [with_evidence.reference]
    assert set(listed(agent.get(queue_url("attachments=no")))) == refs(without, answered)


def test_filter_by_consent(agent, make_report):
    make_report(consent="anonymous")
    identified = make_report(consent="identified")
    assert listed(agent.get(queue_url("consent=identified"))) == [identified.reference]


def test_filter_by_assignee(agent, personas, make_report):
    mine = make_report(assigned_to=personas["agent"])
    theirs = make_report(assigned_to=personas["supervisor"])
    nobodys = make_report()
    assert listed(agent.get(queue_url("assigned=me"))) == [mine.reference]
    assert listed(agent.get(queue_url("assigned=none"))) == [nobodys.reference]
    assert listed(agent.get(queue_url(f"assigned={personas['supervisor'].pk}"))) == [theirs.reference]


@pytest.mark.parametrize("value", ["platform_a", "someone", "999999"])
def test_assignee_must_be_me_nobody_or_an_observatory_user(agent, personas, value):
    value = personas[value].pk if value in personas else value
    response = agent.get(queue_url(f"assigned={value}"))
    assert response.status_code == 422
    assert "Choisissez « moi », « personne » ou un agent de l&#x27;observatoire." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "marketplace=nowhere",
        "family=NOPE",
        "state=lost",
        "consent=maybe",
        "attachments=perhaps",
        "per_page=7",
        "sort=-id",
        "submitted_from=hier",
    ],
)
def test_unknown_filter_values_are_refused_with_a_french_message(agent, query):
    response = agent.get(queue_url(query))
    assert response.status_code == 422
    content = response.content.decode()
    assert "Le formulaire contient 1 erreur" in content
    assert "Corrigez les filtres pour afficher les signalements." in content


# Search ------------------------------------------------------------------------------------


def test_search_finds_words_of_the_description_and_the_company_name(agent, make_report):
    pallets = make_report(description="Mes palettes sont bloquées dans l'entrepôt de la plateforme depuis mars.")
    bakery = make_report(company_name="Boulangerie Dupont")
    make_report()
    assert listed(agent.get(queue_url("q=palettes"))) == [pallets.reference]
    assert listed(agent.get(queue_url("q=Dupont"))) == [bakery.reference]


def test_search_by_reference_siren_or_siret(agent, make_report):
    company_a, company_b = make_report(siret=SIRET_A), make_report(siret=SIRET_B)
    assert listed(agent.get(queue_url(f"q={company_b.reference.lower()}"))) == [company_b.reference]
    assert listed(agent.get(queue_url(f"q={SIREN_A}"))) == [company_a.reference]
    assert listed(agent.get(queue_url(f"q={SIRET_B}"))) == [company_b.reference]


def test_search_combines_with_the_other_filters(agent, make_report):
    make_report(description="Mes palettes sont bloquées dans l'entrepôt depuis trois semaines.", state="qualified")
    submitted = make_report(description="Des palettes retenues sans explication par la plateforme.")
    assert listed(agent.get(queue_url("q=palettes&state=submitted"))) == [submitted.reference]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="French stemming is PostgreSQL's")
def test_search_uses_french_stemming_on_postgresql(agent, make_report):
    blocked = make_report(description="Mon compte vendeur a été bloqué sans préavis par la plateforme.")
    make_report(description="Les frais de commission ont augmenté sans aucune information préalable.")
    # Plural and feminine forms reach the same stems ("compt", "bloqu", "plateform").
    assert listed(agent.get(queue_url("q=comptes+bloquées+plateformes"))) == [blocked.reference]
    # websearch syntax: a quoted phrase and an excluded word.
    assert listed(agent.get(queue_url('q="compte+vendeur"+-commission'))) == [blocked.reference]
    assert listed(agent.get(queue_url("q=compte+-plateforme"))) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_search_query_can_use_the_french_full_text_index(personas, make_report):
    from fairplace.reports.queue import QueueFilters, queue_queryset

    make_report()
    filters = QueueFilters({"q": "palettes"}, user=personas["agent"])
    assert filters.is_valid()
    sql, params = queue_queryset(personas["agent"], filters).query.sql_with_params()
    with connection.cursor() as cursor:
        # Statistics of this transaction's rows, whatever earlier (committing) tests and
        # autovacuum left behind; then no sequential scan and no ordered index scan to fall back on.
        cursor.execute("ANALYZE reports_report")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "report_french_fts_idx" in plan, plan


# Sort and pagination -----------------------------------------------------------------------


@pytest.fixture
def three_reports(make_report):
    now = timezone.now()
    old = make_report(
        state="forwarded",
        marketplace="manomano",
        submitted_at=now - timedelta(days=3),
        answer_due_at=now + timedelta(days=2),
    )
    middle = make_report(state="submitted", marketplace="cdiscount", submitted_at=now - timedelta(days=2))
    new = make_report(
        state="qualified",
        marketplace="cdiscount",
        submitted_at=now - timedelta(days=1),
        answer_due_at=now + timedelta(days=1),
    )
    return old, middle, new


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["new", "middle", "old"]),
        ("newest", ["new", "middle", "old"]),
        ("oldest", ["old", "middle", "new"]),
        ("due", ["new", "old", "middle"]),  # nearest deadline first, none last
        ("state", ["middle", "new", "old"]),  # workflow order: submitted, qualified, forwarded
        ("marketplace", ["new", "middle", "old"]),  # Cdiscount (newest first) then ManoMano
    ],
)
def test_sort_orders(agent, three_reports, sort, expected):
    old, middle, new = three_reports
    names = {old.reference: "old", middle.reference: "middle", new.reference: "new"}
    assert [names[ref] for ref in listed(agent.get(queue_url(f"sort={sort}")))] == expected


def test_sort_links_keep_the_filters(agent, three_reports):
    content = agent.get(queue_url("state=submitted&page=1")).content.decode()
    assert 'href="/gestion/?state=submitted&amp;sort=oldest"' in content


def test_pagination_with_counts_and_filters_kept(agent, make_report):
    for _ in range(25):
        make_report()
    first = agent.get(queue_url("per_page=20&state=submitted"))
    assert len(listed(first)) == 20
    content = first.content.decode()
    assert "25 signalements — 1 à 20 affichés" in content
    assert 'href="/gestion/?per_page=20&amp;state=submitted&amp;page=2"' in content
    second = agent.get(queue_url("per_page=20&state=submitted&page=2"))
    assert len(listed(second)) == 5
    assert set(listed(first)).isdisjoint(listed(second))
    # Beyond the last page: the last page.
    assert listed(agent.get(queue_url("per_page=20&state=submitted&page=99"))) == listed(second)


def test_page_size_choices(agent, make_report):
    for _ in range(3):
        make_report()
    for size in (20, 50, 100):
        response = agent.get(queue_url(f"per_page={size}"))
        assert response.context["page"].paginator.per_page == size


def test_queue_page_runs_the_same_number_of_queries_for_5_and_40_reports(agent, personas, make_report):
    def add(count):
        for index in range(count):
            report = make_report(
                marketplace=["cdiscount", "manomano", "amazon"][index % 3],
                family_code=["SUSP", "FEES"][index % 2],
                assigned_to=[personas["agent"], personas["supervisor"], None][index % 3],
            )
            if index % 2:
                add_evidence(report)

    url = queue_url("per_page=50")
    add(5)
    agent.get(url)  # warm the per-process reference cache
    with CaptureQueriesContext(connection) as few:
        assert len(listed(agent.get(url))) == 5
    add(35)
    with CaptureQueriesContext(connection) as many:
        assert len(listed(agent.get(url))) == 40
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]


# Saved filters -----------------------------------------------------------------------------


def test_save_a_filter_and_find_it_on_the_queue_page(agent, personas):
    response = agent.post(
        reverse("backoffice:save_filter"), {"name": "Mes retards", "query": "overdue=1&assigned=me&page=3"}
    )
    assert response.status_code == 302 and response.url == queue_url("overdue=1&assigned=me")
    saved = SavedFilter.objects.get(user=personas["agent"])
    assert (saved.name, saved.query) == ("Mes retards", "overdue=1&assigned=me")
    content = agent.get(queue_url()).content.decode()
    assert 'href="/gestion/?overdue=1&amp;assigned=me">Mes retards</a>' in content


def test_a_filter_name_is_unique_per_user(agent, client, personas):
    agent.post(reverse("backoffice:save_filter"), {"name": "Amazon", "query": "marketplace=amazon"})
    response = agent.post(
        reverse("backoffice:save_filter"), {"name": "Amazon", "query": "state=submitted"}, follow=True
    )
    assert "Vous avez déjà un filtre nommé « Amazon »." in response.content.decode()
    assert SavedFilter.objects.get(user=personas["agent"]).query == "marketplace=amazon"
    other = login_as(Client(), personas, "supervisor")
    other.post(reverse("backoffice:save_filter"), {"name": "Amazon", "query": "state=closed"})
    assert SavedFilter.objects.filter(name="Amazon").count() == 2


def test_saving_a_filter_needs_a_name(agent, personas):
    response = agent.post(reverse("backoffice:save_filter"), {"name": " ", "query": "state=closed"}, follow=True)
    assert "Donnez un nom au filtre." in response.content.decode()
    assert not SavedFilter.objects.exists()


def test_only_ones_own_saved_filters_are_listed_and_deletable(agent, personas):
    theirs = SavedFilter.objects.create(user=personas["supervisor"], name="Filtre du superviseur", query="state=closed")
    mine = SavedFilter.objects.create(user=personas["agent"], name="Mon filtre", query="state=submitted")
    content = agent.get(queue_url()).content.decode()
    assert "Mon filtre" in content and "Filtre du superviseur" not in content
    assert agent.post(reverse("backoffice:delete_filter", args=[theirs.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()
    response = agent.post(reverse("backoffice:delete_filter", args=[mine.pk]))
    assert response.status_code == 302
    assert not SavedFilter.objects.filter(pk=mine.pk).exists()
    assert agent.get(reverse("backoffice:delete_filter", args=[theirs.pk])).status_code == 405


# Bulk actions ------------------------------------------------------------------------------


def bulk(client, reports, action, query="", **extra):
    return client.post(
        reverse("backoffice:bulk"),
        {"reports": [r.reference for r in reports], "action": action, "query": query, **extra},
    )


def test_bulk_assign_to_me_then_redirect_to_the_same_filters(agent, personas, make_report):
    first, second = make_report(), make_report()
    response = bulk(agent, [first, second], "assign_me", query="state=submitted&sort=oldest")
    assert response.status_code == 302 and response.url == queue_url("state=submitted&sort=oldest")
    assert set(Report.objects.filter(assigned_to=personas["agent"]).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert ReportEvent.objects.filter(code="report.assigned").count() == 2
    page = agent.get(response.url)
    assert "2 signalements traités." in page.content.decode()


def test_bulk_assign_to_another_agent_and_unassign(agent, personas, make_report):
    report = make_report()
    bulk(agent, [report], "assign_to", assignee=personas["supervisor"].pk)
    assert Report.objects.get(pk=report.pk).assigned_to == personas["supervisor"]
    bulk(agent, [report], "unassign")
    assert Report.objects.get(pk=report.pk).assigned_to is None


def test_bulk_assign_to_needs_an_observatory_user(agent, personas, make_report):
    report = make_report()
    for assignee in ("", personas["platform_a"].pk):
        response = bulk(agent, [report], "assign_to", assignee=assignee)
        assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).assigned_to is None
    content = agent.get(queue_url()).content.decode()
    assert "Choisissez l&#x27;agent à qui attribuer les signalements." in content
    assert "Choisissez un agent de la liste." in content


def test_bulk_forward_reports_each_refusal_in_french_and_forwards_the_others(agent, make_report):
    accepted = make_report(state="qualified", consent="anonymous")
    refused = make_report(state="qualified", consent="barometer_only")
    also_accepted = make_report(state="qualified", consent="identified")
    response = bulk(agent, [accepted, refused, also_accepted], "forward", query="state=qualified")
    assert Report.objects.get(pk=accepted.pk).state == "forwarded"
    assert Report.objects.get(pk=also_accepted.pk).state == "forwarded"
    assert Report.objects.get(pk=refused.pk).state == "qualified"
    content = agent.get(response.url).content.decode()
    assert "2 signalements traités." in content
    assert (
        f"{refused.reference} : transmission impossible : Le vendeur n&#x27;a pas accepté la transmission "
        "à la plateforme."
    ) in content


def test_bulk_qualify_and_mark_overdue(agent, make_report):
    now = timezone.now()
    submitted = make_report()
    past_due = make_report(
        state="forwarded", forwarded_at=now - timedelta(days=40), answer_due_at=now - timedelta(days=1)
    )
    not_due = make_report(state="forwarded", forwarded_at=now, answer_due_at=now + timedelta(days=20))
    bulk(agent, [submitted], "qualify")
    assert Report.objects.get(pk=submitted.pk).state == "qualified"
    response = bulk(agent, [past_due, not_due], "mark_overdue")
    assert Report.objects.get(pk=past_due.pk).state == "overdue"
    assert Report.objects.get(pk=not_due.pk).state == "forwarded"
    content = agent.get(response.url).content.decode()
    assert f"{not_due.reference} : constat de retard impossible : Le délai de réponse" in content


def test_bulk_without_any_report_ticked(agent):
    response = bulk(agent, [], "qualify", query="state=submitted")
    assert response.url == queue_url("state=submitted")
    assert "Cochez au moins un signalement." in agent.get(response.url).content.decode()


def test_bulk_action_requires_the_csrf_token(personas, make_report):
    report = make_report()
    strict = login_as(Client(enforce_csrf_checks=True), personas, "agent")
    response = strict.post(reverse("backoffice:bulk"), {"reports": [report.reference], "action": "qualify"})
    assert response.status_code == 403
    assert Report.objects.get(pk=report.pk).state == "submitted"


def test_bulk_redirect_ignores_anything_but_filters(agent, make_report):
    response = bulk(agent, [make_report()], "qualify", query="state=submitted&next=https://evil.example/")
    assert response.url == queue_url("state=submitted")
