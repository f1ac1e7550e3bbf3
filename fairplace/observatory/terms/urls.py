"""Public pages of the contract-terms observatory (/observatoire/conditions/)."""

from django.urls import path

from .views import feeds, public, timeline

app_name = "terms"

urlpatterns = [
    path("", public.index, name="index"),
    path("evolutions/flux.atom", feeds.ChangesFeed(), name="feed"),
    path("documents/<int:pk>/", public.document, name="document"),
    path("versions/<int:pk>/", public.version, name="version"),
    path("places-de-marche/<slug:key>/", timeline.marketplace, name="marketplace"),
]
