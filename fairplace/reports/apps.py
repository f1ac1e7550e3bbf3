from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fairplace.reports"
    label = "reports"
    verbose_name = "Signalements"
