"""URLs of the benchmark settings (config.settings.bench): the site's own, plus trivial views that
bench/barometer.py loads as its baseline — the same server, middleware and workers, no template,
no query: ``/bench/trivial/`` answers "ok"; ``/bench/trivial/<n>k/`` answers n kB of text, to tell
what a page's size costs from what its view costs."""

from django.http import HttpResponse
from django.urls import path

from config.urls import handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

_PADDING = {}


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


def trivial_sized(request, kilobytes: int):
    if kilobytes not in _PADDING:
        _PADDING[kilobytes] = b"ok" + b" " * (min(kilobytes, 1024) * 1024 - 2)
    return HttpResponse(_PADDING[kilobytes], content_type="text/plain")


# i18n_patterns only work in the root URLconf: the site's patterns are copied here, not included.
urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("bench/trivial/<int:kilobytes>k/", trivial_sized, name="bench_trivial_sized"),
    *site_urlpatterns,
]
