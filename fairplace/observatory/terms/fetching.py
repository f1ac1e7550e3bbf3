"""Fetching the pages of tracked documents over HTTP (httpx); documents that need JavaScript are rendered by
Debian's Chromium instead (``rendering.py``), with the same settings, failures and evidence.

``HttpFetcher`` (one per tracking run, shared by its threads; ``httpx.Client`` is thread-safe):

* a clear User-Agent naming the observatory and a contact (``FAIRPLACE_TERMS_USER_AGENT``);
* timeouts (connect ``FAIRPLACE_TERMS_CONNECT_TIMEOUT``, read ``FAIRPLACE_TERMS_TIMEOUT``) and a body size
  cap (``FAIRPLACE_TERMS_MAX_BYTES``);
* retries (``FAIRPLACE_TERMS_RETRIES``) with exponential back-off (``FAIRPLACE_TERMS_BACKOFF`` × 2ⁿ) on
  connection errors, an incomplete body, 5xx and 429, honouring ``Retry-After`` (seconds or an HTTP date)
  up to ``FAIRPLACE_TERMS_BACKOFF_CAP`` seconds — a longer wait is not waited: the page is reported and the
  next run tries again;
* conditional requests (``If-None-Match`` / ``If-Modified-Since`` from the last fetch): 304 is "unchanged";
* at most ``FAIRPLACE_TERMS_PER_HOST`` requests at a time per host (a semaphore per host, not held while
  backing off), so a run with many threads never hammers one marketplace.

Settings come from the Django settings of the same names (``config/settings/base.py`` reads and checks them at
start-up, ``FetchSettings.from_settings``); ``FetchSettings()`` alone holds the same defaults (tests). Every
failure is a ``FetchError`` carrying a ``FailureKind`` and whether a retry later may help; the tracker turns it
into a ``FetchFailure`` row (the operators' queue).
"""

import email.utils
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from django.conf import settings as django_settings

from .models import FailureKind

USER_AGENT = (
    "Fairplace-Observatoire/1.0 (+https://fairplace.example/observatoire/conditions/; "
    "contact: observatoire@fairplace.example)"
)
ACCEPT_LANGUAGE = "fr-FR,fr;q=0.9,en;q=0.7,de;q=0.5"  # the French version of a page when there is one
BLOCKED_STATUSES = frozenset({401, 403, 407, 451})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "date",
    "server",
    "cache-control",
    "content-language",
    "retry-after",
    "location",
)


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = USER_AGENT
    connect_timeout: float = 10.0
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    backoff_cap: float = 60.0
    per_host: int = 2
    max_bytes: int = 15_000_000
    max_redirects: int = 10

    @classmethod
    def from_settings(cls) -> "FetchSettings":
        """The ``FAIRPLACE_TERMS_*`` Django settings (an empty user agent: ``USER_AGENT``)."""
        return cls(
            user_agent=django_settings.FAIRPLACE_TERMS_USER_AGENT or USER_AGENT,
            connect_timeout=django_settings.FAIRPLACE_TERMS_CONNECT_TIMEOUT,
            timeout=django_settings.FAIRPLACE_TERMS_TIMEOUT,
            retries=django_settings.FAIRPLACE_TERMS_RETRIES,
            backoff=django_settings.FAIRPLACE_TERMS_BACKOFF,
            backoff_cap=django_settings.FAIRPLACE_TERMS_BACKOFF_CAP,
            per_host=django_settings.FAIRPLACE_TERMS_PER_HOST,
            max_bytes=django_settings.FAIRPLACE_TERMS_MAX_BYTES,
        )


