"""The HTTP fetcher (fetching.py) against httpx.MockTransport: retries, back-off, Retry-After, conditional
requests, the per-host limit, the User-Agent, the kept headers, and the failure kinds (the Chromium path:
test_chromium_rendering.py)."""

import threading
import time

import httpx
import pytest

from fairplace.observatory.terms.fetching import (
    USER_AGENT,
    FetchError,
    FetchSettings,
    HttpFetcher,
    kept_headers,
    retry_after_seconds,
)

URL = "https://vendeurs.exemple.test/cgv"


def fetcher_for(handler, **config):
    sleeps = []
    fetcher = HttpFetcher(FetchSettings(**config), transport=httpx.MockTransport(handler), sleep=sleeps.append)
    return fetcher, sleeps


def scripted(*responses):
    """A handler answering ``responses`` in turn (an exception instance is raised), recording the requests."""
    queue, seen = list(responses), []

    def handler(request):
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    handler.seen = seen
    return handler


def test_user_agent_and_accept_headers_are_sent():
    handler = scripted(httpx.Response(200, text="<p>ok</p>", headers={"ETag": '"v1"'}))
    fetcher, _ = fetcher_for(handler)
    result = fetcher.fetch(URL)
    request = handler.seen[0]
    assert request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("Fairplace-Observatoire/1.0 (+https://")
    assert "contact" in USER_AGENT
    assert "text/html" in request.headers["accept"]
    assert result.status_code == 200 and result.body == b"<p>ok</p>" and result.final_url == URL
    assert result.validators == {"etag": '"v1"'}


def test_server_errors_are_retried_with_exponential_backoff():
    handler = scripted(httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok"))
    fetcher, sleeps = fetcher_for(handler, backoff=2.0, retries=3)
    result = fetcher.fetch(URL)
    assert result.status_code == 200 and result.attempts == 3
    assert sleeps == [2.0, 4.0]


def test_retries_exhausted_is_a_retryable_http_error():
    handler = scripted(*[httpx.Response(500)] * 4)
    fetcher, sleeps = fetcher_for(handler, backoff=1.0, retries=3)
    with pytest.raises(FetchError) as error:
        fetcher.fetch(URL)
    assert (error.value.kind, error.value.retryable, error.value.status_code) == ("http_error", True, 500)
    assert len(handler.seen) == 4 and sleeps == [1.0, 2.0, 4.0]
    assert "4 essai(s)" in error.value.message


def test_backoff_is_capped():
    handler = scripted(*[httpx.Response(503)] * 5)
    fetcher, sleeps = fetcher_for(handler, backoff=10.0, retries=4, backoff_cap=25.0)
    with pytest.raises(FetchError):
        fetcher.fetch(URL)
    assert sleeps == [10.0, 20.0, 25.0, 25.0]


def test_429_honours_retry_after_within_the_cap():
    handler = scripted(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, text="ok"))
    fetcher, sleeps = fetcher_for(handler, backoff_cap=60.0)
    assert fetcher.fetch(URL).status_code == 200
    assert sleeps == [7.0]


def test_429_with_a_retry_after_beyond_the_cap_is_not_waited():
    handler = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    fetcher, sleeps = fetcher_for(handler, backoff_cap=60.0)
    with pytest.raises(FetchError) as error:
        fetcher.fetch(URL)
    assert sleeps == [] and error.value.kind == "blocked" and error.value.retryable
    assert "Retry-After" in error.value.message


def test_retry_after_as_an_http_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("bientôt") is None and retry_after_seconds(None) is None


def test_connection_errors_are_retried():
    handler = scripted(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(200, text="ok"))
    fetcher, sleeps = fetcher_for(handler, backoff=0.5)
    assert fetcher.fetch(URL).attempts == 3
    assert sleeps == [0.5, 1.0]


def test_connect_timeout_exhausted_and_read_timeout_are_timeouts():
    fetcher, sleeps = fetcher_for(scripted(*[httpx.ConnectTimeout("slow")] * 3), retries=2)
    with pytest.raises(FetchError) as connect:
        fetcher.fetch(URL)
    assert (connect.value.kind, connect.value.retryable, len(sleeps)) == ("timeout", True, 2)
    fetcher, sleeps = fetcher_for(scripted(httpx.ReadTimeout("stalled")), retries=2)
    with pytest.raises(FetchError) as read:
        fetcher.fetch(URL)
    assert (read.value.kind, read.value.retryable, sleeps) == ("timeout", False, [])


