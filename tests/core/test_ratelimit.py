import pytest
from django.core.exceptions import ImproperlyConfigured

from fairplace.core import ratelimit
from fairplace.core.models import RateLimitCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "submit_ip": "3/h"}
    settings.REDIS_URL = ""


def test_the_limit_counts_per_key_and_refuses_above_it(limits):
    for _ in range(3):
        ratelimit.hit("submit_ip", "192.0.2.1")
    with pytest.raises(ratelimit.RateLimited) as caught:
        ratelimit.hit("submit_ip", "192.0.2.1")
    assert 0 < caught.value.retry_after <= 3600
    ratelimit.hit("submit_ip", "192.0.2.2")  # another client is not affected


def test_counters_store_no_ip_in_clear(limits):
    ratelimit.hit("submit_ip", "192.0.2.77")
    assert "192.0.2.77" not in RateLimitCounter.objects.get().key


def test_redis_backend_counts_atomically(settings, limits):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis ne répond pas sur 127.0.0.1:6379")
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "fairplace-test",
        }
    }
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        ratelimit.hit("submit_ip", "198.51.100.1")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit("submit_ip", "198.51.100.1")
    assert not RateLimitCounter.objects.exists()
    cache.clear()


@pytest.mark.parametrize("value", ["3", "3/week", "x/h", ""])
def test_bad_rate_settings_fail_loudly(value):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(value)


def test_client_ip_trusts_forwarded_for_only_behind_configured_proxies(settings, rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2")
    settings.FAIRPLACE_TRUSTED_PROXIES = 0
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.FAIRPLACE_TRUSTED_PROXIES = 1
    assert ratelimit.client_ip(request) == "10.0.0.2"
    settings.FAIRPLACE_TRUSTED_PROXIES = 2
    assert ratelimit.client_ip(request) == "203.0.113.9"


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_all_counted(settings):
    from tests.conftest import run_in_threads

    settings.REDIS_URL = ""
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "submit_ip": "1000/h"}

    def five_hits():
        for _ in range(5):
            ratelimit.hit("submit_ip", "203.0.113.50")

    assert run_in_threads(five_hits, 8) == []
    assert RateLimitCounter.objects.get().count == 40
