"""Typed environment helpers: every setting comes from the environment and fails loudly.

A variable ``NAME_FILE`` pointing at a file wins over ``NAME`` (for secrets mounted as files).
Every name a helper reads is recorded in ``READ`` (``tests/test_settings.py`` compares it with
``.env.example``).
"""

import math
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
READ: set[str] = set()  # every variable name read so far, whether set or not


def _raw(name: str):
    READ.add(name)
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, _MISSING)


def env_str(name: str, default=_MISSING) -> str:
    value = _raw(name)
    if value is _MISSING:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is _MISSING or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def _at_least(name: str, value, minimum):
    if minimum is not None and not value >= minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: must be at least {minimum}.")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer; ``minimum``: the smallest value accepted (the default is not checked)."""
    value = _raw(name)
    if value is _MISSING or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc
    return _at_least(name, number, minimum)


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is _MISSING:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_float(name: str, default: float, *, minimum: float | None = None, above: float | None = None) -> float:
    """A finite number; ``minimum``: the smallest value accepted, ``above``: values must be greater (the
    default is not checked)."""
    value = _raw(name)
    if value is _MISSING or value == "":
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from exc
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name}={value!r} is not a finite number.")
    if above is not None and not number > above:
        raise ImproperlyConfigured(f"{name}={value!r}: must be greater than {above}.")
    return _at_least(name, number, minimum)


def env_schedules(name: str) -> dict[str, str]:
    """Schedule overrides of the periodic jobs: ``job=crontab`` pairs separated by ``;``, each crontab
    five fields (minute hour day month day-of-week, Paris time) or ``off``. Unknown job names are
    refused by a system check (``fairplace.core.jobs``), once every app has declared its jobs."""
    from fairplace.core.jobs.schedules import CronError, parse_cron

    value = _raw(name)
    if value is _MISSING or not value.strip():
        return {}
    overrides = {}
    for item in value.split(";"):
        if not item.strip():
            continue
        job, sep, cron = item.partition("=")
        job, cron = job.strip(), cron.strip()
        if not sep or not job:
            raise ImproperlyConfigured(f"{name}: {item.strip()!r} is not of the form job=crontab.")
        if cron != "off":
            try:
                parse_cron(cron)
            except CronError as exc:
                raise ImproperlyConfigured(f"{name}: schedule of {job!r}: {exc}") from exc
        overrides[job] = cron
    return overrides
