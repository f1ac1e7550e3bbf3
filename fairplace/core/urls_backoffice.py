from django.urls import path

from . import views_backoffice

app_name = "jobs_backoffice"
urlpatterns = [
    path("", views_backoffice.overview, name="overview"),
    path("courriels/<int:pk>/renvoyer/", views_backoffice.resend_message, name="resend"),
]
