from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairplace.core"
    label = "core"
    verbose_name = "Socle"
