"""A small in-process cache for reference data read on every wizard step (marketplaces,
problem families). Entries expire after ``TTL`` seconds so that every app server sees an
administrator's change within a minute; a change saved in this process clears it at once.
It holds no user data, so app processes stay interchangeable."""

import time
from collections.abc import Callable

TTL = 60.0
_entries: dict[str, tuple[float, object]] = {}


def cached(name: str, load: Callable[[], object]):
    now = time.monotonic()
    entry = _entries.get(name)
    if entry is None or now - entry[0] > TTL:
        entry = (now, load())
        _entries[name] = entry
    return entry[1]


def clear(*names: str) -> None:
    for name in names or list(_entries):
        _entries.pop(name, None)
