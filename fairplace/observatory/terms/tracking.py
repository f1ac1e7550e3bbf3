"""A tracking run: fetch every tracked document, extract its text, record it (``recording.record_snapshot``).

``track(documents, workers=4, progress=None)`` fetches the documents concurrently (a thread pool; each
worker thread closes its own database connections when done; the fetcher limits requests per host), then
for each document:

* every page answered ``304 Not Modified`` (conditional request with the ETag / Last-Modified of the last
  fetch; single-page documents only), or the very same bytes as the last fetch → **unchanged**: nothing is
  recorded, the check is counted;
* any ``FetchError`` (blocked, HTTP error, timeout, incomplete body, empty text, selector missing) → a
  ``FetchFailure`` row (the operators' queue), **never a snapshot**, so never a change;
* otherwise the Markdown (the pages of a combined document joined with ``SEPARATOR``) is recorded with its
  evidence (raw body, status, kept headers, final URL): ``record_snapshot`` decides between a new version
  and noise. A rendering it judges truncated (much shorter, its lines contained in the reference) creates
  no version either and is also put in the operators' queue (kind ``truncated``).

Every attempt, whatever came of it, is kept on the document (``last_checked_at``, ``last_check_outcome``):
a page answered 304 records nothing else, and the pages still say when the document was last checked.

Documents that need JavaScript (``needs_js``) are rendered by Chromium (``rendering.ChromiumRenderer``): one
browser for the whole run, launched at the first such document and closed at the end (its rendered HTML is
UTF-8 whatever the server's charset).

Returns a ``TrackingReport`` (counts and seconds) whose ``summary()`` is French.
"""

import hashlib
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from django.db import connections
from django.utils import timezone

from . import extract, rendering
from .fetching import FetchError, FetchResult, HttpFetcher
from .models import CheckOutcome, FailureKind, FetchFailure, Snapshot, TrackedDocument, Verdict
from .recording import record_snapshot
from .rendering import ChromiumRenderer

SEPARATOR = "\n\n- - -\n\n"
BODY_SEPARATOR = b"\n<!-- fairplace: page suivante -->\n"
SOURCE = "fetch"
VERSION = "version"
UNCHANGED = "unchanged"
FAILURE = "failure"


@dataclass
class TrackingReport:
    documents: int = 0
    fetched: int = 0  # documents fetched without failure (304 included)
    unchanged: int = 0  # 304, same bytes, or a text judged unchanged or noise
    new_versions: int = 0
    snapshots: int = 0  # snapshots written (new versions and noise)
    failures: Counter = field(default_factory=Counter)  # by FailureKind
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        labels = dict(FailureKind.choices)
        failures = ", ".join(
            f"{labels.get(kind, kind).lower()} : {count}" for kind, count in sorted(self.failures.items())
        )
        text = (
            f"{self.documents} document(s) suivi(s) en {self.seconds:.1f} s : {self.fetched} relevé(s), "
            f"{self.new_versions} nouvelle(s) version(s), {self.unchanged} inchangé(s), "
            f"{self.failed} échec(s)"
        )
        return text + (f" ({failures})." if failures else ".")


@dataclass
class Outcome:
    document_id: int
    status: str  # VERSION, UNCHANGED or FAILURE
    kind: str = ""  # the FailureKind of a failure
    verdict: str = ""
    recorded: bool = False


