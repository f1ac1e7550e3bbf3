"""System checks of the background work (``manage.py check``, and at the start of every command): a
schedule override names a job that no app declares."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def schedules_name_known_jobs(app_configs, **kwargs):
    from .jobs.runs import JOBS

    return [
        Error(
            f"FAIRPLACE_SCHEDULES: no periodic job is called {name!r}.",
            hint="Known jobs: " + ", ".join(sorted(JOBS)),
            id="fairplace.E001",
        )
        for name in settings.FAIRPLACE_SCHEDULES
        if name not in JOBS
    ]
