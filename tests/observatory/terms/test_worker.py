"""The periodic tracking run (job ``terms.track``): a child process the job waits for, never two at once; its
outcome recorded like every job's. That the worker goes on sending e-mails meanwhile is shown with a real
worker in tests/core/test_worker_faults.py."""

import shlex
import subprocess
import sys
import threading
import time

from fairplace.core.jobs.runs import JOBS, run_now
from fairplace.core.models import JobRun, PeriodicJob
from fairplace.observatory.terms import tasks

from .factories import make_document

# A stand-in for a long tracking run: it waits until the test lets it finish (at most 60 s).
WAITING_CHILD = (
    "import pathlib, sys, time\n"
    "flag = pathlib.Path(sys.argv[1])\n"
    "for _ in range(600):\n"
    "    if flag.exists():\n"
    "        sys.exit(0)\n"
    "    time.sleep(0.1)\n"
    "sys.exit(3)\n"
)


def _waiting_command(settings, flag) -> None:
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = shlex.join([sys.executable, "-c", WAITING_CHILD, str(flag)])


def test_the_default_command_is_this_interpreter_running_track_terms(settings):
    command = tasks.track_command()
    assert command[:4] == [sys.executable, "-m", "django", "track_terms"] and "--no-progress" in command
    # The command line really resolves to the management command, from the worker's directory and settings.
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "help", "track_terms"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--no-progress" in result.stdout and "--workers" in result.stdout
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = "nice -n 10 python manage.py track_terms"
    assert tasks.track_command() == ["nice", "-n", "10", "python", "manage.py", "track_terms"]


def test_a_tracking_run_waits_for_its_child_and_a_second_run_is_refused_meanwhile(
    settings, tmp_path, transactional_db, reference_data
):
    assert JOBS["terms.track"].schedule_text == "0 */12 * * *" and tasks.interval_hours() == 12
    make_document("Cdiscount")
    flag = tmp_path / "finish"
    _waiting_command(settings, flag)
    first = threading.Thread(target=run_now, args=("terms.track",))
    first.start()
    deadline = time.monotonic() + 30
    while not JobRun.objects.filter(job__name="terms.track").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run_now("terms.track") is None  # the run is going on: no second one, on any worker
    flag.touch()
    first.join(timeout=60)
    run = JobRun.objects.get(job__name="terms.track")
    assert run.status == JobRun.Status.SUCCEEDED and run.result == "relevé terminé"
    assert run_now("terms.track") is not None  # once it has ended, the next one may start


def test_nothing_to_track_and_switched_off(settings, tmp_path, db, reference_data):
    run = run_now("terms.track")
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED and run.result == "aucun document suivi"
    settings.FAIRPLACE_SCHEDULES = {"terms.track": "off"}
    assert JOBS["terms.track"].cron is None and tasks.interval_hours() == 0
    settings.FAIRPLACE_SCHEDULES = {"terms.track": "0 */6 * * *"}
    assert tasks.interval_hours() == 6


def test_a_failed_run_is_recorded_with_its_status_and_the_next_slot_runs(settings, db, reference_data, caplog):
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = shlex.join([sys.executable, "-c", "import sys; sys.exit(5)"])
    make_document("Cdiscount")
    run = run_now("terms.track")
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED and "track_terms ended with status 5" in run.error
    assert "job terms.track failed" in caplog.text
    job = PeriodicJob.objects.get(name="terms.track")
    assert job.consecutive_failures == 1 and job.last_failed_at is not None and job.last_succeeded_at is None
