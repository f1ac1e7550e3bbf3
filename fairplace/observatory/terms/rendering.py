"""Rendering the pages of documents that need JavaScript (``TrackedDocument.needs_js``) with Debian's Chromium,
through Playwright's sync API.

``ChromiumRenderer`` (one per tracking run, shared by its threads) owns Playwright and one browser:

* **One dedicated thread.** Playwright's sync objects must stay on the thread that created them, and that
  thread keeps an asyncio event loop running, where Django refuses ORM calls (``SynchronousOnlyOperation``:
  the browser journeys set ``DJANGO_ALLOW_ASYNC_UNSAFE`` for that reason). So Playwright and the browser
  live on a thread of their own (a one-thread executor, ``terms-chromium``) that never touches the database;
  the tracking threads submit a render there and wait for its ``FetchResult``. The renders of a run are
  therefore serialised, one page at a time: such documents are few, a browser per tracking thread would
  cost a launch (~1-2 s) and ~150 MB each, and would put event loops in threads that record snapshots.
* **Created lazily, closed at the end of the run.** Neither the thread nor the browser exist until the first
  render; ``close()`` closes the browser, stops Playwright and ends the thread (a later render starts them
  again). A browser that crashed is launched again at the next render; ``launches`` counts the launches.
* **Flags.** ``CHROMIUM_ARGS`` keeps Chromium off Google's services (background networking, component
  updates, sync, first run, QUIC) and off the GPU; ``--no-sandbox`` is added when running as root, where
  Chromium refuses to start with its sandbox. The executable is the ``FAIRPLACE_TERMS_CHROMIUM`` setting
  (default ``/usr/bin/chromium``); a missing executable, Playwright not installed or a browser
  that does not start is a ``FetchError`` with a French message (the operators' queue), remembered for the
  rest of the run so every document fails fast.
* **Waiting.** ``goto(wait_until="domcontentloaded")`` — not ``load``, which a slow tracker pixel or ad
  frame can hold back, nor ``networkidle``, which a page that polls never reaches — then the selected
  content (``TrackedDocument.select``, else ``body``): every selector must match and the matched elements
  must hold text that stayed the same for ``SETTLE_MS``. The whole render has ``FAIRPLACE_TERMS_TIMEOUT``
  seconds. A selector still absent at the end is a ``selector_missing`` failure;
  a page that never finishes loading is a ``timeout``; content present but still moving (or without visible
  text) is kept as it is and left to the extraction (which reports an empty text).
* **Evidence and failures as on the HTTP path.** Status, final URL (after redirects), kept headers and the
  rendered HTML (``page.content()``, UTF-8, capped at ``FAIRPLACE_TERMS_MAX_BYTES``); 401/403/407/451/429
  are ``blocked``, other 4xx and 5xx ``http_error`` (no retry within the run: the next run tries again).
  Each render takes a slot of the per-host limit (``host_slot``, the HTTP fetcher's when tracking), so HTTP
  fetches and renders together never exceed ``FAIRPLACE_TERMS_PER_HOST`` on one marketplace.
"""

import contextlib
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from .fetching import ACCEPT_LANGUAGE, FetchError, FetchResult, FetchSettings, kept_headers, status_error
from .models import FailureKind

CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
)
NO_SANDBOX = "--no-sandbox"
SETTLE_MS = 300  # the selected text must stay the same this long
POLL_MS = 100

# True once every selector matches and their text has not moved for ``quietMs``; state kept on ``window``
# between two polls (a navigation resets it). A selector the browser cannot parse is left to the extraction,
# which reports it. Text: ``innerText`` (what is shown), else the text without scripts (hidden content).
_READY = """([selectors, quietMs]) => {
  const textOf = (element) => {
    const shown = element.innerText;
    if (shown && shown.trim()) return shown;
    const copy = element.cloneNode(true);
    copy.querySelectorAll("script, style, noscript, template").forEach((node) => node.remove());
    return copy.textContent || "";
  };
  let text = "";
  for (const selector of selectors) {
    let found;
    try { found = document.querySelectorAll(selector); } catch (error) { continue; }
    if (!found.length) { window.__fairplaceSettle = null; return false; }
    for (const element of found) text += textOf(element) + "\\n";
  }
  if (!text.trim()) { window.__fairplaceSettle = null; return false; }
  const now = performance.now();
  const seen = window.__fairplaceSettle;
  if (!seen || seen.text !== text) { window.__fairplaceSettle = {text: text, since: now}; return false; }
  return now - seen.since >= quietMs;
}"""
_MISSING = """(selectors) => selectors.filter((selector) => {
  try { return !document.querySelector(selector); } catch (error) { return false; }
})"""


def chromium_executable() -> str:
    return settings.FAIRPLACE_TERMS_CHROMIUM