class FetchError(Exception):
    """A fetch (or an extraction) that gave no usable text: ``kind`` (a ``FailureKind``), a French
    ``message``, ``retryable`` (whether trying again later may help) and the HTTP status if any."""

    def __init__(self, kind: str, message: str, *, retryable: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.status_code = status_code


@dataclass
class FetchResult:
    url: str
    final_url: str
    status_code: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    not_modified: bool = False
    attempts: int = 1
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    rendered: bool = False  # by Chromium

    @property
    def validators(self) -> dict:
        return {key: self.headers[key] for key in ("etag", "last-modified") if self.headers.get(key)}


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpFetcher:
    """See the module docstring. ``transport`` (tests: ``httpx.MockTransport``) and ``sleep`` are injectable."""

    def __init__(
        self, config: FetchSettings | None = None, *, transport: httpx.BaseTransport | None = None, sleep=time.sleep
    ):
        self.config = config or FetchSettings.from_settings()
        self.sleep = sleep
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
        self.client = httpx.Client(
            transport=transport,
            headers={
                "User-Agent": self.config.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Language": ACCEPT_LANGUAGE,
            },
            timeout=httpx.Timeout(self.config.timeout, connect=self.config.connect_timeout),
            follow_redirects=True,
            max_redirects=self.config.max_redirects,
            limits=httpx.Limits(max_connections=max(10, self.config.per_host * 8), max_keepalive_connections=20),
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        self.client.close()

    def host_slot(self, url: str) -> threading.BoundedSemaphore:
        host = (urlsplit(url).hostname or "").lower()
        with self._hosts_lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(max(1, self.config.per_host))
            return self._hosts[host]

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "") -> FetchResult:
        """GET ``url`` (conditionally when validators are given); raises ``FetchError``."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                with self.host_slot(url):
                    response, body = self._get(url, headers)
            except FetchError as error:
                if not error.retryable or attempt == attempts:
                    raise
                self.sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status in RETRY_STATUSES:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if attempt < attempts and (wait is None or wait <= self.config.backoff_cap):
                    self.sleep(self._backoff(attempt) if wait is None else wait)
                    continue
                raise status_error(
                    status, attempts=attempt, waited_too_long=wait is not None and wait > self.config.backoff_cap
                )
            if status == 304:
                return FetchResult(
                    url,
                    str(response.url),
                    status,
                    kept_headers(response.headers),
                    b"",
                    not_modified=True,
                    attempts=attempt,
                )
            if status >= 400 or status < 200:
                raise status_error(status, attempts=attempt)
            return FetchResult(url, str(response.url), status, kept_headers(response.headers), body, attempts=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return min(self.config.backoff_cap, self.config.backoff * 2 ** (attempt - 1))

    def _get(self, url: str, headers: dict) -> tuple[httpx.Response, bytes]:
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.config.max_bytes:
                        raise FetchError(
                            FailureKind.HTTP_ERROR,
                            f"Page trop volumineuse (plus de {self.config.max_bytes} octets).",
                            status_code=response.status_code,
                        )
                    chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.TimeoutException as exc:
            # A connection that cannot even be opened may be a passing glitch: retried. A server that stops
            # answering mid-page is waited for once only (retrying would multiply long waits).
            raise FetchError(
                FailureKind.TIMEOUT,
                f"Délai dépassé ({type(exc).__name__}) pour {url}.",
                retryable=isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout),
            ) from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(FailureKind.HTTP_ERROR, f"Trop de redirections pour {url}.") from exc
        except httpx.RemoteProtocolError as exc:
            if "complete message body" in str(exc) or "incomplete" in str(exc).lower():
                # The connection closed before the end of the body (Content-Length not reached).
                raise FetchError(
                    FailureKind.TRUNCATED, f"Réponse interrompue avant la fin de la page ({url}).", retryable=True
                ) from exc
            raise FetchError(
                FailureKind.HTTP_ERROR, f"Réponse HTTP invalide de {url} : {exc}.", retryable=True
            ) from exc
        except httpx.TransportError as exc:  # connection refused, DNS, TLS…
            raise FetchError(FailureKind.HTTP_ERROR, f"Connexion impossible à {url} : {exc}.", retryable=True) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(FailureKind.HTTP_ERROR, f"Adresse invalide {url} : {exc}.") from exc


def kept_headers(headers: Mapping[str, str]) -> dict:
    """The ``KEPT_HEADERS`` of a response (``httpx.Headers``, or a dict with lower-case names as Playwright's)."""
    return {key: headers[key] for key in KEPT_HEADERS if key in headers}


def status_error(status: int, *, attempts: int, waited_too_long: bool = False) -> FetchError:
    tries = f" après {attempts} essai(s)" if attempts > 1 else ""
    if status in BLOCKED_STATUSES:
        return FetchError(FailureKind.BLOCKED, f"Accès refusé par le site (HTTP {status}).", status_code=status)
    if status == 429:
        detail = " ; attente demandée (Retry-After) trop longue" if waited_too_long else ""
        return FetchError(
            FailureKind.BLOCKED, f"Trop de requêtes (HTTP 429){tries}{detail}.", retryable=True, status_code=status
        )
    if status >= 500:
        return FetchError(
            FailureKind.HTTP_ERROR, f"Erreur du serveur (HTTP {status}){tries}.", retryable=True, status_code=status
        )
    return FetchError(FailureKind.HTTP_ERROR, f"Réponse HTTP {status}.", status_code=status)
