"""The bench data generator: realistic, coherent, verifiable, and never in a real database."""

import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from fairplace.platforms.models import Marketplace
from fairplace.reports.benchdata import generate, is_bench_database
from fairplace.reports.benchdata.sellers import luhn_digit, reference_for
from fairplace.reports.events import verify_chain
from fairplace.reports.intake import REFERENCE_ALPHABET
from fairplace.reports.models import (
    Attachment,
    MediationReferral,
    PlatformAnswer,
    ProblemFamily,
    Report,
    ReportEvent,
    SellerContact,
    SellerFeedback,
)
from fairplace.reports.states import ReportState
from fairplace.reports.workflow import TRANSITIONS, apply_transition

S = ReportState
COUNT = 600


def quiet(_line):
    pass


@pytest.fixture
def generated(reference_data):
    return generate(COUNT, seed=7, batch=250, progress=quiet)


@pytest.mark.django_db
def test_counts_match_the_rows_written(generated):
    assert (generated.reports, Report.objects.count()) == (COUNT, COUNT)
    assert generated.events == ReportEvent.objects.count()
    assert 2 * COUNT < generated.events < 7 * COUNT
    assert generated.contacts == SellerContact.objects.count()
    assert SellerContact.objects.values("email").distinct().count() == SellerContact.objects.count()
    # Every contact is someone's: a SellerContact exists per distinct e-mail of the reports.
    assert set(Report.objects.values_list("contact_email", flat=True)) == set(
        SellerContact.objects.values_list("email", flat=True)
    )
    assert generated.answers == PlatformAnswer.objects.count() > 0
    assert generated.referrals == MediationReferral.objects.count() > 0
    assert generated.attachments == Attachment.objects.count() > 0
    assert sum(generated.states.values()) == COUNT


@pytest.mark.django_db
def test_states_are_distributed_like_a_real_queue(generated):
    states = Counter(Report.objects.values_list("state", flat=True))
    assert states == generated.states
    assert states.most_common(1)[0][0] == S.CLOSED
    assert 0.35 < states[S.CLOSED] / COUNT < 0.7
    assert len(states) >= 9
    now = timezone.now()
    forwarded = Report.objects.filter(state=S.FORWARDED)
    assert forwarded.filter(answer_due_at__lt=now).exists() and forwarded.filter(answer_due_at__gte=now).exists()
    assert not Report.objects.filter(state=S.OVERDUE, answer_due_at__gte=now).exists()
    assert not Report.objects.filter(state__in=[S.FORWARDED, S.ANSWERED, S.OVERDUE], forwarded_at=None).exists()
    assert not Report.objects.filter(state=S.CLOSED, outcome="").exists()
    assert not Report.objects.exclude(state=S.CLOSED).exclude(outcome="").exists()
    assert not Report.objects.filter(submitted_at__lt=now - timezone.timedelta(days=3 * 365 + 1)).exists()
    assert Report.objects.filter(assigned_to__isnull=False).exists()
    assert Report.objects.filter(state=S.DUPLICATE, duplicate_of__isnull=True).count() == 0
    # Forwarded only with the seller's consent to it, referred only with a referral row.
    assert not Report.objects.filter(forwarded_at__isnull=False, consent__in=["barometer_only"]).exists()
    assert not Report.objects.filter(state__in=[S.REFERRED, S.IN_MEDIATION], mediation_referral=None).exists()


