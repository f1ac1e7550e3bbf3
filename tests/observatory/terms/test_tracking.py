"""Tracking runs against a real local HTTP server (http.server on 127.0.0.1, not the network): versions for
changed pages, nothing for unchanged ones (same text, same bytes or 304), failures in the operators' queue
and never a snapshot; the command, the periodic task, the routing of JavaScript documents to
Chromium (one renderer per run)."""

from http.server import BaseHTTPRequestHandler
from io import StringIO

import pytest
from django.core.management import call_command

from fairplace.observatory.terms import tracking
from fairplace.observatory.terms.fetching import FetchResult, FetchSettings, HttpFetcher
from fairplace.observatory.terms.models import FetchFailure, Snapshot, TermsVersion, TrackedDocument
from fairplace.observatory.terms.tracking import SEPARATOR, track

from .local_server import serving

CLAUSES = """<h1>Conditions des vendeurs</h1>
<h2>1. Frais</h2><p>1.1 Le vendeur paie une commission de {rate} % sur chaque vente, facturée chaque mois par
l'opérateur de la place de marché.</p>
<p>1.2 Les paiements sont versés tous les quatorze jours sur le compte bancaire déclaré par le vendeur.</p>
<h2>2. Suspension</h2><p>2.1 Nous pouvons suspendre le compte du vendeur avec un préavis de trente jours en cas de
manquement grave aux présentes conditions.</p>
<p>2.2 Le vendeur peut contester une suspension par le système interne de traitement des réclamations.</p>
<h2>3. Droit applicable</h2><p>3.1 Les présentes conditions sont régies par le droit français ; les tribunaux de
Paris sont compétents pour tout litige relatif à leur exécution.</p>"""


def terms_page(rate=15, extra="", main=True):
    inner = CLAUSES.format(rate=rate)
    body = f"<main id='cgv'>{inner}</main>" if main else f"<div>{inner}</div>"
    return f"<html><head><title>CGV</title></head><body><nav>Menu</nav>{body}{extra}</body></html>"


class Pages:
    """What the server answers, by path: (status, body bytes, headers); "truncated" bodies lie about their length."""

    def __init__(self):
        self.routes = {}
        self.requests = []

    def set(self, path, body="", status=200, etag=None, truncated=False):
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if etag:
            headers["ETag"] = etag
        self.routes[path] = (status, body.encode("utf-8"), headers, truncated)


@pytest.fixture
def site():
    pages = Pages()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            pages.requests.append((self.path, dict(self.headers)))
            status, body, headers, truncated = pages.routes.get(self.path, (404, b"absent", {}, False))
            etag = headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body) + (5000 if truncated else 0)))
            if truncated:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            if truncated:
                self.close_connection = True

        def log_message(self, *args):
            pass

    with serving(Handler) as base:
        pages.base = base
        yield pages


@pytest.fixture
def fetcher():
    with HttpFetcher(FetchSettings(retries=1, backoff=0.01, timeout=5, connect_timeout=2)) as client:
        yield client


def make_document(site, path="/cgv", title="Conditions vendeurs", **fields):
    urls = fields.pop("urls", None) or [site.base + path]
    fields.setdefault("select", ["#cgv"])
    return TrackedDocument.objects.create(
        service_name="Exemple", doc_type="seller_terms", title=title, urls=urls, **fields
    )


def run(documents, fetcher, workers=1, **options):
    return track(documents, workers=workers, fetcher=fetcher, **options)


@pytest.mark.django_db
def test_first_fetch_then_a_change_creates_versions_with_the_evidence(site, fetcher, reference_data):
    site.set("/cgv", terms_page(15))
    document = make_document(site)
    report = run([document], fetcher)
    assert (report.fetched, report.new_versions, report.failed, report.snapshots) == (1, 1, 0, 1)
    snapshot = Snapshot.objects.get(document=document)
    assert snapshot.source == "fetch" and snapshot.status_code == 200 and snapshot.verdict == "first"
    assert snapshot.final_url == site.base + "/cgv"
    assert bytes(snapshot.body) == terms_page(15).encode() and len(snapshot.body_sha256) == 64
    assert snapshot.headers["content-type"].startswith("text/html")
    assert snapshot.markdown.startswith("# Conditions des vendeurs\n\n## 1. Frais")
    assert "Menu" not in snapshot.markdown

    site.set("/cgv", terms_page(18))
    report = run([document], fetcher)
    assert (report.new_versions, report.unchanged) == (1, 0)
    version = TermsVersion.objects.filter(document=document).latest("first_seen_at")
    assert version.snapshot.verdict == "change"
    assert [change.kind for change in version.clause_changes.all()] == ["modified"]
    assert site.requests[-1][1]["User-Agent"].startswith("Fairplace-Observatoire/1.0")