def track(
    documents: Iterable[TrackedDocument],
    *,
    workers: int = 4,
    progress: Callable[[int, int], None] | None = None,
    fetcher: HttpFetcher | None = None,
    renderer: ChromiumRenderer | None = None,
) -> TrackingReport:
    """Fetch and record ``documents`` (see the module docstring); ``progress(done, total)`` after each one.
    A ``fetcher`` or ``renderer`` given is not closed here."""
    documents = list(documents)
    report = TrackingReport(documents=len(documents))
    start = time.perf_counter()
    own_fetcher = fetcher is None
    fetcher = fetcher or HttpFetcher()
    own_renderer = renderer is None and any(document.needs_js for document in documents)
    if own_renderer:  # no browser yet: it starts with the first render
        renderer = ChromiumRenderer(fetcher.config, host_slot=fetcher.host_slot)
    # HTML parsing (tinyhtml5, pure Python) is most of a new page's CPU: threads share one core (the
    # GIL), so the parsing goes to processes, forked here before any worker thread exists; they only
    # parse (no database), and leave with os._exit, so the inherited connections are never touched.
    extractors = (
        ProcessPoolExecutor(max_workers=os.cpu_count() or 2, mp_context=multiprocessing.get_context("fork"))
        if workers > 1 and len(documents) > 1
        else None
    )
    if extractors is not None:
        extractors.submit(abs, 0).result()  # forks every parsing process now, from this thread
    try:
        if progress:
            progress(0, len(documents))
        if workers <= 1:
            outcomes = (track_document(document, fetcher, renderer=renderer) for document in documents)
            for done, outcome in enumerate(outcomes, 1):
                _count(report, outcome)
                if progress:
                    progress(done, len(documents))
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="terms-track") as pool:
                futures = [pool.submit(_in_thread, document, fetcher, extractors, renderer) for document in documents]
                for done, future in enumerate(as_completed(futures), 1):
                    _count(report, future.result())
                    if progress:
                        progress(done, len(documents))
    finally:
        if own_renderer:
            renderer.close()
        if own_fetcher:
            fetcher.close()
        if extractors is not None:
            extractors.shutdown()
    report.seconds = time.perf_counter() - start
    return report


def _in_thread(document: TrackedDocument, fetcher: HttpFetcher, extractors=None, renderer=None) -> Outcome:
    try:
        return track_document(document, fetcher, extractors, renderer=renderer)
    finally:
        connections.close_all()  # this worker thread's connections only (they are per thread)


def _count(report: TrackingReport, outcome: Outcome) -> None:
    report.snapshots += outcome.recorded
    if outcome.status == FAILURE:
        report.failures[outcome.kind] += 1
        return
    report.fetched += 1
    if outcome.status == VERSION:
        report.new_versions += 1
    else:
        report.unchanged += 1


def track_document(
    document: TrackedDocument, fetcher: HttpFetcher, extractors=None, *, renderer: ChromiumRenderer | None = None
) -> Outcome:
    """Fetch, extract and record one document; failures go to ``FetchFailure``. ``extractors``: a
    process pool for the HTML parsing (else done in this thread); ``renderer``: the run's Chromium."""
    try:
        outcome = _track(document, fetcher, extractors, renderer)
    except FetchError as error:
        _fail(document, error.kind, error.message, error.status_code)
        outcome = Outcome(document.pk, FAILURE, kind=error.kind)
    TrackedDocument.objects.filter(pk=document.pk).update(
        last_checked_at=timezone.now(), last_check_outcome=check_outcome(outcome)
    )
    return outcome


def check_outcome(outcome: Outcome) -> str:
    """The ``CheckOutcome`` of a tracking attempt, kept on the document (a 304 records no snapshot)."""
    if outcome.status == FAILURE:
        return CheckOutcome.FAILURE
    if outcome.status == VERSION:
        return CheckOutcome.NEW_VERSION
    return {
        "not_modified": CheckOutcome.NOT_MODIFIED,
        "same_body": CheckOutcome.SAME_BODY,
        Verdict.SAME: CheckOutcome.UNCHANGED,
    }.get(outcome.verdict, CheckOutcome.NOISE)


