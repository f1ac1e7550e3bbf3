"""The Chromium path of the terms tracker against a real browser (Debian's Chromium through Playwright) and a real
local HTTP server (http.server on 127.0.0.1, never the network): text inserted by JavaScript, versions and
changes, failures in the operators' queue, redirects, one browser per run, pages that keep polling.

Without a usable browser the tests that need one are skipped with a clear reason, except under CI (CI=true),
where a missing browser is a failure (as the browser journeys, tests/e2e/conftest.py). The tests of the
launch settings and of a missing executable need no browser and always run.
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from fairplace.observatory.terms import extract, rendering
from fairplace.observatory.terms.fetching import FetchError, FetchSettings, HttpFetcher
from fairplace.observatory.terms.models import FetchFailure, Snapshot, TermsVersion, TrackedDocument
from fairplace.observatory.terms.rendering import CHROMIUM_ARGS, ChromiumRenderer, render_with_chromium
from fairplace.observatory.terms.tracking import track

from .local_server import serving

TIMEOUT = 4.0  # seconds for a whole render: the local pages take well under one

CLAUSES = """<h1>Conditions des vendeurs</h1>
<h2>1. Frais</h2><p>1.1 Le vendeur paie une commission de {rate} % sur chaque vente, facturée chaque mois par
l'opérateur de la place de marché.</p>
<p>1.2 Les paiements sont versés tous les quatorze jours sur le compte bancaire déclaré par le vendeur.</p>
<h2>2. Suspension</h2><p>2.1 Nous pouvons suspendre le compte du vendeur avec un préavis de trente jours en cas de
manquement grave aux présentes conditions.</p>
<h2>3. Droit applicable</h2><p>3.1 Les présentes conditions sont régies par le droit français ; les tribunaux de
Paris sont compétents pour tout litige relatif à leur exécution.</p>"""


def js_shell(content: str, *, delay_ms: int = 300, poll: bool = False) -> str:
    """A page whose text is not in the HTML: its script puts ``content`` in #app after ``delay_ms``; ``poll``:
    the page also asks the server for news every 50 ms, for ever (it never becomes "network idle")."""
    inserted = json.dumps(content).replace("</", "<\\/")
    polling = "setInterval(function () { fetch('/ping'); }, 50);" if poll else ""
    return (
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>CGV</title></head><body>"
        "<nav>Menu</nav><div id='app'><p class='chargement'>Chargement…</p></div>"
        f"<script>{polling}setTimeout(function () {{ document.getElementById('app').innerHTML = {inserted}; }}, "
        f"{delay_ms});</script></body></html>"
    )


def terms(rate=15) -> str:
    return f"<main id='cgv'>{CLAUSES.format(rate=rate)}</main>"


class Site:
    """What the server answers, by path: (status, body bytes, headers); every request is logged."""

    def __init__(self):
        self.routes = {"/ping": (200, b"ok", {"Content-Type": "text/plain"})}
        self.requests = []

    def set(self, path, body, status=200, content_type="text/html; charset=utf-8", **headers):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.routes[path] = (status, data, {"Content-Type": content_type, **headers})

    def redirect(self, path, location, status=302):
        self.routes[path] = (status, b"", {"Location": location})


@pytest.fixture
def site():
    pages = Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            pages.requests.append((self.path, dict(self.headers)))
            status, body, headers = pages.routes.get(self.path, (404, b"absent", {"Content-Type": "text/plain"}))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Handler) as base:
        pages.base = base
        yield pages


def _no_browser(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"Chromium indisponible ({reason}) : sous CI (CI=true) le rendu Chromium des conditions doit être "
            "testé ; lancez scripts/ensure_chromium.sh",
            pytrace=False,
        )
    pytest.skip(
        f"Chromium indisponible ({reason}) : tests du rendu Chromium ignorés (Chromium rendering tests skipped)"
    )


@pytest.fixture(scope="module")
def chromium():
    """A started renderer shared by the module's tests (skipped, or failed under CI, without a browser)."""
    renderer = ChromiumRenderer(FetchSettings(timeout=TIMEOUT))
    try:
        renderer.start()
    except FetchError as error:
        renderer.close()
        _no_browser(error.message)
    try:
        yield renderer
    finally:
        renderer.close()


