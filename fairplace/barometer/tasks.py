"""The barometer's background work."""

from fairplace.core.jobs.runs import periodic_job


@periodic_job(
    "barometer.refresh",
    "* * * * *",
    description="Recompte les agrégats du baromètre des signalements modifiés depuis le dernier passage.",
)
def refresh_aggregates():
    from .compute import refresh_stale

    return refresh_stale()


@periodic_job("barometer.publish", "*/5 * * * *", description="Publie les éditions arrivées à leur date.")
def publish_editions():
    from .editions import publish_due_editions

    return publish_due_editions()
