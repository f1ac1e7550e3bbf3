"""Public pages of the fee observatory (/observatoire/frais/)."""

from django.urls import path

from .views import compare, feeds, opendata, public, simulator

app_name = "fees"

urlpatterns = [
    path("", public.index, name="index"),
    path("simulateur/", simulator.simulate, name="simulator"),
    path("simulateur/export.csv", simulator.export_csv, name="simulator_csv"),
    path("evolutions/", public.timeline, name="timeline"),
    path("evolutions/flux.atom", feeds.ChangesFeed(), name="feed"),
    path("donnees/grilles.csv", opendata.schedules_csv, name="schedules_csv"),
    path("donnees/evolutions.csv", opendata.changes_csv, name="changes_csv"),
    path("<slug:slug>/", public.marketplace, name="marketplace"),
    path("<slug:slug>/comparer/", compare.compare_versions, name="compare"),
]
