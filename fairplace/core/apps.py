from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairplace.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self):
        from . import checks, tasks  # noqa: F401  (system checks; the core's periodic jobs)
