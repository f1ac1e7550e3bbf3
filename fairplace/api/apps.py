from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fairplace.api"
    label = "api"
    verbose_name = "API"
