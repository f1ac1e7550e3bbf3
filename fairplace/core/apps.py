from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairplace.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from . import navigation

        navigation.register(
            "jobs_backoffice:overview", _("Tâches de fond"), "fr-icon-settings-5-line", navigation.administrators, 140
        )
        from . import checks, tasks  # noqa: F401  (system checks; the core's periodic jobs)
