"""The fee observatory's background work."""

from fairplace.core.jobs.runs import periodic_job


@periodic_job(
    "fees.link_reports",
    "*/2 * * * *",
    description="Rapproche les signalements « frais » des évolutions de grilles qu'ils décrivent.",
)
def link_reports():
    from .linking import link_new_reports

    return link_new_reports()
