"""Health check, error pages, production settings."""

import os
import subprocess
import sys

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_says_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def test_home_page_is_french_and_links_to_the_form(client):
    html = client.get("/").content.decode()
    assert '<html lang="fr"' in html and 'href="/signaler/"' in html
    assert "Signaler un problème" in html


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404 and "Page introuvable" in response.content.decode()


def _prod_env(**extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-deploy-check-0123456789",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            "DJANGO_ALLOWED_HOSTS": "fairplace.example.gouv.fr",
        }
    )
    env.update(extra)
    return env


def test_production_settings_pass_the_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=_prod_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "override, message",
    [
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///x.sqlite3"}, "PostgreSQL"),
        ({"DJANGO_DEBUG": "maybe"}, "not a boolean"),
    ],
)
def test_production_settings_fail_loudly_on_bad_values(override, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=_prod_env(**override), capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and message in result.stderr
