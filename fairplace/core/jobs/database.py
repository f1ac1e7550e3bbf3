"""Database calls that must survive a dropped connection (a database restart, ``pg_terminate_backend``):
an outcome already obtained — an e-mail accepted by the SMTP server, a job that ran — must be recorded,
or it would be done a second time."""

import logging
import time

from django.db import InterfaceError, OperationalError, close_old_connections, connection

logger = logging.getLogger(__name__)


def with_reconnect(operation, *, attempts: int = 5, delay: float = 0.5):
    """Run ``operation()``; on a connection-level error, drop the connection and try again (``attempts``
    times, ``delay`` doubling). Only for idempotent writes (conditional UPDATEs)."""
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except (OperationalError, InterfaceError) as exc:
            if attempt == attempts or connection.in_atomic_block:
                raise
            logger.warning("database connection lost (%s), reconnecting (attempt %s)", exc, attempt)
            connection.close()
            time.sleep(delay * 2 ** (attempt - 1))
    return None  # not reached


def fresh_connections(immediate: bool):
    """Around a task in a worker: close connections that are too old or broken (Django does this around
    each request; a worker must do it around each task)."""
    if not immediate:
        close_old_connections()
