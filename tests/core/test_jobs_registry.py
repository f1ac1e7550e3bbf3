"""The periodic jobs: declared by the apps, listed in docs/taches-de-fond.md, schedules valid, and the claim
rules (one run per slot, one at a time, an expired lease is an interruption) on the database."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from fairplace.core.checks import schedules_name_known_jobs
from fairplace.core.jobs.runs import JOBS, run_job, run_now
from fairplace.core.jobs.schedules import CronError, parse_cron
from fairplace.core.models import JobRun, PeriodicJob

EXPECTED = {
    "barometer.publish",
    "barometer.refresh",
    "core.outbox_sweep",
    "core.purge_job_runs",
    "core.purge_rate_limits",
    "fees.link_reports",
    "reports.action_follow_ups",
    "reports.answer_reminders",
    "reports.digest",
    "reports.exports",
    "reports.overdue",
    "reports.purge_drafts",
    "reports.scan_attachments",
    "terms.track",
}


def test_every_job_is_declared_and_listed_in_the_docs_with_its_schedule():
    assert set(JOBS) == EXPECTED
    page = (Path(settings.BASE_DIR) / "docs" / "taches-de-fond.md").read_text()
    for name, spec in JOBS.items():
        assert f"| `{name}` | `{spec.default_schedule}` |" in page, name


def test_schedules_are_paris_time_and_find_their_slot():
    digest = parse_cron("0 7 * * *")
    assert digest.matches(datetime(2026, 1, 15, 6, 0, tzinfo=UTC))  # 7:00 in Paris in winter
    assert digest.matches(datetime(2026, 7, 15, 5, 0, tzinfo=UTC))  # 7:00 in Paris in summer
    assert digest.slot(datetime(2026, 7, 15, 9, 42, tzinfo=UTC)) == datetime(2026, 7, 15, 5, 0, tzinfo=UTC)
    every_five = parse_cron("*/5 * * * *")
    assert every_five.slot(datetime(2026, 7, 15, 9, 44, 59, tzinfo=UTC)) == datetime(2026, 7, 15, 9, 40, tzinfo=UTC)
    assert parse_cron("0 9 * * 1-5").matches(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # a Monday
    assert not parse_cron("0 9 * * 0,6").matches(datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert parse_cron("0 9 * * 7").weekdays == frozenset({0})  # 7 is Sunday too
    for bad in ("* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "x * * * *"):
        with pytest.raises(CronError):
            parse_cron(bad)


def test_an_override_naming_no_job_fails_the_system_check():
    with override_settings(FAIRPLACE_SCHEDULES={"reports.overdeu": "*/5 * * * *"}):
        errors = schedules_name_known_jobs(None)
    assert [error.id for error in errors] == ["fairplace.E001"] and "reports.overdeu" in errors[0].msg


@pytest.mark.django_db
def test_one_run_per_slot_one_at_a_time_and_an_expired_lease_is_an_interruption():
    spec = JOBS["reports.overdue"]
    now = datetime(2026, 12, 8, 10, 3, tzinfo=UTC)
    first = run_job(spec, now=now)
    assert first is not None and first.slot == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert run_job(spec, now=now + timedelta(minutes=1)) is None  # same slot, another worker: refused
    second = run_job(spec, now=now + timedelta(minutes=3))
    assert second.slot == datetime(2026, 12, 8, 10, 5, tzinfo=UTC)
    assert list(JobRun.objects.filter(job__name=spec.name).values_list("status", flat=True)) == ["succeeded"] * 2
    # A run left "running" by a worker that died blocks the job until its lease expires.
    JobRun.objects.filter(pk=second.pk).update(status="running", lease_until=now + timedelta(minutes=10))
    assert run_job(spec, now=now + timedelta(minutes=7)) is None
    third = run_job(spec, now=now + timedelta(minutes=11))
    assert third is not None
    assert JobRun.objects.get(pk=second.pk).status == "interrupted"
    job = PeriodicJob.objects.get(name=spec.name)
    assert job.consecutive_failures == 0 and job.last_failed_at is not None  # interrupted, then succeeded


@pytest.mark.django_db
def test_run_job_command_lists_runs_and_refuses_unknown_names(capsys):
    call_command("run_job")
    assert "reports.overdue" in capsys.readouterr().out
    call_command("run_job", "core.purge_rate_limits")
    assert "core.purge_rate_limits : réussie" in capsys.readouterr().out
    with pytest.raises(CommandError, match="inconnue"):
        call_command("run_job", "nope")
    assert run_now("core.purge_job_runs") is not None


@pytest.mark.django_db
def test_a_task_given_an_id_that_no_longer_exists_ends_without_retrying(caplog):
    import uuid

    from fairplace.core.tasks import deliver_message
    from fairplace.reports.tasks import build_export

    deliver_message(987654)  # immediate mode: runs here; nothing to send, nothing raised, nothing rescheduled
    build_export(uuid.uuid4())
    from huey.contrib.djhuey import HUEY

    assert HUEY.pending_count() == 0 and HUEY.scheduled_count() == 0
    assert "failed" not in caplog.text
