"""Django's async-safety check stays on outside the browser journeys (tests/e2e/conftest.py switches it off
only while a module's Chromium is running)."""

import os


def test_async_safety_is_on_outside_the_browser_journeys():
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in os.environ