@pytest.mark.django_db
def test_every_marketplace_family_and_autre_appear(reference_data):
    generate(2000, seed=3, batch=1000, progress=quiet)
    used = set(Report.objects.exclude(marketplace=None).values_list("marketplace__slug", flat=True))
    assert used == set(Marketplace.objects.active().values_list("slug", flat=True))
    assert Report.objects.filter(marketplace=None).exclude(marketplace_other_name="").exists()
    assert set(Report.objects.values_list("family__code", flat=True)) == set(
        ProblemFamily.objects.filter(is_active=True).values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_histories_are_coherent_and_their_chains_verify(generated):
    reports = list(Report.objects.all())
    assert all(verify_chain(report) for report in reports)
    for report in reports:
        events = list(report.events.order_by("id"))
        assert events[0].code == "report.submitted" and events[0].actor_kind == "seller"
        transitions = [event for event in events if "to" in event.payload and event.code != "report.assigned"]
        assert (transitions[-1].payload["to"] if transitions else S.SUBMITTED) == report.state, report.reference
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert events[-1].created_at <= timezone.now()
    declined = Report.objects.filter(outcome="platform_declined_mediation")
    assert declined.exists()
    for report in declined:
        stages = [event.payload["stage"] for event in report.events.filter(code="report.mediation_stage")]
        assert stages[-1] == "platform_refused"
    answered = ReportEvent.objects.filter(code="report.answered")
    assert set(answered.values_list("payload__answer_id", flat=True)) == set(
        PlatformAnswer.objects.values_list("pk", flat=True)
    )
    # What the seller said: one SellerFeedback row per event, as feedback.py writes them.
    said = {
        (e.report_id, e.payload["answer_id"], e.payload["value"])
        for e in ReportEvent.objects.filter(code__in=["report.answer_rated", "report.action_confirmed"])
    }
    assert said and said == set(SellerFeedback.objects.values_list("report_id", "answer_id", "value"))
    # The payloads the barometer reads: the marketplace at submission, the deadline at forwarding.
    for report in reports:
        submitted = report.events.get(code="report.submitted")
        assert submitted.payload["marketplace"] == (report.marketplace.slug if report.marketplace_id else None)
        forwarded = report.events.filter(code="report.forwarded").first()
        if forwarded:
            assert forwarded.payload["answer_due_at"] == report.answer_due_at.isoformat()


@pytest.mark.django_db
def test_every_state_change_the_generator_writes_is_a_step_the_workflow_allows(generated):
    """Each event that moves a report (payload "from"/"to" between states) is a transition of
    ``workflow.TRANSITIONS``: its event code, a source it accepts, its target, an actor kind it allows."""
    steps = {}
    for transition in TRANSITIONS.values():
        steps.setdefault(transition.event, []).append(transition)
    moves = ReportEvent.objects.exclude(code__in=["report.submitted", "report.assigned"]).filter(payload__has_key="to")
    seen = Counter()
    for event in moves.iterator():
        source, target = event.payload["from"], event.payload["to"]
        if source not in S.values or target not in S.values:
            continue
        allowed = [
            t
            for t in steps.get(event.code, [])
            if source in t.sources and t.target == target and event.actor_kind in t.actors
        ]
        assert allowed, f"{event.code} {source} → {target} by {event.actor_kind} is not a workflow step"
        seen[event.code] += 1
    assert {"report.qualified", "report.forwarded", "report.answered", "report.closed"} <= set(seen)


@pytest.mark.django_db
def test_identifiers_are_valid(generated):
    for siret, siren, reference in Report.objects.values_list("siret", "siren", "reference"):
        assert stdnum_siret.is_valid(siret) and stdnum_siren.is_valid(siren) and siret.startswith(siren)
        assert len(reference) == 17 and set(reference.replace("-", "")[2:]) <= set(REFERENCE_ALPHABET)
    rng = random.Random(1)
    for _ in range(2000):
        number = str(rng.randrange(10**13))
        assert luhn_digit(number) == luhn.calc_check_digit(number)
    assert len({reference_for(i, 12345) for i in range(1, 50_001)}) == 50_000


@pytest.mark.django_db
def test_the_workflow_goes_on_after_generation(generated, make_report, personas):
    """Sequences are past the generated ids and the generated histories accept new events."""
    new = make_report()  # a report through the real intake: new ids for the report and its event
    assert Report.objects.count() == COUNT + 1 and verify_chain(new)
    waiting = Report.objects.filter(state=S.SUBMITTED).first()
    apply_transition(waiting, "qualify", actor=personas["agent"])
    assert verify_chain(waiting)


@pytest.mark.django_db
def test_command_refuses_a_database_not_named_for_benchmarks(reference_data):
    name = str(connection.settings_dict["NAME"])
    assert not is_bench_database(name)  # the test database: "test_…" or a temporary file
    with pytest.raises(CommandError, match="pas une base de mesure"):
        call_command("generate_bench_reports", "--count", "5")
    assert not Report.objects.exists()
    call_command("generate_bench_reports", "--count", "20", "--force", stdout=StringIO())
    assert Report.objects.count() == 20


def test_bench_database_names():
    assert is_bench_database("fairplace_bench_backoffice")
    assert not is_bench_database("fairplace")
    assert not is_bench_database("")


@pytest.mark.django_db(transaction=True)
def test_parallel_bulk_load_on_postgresql(reference_data):
    """Forked writers, COPY, indexes dropped and rebuilt, foreign keys checked after the load."""
    if connection.vendor != "postgresql":
        pytest.skip("forked writers and COPY are for PostgreSQL (SQLite writes in-process)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) ORDER BY 1",
            [Report._meta.db_table, ReportEvent._meta.db_table],
        )
        indexes_before = cursor.fetchall()
    result = generate(300, seed=11, batch=100, workers=2, progress=quiet, bulk_mode=True)
    assert result.workers == 2
    assert Report.objects.count() == 300 and ReportEvent.objects.count() == result.events
    assert all(verify_chain(report) for report in Report.objects.all())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN (%s, %s) ORDER BY 1",
            [Report._meta.db_table, ReportEvent._meta.db_table],
        )
        assert cursor.fetchall() == indexes_before
