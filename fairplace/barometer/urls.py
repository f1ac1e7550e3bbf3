"""Public barometer pages (no login). Mounted by config/urls.py inside i18n_patterns: French at
/barometre/…, English at /en/barometre/…"""

from django.urls import path

from .views import opendata, public

app_name = "barometer"

urlpatterns = [
    path("", public.compare, name="compare"),
    path("places-de-marche/<slug:slug>/", public.marketplace, name="marketplace"),
    path("methodologie/", public.methodology, name="methodology"),
    path("chartes/", public.charters, name="charters"),
    path("editions/", public.editions, name="editions"),
    path("editions/<str:code>/", public.compare, name="edition"),
    path("editions/<str:code>/edition.pdf", opendata.edition_pdf, name="edition_pdf"),
    path("editions/<str:code>/donnees.<str:fmt>", opendata.edition_data, name="edition_data"),
    path("donnees/", opendata.open_data, name="open_data"),
    path("donnees/dictionnaire.<str:fmt>", opendata.dictionary, name="dictionary"),
    path("donnees/chartes.<str:fmt>", opendata.charter_registry, name="charter_data"),
]