@pytest.mark.django_db
def test_same_text_same_bytes_and_304_create_no_version(site, fetcher, reference_data):
    site.set("/cgv", terms_page(15))
    document = make_document(site)
    run([document], fetcher)
    # same bytes: nothing recorded
    report = run([document], fetcher)
    assert (report.unchanged, report.new_versions, report.snapshots) == (1, 0, 0)
    document.refresh_from_db()
    assert document.last_check_outcome == "same_body"
    # other bytes, same text (a tracking comment changes): a "same" snapshot, no version
    site.set("/cgv", terms_page(15, extra="<!-- rendu 2 --><script>var t = 2;</script>"))
    report = run([document], fetcher)
    assert (report.unchanged, report.new_versions, report.snapshots) == (1, 0, 1)
    assert Snapshot.objects.filter(document=document).latest("id").verdict == "same"
    document.refresh_from_db()
    assert document.last_check_outcome == "unchanged"
    # the server supports ETags: the next fetch is conditional, 304 records nothing
    site.set("/cgv", terms_page(15), etag='"v1"')
    run([document], fetcher)
    before = Snapshot.objects.count()
    checked_before = TrackedDocument.objects.get(pk=document.pk).last_checked_at
    report = run([document], fetcher)
    assert (report.unchanged, report.fetched, report.snapshots) == (1, 1, 0)
    # a 304 records no snapshot, but the document says when it was last checked, and how
    document.refresh_from_db()
    assert document.last_check_outcome == "not_modified" and document.last_checked_at > checked_before
    assert site.requests[-1][1].get("If-None-Match") == '"v1"'
    assert Snapshot.objects.count() == before
    assert TermsVersion.objects.filter(document=document).count() == 1
    assert not FetchFailure.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "setup", "kind"),
    [
        ("/bloque", {"body": "Access denied", "status": 403}, "blocked"),
        ("/vide", {"body": "<html><body><main id='cgv'>  <script>x()</script></main></body></html>"}, "empty"),
        (
            "/autre",
            {"body": "<html><body><div class='nouvelle-mise-en-page'>Texte</div></body></html>"},
            "selector_missing",
        ),
        ("/coupe", {"truncated": True}, "truncated"),
        ("/absent", None, "http_error"),
    ],
)
def test_failures_go_to_the_operators_queue_and_never_become_a_snapshot(
    site, fetcher, reference_data, path, setup, kind
):
    site.set("/cgv", terms_page(15))
    document = make_document(site, urls=[site.base + "/cgv"])
    run([document], fetcher)
    if setup is not None:
        site.set(path, **({"body": terms_page(18)} | setup))
    document.urls = [site.base + path]
    document.save()
    report = run([document], fetcher)
    assert report.failures == {kind: 1} and report.fetched == 0 and report.snapshots == 0
    document.refresh_from_db()
    assert document.last_check_outcome == "failure" and document.last_checked_at is not None
    failure = FetchFailure.objects.get(document=document)
    assert failure.kind == kind and failure.detail and failure.resolved_at is None
    assert Snapshot.objects.filter(document=document).count() == 1
    assert TermsVersion.objects.filter(document=document).count() == 1
    if kind == "blocked":
        assert failure.status_code == 403


@pytest.mark.django_db
def test_a_truncated_rendering_creates_no_version_and_is_queued(site, fetcher, reference_data):
    site.set("/cgv", terms_page(15))
    document = make_document(site)
    run([document], fetcher)
    short = "<html><body><main id='cgv'>" + CLAUSES.format(rate=15).split("<h2>2.")[0] + "</main></body></html>"
    site.set("/cgv", short)
    report = run([document], fetcher)
    assert report.failures == {"truncated": 1} and report.new_versions == 0
    assert Snapshot.objects.filter(document=document).latest("id").verdict == "truncated"
    assert TermsVersion.objects.filter(document=document).count() == 1
    assert FetchFailure.objects.get(document=document).kind == "truncated"


@pytest.mark.django_db
def test_a_combined_document_joins_its_pages(site, fetcher, reference_data):
    site.set("/cgv", terms_page(15))
    site.set(
        "/annexe", "<html><body><main id='cgv'><h2>Annexe</h2><p>Grille des frais de l'annexe.</p></main></body></html>"
    )
    document = make_document(site, urls=[site.base + "/cgv", site.base + "/annexe"])
    report = run([document], fetcher)
    assert report.new_versions == 1
    snapshot = Snapshot.objects.get(document=document)
    first, second = snapshot.markdown.split(SEPARATOR)
    assert first.startswith("# Conditions des vendeurs") and second == "## Annexe\n\nGrille des frais de l'annexe.\n"
    assert [page["url"] for page in snapshot.headers["pages"]] == [site.base + "/cgv", site.base + "/annexe"]


