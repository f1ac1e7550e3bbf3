"""Periodic work registry: each app registers its periodic tasks in ``AppConfig.ready``;
``manage.py run_worker`` runs them in registration order. Keeps the worker out of the
dependency graph (core imports no app)."""

from collections.abc import Callable

_PERIODIC: list[tuple[str, Callable[[], object]]] = []


def register_periodic(name: str, task: Callable[[], object]) -> None:
    if all(existing != name for existing, _ in _PERIODIC):
        _PERIODIC.append((name, task))


def periodic_tasks() -> list[tuple[str, Callable[[], object]]]:
    return list(_PERIODIC)
