"""History of the charter registry: one ``RegistryRevision`` per creation, change or deletion.

A revision stores a JSON snapshot of the object's fields (foreign keys as ids, dates as ISO
strings), the names of the fields that changed and who changed them (no user: the loader of
``data/charters.yaml``). Revisions are only ever added (the admin lets nobody change them).
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

from .models import RegistryRevision


def snapshot(obj) -> dict:
    """The object's concrete fields as JSON values (``{"marketplace": 12, "date": "2019-03-26", …}``)."""
    values = {field.name: field.value_from_object(obj) for field in obj._meta.concrete_fields}
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def diff(before: dict, after: dict) -> list[str]:
    """Names of the fields whose value differs between two snapshots, in field order."""
    return [name for name in after if before.get(name) != after[name]]


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record_revision(obj, action: str, user, changed_fields: list[str] | None = None) -> RegistryRevision:
    """Write the revision of ``obj`` (``action``: created, updated or deleted; call it before
    deleting, while the object still has its id). Without ``changed_fields``, a creation lists
    every field and a change is compared with the object's previous revision."""
    if action not in RegistryRevision.Action.values:
        raise ValueError(f"Unknown revision action: {action!r}")
    current = snapshot(obj)
    object_type = obj._meta.label_lower
    if changed_fields is None:
        if action == RegistryRevision.Action.CREATED:
            changed_fields = [name for name in current if name != "id"]
        elif action == RegistryRevision.Action.UPDATED:
            previous = (
                RegistryRevision.objects.filter(object_type=object_type, object_id=str(obj.pk))
                .order_by("-changed_at", "-id")
                .first()
            )
            changed_fields = diff(previous.snapshot, current) if previous else []
        else:
            changed_fields = []
    _refresh_public_pages()
    return RegistryRevision.objects.create(
        object_type=object_type,
        object_id=str(obj.pk),
        object_repr=str(obj)[:250],
        action=action,
        snapshot=current,
        changed_fields=list(changed_fields),
        changed_by=_user_or_none(user),
    )


def _refresh_public_pages() -> None:
    """The charter registry shows on the public pages, which are cached: drop the cached copies."""
    from .published import bump_generation

    bump_generation()
