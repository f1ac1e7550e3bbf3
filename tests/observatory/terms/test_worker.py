"""The periodic tracking run: started by the worker in a child process, once per interval, never twice at once;
the worker goes on sending e-mails while it runs."""

import shlex
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from fairplace.core.models import OutboxMessage
from fairplace.core.tasks import periodic_tasks
from fairplace.observatory.terms import tasks

from .factories import make_document

pytestmark = pytest.mark.django_db

# A stand-in for a long tracking run: it waits until the test lets it finish (at most 60 s).
WAITING_CHILD = ("import pathlib, sys, time\n"
                 "flag = pathlib.Path(sys.argv[1])\n"
                 "for _ in range(600):\n"
                 "    if flag.exists():\n"
                 "        sys.exit(0)\n"
                 "    time.sleep(0.1)\n"
                 "sys.exit(3)\n")


@pytest.fixture
def fresh(monkeypatch):
    cache.delete(tasks.LAST_RUN_KEY)
    monkeypatch.setattr(tasks, "_child", None)
    yield
    child = tasks._child
    if child is not None and child.poll() is None:
        child.kill()
        child.wait()


def _waiting_command(settings, flag) -> None:
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = shlex.join([sys.executable, "-c", WAITING_CHILD, str(flag)])


def _wait(child: subprocess.Popen) -> int:
    return child.wait(timeout=60)


def test_the_default_command_is_this_interpreter_running_track_terms(settings):
    command = tasks.track_command()
    assert command[:4] == [sys.executable, "-m", "django", "track_terms"] and "--no-progress" in command
    # The command line really resolves to the management command, from the worker's directory and settings.
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "django", "help", "track_terms"], cwd=settings.BASE_DIR,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "--no-progress" in result.stdout and "--workers" in result.stdout
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = "nice -n 10 python manage.py track_terms"
    assert tasks.track_command() == ["nice", "-n", "10", "python", "manage.py", "track_terms"]


def test_the_worker_sends_mail_while_a_tracking_run_goes_on(settings, tmp_path, fresh, reference_data):
    assert "terms.track" in [name for name, _ in periodic_tasks()]
    make_document("Cdiscount")
    flag = tmp_path / "finish"
    _waiting_command(settings, flag)
    OutboxMessage.objects.create(to="agent@fairplace.test", subject="Essai", body_text="Bonjour",
                                 template="test", next_attempt_at=timezone.now())
    call_command("run_worker", "--once", stdout=StringIO())
    child = tasks._child
    assert child is not None and child.poll() is None  # the run goes on…
    assert [message.subject for message in mail.outbox] == ["Essai"]  # …and the e-mail went out meanwhile
    # While it runs, no second run starts, even once the interval has elapsed.
    cache.delete(tasks.LAST_RUN_KEY)
    assert tasks.track_when_due() is None and tasks._child is child
    flag.touch()
    assert _wait(child) == 0
    started = tasks.track_when_due()  # reaps the finished run; the interval elapsed: a new run
    assert started is not None and started is not child
    started.kill()
    started.wait()


def test_one_run_per_interval_and_none_when_switched_off(settings, tmp_path, fresh, reference_data):
    flag = tmp_path / "finish"
    flag.touch()  # the stand-in ends at once
    _waiting_command(settings, flag)
    assert tasks.track_when_due() is None  # no active document: nothing to do
    make_document("Cdiscount")
    child = tasks.track_when_due()
    assert child is not None and _wait(child) == 0
    assert tasks.track_when_due() is None  # within the interval
    assert tasks._child is None  # the finished run was reaped
    settings.FAIRPLACE_TERMS_TRACK_HOURS = 0
    cache.delete(tasks.LAST_RUN_KEY)
    assert tasks.track_when_due() is None
    assert timedelta(hours=tasks.DEFAULT_HOURS) == timedelta(hours=12)


def test_a_failed_run_is_logged_and_waits_for_the_next_interval(settings, tmp_path, fresh, reference_data, caplog):
    settings.FAIRPLACE_TERMS_TRACK_COMMAND = shlex.join([sys.executable, "-c", "import sys; sys.exit(5)"])
    make_document("Cdiscount")
    child = tasks.track_when_due()
    assert _wait(child) == 5
    deadline = time.monotonic() + 5
    while tasks.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "ended with status 5" in caplog.text
    assert tasks.track_when_due() is None  # the interval holds after a failure too
