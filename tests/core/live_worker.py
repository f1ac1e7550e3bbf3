"""Real worker processes (``manage.py run_huey``) for the fault tests, sharing a queue with the test process.

``live_queue`` switches this process's Huey from immediate mode to a queue of its own (a SQLite file, or Redis
under a name of its own when REDIS_URL is set), so that what the code enqueues here is run by the workers
started with ``start_worker``. The workers read the test database (committed data: transactional tests)."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    user = config.get("USER") or "postgres"
    return f"postgres://{user}@{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or 5432}/{config['NAME']}"


def wait_until(predicate, *, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")


@contextmanager
def live_queue(tmp_path):
    """This process enqueues into a real queue; yields the environment a worker needs to read it."""
    name = f"fairplace-live-{uuid.uuid4().hex[:12]}"
    env = {"FAIRPLACE_HUEY_NAME": name, "FAIRPLACE_HUEY_IMMEDIATE": "false"}
    saved = (HUEY.name, HUEY.storage, HUEY.immediate, dict(HUEY.storage_kwargs))
    if "filename" in HUEY.storage_kwargs:
        env["FAIRPLACE_HUEY_FILE"] = HUEY.storage_kwargs["filename"] = str(tmp_path / "huey.sqlite3")
    HUEY.name = name
    HUEY._immediate = False
    HUEY.storage = HUEY.get_storage(**HUEY.storage_kwargs)
    try:
        yield env
    finally:
        try:
            HUEY.storage.flush_all()
        finally:
            HUEY.name, HUEY.storage, HUEY._immediate = saved[0], saved[1], saved[2]
            HUEY.storage_kwargs.clear()
            HUEY.storage_kwargs.update(saved[3])


class Worker:
    def __init__(self, env: dict, log: Path, threads: int = 4):
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": database_url(),
            **env,
        }
        location = settings.STORAGES["default"].get("OPTIONS", {}).get("location")
        if location:  # the test's private files folder (tests/conftest.py), not the developer's var/
            environment["FAIRPLACE_PRIVATE_MEDIA_ROOT"] = str(location)
        environment.pop("PYTEST_XDIST_WORKER", None)
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "run_huey",
                "--workers",
                str(threads),
                "--worker-type",
                "thread",
                "--scheduler-interval",
                "1",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._out.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self._out.close()


@contextmanager
def workers(env: dict, tmp_path, count: int = 1, threads: int = 4):
    started = [Worker(env, tmp_path / f"worker-{index}.log", threads) for index in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            if worker.alive:
                worker.stop()
