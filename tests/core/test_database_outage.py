"""While the database cannot be reached, pages that need it answer 503 with Retry-After and a page
that says what happened (fairplace/core/outage.py); a persistent connection killed by a database
restart costs a reconnection, not an error (CONN_HEALTH_CHECKS)."""

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import Client

from fairplace.barometer import published

ROOT = Path(__file__).resolve().parents[2]
FRENCH = "Le service ne parvient pas à joindre sa base de données pour le moment."
ENGLISH = "The service cannot reach its database at the moment."
WIZARD = "Votre signalement n'a pas été enregistré"
WIZARD_KEPT = "Vos réponses aux étapes précédentes restent enregistrées."
POSTED = "Ce que vous venez d'envoyer n'a peut-être pas été enregistré"
SESSION_COOKIE = "abcdefghijklmnopqrstuvwxyz012345"  # well-formed: the session is looked up in the database
CSRF = "a" * 32  # the cookie and the form field of a real browser's POST


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_port() -> int:
    return closed_port()


def text(response) -> str:
    return response.content.decode()


def assert_outage_page(response, *, wizard: bool = False, sentence: str = FRENCH):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = text(response)
    assert sentence in body
    assert (WIZARD in body) is wizard
    assert (WIZARD_KEPT in body) is wizard


@pytest.fixture
def unreachable_database(django_db_blocker, tmp_path):
    """The default connection points at a database that cannot be opened (a SQLite file in a
    folder that does not exist, or a PostgreSQL port where nothing listens), then back."""
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    with django_db_blocker.unblock():
        conn.close()
        if conn.vendor == "sqlite":
            conn.settings_dict["NAME"] = str(tmp_path / "absent" / "fairplace.sqlite3")
        else:
            conn.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        published.forget_local()  # no public page served from this process's memory
        try:
            yield
        finally:
            conn.close()
            conn.settings_dict.clear()
            conn.settings_dict.update(saved)
            published.forget_local()


@pytest.mark.usefixtures("unreachable_database")
class TestInProcess:
    def test_a_barometer_page_answers_503_in_french(self, client, caplog):
        with caplog.at_level(logging.INFO):
            response = client.get("/barometre/")
        assert_outage_page(response)
        body = text(response)
        assert '<html lang="fr"' in body
        assert "Service momentanément indisponible" in body
        assert "Attendez une minute, puis réessayez." in body
        assert 'href="/barometre/"' in body  # "Réessayer"
        assert response["Content-Language"] == "fr"
        # Logged once, at WARNING, with the path; no traceback, no second line from django.request.
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(records) == 1, [r.getMessage() for r in records]
        assert records[0].name == "fairplace.core.outage"
        assert records[0].levelno == logging.WARNING
        assert "GET /barometre/" in records[0].getMessage()
        assert records[0].exc_info is None

    def test_an_english_page_answers_in_english(self, client):
        response = client.get("/en/barometre/methodologie/")
        assert_outage_page(response, sentence=ENGLISH)
        body = text(response)
        assert '<html lang="en"' in body
        assert "Service temporarily unavailable" in body
        assert FRENCH not in body
        assert response["Content-Language"] == "en"

    def test_the_home_page_of_a_signed_in_visitor_answers_503(self, client):
        # The layout shows the signed-in user's links: the session is read from the database.
        client.cookies["sessionid"] = SESSION_COOKIE
        assert_outage_page(client.get("/"))

    def test_the_home_page_of_an_anonymous_visitor_needs_no_database(self, client):
        # Nothing on it comes from the database (no session cookie, no figures): it still answers.
        response = client.get("/")
        assert response.status_code == 200
        assert "Signaler un problème" in text(response)

    def test_a_wizard_step_sent_says_the_report_was_not_recorded(self, client):
        response = client.post("/signaler/plateforme/", {"marketplace": "amazon", "action": "next"})
        assert_outage_page(response, wizard=True)
        body = text(response)
        assert "Celles de cette page n'ont peut-être pas pu l'être" in body
        assert "Attendez une minute, puis renvoyez la page." in body
        # The wizard's cookies are not touched: the draft stays this browser's.
        assert "fairplace_brouillon" not in response.cookies

    def test_the_final_step_sent_says_the_same(self, client):
        response = client.post("/signaler/recapitulatif/", {"submit_key": "7d1b5a3e-55b4-4a8e-9a52-3d2f0c5e8b11"})
        assert_outage_page(response, wizard=True)

    def test_a_wizard_page_read_gets_the_general_page(self, client):
        response = client.get("/signaler/plateforme/")
        assert_outage_page(response)
        assert POSTED not in text(response)

    def test_another_form_sent_may_not_have_been_recorded(self, client):
        response = client.post("/suivi/", {"email": "vendeuse@exemple.fr"})
        assert_outage_page(response)
        assert POSTED in text(response)

    def test_healthz_keeps_its_own_json_503(self, client):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "unreachable"}


