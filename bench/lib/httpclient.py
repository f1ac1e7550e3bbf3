"""The load generator's HTTP clients: a raw asyncio HTTP/1.1 client and httpx, behind one form POST and one GET.

Each simulated browser sends its cookies explicitly (``Cookie`` header): neither client keeps any.
"""

import asyncio
import time
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlencode, urlsplit

import httpx


class NoCookies(DefaultCookiePolicy):
    """Each simulated seller sends its own cookies explicitly: the client jar stays empty."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


class RawClient:
    """A minimal HTTP/1.1 client on asyncio streams, one connection per request (as the sync
    worker and a reverse proxy do): ten times cheaper in CPU than httpx, which matters when
    the load generator shares two cores with the server and PostgreSQL."""

    class Error(Exception):
        pass

    # Sent with every request when set, as a browser does (bench/barometer.py: "gzip, deflate, br").
    accept_encoding = ""

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout

    async def post(self, path: str, body: bytes, cookie: str) -> tuple[int, str, bytes]:
        return await self._timed(self._request("POST", path, body, cookie))

    async def get(self, path: str, cookie: str) -> tuple[int, str, bytes]:
        return await self._timed(self._request("GET", path, None, cookie))

    async def _timed(self, request) -> tuple[int, str, bytes]:
        try:
            return await asyncio.wait_for(request, self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise RawClient.Error(f"{type(exc).__name__}: {exc}") from exc

    async def _request(self, method: str, path: str, body: bytes | None, cookie: str) -> tuple[int, str, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            form = (
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                if body is not None
                else ""
            )
            encoding = f"Accept-Encoding: {self.accept_encoding}\r\n" if self.accept_encoding else ""
            writer.write(
                f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: close\r\n"
                f"{form}{encoding}Cookie: {cookie}\r\n\r\n".encode("latin-1")
                + (body or b"")
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = headers.get("content-length")
            content = await (reader.readexactly(int(length)) if length is not None else reader.read())
            return status, headers.get("location", ""), content
        finally:
            writer.close()


# What a POST may raise (besides bugs): a transport error of either client.
ERRORS = (httpx.HTTPError, RawClient.Error)

CLIENTS = {
    "raw": "raw asyncio HTTP/1.1, one connection per POST",
    "httpx": "httpx.AsyncClient, keep-alive when the server allows it",
}


@asynccontextmanager
async def client_session(kind: str, base_url: str, timeout: float):
    """One simulated browser's client, ``kind`` one of CLIENTS: a RawClient, or an httpx.AsyncClient
    with at most two connections (a double click has two POSTs in flight) and no cookie jar."""
    if kind == "raw":
        yield RawClient(base_url, timeout)
        return
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=limits, cookies=CookieJar(policy=NoCookies())
    ) as client:
        yield client


async def get_page(client, path: str, cookie: str) -> tuple[int, str, bytes]:
    """GET ``path`` with the ``Cookie`` header ``cookie`` on a client of client_session: (status,
    Location header or "", body). Raises one of ERRORS."""
    if isinstance(client, RawClient):
        return await client.get(path, cookie)
    response = await client.get(path, headers={"Cookie": cookie})
    return response.status_code, response.headers.get("location", ""), response.content


async def post_form(client, path: str, data: dict, cookie: str) -> tuple[int, str, bytes]:
    """POST ``data`` form-encoded with the ``Cookie`` header ``cookie`` on a client of
    client_session: (status, Location header or "", body). Raises one of ERRORS."""
    if isinstance(client, RawClient):
        return await client.post(path, urlencode(data).encode(), cookie)
    response = await client.post(path, data=data, headers={"Cookie": cookie})
    return response.status_code, response.headers.get("location", ""), response.content


class LoadRun:
    """What ``load_get`` measured: latencies (seconds), errors by kind, a few error samples, the
    wall time, and the size of the last successful body."""

    def __init__(self):
        self.latencies, self.errors, self.samples, self.wall, self.body_bytes = [], {}, [], 0.0, 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


async def load_get(
    kind: str, base_url: str, path: str, *, clients: int, count: int, timeout: float, check=None, cookie: str = ""
) -> LoadRun:
    """``count`` GETs of ``path`` from ``clients`` concurrent clients (each request sent once, by
    whichever client is free). A request succeeds with a 200 whose body passes ``check(body)``
    (when given); anything else is counted in ``errors``."""
    remaining = iter(range(count))
    run = LoadRun()

    async def client_loop():
        async with client_session(kind, base_url, timeout) as client:
            for _ in remaining:  # shared iterator
                started = time.perf_counter()
                try:
                    status, location, body = await get_page(client, path, cookie)
                except ERRORS as exc:
                    status, location, body = type(exc).__name__, "", str(exc).encode()
                run.latencies.append(time.perf_counter() - started)
                if status == 200 and (check is None or check(body)):
                    run.body_bytes = len(body)
                    continue
                key = f"{status} {location}".strip() if status != 200 else "200 with unexpected content"
                run.errors[key] = run.errors.get(key, 0) + 1
                if len(run.samples) < 3:
                    run.samples.append(f"{path}: {key} {body[:200]!r}")

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(min(clients, count))))
    run.wall = time.perf_counter() - started
    return run


async def load_rounds(
    kind: str,
    base_url: str,
    targets: list[tuple[str, str]],
    checks: dict,
    *,
    clients: int,
    count: int,
    warmup: int,
    rounds: int,
    timeout: float,
    gunicorn_pid: int,
) -> dict:
    """Warm every ``(label, path)`` target (untimed; any error stops the run), then ``rounds``
    rounds of ``count`` GETs per target, targets in turn, so that a drift of the machine touches
    every target alike: {path: [LoadRun of each round, with ``cpu`` (server.cpu_used) set]}."""
    from bench.lib import server

    for label, path in targets:
        warm = await load_get(
            kind, base_url, path, clients=clients, count=warmup or 1, timeout=timeout, check=checks.get(path)
        )
        if warm.errors:
            raise RuntimeError(f"{label} ({path}) fails before timing: {warm.errors} {warm.samples}")
    runs = {path: [] for _label, path in targets}
    for number in range(1, rounds + 1):
        for label, path in targets:
            before = server.cpu_snapshot(gunicorn_pid)
            run = await load_get(
                kind, base_url, path, clients=clients, count=count, timeout=timeout, check=checks.get(path)
            )
            run.cpu = server.cpu_used(before, server.cpu_snapshot(gunicorn_pid))
            runs[path].append(run)
            print(f"round {number}/{rounds} {label}: {run.rate:.0f} req/s", flush=True)
    return runs
