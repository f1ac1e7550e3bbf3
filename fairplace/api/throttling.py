"""Throttles of the public API, per client IP (``NUM_PROXIES`` follows
``FAIRPLACE_TRUSTED_PROXIES``, so a forged X-Forwarded-For does not reset the count).

DRF's own classes read the rates once, at import; these read them at each request, so that a
deployment's settings and a test's ``override_settings`` both apply."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _LiveRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PublicAnonThrottle(_LiveRate, AnonRateThrottle):
    """Anonymous clients (everyone today: the API has no accounts), per IP address."""


class PublicUserThrottle(_LiveRate, UserRateThrottle):
    """Authenticated clients, per user. Anonymous ones are left to ``PublicAnonThrottle`` (DRF's
    class would count them a second time, per IP, at the higher rate: a second cache round trip
    for nothing)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)