@pytest.fixture
def fetcher():
    with HttpFetcher(FetchSettings(retries=1, backoff=0.01, timeout=TIMEOUT, connect_timeout=2)) as client:
        yield client


def make_document(site, path="/cgv", title="Conditions vendeurs", **fields):
    fields.setdefault("select", ["#cgv"])
    fields.setdefault("needs_js", True)
    return TrackedDocument.objects.create(
        service_name="Exemple", doc_type="seller_terms", title=title, urls=[site.base + path], **fields
    )


def chromium_threads() -> int:
    """How many renderer threads are alive (the module's shared renderer has one)."""
    return sum(thread.name.startswith("terms-chromium") for thread in threading.enumerate())


# With a browser ------------------------------------------------------------------------------------------------


def test_render_with_chromium_returns_the_text_inserted_by_javascript(site, chromium):
    site.set("/cgv", js_shell(terms(15)))
    threads = chromium_threads()
    result = render_with_chromium(site.base + "/cgv", FetchSettings(timeout=TIMEOUT), select=["#cgv"])
    assert result.rendered and result.status_code == 200 and result.final_url == site.base + "/cgv"
    markdown = extract.html_to_markdown(result.body, select=["#cgv"], encoding="utf-8")
    assert markdown.startswith("# Conditions des vendeurs\n\n## 1. Frais")
    assert "commission de 15 %" in markdown and "Chargement" not in markdown
    # The HTML the server sent holds no clause: only the browser sees them.
    with pytest.raises(FetchError) as shell:
        extract.html_to_markdown(site.routes["/cgv"][1], select=["#cgv"])
    assert shell.value.kind == "selector_missing"
    assert chromium_threads() == threads  # the one-off browser and its thread are gone


@pytest.mark.django_db
def test_tracking_a_javascript_document_creates_a_version_then_a_change(site, fetcher, reference_data, chromium):
    site.set("/cgv", js_shell(terms(15)))
    document = make_document(site)
    threads = chromium_threads()
    report = track([document], workers=1, fetcher=fetcher)  # the run launches and closes its own browser
    assert (report.fetched, report.new_versions, report.failed) == (1, 1, 0), FetchFailure.objects.values("detail")
    assert chromium_threads() == threads
    version = TermsVersion.objects.get(document=document)
    snapshot = version.snapshot
    assert snapshot.verdict == "first" and snapshot.status_code == 200
    assert snapshot.final_url == site.base + "/cgv"
    assert snapshot.headers["content-type"] == "text/html; charset=utf-8"
    assert "commission de 15 %" in snapshot.markdown and "2.1 Nous pouvons suspendre" in snapshot.markdown
    assert "Chargement" not in snapshot.markdown and "Menu" not in snapshot.markdown
    body = bytes(snapshot.body)  # the rendered HTML is the evidence, not the empty shell
    assert b"commission de 15 %" in body and body != site.routes["/cgv"][1]
    assert site.requests[0][1]["User-Agent"].startswith("Fairplace-Observatoire/1.0")

    report = track([document], workers=1, fetcher=fetcher)  # the same rendering: nothing recorded
    assert (report.unchanged, report.new_versions, report.snapshots) == (1, 0, 0)

    site.set("/cgv", js_shell(terms(18)))
    report = track([document], workers=1, fetcher=fetcher)
    assert (report.new_versions, report.unchanged, report.failed) == (1, 0, 0)
    latest = TermsVersion.objects.filter(document=document).latest("first_seen_at")
    assert latest.snapshot.verdict == "change" and latest.previous == version
    changes = list(latest.clause_changes.all())
    assert [(change.kind, change.number) for change in changes] == [("modified", "1.1")]
    assert "15" in changes[0].old_text and "18" in changes[0].new_text


