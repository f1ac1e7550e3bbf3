from django.apps import AppConfig


class TermsConfig(AppConfig):
    name = "fairplace.observatory.terms"
    label = "terms"
    verbose_name = "Observatoire des conditions"

    def ready(self):
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
