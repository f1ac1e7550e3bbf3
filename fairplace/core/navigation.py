"""The header's entries: each app registers its own (in ``AppConfig.ready``), so that the layout template of
``core`` names no other app's URLs. Static data, no query: who sees an entry is decided from the user alone."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from .models import Role


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str  # a lazy translation
    icon: str  # a DSFR icon class, e.g. "fr-icon-inbox-line"
    shown_to: Callable  # user → bool
    order: int


_ENTRIES: dict[str, NavEntry] = {}


def register(url_name: str, label, icon: str, shown_to: Callable, order: int) -> None:
    _ENTRIES[url_name] = NavEntry(url_name, label, icon, shown_to, order)


def entries_for(user) -> list[dict]:
    return [
        {"url": reverse(entry.url_name), "label": entry.label, "icon": entry.icon}
        for entry in sorted(_ENTRIES.values(), key=lambda entry: (entry.order, entry.url_name))
        if entry.shown_to(user)
    ]


# Audiences.
def everyone(user) -> bool:
    return True


def visitors(user) -> bool:
    """Not logged in: sellers and the public."""
    return not user.is_authenticated


def observatory(user) -> bool:
    return user.is_authenticated and user.works_the_queue


def supervisors(user) -> bool:
    return observatory(user) and (user.role != Role.AGENT or user.is_superuser)


def administrators(user) -> bool:
    return user.is_authenticated and user.is_active and (user.role == Role.ADMINISTRATOR or user.is_superuser)


def platforms(user) -> bool:
    return user.is_authenticated and not user.works_the_queue and user.role == Role.PLATFORM


def mediators(user) -> bool:
    return user.is_authenticated and not user.works_the_queue and user.role == Role.MEDIATOR