@pytest.mark.django_db
def test_a_selector_that_never_appears_is_a_failure_without_snapshot(site, fetcher, reference_data, chromium):
    site.set("/cgv", js_shell("<div class='nouvelle-mise-en-page'><p>Autre texte</p></div>"))
    document = make_document(site)
    with ChromiumRenderer(FetchSettings(timeout=1.5)) as renderer:
        start = time.monotonic()
        report = track([document], workers=1, fetcher=fetcher, renderer=renderer)
        assert time.monotonic() - start < 1.5 + 8  # the configured timeout (and a launch), not a hang
    assert report.failures == {"selector_missing": 1} and report.snapshots == 0
    failure = FetchFailure.objects.get(document=document)
    assert failure.kind == "selector_missing" and "#cgv" in failure.detail and "Chromium" in failure.detail
    assert not Snapshot.objects.filter(document=document).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "kind"), [(403, "blocked"), (451, "blocked"), (404, "http_error"), (503, "http_error")]
)
def test_refused_and_failed_answers_go_to_the_operators_queue(site, fetcher, reference_data, chromium, status, kind):
    site.set("/cgv", js_shell(terms(15)), status=status)
    document = make_document(site)
    report = track([document], workers=1, fetcher=fetcher, renderer=chromium)
    assert report.failures == {kind: 1} and report.snapshots == 0
    failure = FetchFailure.objects.get(document=document)
    assert (failure.kind, failure.status_code) == (kind, status) and f"HTTP {status}" in failure.detail
    assert not Snapshot.objects.filter(document=document).exists()


@pytest.mark.django_db
def test_a_redirect_records_the_final_url(site, fetcher, reference_data, chromium):
    site.redirect("/cgv", "/fr/conditions-vendeurs", status=301)
    site.set("/fr/conditions-vendeurs", js_shell(terms(15)), **{"Cache-Control": "max-age=60"})
    document = make_document(site)
    report = track([document], workers=1, fetcher=fetcher, renderer=chromium)
    assert report.new_versions == 1
    snapshot = Snapshot.objects.get(document=document)
    assert document.urls == [site.base + "/cgv"]
    assert snapshot.final_url == site.base + "/fr/conditions-vendeurs"
    assert snapshot.status_code == 200 and snapshot.headers["cache-control"] == "max-age=60"


@pytest.mark.django_db
def test_rendered_html_is_read_as_utf8_whatever_the_server_charset(site, fetcher, reference_data, chromium):
    page = (
        "<html><head><meta charset='iso-8859-1'></head><body><main id='cgv'><h1>Conditions générales</h1>"
        "<p>Préavis de quinze jours avant toute modification des frais.</p></main></body></html>"
    )
    site.set("/cgv", page.encode("latin-1"), content_type="text/html; charset=iso-8859-1")
    document = make_document(site)
    assert track([document], workers=1, fetcher=fetcher, renderer=chromium).new_versions == 1
    snapshot = Snapshot.objects.get(document=document)
    assert snapshot.markdown.startswith("# Conditions générales\n\nPréavis de quinze jours")


def test_a_page_that_keeps_polling_does_not_hang_the_render(site, chromium):
    site.set("/cgv", js_shell(terms(15), delay_ms=200, poll=True))
    start = time.monotonic()
    result = chromium.render(site.base + "/cgv", select=["#cgv"])
    assert time.monotonic() - start < TIMEOUT  # "networkidle" would never come
    assert b"commission de 15 %" in result.body
    assert sum(path == "/ping" for path, _ in site.requests) >= 1


