"""Periodic work of the fee observatory, run by ``manage.py run_worker``."""

from fairplace.core.tasks import register_periodic


def register() -> None:
    from .linking import link_new_reports

    register_periodic("fees.link_reports", link_new_reports)