class ReadsTheUser:
    """A middleware that reads the user before the view (as a lockout or an audit middleware may)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 - loads the session from the database
        return self.get_response(request)


@pytest.mark.usefixtures("unreachable_database")
def test_a_failure_in_an_inner_middleware_also_answers_503(settings, caplog):
    position = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[:position], f"{__name__}.ReadsTheUser", *settings.MIDDLEWARE[position:]]
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SESSION_COOKIE
    with caplog.at_level(logging.INFO):
        response = client.get("/observatoire/frais/")
    assert_outage_page(response)
    assert any(
        r.name == "fairplace.core.outage" and "GET /observatoire/frais/" in r.getMessage() for r in caplog.records
    )


def test_the_middleware_is_outside_those_that_read_the_database(settings):
    middleware = settings.MIDDLEWARE
    outage = middleware.index("fairplace.core.outage.DatabaseOutageMiddleware")
    for inner in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "axes.middleware.AxesMiddleware",
    ):
        assert middleware.index(inner) > outage, inner


# --- A real application server, started with a database where nothing listens -----------------


@pytest.fixture
def server_without_database(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/postgres",
        "FAIRPLACE_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--no-control-socket",
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield base, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_real_server_answers_503_while_postgresql_is_unreachable(server_without_database):
    base, log = server_without_database
    with httpx.Client(base_url=base, timeout=10) as http:
        barometer = http.get("/barometre/")
        session_home = http.get("/", headers={"Cookie": f"sessionid={SESSION_COOKIE}"})
        english = http.get("/en/barometre/")
        step = http.post(
            "/signaler/plateforme/",
            data={"csrfmiddlewaretoken": CSRF, "marketplace": "amazon"},
            headers={"Cookie": f"csrftoken={CSRF}"},
        )
        health = http.get("/healthz")
    for response in (barometer, session_home, english, step):
        assert response.status_code == 503, response.text[:500]
        assert response.headers["Retry-After"] == "30"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert FRENCH in barometer.text and WIZARD not in barometer.text
    assert FRENCH in session_home.text and WIZARD not in session_home.text
    assert ENGLISH in english.text and WIZARD not in english.text
    assert FRENCH in step.text and WIZARD in step.text and WIZARD_KEPT in step.text
    assert health.status_code == 503
    assert health.json()["database"] == "unreachable"
    output = log.read_text()
    # One warning line per page, with its path; no traceback, no "Internal Server Error".
    assert output.count("Base de données injoignable") == 4, output
    assert "POST /signaler/plateforme/" in output
    assert "Traceback" not in output
    assert "Internal Server Error" not in output


# --- PostgreSQL: a persistent connection killed by a database restart ----------------------------


def wsgi_get(handler: WSGIHandler, path: str) -> int:
    """One request through the real WSGI handler: unlike the test client, it sends request_started
    and request_finished with close_old_connections connected, as an application server does."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    setup_testing_defaults(environ)
    statuses = []
    result = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(result)
    finally:
        result.close()  # request_finished
    return int(statuses[0].split()[0])


def terminate_backend(pid: int) -> None:
    """Kill one server process from a second connection, as a database restart does."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend was not terminated"
            time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("health_checks", "after_restart"), [(True, 200), (False, 503)], ids=["health-checks", "without-health-checks"]
)
def test_a_persistent_connection_killed_by_the_database_costs_a_reconnection(health_checks, after_restart):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (pg_terminate_backend): run with DATABASE_URL=postgres://…")
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=health_checks)
    handler = WSGIHandler()
    try:
        # The barometer's plain page reads the database (its cache is there too), signed in or not.
        published.forget_local()
        assert wsgi_get(handler, "/barometre/") == 200
        assert connection.connection is not None, "the connection should have been kept between requests"
        pid = connection.connection.info.backend_pid
        terminate_backend(pid)

        published.forget_local()
        assert wsgi_get(handler, "/barometre/") == after_restart
        published.forget_local()
        assert wsgi_get(handler, "/barometre/") == 200  # either way, the next one reconnects
        assert connection.connection.info.backend_pid != pid
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        published.forget_local()
