from django.apps import AppConfig


class BarometerConfig(AppConfig):
    name = "fairplace.barometer"
    label = "barometer"
    verbose_name = "Baromètre"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (marks reports whose aggregates are stale)
            tasks,  # noqa: F401  (declares the app's periodic jobs)
        )
