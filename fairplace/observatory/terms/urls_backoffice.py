"""The contract-terms observatory for agents (/gestion/conditions/)."""

from django.urls import path

from .views import backoffice, seller_notices

app_name = "terms_backoffice"

urlpatterns = [
    path("incidents/", backoffice.failures, name="failures"),
    path("incidents/<int:pk>/resolu/", backoffice.resolve_failure, name="resolve_failure"),
    path("preavis/", backoffice.notices, name="notices"),
    path("preavis/<int:pk>/", backoffice.review_notice, name="review_notice"),
    path("avis-vendeurs/", seller_notices.queue, name="seller_notices"),
    path("avis-vendeurs/<int:pk>/retrait/", seller_notices.withdraw, name="withdraw_seller_notice"),
    path("versions/<int:pk>/avis-vendeurs/", seller_notices.version_notices, name="version_notices"),
]
