"""Shared fixtures: reference data, a real local SMTP server, complete drafts."""

import os
import socket
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from fairplace.platforms.reference import load_marketplaces
from fairplace.reports.demo import example_answers
from fairplace.reports.families import load_families
from fairplace.reports.models import ProblemFamily, ReportDraft

VALID_SIRET = "73282932000074"
LA_POSTE_SIRET = "35600000049837"


# Under CI (CI=true) a skipped test is a failure, unless it is about the other database of the two passes
# (a PostgreSQL-only test in the SQLite pass): a missing corpus, browser or Redis must not pass silently.
ALLOWED_CI_SKIPS = ("PostgreSQL",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") != "true" or not report.skipped or getattr(report, "wasxfail", None) is not None:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not any(allowed in reason for allowed in ALLOWED_CI_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {reason}"


def pytest_collection_modifyitems(config, items):
    """The replays of the OTA corpus (the tests that skip without it) are marked ``corpus``: a developer
    iterating may leave them out with ``-m "not corpus"``; make test and CI run them."""
    for item in items:
        if any("corpus" in str(mark.kwargs.get("reason", "")).lower() for mark in item.iter_markers("skipif")):
            item.add_marker(pytest.mark.corpus)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files go to a temporary folder, never to the developer's var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def reference_data(db):
    load_marketplaces()
    load_families()


class _Collector(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 (aiosmtpd); Django's SMTP backend talks to it."""
    handler = _Collector()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting: it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield handler
    finally:
        controller.stop()


def details_for(family: ProblemFamily, occurred_on: str = "2026-03-02") -> dict:
    """Answers that satisfy every required question of a family (as typed strings)."""
    return example_answers(family.questions, occurred_on)


def complete_steps(
    family_code: str = "SUSP",
    *,
    siret: str = VALID_SIRET,
    email: str = "vendeuse@exemple.fr",
    consent: str = "anonymous",
    marketplace: str = "cdiscount",
) -> dict:
    family = ProblemFamily.objects.get(code=family_code)
    return {
        "plateforme": {"marketplace": marketplace, "other_name": "", "other_url": ""},
        "probleme": {"family": family_code},
        f"details.{family_code}": details_for(family),
        "description": {"description": "Mon compte a été suspendu du jour au lendemain sans aucune explication."},
        "entreprise": {
            "siret": siret,
            "company_name": "Atelier Martin",
            "company_size": "micro",
            "naf_code": "47.91B",
            "company_source": "manual",
        },
        "contact": {"first_name": "Camille", "last_name": "Martin", "email": email, "phone": ""},
        "choix": {"consent": consent},
    }


@pytest.fixture
def complete_draft(reference_data):
    """A draft whose every step validates and whose e-mail is confirmed."""

    def make(**kwargs) -> ReportDraft:
        steps = complete_steps(**kwargs)
        return ReportDraft.objects.create(
            steps=steps, email_verified=steps["contact"]["email"], submit_key=uuid.uuid4()
        )

    return make


@pytest.fixture(autouse=True)
def _fresh_reference_cache():
    """Each test has its own database rows: no reference data cached by a previous test."""
    from fairplace.core import refcache

    refcache.clear()
    yield
    refcache.clear()


def run_in_threads(target, count: int) -> list[Exception]:
    """Start ``count`` threads on ``target`` at the same instant (each with its own database
    connection) and return the exceptions they raised."""
    import threading

    from django.db import connection

    barrier, errors = threading.Barrier(count), []

    def worker():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # returned to the test, which asserts on it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def login_verified(client, user):
    """Log ``user`` in with a session already confirmed by a TOTP device (django-otp)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def make_report(complete_draft):
    """A submitted report (through the real intake), then put in ``state`` for the test's
    set-up only; extra keyword arguments set fields (``consent``, ``marketplace`` slug and
    ``siret`` go to the draft)."""
    from fairplace.reports import intake
    from fairplace.reports.models import Report

    def make(state="submitted", **fields) -> Report:
        draft_fields = {
            k: fields.pop(k) for k in ("consent", "marketplace", "siret", "email", "family_code") if k in fields
        }
        draft = complete_draft(**draft_fields)
        report = intake.submit_draft(draft.pk, draft.submit_key, ip="192.0.2.1")
        Report.objects.filter(pk=report.pk).update(state=state, **fields)
        return Report.objects.get(pk=report.pk)

    return make


PERSONA_PASSWORD = "mot-de-passe-de-test-2026"


@pytest.fixture
def personas(reference_data, django_user_model):
    """One account per persona: agent, supervisor, administrator, mediator, other_mediator,
    platform_a (Cdiscount's representative), platform_b (ManoMano's), and an account with no
    role. Log them in with ``login_as(client, personas, name)``."""
    from fairplace.core.models import Role
    from fairplace.platforms.models import Marketplace, PlatformRepresentative

    def user(email, role, **extra):
        return django_user_model.objects.create_user(email=email, password=PERSONA_PASSWORD, role=role, **extra)

    people = {
        "agent": user("agent@fairplace.test", Role.AGENT),
        "supervisor": user("superviseur@fairplace.test", Role.SUPERVISOR),
        "administrator": user("admin@fairplace.test", Role.ADMINISTRATOR, is_staff=True),
        "mediator": user("mediateur@fairplace.test", Role.MEDIATOR),
        "other_mediator": user("mediatrice@fairplace.test", Role.MEDIATOR),
        "platform_a": user("rep@cdiscount.test", Role.PLATFORM),
        "platform_b": user("rep@manomano.test", Role.PLATFORM),
        "no_role": user("personne@fairplace.test", ""),
    }
    for name, slug in (("platform_a", "cdiscount"), ("platform_b", "manomano")):
        PlatformRepresentative.objects.create(user=people[name], marketplace=Marketplace.objects.get(slug=slug))
    return people


def login_as(client, personas, name):
    """Log ``client`` in as persona ``name`` (second factor confirmed where the role needs it);
    ``anonymous`` leaves it logged out."""
    if name == "anonymous":
        return client
    user = personas[name]
    if user.needs_second_factor:
        return login_verified(client, user)
    client.force_login(user)
    return client
