"""The contract-terms observatory for agents (/gestion/conditions/)."""

from django.urls import path

from .views import backoffice

app_name = "terms_backoffice"

urlpatterns = [
    path("incidents/", backoffice.failures, name="failures"),
    path("incidents/<int:pk>/resolu/", backoffice.resolve_failure, name="resolve_failure"),
    path("preavis/", backoffice.notices, name="notices"),
    path("preavis/<int:pk>/", backoffice.review_notice, name="review_notice"),
]
