from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "fairplace.platforms"
    label = "platforms"
    verbose_name = "Places de marché"
