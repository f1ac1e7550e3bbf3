"""The server side of a benchmark: bench database and Django, gunicorn, CPU accounting, versions."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from bench.lib import ROOT

SETTINGS = "config.settings.bench"
APP = "config.wsgi:application"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fairplace_bench"


# Database and Django -----------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def is_bench_database(url: str) -> bool:
    """The database is dropped and recreated: only one whose name contains "bench" may be."""
    return "bench" in database_name(url)


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "dbname": "postgres",
        "autocommit": True,
    }
    if parts.password:
        params["password"] = parts.password
    with psycopg.connect(**params) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str, settings_module: str = SETTINGS) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["DATABASE_URL"] = url
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

    django.setup()


def migrate() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate", verbosity=0, interactive=False, stdout=out)
    call_command("createcachetable", verbosity=0, stdout=out)
    call_command("load_reference_data", stdout=out)


# gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, workers: int, threads: int, app: str) -> list[str]:
    executable = Path(sys.executable).parent / "gunicorn"
    if not executable.exists():
        executable = Path(shutil.which("gunicorn") or "gunicorn")
    return [
        str(executable),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        "--timeout",
        "120",
        "--graceful-timeout",
        "20",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]


def start_gunicorn(command: list[str], url: str, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
        # WhiteNoise warns once per worker that there is no collectstatic output: not a finding.
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
    }
    log = log_path.open("wb")
    try:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        log.close()


def wait_healthy(proc: subprocess.Popen, base_url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session, started above
        proc.wait(timeout=10)


@contextmanager
def running_gunicorn(command: list[str], url: str, base_url: str, log_path: Path):
    """gunicorn started (log in ``log_path``) and answering /healthz at ``base_url``; stopped on the
    way out, whatever happens, with a warning if it exited abnormally."""
    proc = start_gunicorn(command, url, log_path)
    try:
        wait_healthy(proc, base_url)
        yield proc
    finally:
        stop_gunicorn(proc)
    if proc.returncode not in (0, None):
        print(f"warning: gunicorn exited with status {proc.returncode} (log: {log_path})")


# CPU accounting (Linux /proc) --------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _machine() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def cpu_snapshot(gunicorn_pid: int) -> dict:
    return {
        "machine": _machine(),
        "gunicorn": {pid: _cpu_of(pid) for pid in [gunicorn_pid, *_children(gunicorn_pid)]},
        "postgres": {pid: _cpu_of(pid) for pid in _postgres_pids()},
        "bench": time.process_time(),
    }


def cpu_used(before: dict, after: dict) -> dict:
    def delta(group):
        return sum(value - before[group].get(pid, 0.0) for pid, value in after[group].items())

    used = {"gunicorn": delta("gunicorn"), "postgres": delta("postgres"), "bench": after["bench"] - before["bench"]}
    busy = after["machine"][0] - before["machine"][0]
    used["others"] = max(0.0, busy - sum(used.values()))  # anything else running on the machine
    used["steal"] = after["machine"][1] - before["machine"][1]
    return used


def describe_cpu(cpu: dict, wall: float) -> str:
    """The "CPU during run" line of a table: ``cpu`` from cpu_used over ``wall`` seconds."""
    return (
        f"gunicorn {cpu['gunicorn']:.1f} s, postgres {cpu['postgres']:.1f} s, "
        f"load generator {cpu['bench']:.1f} s, other processes {cpu['others']:.1f} s, "
        f"stolen {cpu['steal']:.1f} s  (of {wall * (os.cpu_count() or 1):.1f} core-seconds)"
    )


# Versions ----------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """Hash of the application's code and templates, and when they last changed: the tree may
    change between two runs, and this tells which code a table measured."""
    import hashlib

    digest, newest = hashlib.sha256(), 0.0
    for folder in ("fairplace", "config"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt", ".yaml"} and path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
                newest = max(newest, path.stat().st_mtime)
    return f"{digest.hexdigest()[:12]} (last change {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(newest))})"


def server_rows(versions: dict, workers: int, threads: int, app: str, settings: str) -> list[tuple[str, str]]:
    """The "server", "app code" and "machine" rows of a table (``versions`` from versions_of)."""
    kind = f"gthread, {threads} threads/worker" if threads > 1 else "sync"
    if app != APP:
        kind += f", app {app}"
    if settings != SETTINGS:
        kind += f", settings {settings}"
    return [
        ("server", f"gunicorn {versions['gunicorn']}, {workers} workers ({kind}), PostgreSQL {versions['pg']}"),
        ("app code", versions["code"]),
        ("machine", f"{os.cpu_count()} CPUs; Python {versions['python']}, Django {versions['django']}"),
    ]


def versions_of(url: str) -> dict:
    import django
    import gunicorn
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    return {
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "pg": pg,
        "code": code_fingerprint(),
    }


def database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    ) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone() is not None


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), as ``uptime`` shows it: on a shared machine
    it tells whether something else was running."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"
