"""The barometer's periodic work, run by ``manage.py run_worker``."""

from fairplace.core.tasks import register_periodic


def refresh_aggregates():
    from .compute import refresh_stale

    return refresh_stale()


def publish_editions():
    from .editions import publish_due_editions

    return publish_due_editions()


def register():
    register_periodic("barometer_refresh", refresh_aggregates)
    register_periodic("barometer_publish", publish_editions)
