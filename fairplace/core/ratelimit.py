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
from django.db import connection
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
    # One atomic upsert (PostgreSQL and SQLite >= 3.35 both speak ON CONFLICT … RETURNING):
    # concurrent app servers never lose a hit and never race on the first one.
    expires_at = datetime.fromtimestamp(expires_epoch, tz=UTC)
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - table name only
        f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(expires_at)])
        return cursor.fetchone()[0]


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
