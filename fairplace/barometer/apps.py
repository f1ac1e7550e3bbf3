from django.apps import AppConfig


class BarometerConfig(AppConfig):
    name = "fairplace.barometer"
    label = "barometer"
    verbose_name = "Baromètre"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from fairplace.core import navigation

        navigation.register("barometer:compare", _("Baromètre"), "fr-icon-line-chart-line", navigation.everyone, 10)
        navigation.register(
            "barometer_backoffice:overview",
            _("Éditions du baromètre"),
            "fr-icon-calendar-line",
            navigation.supervisors,
            130,
        )
        navigation.register(
            "barometer_platform:editions",
            _("Relecture du baromètre"),
            "fr-icon-calendar-line",
            navigation.platforms,
            210,
        )
        from . import (
            receivers,  # noqa: F401  (marks reports whose aggregates are stale)
            tasks,  # noqa: F401  (declares the app's periodic jobs)
        )