class FakeRenderer:
    """Stands for ``rendering.ChromiumRenderer`` (the real browser: test_chromium_rendering.py)."""

    instances = []

    def __init__(self, config=None, *, host_slot=None):
        self.config, self.host_slot = config, host_slot
        self.rendered, self.closed = [], 0
        FakeRenderer.instances.append(self)

    def render(self, url, *, select=()):
        self.rendered.append((url, tuple(select)))
        return FetchResult(
            url, url, 200, {"content-type": "text/html; charset=iso-8859-1"}, terms_page(15).encode(), rendered=True
        )

    def close(self):
        self.closed += 1


@pytest.mark.django_db
def test_documents_needing_javascript_are_rendered_by_chromium(site, fetcher, reference_data):
    site.set("/cgv", terms_page(15))
    js = make_document(site, path="/spa", title="Page dynamique", needs_js=True)
    plain = make_document(site, title="Page simple")
    renderer = FakeRenderer()
    report = run([js, plain], fetcher, renderer=renderer)
    assert report.new_versions == 2
    assert renderer.rendered == [(site.base + "/spa", ("#cgv",))]
    assert [path for path, _ in site.requests] == ["/cgv"]
    assert renderer.closed == 0  # a renderer given is the caller's to close
    # Rendered HTML is UTF-8 (page.content()), whatever charset the server announced.
    assert "opérateur" in Snapshot.objects.get(document=js).markdown


@pytest.mark.django_db
def test_a_run_opens_one_renderer_only_when_needed_and_closes_it(site, fetcher, reference_data, monkeypatch):
    monkeypatch.setattr(tracking, "ChromiumRenderer", FakeRenderer)
    FakeRenderer.instances.clear()
    site.set("/cgv", terms_page(15))
    plain = make_document(site, title="Page simple")
    run([plain], fetcher)
    assert FakeRenderer.instances == []
    first = make_document(site, path="/spa", title="Page dynamique", needs_js=True)
    second = make_document(site, path="/spa2", title="Autre page dynamique", needs_js=True)
    report = run([first, plain, second], fetcher)
    assert report.new_versions == 2 and report.unchanged == 1
    [renderer] = FakeRenderer.instances
    assert len(renderer.rendered) == 2 and renderer.closed == 1
    assert renderer.config is fetcher.config and renderer.host_slot == fetcher.host_slot


@pytest.mark.django_db(transaction=True)
def test_concurrent_run_with_threads(site, reference_data):
    documents = []
    for number in range(8):
        site.set(f"/cgv{number}", terms_page(10 + number))
        documents.append(make_document(site, path=f"/cgv{number}", title=f"Conditions {number}"))
    site.set("/cgv7", "refusé", status=403)
    seen = []
    report = track(
        TrackedDocument.objects.order_by("pk"), workers=4, progress=lambda done, total: seen.append((done, total))
    )
    assert (report.documents, report.new_versions, report.failures) == (8, 7, {"blocked": 1})
    assert seen[0] == (0, 8) and seen[-1] == (8, 8) and len(seen) == 9
    assert TermsVersion.objects.count() == 7 and FetchFailure.objects.count() == 1
    assert report.seconds > 0 and "7 nouvelle(s) version(s)" in report.summary()


@pytest.mark.django_db
def test_track_terms_command(site, reference_data):
    site.set("/cgv", terms_page(15))
    document = make_document(site)
    make_document(site, path="/bloque", title="Bloqué")
    site.set("/bloque", "non", status=403)
    inactive = make_document(site, title="Inactif", is_active=False)
    out, err = StringIO(), StringIO()
    call_command("track_terms", "--workers", "1", stdout=out, stderr=err)
    assert "2 document(s) suivi(s)" in out.getvalue()
    assert "1 nouvelle(s) version(s)" in out.getvalue() and "1 échec(s) (accès bloqué : 1)" in out.getvalue()
    assert "incidents" in out.getvalue()
    assert "] 2/2" in err.getvalue() and "\r[" in err.getvalue()
    out = StringIO()
    call_command("track_terms", "--document", str(inactive.pk), "--workers", "1", stdout=out, stderr=StringIO())
    assert "1 document(s) suivi(s)" in out.getvalue() and "1 nouvelle(s) version(s)" in out.getvalue()
    assert Snapshot.objects.filter(document=document).count() == 1


@pytest.mark.django_db
def test_track_terms_unknown_document():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Aucun document suivi n° 999"):
        call_command("track_terms", "--document", "999", stdout=StringIO(), stderr=StringIO())