def _track(document: TrackedDocument, fetcher: HttpFetcher, extractors=None, renderer=None) -> Outcome:
    urls = [url for url in document.urls or [] if url]
    if not urls:
        raise FetchError(FailureKind.HTTP_ERROR, "Aucune adresse à relever pour ce document.")
    last = (
        Snapshot.objects.filter(document=document, source=SOURCE)
        .order_by("-fetched_at", "-id")
        .only("headers", "body_sha256")
        .first()
    )
    validators = last.headers if last is not None and len(urls) == 1 else {}
    pages = []
    for url in urls:
        page = fetch_page(document, url, fetcher, validators, renderer)
        if page.not_modified:
            return Outcome(document.pk, UNCHANGED, verdict="not_modified")
        pages.append(page)
    body = BODY_SEPARATOR.join(page.body for page in pages)
    if last is not None and last.body_sha256 and hashlib.sha256(body).hexdigest() == last.body_sha256:
        return Outcome(document.pk, UNCHANGED, verdict="same_body")
    jobs = [
        (
            page.body,
            tuple(document.select or ()),
            tuple(document.remove or ()),
            page.final_url,
            "utf-8" if page.rendered else extract.charset_of(page.headers.get("content-type")),
        )
        for page in pages
    ]
    results = (
        list(extractors.map(_extract_page, jobs)) if extractors is not None else [_extract_page(job) for job in jobs]
    )
    for result in results:
        if isinstance(result, tuple):  # a FetchError met in the parsing process, as (kind, message)
            raise FetchError(*result)
    parts = results
    markdown = SEPARATOR.join(part.strip() for part in parts) + "\n"
    snapshot = record_snapshot(
        document,
        fetched_at=pages[0].fetched_at,
        markdown=markdown,
        source=SOURCE,
        status_code=pages[-1].status_code,
        headers=_headers(pages),
        final_url=pages[0].final_url[:1000],
        body=body,
    )
    if snapshot.verdict == Verdict.TRUNCATED:
        _fail(
            document,
            FailureKind.TRUNCATED,
            "Texte nettement plus court que la version de référence et contenu dans celle-ci : rendu tronqué "
            "probable (relevé conservé, aucune version créée).",
            pages[-1].status_code,
        )
        return Outcome(document.pk, FAILURE, kind=FailureKind.TRUNCATED, verdict=snapshot.verdict, recorded=True)
    if snapshot.verdict in (Verdict.FIRST, Verdict.CHANGE):
        return Outcome(document.pk, VERSION, verdict=snapshot.verdict, recorded=True)
    return Outcome(document.pk, UNCHANGED, verdict=snapshot.verdict, recorded=True)


def _extract_page(job) -> str | tuple[str, str]:
    """The Markdown of one page, or (failure kind, message): run in a parsing process, where an
    exception with keyword arguments would not come back whole."""
    body, select, remove, base_url, encoding = job
    try:
        return extract.html_to_markdown(body, select=select, remove=remove, base_url=base_url, encoding=encoding)
    except FetchError as error:
        return (error.kind, error.message)


def fetch_page(
    document: TrackedDocument,
    url: str,
    fetcher: HttpFetcher,
    validators: dict,
    renderer: ChromiumRenderer | None = None,
) -> FetchResult:
    """One page of ``document``: Chromium for documents that need JavaScript (the run's ``renderer``, else a
    browser for this page), else HTTP (conditional)."""
    if document.needs_js:
        if renderer is None:
            return rendering.render_with_chromium(url, fetcher.config, select=document.select or ())
        return renderer.render(url, select=document.select or ())
    return fetcher.fetch(url, etag=validators.get("etag", ""), last_modified=validators.get("last-modified", ""))


def _headers(pages: list[FetchResult]) -> dict:
    """The kept headers of a single page; for a combined document, each page's URL, status and headers."""
    if len(pages) == 1:
        return dict(pages[0].headers)
    return {
        "pages": [
            {"url": page.url, "final_url": page.final_url, "status": page.status_code, "headers": dict(page.headers)}
            for page in pages
        ]
    }


def _fail(document: TrackedDocument, kind: str, detail: str, status_code: int | None) -> FetchFailure:
    return FetchFailure.objects.create(
        document=document, occurred_at=timezone.now(), kind=kind, detail=detail, status_code=status_code
    )
