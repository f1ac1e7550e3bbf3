from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fairplace.reports"
    label = "reports"
    verbose_name = "Signalements"

    def ready(self):
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
