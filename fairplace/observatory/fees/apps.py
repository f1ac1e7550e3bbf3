from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "fairplace.observatory.fees"
    label = "fees"
    verbose_name = "Observatoire des frais"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from fairplace.core import navigation

        navigation.register(
            "fees:index", _("Frais des places de marché"), "fr-icon-money-euro-circle-line", navigation.everyone, 20
        )
        navigation.register(
            "fees_backoffice:schedules", _("Grilles tarifaires"), "fr-icon-table-line", navigation.observatory, 110
        )
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