@pytest.mark.django_db(transaction=True)
def test_javascript_documents_of_one_run_share_one_browser(site, fetcher, reference_data, chromium):
    site.set("/a", js_shell(terms(15)))
    site.set("/b", js_shell(terms(16), delay_ms=100))
    site.set("/simple", f"<html><body>{terms(17)}</body></html>")
    documents = [
        make_document(site, "/a", "Conditions A"),
        make_document(site, "/b", "Conditions B"),
        make_document(site, "/simple", "Conditions simples", needs_js=False),
    ]
    slots = []

    def host_slot(url):  # the per-host limit of the HTTP fetcher, applied to the renders too
        slots.append(url)
        return fetcher.host_slot(url)

    renderer = ChromiumRenderer(fetcher.config, host_slot=host_slot)
    try:
        report = track(documents, workers=2, fetcher=fetcher, renderer=renderer)
        assert (report.new_versions, report.failed) == (3, 0)
        assert renderer.launches == 1
        assert sorted(slots) == [site.base + "/a", site.base + "/b"]
        assert "commission de 16 %" in Snapshot.objects.get(document=documents[1]).markdown
        # A browser that went away (a crash) is launched again at the next render.
        renderer._submit(lambda: renderer._browser.close()).result()
        assert renderer.render(site.base + "/a", select=["#cgv"]).status_code == 200
        assert renderer.launches == 2
    finally:
        renderer.close()


# Without a browser -----------------------------------------------------------------------------------------------


def test_launch_flags_keep_chromium_off_the_network_and_without_sandbox_only_as_root(monkeypatch):
    for flag in (
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-gpu",
    ):
        assert flag in CHROMIUM_ARGS
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert rendering.launch_args() == [*CHROMIUM_ARGS, "--no-sandbox"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert rendering.launch_args() == list(CHROMIUM_ARGS)


def test_the_executable_comes_from_the_setting(settings):
    settings.FAIRPLACE_TERMS_CHROMIUM = "/usr/lib/chromium/chromium"
    assert ChromiumRenderer(FetchSettings()).executable == "/usr/lib/chromium/chromium"
    assert ChromiumRenderer(FetchSettings(), executable="/opt/chromium/chrome").executable == "/opt/chromium/chrome"


@pytest.mark.django_db
def test_a_missing_executable_is_a_clear_failure_for_each_document(
    monkeypatch, settings, site, fetcher, reference_data
):
    settings.FAIRPLACE_TERMS_CHROMIUM = "/nulle/part/chromium"
    launches = []
    real_launch = ChromiumRenderer._launch
    monkeypatch.setattr(ChromiumRenderer, "_launch", lambda self: launches.append(1) or real_launch(self))
    site.set("/a", js_shell(terms(15)))
    site.set("/simple", f"<html><body>{terms(17)}</body></html>")
    documents = [
        make_document(site, "/a", "Conditions A"),
        make_document(site, "/a", "Conditions B"),
        make_document(site, "/simple", "Conditions simples", needs_js=False),
    ]
    threads = chromium_threads()
    report = track(documents, workers=1, fetcher=fetcher)
    assert report.failures == {"http_error": 2} and report.new_versions == 1
    assert len(launches) == 1  # tried once for the run, then the same failure at once
    for failure in FetchFailure.objects.all():
        assert "Chromium introuvable" in failure.detail and "FAIRPLACE_TERMS_CHROMIUM" in failure.detail
        assert "/nulle/part/chromium" in failure.detail
    assert not Snapshot.objects.filter(document__needs_js=True).exists()
    assert [path for path, _ in site.requests] == ["/simple"]
    assert chromium_threads() == threads


def test_a_missing_executable_with_render_with_chromium_raises_fetch_error(settings):
    settings.FAIRPLACE_TERMS_CHROMIUM = "/nulle/part/chromium"
    with pytest.raises(FetchError) as error:
        render_with_chromium("http://127.0.0.1:9/cgv", FetchSettings())
    assert error.value.kind == "http_error" and "Chromium introuvable" in error.value.message
