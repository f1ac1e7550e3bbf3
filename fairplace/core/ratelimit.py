"""Fixed-window rate limits shared by every app server: counters live in the database
(atomic UPDATE) or, when REDIS_URL is set, in Redis (atomic INCR)."""

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import RateLimitCounter

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int):
        super().__init__(scope)
        self.scope = scope
        self.retry_after = retry_after


def parse_rate(value: str) -> Rate:
    try:
        count, period = value.split("/")
        return Rate(int(count), PERIODS[period])
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"Invalid rate {value!r}: use count/period with period s, m, h or d.") from exc


def _hashed(scope: str, key: str, window: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{scope}:{key}".encode()).hexdigest()[:40]
    return f"{scope[:12]}:{digest}:{window}"


def hit(scope: str, key: str) -> None:
    """Count one hit for ``key`` in ``scope``; raise RateLimited when over the limit."""
    rate = parse_rate(settings.FAIRPLACE_RATE_LIMITS[scope])
    now = time.time()
    window = int(now // rate.seconds)
    counter_key = _hashed(scope, key, window)
    expires = (window + 1) * rate.seconds
    count = _incr_cache(counter_key, expires - now) if settings.REDIS_URL else _incr_db(counter_key, expires)
    if count > rate.count:
        raise RateLimited(scope, retry_after=max(1, math.ceil(expires - now)))


def _incr_cache(key: str, ttl: float) -> int:
    cache.add(key, 0, timeout=math.ceil(ttl))
    return cache.incr(key)


def _incr_db(key: str, expires_epoch: float) -> int:
    expires_at = datetime.fromtimestamp(expires_epoch, tz=UTC)
    with transaction.atomic():
        updated = RateLimitCounter.objects.filter(key=key).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=key, count=1, expires_at=expires_at)
                return 1
            except IntegrityError:  # another process created it first
                RateLimitCounter.objects.filter(key=key).update(count=F("count") + 1)
        return RateLimitCounter.objects.values_list("count", flat=True).get(key=key)


def purge_expired() -> int:
    deleted, _ = RateLimitCounter.objects.filter(expires_at__lt=timezone.now() - timedelta(minutes=1)).delete()
    return deleted


def client_ip(request) -> str:
    """The client's address, trusting X-Forwarded-For only from the configured proxies."""
    hops = settings.FAIRPLACE_TRUSTED_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
