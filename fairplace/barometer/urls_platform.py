"""The platform's view of frozen editions and its right of reply (/plateforme/barometre/)."""

from django.urls import path

from .views import platform

app_name = "barometer_platform"

urlpatterns = [
    path("", platform.editions, name="editions"),
    path("<str:code>/", platform.edition, name="edition"),
    path("<str:code>/reponse/", platform.reply, name="reply"),
]
