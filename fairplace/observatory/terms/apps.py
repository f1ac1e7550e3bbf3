from django.apps import AppConfig


class TermsConfig(AppConfig):
    name = "fairplace.observatory.terms"
    label = "terms"
    verbose_name = "Observatoire des conditions"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from fairplace.core import navigation

        navigation.register(
            "terms_backoffice:notices", _("Conditions suivies"), "fr-icon-file-text-line", navigation.observatory, 120
        )
        from . import tasks  # noqa: F401  (declares the app's periodic jobs)
