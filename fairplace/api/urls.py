"""Read-only open-data API (/api/): DRF, OpenAPI schema at /api/schema/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/editions/", views.EditionListView.as_view(), name="editions"),
    path("v1/editions/<str:code>/", views.EditionDetailView.as_view(), name="edition"),
    path("v1/editions/<str:code>/figures/", views.EditionFiguresView.as_view(), name="edition_figures"),
    path("v1/indicators/", views.IndicatorListView.as_view(), name="indicators"),
    path("v1/marketplaces/", views.MarketplaceListView.as_view(), name="marketplaces"),
    path("v1/charters/", views.CharterListView.as_view(), name="charters"),
]
