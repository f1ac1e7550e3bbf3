from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fairplace.observatory.fees"
    label = "fees"
    verbose_name = "Observatoire des frais"

    def ready(self):
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
