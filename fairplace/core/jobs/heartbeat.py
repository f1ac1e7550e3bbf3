"""Each worker process says it is alive every ``HEARTBEAT_SECONDS`` from a thread of its own, started
when Huey's consumer starts (``on_startup``), so that a worker busy with a long task is still seen."""

import logging
import os
import socket
import threading

from django.db import connection
from django.utils import timezone

from .database import with_reconnect
from .runs import worker_id

logger = logging.getLogger("fairplace.jobs")
HEARTBEAT_SECONDS = 20
_started = threading.Lock()
_thread: threading.Thread | None = None


def beat() -> None:
    from fairplace.core.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=worker_id(),
        defaults={"hostname": socket.gethostname()[:100], "pid": os.getpid(), "last_seen_at": now},
        create_defaults={
            "hostname": socket.gethostname()[:100],
            "pid": os.getpid(),
            "started_at": now,
            "last_seen_at": now,
        },
    )


def start() -> None:
    """Start this process's heartbeat thread (once per process, whatever the number of worker threads)."""
    global _thread
    with _started:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_loop, name="fairplace-heartbeat", daemon=True)
        _thread.start()


def _loop() -> None:
    stop = threading.Event()
    while True:
        try:
            with_reconnect(beat, attempts=2)
        except Exception:  # the database is away: the next beat tries again
            logger.warning("heartbeat not recorded", exc_info=True)
        finally:
            connection.close()
        stop.wait(HEARTBEAT_SECONDS)
