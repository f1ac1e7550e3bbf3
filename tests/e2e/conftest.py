"""Browser journeys: Debian's Chromium driven by Playwright (sync API) against pytest-django's
live server. Never `playwright install`: the browser is the system one (scripts/ensure_chromium.sh).

Without a usable browser the journeys are skipped with a clear reason, except under CI
(CI=true), where a missing browser is a failure.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest

from fairplace.observatory.terms.rendering import launch_args
from fairplace.platforms.reference import load_marketplaces
from fairplace.reports.families import load_families

DEFAULT_CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _no_browser(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"Chromium absent ({reason}) : sous CI (CI=true) les parcours navigateur sont obligatoires ; "
            "lancez scripts/ensure_chromium.sh",
            pytrace=False,
        )
    pytest.skip(f"Chromium absent ({reason}) : parcours navigateur ignoré")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module. Playwright's sync API leaves an event loop running in the test thread
    while it is started, so Django's async-safety check is switched off for exactly that time (the ORM calls
    of the journeys between two browser actions), and back on for every other test of the process: the
    suite runs with --dist loadfile, so a module's tests run together."""
    executable = os.environ.get("FAIRPLACE_CHROMIUM") or DEFAULT_CHROMIUM
    if not Path(executable).is_file() or not os.access(executable, os.X_OK):
        _no_browser(f"{executable} introuvable ou non exécutable ; lancez scripts/ensure_chromium.sh")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in requirements/dev.txt
        _no_browser(f"module playwright indisponible : {exc}")
    playwright = sync_playwright().start()
    try:
        # French browser chrome too (file inputs, date placeholders): Chromium reads the
        # process locale, not --lang.
        chromium = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=launch_args(),
            env={**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"},
        )
    except PlaywrightError as exc:
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        _no_browser(f"{executable} ne démarre pas : {first_line}")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield chromium
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        chromium.close()
        playwright.stop()


@pytest.fixture
def e2e_reference_data(transactional_db):
    """Marketplaces and problem families, in the database the live server reads."""
    load_marketplaces()
    load_families()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"e2e_{report.when}_failed", report.failed)
    return report


@contextlib.contextmanager
def _open_page(request, browser, live_server, viewport: dict, failure_suffix: str):
    """A French page on the live server (relative URLs), collecting JS errors in
    ``page.js_errors``; on a failure the page is saved as <test>-<failure_suffix>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob(f"{_test_name(request)}-*.png"):
        stale.unlink()  # screenshots of an earlier run of this test
    context = browser.new_context(
        viewport=viewport,
        locale="fr-FR",
        base_url=live_server.url,
        extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
        if getattr(request.node, "e2e_call_failed", False):
            with contextlib.suppress(Exception):  # the failure itself is what matters
                page.screenshot(path=str(SCREENSHOTS / f"{_test_name(request)}-{failure_suffix}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def page(request, browser, live_server, e2e_reference_data):
    """A phone-sized page (390x844), as the seller sees it; <test>-echec.png on a failure."""
    with _open_page(request, browser, live_server, PHONE, "echec") as opened:
        yield opened


@pytest.fixture
def desktop(request, browser, live_server, e2e_reference_data):
    """A desktop-sized page (1280x900), for the agent and the platform; <test>-echec-bureau.png
    on a failure."""
    with _open_page(request, browser, live_server, DESKTOP, "echec-bureau") as opened:
        yield opened


def _test_name(request) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name.removeprefix("test_"))


@pytest.fixture
def shoot(request):
    """shoot(page, "step"): full-page screenshot tests/e2e/screenshots/<test>-<nn>-<step>.png
    (full_page=False for what covers the screen, such as an open menu)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = _test_name(request)
    counter = {"n": 0}
    taken: list[Path] = []

    def take(page, step: str, *, full_page: bool = True) -> Path:
        counter["n"] += 1
        path = SCREENSHOTS / f"{test_name}-{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        taken.append(path)
        return path

    take.taken = taken
    return take
