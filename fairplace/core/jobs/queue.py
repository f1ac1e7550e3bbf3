"""The Huey classes of ``settings.HUEY``: SQLite storage embedded, Redis in production. Each task id starts
with the time it was (last) enqueued, so that the health page can tell how long the oldest queued task has
been waiting, whatever the storage."""

import time
from pathlib import Path

from huey import RedisHuey as BaseRedisHuey
from huey import SqliteHuey as BaseSqliteHuey

STAMP_SEPARATOR = "~"


class StampedEnqueue:
    def enqueue(self, task):
        # Re-stamped at every enqueue (a retry or a scheduled task enters the queue again when due).
        task.id = f"{time.time():.3f}{STAMP_SEPARATOR}{task.id.rpartition(STAMP_SEPARATOR)[2]}"
        task.revoke_id = f"r:{task.id}"
        return super().enqueue(task)


class SqliteHuey(StampedEnqueue, BaseSqliteHuey):
    def get_storage(self, **kwargs):
        # A fresh machine has no var/ yet: the queue's file is created with its folder.
        filename = kwargs.get("filename")
        if filename and filename != ":memory:":
            Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return super().get_storage(**kwargs)


class RedisHuey(StampedEnqueue, BaseRedisHuey):
    pass


def enqueued_at(task_id: str) -> float | None:
    stamp, separator, _ = task_id.partition(STAMP_SEPARATOR)
    try:
        return float(stamp) if separator else None
    except ValueError:
        return None


def queue_state(huey) -> dict:
    """Depth of the queue, tasks scheduled for later, and the age in seconds of the next task to run (the
    oldest one: both storages hand out the oldest first)."""
    oldest = huey.storage.enqueued_items(1)
    age = None
    if oldest:
        message = huey.serializer.deserialize(oldest[0])
        stamp = enqueued_at(message.id)
        age = None if stamp is None else max(0.0, time.time() - stamp)
    return {
        "depth": huey.pending_count(),
        "scheduled": huey.scheduled_count(),
        "oldest_age_seconds": None if age is None else round(age, 1),
    }