def launch_args() -> list[str]:
    """``CHROMIUM_ARGS``, plus ``--no-sandbox`` as root (Chromium refuses its sandbox to root)."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [*CHROMIUM_ARGS, *((NO_SANDBOX,) if root else ())]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ChromiumRenderer:
    """See the module docstring. ``host_slot(url)``: a context manager limiting renders per host (tracking
    passes ``HttpFetcher.host_slot``); ``executable``: else the ``FAIRPLACE_TERMS_CHROMIUM`` setting."""

    def __init__(self, config: FetchSettings | None = None, *, executable: str | None = None, host_slot=None):
        self.config = config or FetchSettings.from_settings()
        self.executable = executable or chromium_executable()
        self.host_slot = host_slot or (lambda url: contextlib.nullcontext())
        self.launches = 0
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        # Used on the renderer's thread only:
        self._playwright = None
        self._browser = None
        self._launch_error: FetchError | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def render(self, url: str, *, select=()) -> FetchResult:
        """``url`` as Chromium shows it once ``select`` (CSS selectors) holds settled text; raises ``FetchError``."""
        selectors = tuple(selector for selector in select or () if isinstance(selector, str)) or ("body",)
        with self.host_slot(url):
            return self._submit(self._render, url, selectors).result()

    def start(self) -> None:
        """Launch the browser now (it is otherwise launched by the first render); raises ``FetchError``."""
        self._submit(self._ensure_browser).result()

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.submit(self._stop).result()
            executor.shutdown(wait=True)

    def _submit(self, function, *args):
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terms-chromium")
            return self._executor.submit(function, *args)

    # On the renderer's thread ------------------------------------------------------------------------------

    def _ensure_browser(self):
        if self._browser is not None and self._browser.is_connected():
            return self._browser
        if self._launch_error is not None:
            error = self._launch_error
            raise FetchError(error.kind, error.message, retryable=error.retryable)
        self._stop()  # a browser that crashed: its Playwright goes too
        try:
            self._browser = self._launch()
        except FetchError as error:
            self._launch_error = error
            raise
        self.launches += 1
        return self._browser

    def _launch(self):
        executable = shutil.which(self.executable)
        if executable is None:
            raise FetchError(
                FailureKind.HTTP_ERROR,
                f"Chromium introuvable ou non exécutable : {self.executable} (réglage "
                "FAIRPLACE_TERMS_CHROMIUM). Installez le paquet Debian « chromium » ou corrigez le "
                "réglage ; les documents nécessitant JavaScript ne sont pas relevés.",
            )
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise FetchError(
                FailureKind.HTTP_ERROR,
                "Le module Python playwright n'est pas installé : les documents nécessitant "
                "JavaScript ne peuvent pas être relevés.",
            ) from exc
        try:
            self._playwright = sync_playwright().start()
            return self._playwright.chromium.launch(
                executable_path=executable, headless=True, args=launch_args(), timeout=self.config.timeout * 1000
            )
        except Exception as exc:  # PlaywrightError, or a driver that cannot even start
            self._stop()
            raise FetchError(
                FailureKind.HTTP_ERROR, f"Chromium ({executable}) ne démarre pas : {_first_line(exc)}"
            ) from exc

    def _stop(self) -> None:
        browser, playwright, self._browser, self._playwright = self._browser, self._playwright, None, None
        if browser is not None:
            with contextlib.suppress(Exception):  # already gone (crashed) or closing: nothing to keep
                browser.close()
        if playwright is not None:
            with contextlib.suppress(Exception):
                playwright.stop()

    def _render(self, url: str, selectors: tuple[str, ...]) -> FetchResult:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        browser = self._ensure_browser()
        deadline = time.monotonic() + self.config.timeout
        seconds = f"{self.config.timeout:g} s"
        try:
            context = browser.new_context(
                user_agent=self.config.user_agent,
                locale="fr-FR",
                extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE},
                service_workers="block",
            )
        except PlaywrightError as exc:
            raise FetchError(
                FailureKind.HTTP_ERROR, f"Chromium n'a pas pu ouvrir de page : {_first_line(exc)}", retryable=True
            ) from exc
        try:
            page = context.new_page()
            try:
                response = page.goto(url, wait_until="domcontentloaded", timeout=self.config.timeout * 1000)
            except PlaywrightTimeout as exc:
                raise FetchError(
                    FailureKind.TIMEOUT,
                    f"Délai dépassé ({seconds}) dans Chromium pour {url} : la page n'a pas fini de se charger.",
                    retryable=True,
                ) from exc
            if response is None:
                raise FetchError(
                    FailureKind.HTTP_ERROR, f"Chromium n'a reçu aucune réponse pour {url}.", retryable=True
                )
            status = response.status
            if status >= 400 or status < 200:
                raise status_error(status, attempts=1)
            headers = kept_headers(response.all_headers())
            remaining = max(0.0, deadline - time.monotonic())
            try:
                page.wait_for_function(
                    _READY, arg=[list(selectors), SETTLE_MS], polling=POLL_MS, timeout=max(1.0, remaining * 1000)
                )
            except PlaywrightTimeout:
                missing = page.evaluate(_MISSING, list(selectors))
                if missing:
                    raise FetchError(
                        FailureKind.SELECTOR_MISSING,
                        f"Le sélecteur « {missing[0]} » n'est pas apparu dans la page rendue par "
                        f"Chromium après {seconds}.",
                        status_code=status,
                    ) from None
                # Present but without settled visible text: the extraction decides (text, or "empty").
            html = page.content().encode("utf-8")
            if len(html) > self.config.max_bytes:
                raise FetchError(
                    FailureKind.HTTP_ERROR,
                    f"Page trop volumineuse (plus de {self.config.max_bytes} octets).",
                    status_code=status,
                )
            return FetchResult(url, page.url, status, headers, html, rendered=True)
        except PlaywrightTimeout as exc:
            raise FetchError(
                FailureKind.TIMEOUT, f"Délai dépassé ({seconds}) dans Chromium pour {url}.", retryable=True
            ) from exc
        except PlaywrightError as exc:
            message = _first_line(exc)
            kind = FailureKind.TIMEOUT if "TIMED_OUT" in message else FailureKind.HTTP_ERROR
            raise FetchError(kind, f"Chromium n'a pas pu afficher {url} : {message}", retryable=True) from exc
        finally:
            with contextlib.suppress(Exception):
                context.close()


def render_with_chromium(url: str, config: FetchSettings | None = None, *, select=()) -> FetchResult:
    """One page rendered by a browser launched for this call only (a tracking run shares one
    ``ChromiumRenderer`` between its documents instead); raises ``FetchError``."""
    with ChromiumRenderer(config) as renderer:
        return renderer.render(url, select=select)
