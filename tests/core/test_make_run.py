"""`make run` runs the whole system: scripts/run.sh starts the web server and a worker together (honcho,
Procfile.dev); the worker sends the e-mails, whose links carry the address actually served, port included;
Ctrl+C (SIGINT) stops both."""

import os
import re
import signal
import subprocess

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import _Collector

from .live_worker import ROOT, database_url, free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_make_run_serves_and_its_worker_sends_links_with_the_served_port(tmp_path, make_report, settings):
    make_report()  # a seller whose address is known: the tracking link can be sent
    smtp_port, port = free_port(), free_port()
    handler = _Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "FAIRPLACE_HUEY_FILE": str(tmp_path / "huey.sqlite3"),
        "FAIRPLACE_HUEY_NAME": "make-run-test",
        "FAIRPLACE_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "FAIRPLACE_COMPANY_SEARCH_ENABLED": "false",
    }
    for name in ("FAIRPLACE_PUBLIC_URL", "PORT", "FAIRPLACE_HUEY_IMMEDIATE", "REDIS_URL"):
        env.pop(name, None)
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        ["bash", "scripts/run.sh", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,  # noqa: S603
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_until(lambda: _answers(client), timeout=90, message="the web server")
            form = client.get("/suivi/")
            token = client.cookies["csrftoken"]
            assert form.status_code == 200
            sent = client.post(
                "/suivi/",
                data={"email": "vendeuse@exemple.fr", "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/suivi/"},
            )
            assert sent.status_code == 200
            wait_until(lambda: handler.messages, timeout=60, message="the worker to send the tracking link")
            body = handler.messages[0].get_payload(decode=True).decode()
            assert re.search(rf"{re.escape(base)}/suivi/\S+/", body), body
            health = client.get("/healthz/worker").json()
            assert any(worker["alive"] for worker in health["workers"])
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C in the terminal: the whole process group
        assert process.wait(timeout=30) is not None
        output = (tmp_path / "run.log").read_text(errors="replace")
        assert f"Fairplace : {base}/" in output
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/healthz", timeout=2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        controller.stop()


def _answers(client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False
