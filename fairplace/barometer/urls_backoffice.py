"""Editions and computation for supervisors and administrators (/gestion/barometre/)."""

from django.urls import path

from .views import backoffice

app_name = "barometer_backoffice"

urlpatterns = [
    path("", backoffice.overview, name="overview"),
    path("figer/", backoffice.freeze, name="freeze"),
    path("<str:code>/publier/", backoffice.publish, name="publish"),
]
