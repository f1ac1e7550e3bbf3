from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fairplace.reports"
    label = "reports"
    verbose_name = "Signalements"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from fairplace.core import navigation

        navigation.register(
            "backoffice:queue", _("Signalements à traiter"), "fr-icon-inbox-line", navigation.observatory, 100
        )
        navigation.register(
            "platform_space:reports", _("Espace plateforme"), "fr-icon-building-line", navigation.platforms, 200
        )
        navigation.register(
            "mediation:cases", _("Dossiers de médiation"), "fr-icon-team-line", navigation.mediators, 300
        )
        navigation.register("reports:start", _("Signaler un problème"), "fr-icon-edit-line", navigation.visitors, 400)
        navigation.register(
            "reports:tracking_request", _("Suivre mes signalements"), "fr-icon-file-text-line", navigation.visitors, 410
        )
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
