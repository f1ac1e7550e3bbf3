"""One settings path: every setting is read once, in config/settings, through the typed helpers of
``config.env``, and a malformed value stops ``manage.py check`` naming its variable; ``.env.example``
lists exactly the variables the settings read."""

import ast
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_DIR = BASE_DIR / "config" / "settings"
ENV_EXAMPLE = BASE_DIR / ".env.example"
HELPERS = {"env_str", "env_bool", "env_int", "env_float", "env_list", "env_schedules"}
# Listed in .env.example but read by Django itself (manage.py, wsgi.py, asgi.py), not by the settings.
READ_BY_DJANGO = {"DJANGO_SETTINGS_MODULE"}
# A minimal valid environment for every settings module, production included (no connection at import).
MINIMAL_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "settings-test-" + "k" * 50,
    "DATABASE_URL": "postgres://fairplace@db.invalid:5432/fairplace",
}
# Every settings module is imported (base once, through the others): names read only by dev, test or
# bench are then part of the comparison too, so they are listed in .env.example like the others.
RECORD_READS = """
import importlib, json
from config import env
for module in ("base", "prod", "dev", "test", "bench"):
    importlib.import_module(f"config.settings.{module}")
print(json.dumps(sorted(env.READ)))
"""


def _clean_environment(**extra) -> dict:
    """This process's environment without any variable the settings may read (a developer's own .env must not
    change the outcome), plus ``extra``."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "FAIRPLACE_", "DATABASE_", "EMAIL_", "PROCONNECT_", "AXES_", "REDIS_"))
        and name != "DEFAULT_FROM_EMAIL"
    }
    return {**kept, **extra}


def _listed() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            names.add(match.group(1))
    return names


def _literal_reads() -> set[str]:
    """Names passed literally to a helper anywhere in config/settings, including branches the import below does
    not take (e.g. a setting read only when REDIS_URL is set)."""
    names = set()
    for path in SETTINGS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in HELPERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names


def test_env_example_lists_exactly_the_variables_the_settings_read():
    result = subprocess.run(
        [sys.executable, "-c", RECORD_READS],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=_clean_environment(**MINIMAL_ENVIRONMENT),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    read = set(json.loads(result.stdout)) | _literal_reads()
    listed = _listed()
    assert "FAIRPLACE_TERMS_TIMEOUT" in read and "DJANGO_SECRET_KEY" in read  # the recording works
    assert sorted(read - listed) == [], "read by the settings but missing from .env.example"
    # NAME_FILE (a mounted secret) is accepted for every NAME the helpers read.
    unread = {name for name in listed - read - READ_BY_DJANGO if not (name.endswith("_FILE") and name[:-5] in read)}
    assert sorted(unread) == [], "listed in .env.example but read by no setting"


def test_the_helpers_record_every_name_they_read(monkeypatch):
    env = importlib.import_module("config.env")
    monkeypatch.setattr(env, "READ", set())
    monkeypatch.delenv("FAIRPLACE_SETTINGS_TEST_UNSET", raising=False)
    assert env.env_int("FAIRPLACE_SETTINGS_TEST_UNSET", 7, minimum=1) == 7
    assert {"FAIRPLACE_SETTINGS_TEST_UNSET"} == env.READ


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "is not a number"),
        ("nan", "is not a finite number"),
        ("0", "must be greater than 0"),
    ],
)
def test_float_settings_are_checked(monkeypatch, value, message):
    from django.core.exceptions import ImproperlyConfigured

    from config.env import env_float

    monkeypatch.setenv("FAIRPLACE_SETTINGS_TEST_FLOAT", value)
    with pytest.raises(ImproperlyConfigured, match=f"FAIRPLACE_SETTINGS_TEST_FLOAT=.*{message}"):
        env_float("FAIRPLACE_SETTINGS_TEST_FLOAT", 1.0, above=0)


# --- nothing under fairplace/ reads the environment -----------------------------------------------------------

ENVIRONMENT_ATTRIBUTES = {"environ", "environb", "getenv", "getenvb"}


def _is_os_environ(node) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def environment_reads(source: str, filename: str = "<source>") -> list[int]:
    """Line numbers where ``source`` reads the process environment (``os.environ``, ``os.getenv``, ``from os
    import environ``…). Allowed: ``dict(os.environ)``, a copy handed to a child process, not a setting."""
    tree = ast.parse(source, filename)
    copies = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and len(node.args) == 1
        and not node.keywords
        and _is_os_environ(node.args[0])
    }

    def reads(node) -> bool:
        if isinstance(node, ast.ImportFrom):
            return node.module == "os" and any(alias.name in ENVIRONMENT_ATTRIBUTES for alias in node.names)
        return (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT_ATTRIBUTES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and id(node) not in copies
        )

    return sorted(node.lineno for node in ast.walk(tree) if reads(node))


def test_the_scan_finds_environment_reads():
    assert environment_reads("import os\nos.environ.get('A')\nos.getenv('B')\nos.environ['C']\n") == [2, 3, 4]
    assert environment_reads("from os import environ\n") == [1]
    assert environment_reads("import os\nenv = dict(os.environ)\nenv['X'] = '1'\n") == []
    assert environment_reads("import os\nenv = {**os.environ}\n") == [2]


def test_no_module_of_fairplace_reads_the_environment():
    found = []
    for path in sorted((BASE_DIR / "fairplace").rglob("*.py")):
        found += [
            f"{path.relative_to(BASE_DIR)}:{line}"
            for line in environment_reads(path.read_text(encoding="utf-8"), str(path))
        ]
    assert found == [], "read a Django setting (config/settings/base.py, through config.env) instead"


# --- malformed values stop manage.py check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FAIRPLACE_TERMS_TIMEOUT", "abc"),
        ("FAIRPLACE_TERMS_PER_HOST", "0"),
        ("FAIRPLACE_TERMS_CONNECT_TIMEOUT", "-1"),
        ("EMAIL_PORT", "x"),
        ("FAIRPLACE_SCHEDULES", "terms.track=61 * * * *"),
        ("FAIRPLACE_SCHEDULES", "nonsense"),
    ],
)
def test_a_malformed_value_stops_manage_py_check(name, value):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_environment(DJANGO_SETTINGS_MODULE="config.settings.test", **{name: value}),
        check=False,
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr.strip().splitlines()[-1], result.stderr