def test_timeouts_come_from_the_settings():
    fetcher = HttpFetcher(FetchSettings(timeout=12.0, connect_timeout=3.0))
    assert fetcher.client.timeout.read == 12.0 and fetcher.client.timeout.connect == 3.0
    fetcher.close()


def test_fetch_settings_from_the_django_settings(settings):
    settings.FAIRPLACE_TERMS_PER_HOST = 5
    settings.FAIRPLACE_TERMS_TIMEOUT = 9.5
    settings.FAIRPLACE_TERMS_RETRIES = 3
    settings.FAIRPLACE_TERMS_USER_AGENT = ""
    config = FetchSettings.from_settings()
    assert config.per_host == 5 and config.timeout == 9.5 and config.retries == 3
    assert config.user_agent == USER_AGENT  # empty: the observatory's own
    settings.FAIRPLACE_TERMS_USER_AGENT = "Observatoire (contact: test@example.org)"
    assert FetchSettings.from_settings().user_agent == "Observatoire (contact: test@example.org)"


def test_incomplete_body_is_truncated():
    error = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    fetcher, _ = fetcher_for(scripted(error, error), retries=1)
    with pytest.raises(FetchError) as raised:
        fetcher.fetch(URL)
    assert raised.value.kind == "truncated"


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (403, "blocked", False),
        (401, "blocked", False),
        (451, "blocked", False),
        (404, "http_error", False),
        (410, "http_error", False),
    ],
)
def test_client_errors_are_not_retried(status, kind, retryable):
    handler = scripted(httpx.Response(status))
    fetcher, sleeps = fetcher_for(handler)
    with pytest.raises(FetchError) as error:
        fetcher.fetch(URL)
    assert (error.value.kind, error.value.retryable, error.value.status_code) == (kind, retryable, status)
    assert sleeps == [] and len(handler.seen) == 1


def test_conditional_request_and_304():
    handler = scripted(httpx.Response(304, headers={"ETag": '"v1"'}))
    fetcher, _ = fetcher_for(handler)
    result = fetcher.fetch(URL, etag='"v1"', last_modified="Tue, 01 Oct 2024 08:00:00 GMT")
    assert result.not_modified and result.body == b""
    assert handler.seen[0].headers["if-none-match"] == '"v1"'
    assert handler.seen[0].headers["if-modified-since"] == "Tue, 01 Oct 2024 08:00:00 GMT"
    plain = scripted(httpx.Response(200, text="x"))
    fetcher, _ = fetcher_for(plain)
    fetcher.fetch(URL)
    assert "if-none-match" not in plain.seen[0].headers and "if-modified-since" not in plain.seen[0].headers


def test_redirects_are_followed_and_the_final_url_kept():
    def handler(request):
        if request.url.path == "/cgv":
            return httpx.Response(301, headers={"Location": "https://vendeurs.exemple.test/fr/cgv"})
        return httpx.Response(200, text="ok")

    fetcher, _ = fetcher_for(handler)
    assert fetcher.fetch(URL).final_url == "https://vendeurs.exemple.test/fr/cgv"


def test_kept_headers_from_httpx_or_from_chromium():
    response = httpx.Response(200, headers={"Content-Type": "text/html", "Set-Cookie": "a=1", "ETag": '"v1"'})
    assert kept_headers(response.headers) == {"content-type": "text/html", "etag": '"v1"'}
    # Playwright gives a plain dict with lower-case names
    assert kept_headers({"content-type": "text/html", "set-cookie": "a=1", "location": "/fr"}) == {
        "content-type": "text/html",
        "location": "/fr",
    }


def test_oversized_body_is_refused():
    fetcher, _ = fetcher_for(scripted(httpx.Response(200, content=b"x" * 2000)), max_bytes=1000)
    with pytest.raises(FetchError) as error:
        fetcher.fetch(URL)
    assert error.value.kind == "http_error" and not error.value.retryable


def test_per_host_concurrency_limit():
    lock, active, peak = threading.Lock(), {}, {}

    def handler(request):
        host = request.url.host
        with lock:
            active[host] = active.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), active[host])
        time.sleep(0.05)
        with lock:
            active[host] -= 1
        return httpx.Response(200, text="ok")

    fetcher, _ = fetcher_for(handler, per_host=2)
    urls = [f"https://a.test/{n}" for n in range(8)] + [f"https://b.test/{n}" for n in range(8)]
    threads = [threading.Thread(target=fetcher.fetch, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == {"a.test": 2, "b.test": 2}
