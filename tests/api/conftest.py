import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(db):
    """Throttle counters live in the default cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()
