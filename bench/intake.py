#!/usr/bin/env python
"""Load benchmark of the reporting wizard's final step (issue: intake throughput).

Complete report submissions (``POST /signaler/recapitulatif/``: the same server-side
validation and persistence as a seller's last click) against gunicorn on PostgreSQL, from
concurrent HTTP clients, with a share of double submissions (double click, browser retry).

    .venv/bin/python bench/intake.py [--clients 16] [--requests 2000] [--workers 3]
                                     [--threads 1] [--retry-share 0.2]

The script (re)creates the bench database (its name must contain "bench"), prepares the
complete drafts (and the wizard cookie of each) through the ORM, starts gunicorn with
``config.settings.bench``, measures, checks the database against the responses, prints a
table and writes it to ``bench/results/intake-<timestamp>.txt``. See bench/README.md.
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
SETTINGS = "config.settings.bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fairplace_bench"
FINAL_STEP = "/signaler/recapitulatif/"
RECEIPT = "/signaler/recu/"
TARGET_RATE = 100.0
CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--requests", type=int, default=2000, help="distinct drafts submitted (default 2000)")
    parser.add_argument("--workers", type=int, default=3,
                        help="gunicorn worker processes (default 3: the best of 2-6 on 2 cores)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker; above 1 the gthread worker is used (default 1: sync)")
    parser.add_argument("--retry-share", type=float, default=0.2,
                        help="share of drafts POSTed twice, half concurrently, half back-to-back (default 0.2)")
    parser.add_argument("--warmup", type=int, default=64,
                        help="drafts submitted before the timed phase (checked, not timed; default 64)")
    parser.add_argument("--http-client", choices=["raw", "httpx"], default="raw",
                        help="load generator: raw asyncio HTTP/1.1 (light, default) or httpx.AsyncClient")
    parser.add_argument("--wsgi-app", default="config.wsgi:application",
                        help="WSGI application for gunicorn (to A/B a patched app; default config.wsgi:application)")
    parser.add_argument("--settings", default=SETTINGS,
                        help=f"Django settings of the server and of the data preparation (default {SETTINGS})")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    parser.add_argument("--count-queries", action="store_true",
                        help="after the run, count the SQL queries of one final step (in-process)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--clients, --requests, --workers and --threads must be at least 1")
    if not 0 <= args.retry_share <= 1:
        parser.error("--retry-share must be between 0 and 1")
    if "bench" not in (urlsplit(args.database_url).path.lstrip("/")):
        parser.error("the database is dropped and recreated: its name must contain 'bench'")
    return args


# Database and Django -----------------------------------------------------------------------

def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    params = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 5432,
              "user": parts.username or "postgres", "dbname": "postgres", "autocommit": True}
    if parts.password:
        params["password"] = parts.password
    with psycopg.connect(**params) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str, settings_module: str = SETTINGS) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["DATABASE_URL"] = url
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

    django.setup()


def migrate() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate", verbosity=0, interactive=False, stdout=out)
    call_command("createcachetable", verbosity=0, stdout=out)
    call_command("load_reference_data", stdout=out)


# Data ------------------------------------------------------------------------------------

def make_siret(rng: random.Random) -> str:
    """A random SIRET that passes python-stdnum: SIREN (8 digits + Luhn), NIC, Luhn."""
    from stdnum import luhn
    from stdnum.fr import siret as stdnum_siret

    for _ in range(100):
        base = str(rng.randrange(10**7, 10**8))
        siren = base + luhn.calc_check_digit(base)
        if siren == "356000000":  # La Poste follows another rule
            continue
        body = siren + f"{rng.randrange(1, 10**4):04d}"
        siret = body + luhn.calc_check_digit(body)
        if stdnum_siret.is_valid(siret):
            return siret
    raise RuntimeError("could not generate a valid SIRET")


FIRST_NAMES = ["Camille", "Dominique", "Karim", "Léa", "Nathalie", "Olivier", "Sophie", "Thomas", "Yasmine"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Nguyen", "Petit", "Roux", "Traoré"]
COMPANIES = ["Atelier Martin", "Boutique du Port", "Céramiques Roux", "Librairie des Halles", "Savonnerie Petit"]
SIZES = ["micro", "small", "medium", "large", "unknown"]


def complete_steps(family, marketplace: str, siret: str, email: str, consent: str, rng: random.Random,
                   occurred_on: str) -> dict:
    """The stored steps of a finished wizard, shaped like tests/conftest.py::complete_steps."""
    from fairplace.reports.demo import example_answers

    other = marketplace == "autre"
    return {
        "plateforme": {"marketplace": marketplace, "other_name": "Boutique Exemple" if other else "",
                       "other_url": "https://www.boutique-exemple.fr" if other else ""},
        "probleme": {"family": family.code},
        f"details.{family.code}": example_answers(family.questions, occurred_on),
        "description": {"description": "Mon compte a été suspendu du jour au lendemain sans aucune explication, "
                                       f"alors que mes ventes étaient régulières (dossier {rng.randrange(10**6)})."},
        "entreprise": {"siret": siret, "company_name": rng.choice(COMPANIES), "company_size": rng.choice(SIZES),
                       "naf_code": rng.choice(["47.91B", "47.91A", ""]), "company_source": "manual"},
        "contact": {"first_name": rng.choice(FIRST_NAMES), "last_name": rng.choice(LAST_NAMES), "email": email,
                    "phone": rng.choice(["", "06 12 34 56 78"])},
        "choix": {"consent": consent},
    }


class Job:
    __slots__ = ("draft_id", "submit_key", "csrf", "retry", "timed", "cookie")

    def __init__(self, draft_id, submit_key, csrf, retry, timed):
        from django.conf import settings

        from fairplace.reports.views import wizard_cookies

        self.draft_id, self.submit_key = draft_id, submit_key
        self.csrf, self.retry, self.timed = csrf, retry, timed
        # The wizard keeps its place in a signed cookie holding the draft id (no session).
        draft_cookie = wizard_cookies.sign(wizard_cookies.DRAFT, draft_id)
        self.cookie = f"{wizard_cookies.DRAFT}={draft_cookie}; {settings.CSRF_COOKIE_NAME}={csrf}"


def prepare(count: int, warmup: int, retry_share: float, seed: int) -> tuple[list[Job], list[Job]]:
    """Complete drafts (e-mail verified), bulk-created, and a wizard cookie for each."""
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from fairplace.platforms.models import Marketplace
    from fairplace.reports import intake
    from fairplace.reports.models import Consent, ProblemFamily, ReportDraft

    rng = random.Random(seed)
    families = list(ProblemFamily.objects.filter(is_active=True).order_by("position"))
    marketplaces = list(Marketplace.objects.active().values_list("slug", flat=True)) + ["autre"]
    consents = [choice.value for choice in Consent]
    occurred_on = (timezone.localdate() - timedelta(days=30)).isoformat()
    # Most sellers report once; a few report several times (their SellerContact is reused).
    regulars = [f"vendeur.habitue{i}@exemple.fr" for i in range(20)]
    total = count + warmup
    drafts = []
    for i in range(total):
        email = rng.choice(regulars) if rng.random() < 0.1 else f"vendeur{i}.{seed}@exemple.fr"
        steps = complete_steps(families[i % len(families)], marketplaces[i % len(marketplaces)], make_siret(rng),
                               email, consents[i % len(consents)], rng, occurred_on)
        drafts.append(ReportDraft(id=uuid.uuid4(), submit_key=uuid.uuid4(), steps=steps, email_verified=email))
    ReportDraft.objects.bulk_create(drafts, batch_size=500)

    # Every generated shape must pass the final step's validation before anything is timed.
    seen = set()
    for draft in ReportDraft.objects.filter(pk__in=[d.pk for d in drafts[: len(families) * len(marketplaces)]]):
        shape = (draft.steps["probleme"]["family"], draft.steps["plateforme"]["marketplace"] == "autre")
        if shape in seen:
            continue
        seen.add(shape)
        intake.validate_draft(draft)
        if intake.first_incomplete_step(draft) != "recapitulatif":
            raise RuntimeError(f"generated draft {draft.pk} is not complete")

    jobs = []
    retry_indexes = set(rng.sample(range(warmup, total), round(retry_share * count)))
    flip = 0
    for i, draft in enumerate(drafts):
        retry = None
        if i in retry_indexes:
            retry, flip = ("concurrent", "sequential")[flip], 1 - flip
        jobs.append(Job(str(draft.pk), str(draft.submit_key), get_random_string(32, CSRF_CHARS), retry,
                        timed=i >= warmup))
    rng.shuffle(jobs)
    return [job for job in jobs if not job.timed], [job for job in jobs if job.timed]


# gunicorn ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, workers: int, threads: int, app: str) -> list[str]:
    executable = Path(sys.executable).parent / "gunicorn"
    if not executable.exists():
        executable = Path(shutil.which("gunicorn") or "gunicorn")
    return [str(executable), app, "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "gthread" if threads > 1 else "sync",
            "--threads", str(threads), "--timeout", "120", "--graceful-timeout", "20",
            "--backlog", "2048", "--log-level", "warning"]


def start_gunicorn(command: list[str], url: str, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"], "DATABASE_URL": url,
           "PYTHONUNBUFFERED": "1",
           # WhiteNoise warns once per worker that there is no collectstatic output: not a finding.
           "PYTHONWARNINGS": "ignore:No directory at:UserWarning"}
    log = log_path.open("wb")
    try:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()


def wait_healthy(proc: subprocess.Popen, base_url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session, started above
        proc.wait(timeout=10)


# CPU accounting (Linux /proc) --------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _machine() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def cpu_snapshot(gunicorn_pid: int) -> dict:
    return {
        "machine": _machine(),
        "gunicorn": {pid: _cpu_of(pid) for pid in [gunicorn_pid, *_children(gunicorn_pid)]},
        "postgres": {pid: _cpu_of(pid) for pid in _postgres_pids()},
        "bench": time.process_time(),
    }


def cpu_used(before: dict, after: dict) -> dict:
    def delta(group):
        return sum(value - before[group].get(pid, 0.0) for pid, value in after[group].items())

    used = {"gunicorn": delta("gunicorn"), "postgres": delta("postgres"), "bench": after["bench"] - before["bench"]}
    busy = after["machine"][0] - before["machine"][0]
    used["others"] = max(0.0, busy - sum(used.values()))  # anything else running on the machine
    used["steal"] = after["machine"][1] - before["machine"][1]
    return used


# Load --------------------------------------------------------------------------------------

class Outcome:
    def __init__(self):
        self.latencies: list[float] = []
        self.posts = 0
        self.retries = 0
        self.errors: Counter = Counter()
        self.samples: list[str] = []
        self.succeeded: list[str] = []  # submit keys whose every POST got the receipt redirect
        self.failed: list[str] = []


class _NoCookies(DefaultCookiePolicy):
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

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout

    async def post(self, path: str, body: bytes, cookie: str) -> tuple[int, str, bytes]:
        try:
            return await asyncio.wait_for(self._post(path, body, cookie), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise RawClient.Error(f"{type(exc).__name__}: {exc}") from exc

    async def _post(self, path: str, body: bytes, cookie: str) -> tuple[int, str, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: close\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                f"Cookie: {cookie}\r\n\r\n".encode("latin-1") + body)
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


async def _post(client, job: Job, outcome: Outcome) -> bool:
    import httpx

    cookie = job.cookie
    data = {"csrfmiddlewaretoken": job.csrf, "accuracy": "on", "submit_key": job.submit_key}
    started = time.perf_counter()
    try:
        if isinstance(client, RawClient):
            status, location, content = await client.post(FINAL_STEP, urlencode(data).encode(), cookie)
        else:
            response = await client.post(FINAL_STEP, data=data, headers={"Cookie": cookie})
            status, location, content = response.status_code, response.headers.get("location", ""), response.content
    except (httpx.HTTPError, RawClient.Error) as exc:
        outcome.latencies.append(time.perf_counter() - started)
        outcome.posts += 1
        outcome.errors[type(exc).__name__] += 1
        if len(outcome.samples) < 5:
            outcome.samples.append(f"{type(exc).__name__}: {exc}")
        return False
    outcome.latencies.append(time.perf_counter() - started)
    outcome.posts += 1
    if status == 302 and urlsplit(location).path == RECEIPT:
        return True
    outcome.errors[f"{status} {urlsplit(location).path}".strip()] += 1
    if len(outcome.samples) < 5:
        outcome.samples.append(f"{status} location={location!r} body={content[:200]!r}")
    return False


async def _submit(client, job: Job, outcome: Outcome) -> None:
    if job.retry == "concurrent":  # double click: two POSTs in flight at once
        outcome.retries += 1
        results = await asyncio.gather(_post(client, job, outcome), _post(client, job, outcome))
    elif job.retry == "sequential":  # browser retry: the same POST again after the answer
        outcome.retries += 1
        results = [await _post(client, job, outcome)]
        results.append(await _post(client, job, outcome))
    else:
        results = [await _post(client, job, outcome)]
    (outcome.succeeded if all(results) else outcome.failed).append(job.submit_key)


async def run_load(base_url: str, jobs: list[Job], clients: int, timeout: float,
                   http_client: str = "raw") -> tuple[Outcome, float]:
    import httpx

    outcome = Outcome()
    queue = iter(jobs)

    async def seller():
        if http_client == "raw":
            client = RawClient(base_url, timeout)
            for job in queue:  # shared iterator: each job is taken once
                await _submit(client, job, outcome)
            return
        limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits,
                                     cookies=CookieJar(policy=_NoCookies())) as client:
            for job in queue:  # shared iterator: each job is taken once
                await _submit(client, job, outcome)

    started = time.perf_counter()
    await asyncio.gather(*(seller() for _ in range(min(clients, len(jobs)))))
    return outcome, time.perf_counter() - started


# Checks ------------------------------------------------------------------------------------

def check_database(jobs: list[Job], succeeded: set[str]) -> dict:
    from django.db import connections

    from fairplace.core.models import OutboxMessage
    from fairplace.reports.models import Report, ReportDraft, ReportEvent

    connections.close_all()
    keys = {str(key) for key in Report.objects.values_list("idempotency_key", flat=True)}
    reports = Report.objects.count()
    bench_keys = {job.submit_key for job in jobs}
    linked = {str(key) for key in ReportDraft.objects.filter(report__isnull=False).values_list("submit_key", flat=True)}
    return {
        "reports": reports,
        "distinct_keys": len(keys),
        # more than one report per key, or reports that no submitted draft explains
        "duplicates": (reports - len(keys)) + len(keys - bench_keys),
        "lost": len(succeeded - keys),
        "unlinked": len(succeeded - linked),
        "without_success": len((keys & bench_keys) - succeeded),
        "events": ReportEvent.objects.filter(code="report.submitted").count(),
        "receipts": OutboxMessage.objects.filter(template="report_receipt").count(),
    }


def count_queries(database_url: str, seed: int) -> list[str]:
    """One final step in-process (Django test client, same middleware and settings), warm."""
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    _, jobs = prepare(3, 0, 0.0, seed + 1000)
    lines = []

    def post(job):
        client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        for pair in job.cookie.split("; "):
            name, value = pair.split("=", 1)
            client.cookies[name] = value
        data = {"csrfmiddlewaretoken": job.csrf, "accuracy": "on", "submit_key": job.submit_key}
        db_time = [0.0]

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                db_time[0] += time.perf_counter() - started

        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timed):
            started = time.perf_counter()
            response = client.post(FINAL_STEP, data)
            elapsed = time.perf_counter() - started
        assert response.status_code == 302 and response["Location"] == RECEIPT, response
        return ctx.captured_queries, elapsed, db_time[0]

    connections.close_all()
    post(jobs[0])  # warm caches (URL resolver, templates, translations)
    for label, job in (("first submission", jobs[1]), ("retry of a submitted draft", jobs[1])):
        queries, elapsed, db_time = post(job)
        kinds = Counter(_query_kind(q["sql"]) for q in queries)
        lines.append(f"{label}: {len(queries)} queries, {elapsed * 1000:.1f} ms in-process "
                     f"({db_time * 1000:.1f} ms waiting for the database)")
        lines.extend(f"    {n:2d} x {kind}" for kind, n in kinds.most_common())
    return lines


def _query_kind(sql: str) -> str:
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    table = "?"
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in words[:40]:
            index = words.index(marker)
            if index + 1 < len(words):
                table = words[index + 1]
                break
    if verb == "UPDATE" and len(words) > 1:
        table = words[1]
    if "FOR" in words and "UPDATE" in words[words.index("FOR"):]:
        verb += " … FOR UPDATE"
    return f"{verb} {table}".strip()


# Report ------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else 0.0


def render_table(args, command, outcome, wall, checks, cpu, warm, versions) -> tuple[str, bool]:
    unique = len(outcome.succeeded)
    rate = unique / wall if wall else 0.0
    errors = sum(outcome.errors.values())
    ms = [latency * 1000 for latency in outcome.latencies]
    criteria = {
        f"submissions/s >= {TARGET_RATE:.0f}": rate >= TARGET_RATE,
        "lost = 0": checks["lost"] == 0 and checks["unlinked"] == 0,
        "duplicates = 0": checks["duplicates"] == 0,
        "errors = 0": errors == 0 and warm["errors"] == 0,
    }
    passed = all(criteria.values())
    kind = f"gthread, {args.threads} threads/worker" if args.threads > 1 else "sync"
    client_kind = ("raw asyncio HTTP/1.1, one connection per POST" if args.http_client == "raw"
                   else "httpx.AsyncClient, keep-alive when the server allows it")
    if args.wsgi_app != "config.wsgi:application":
        kind += f", app {args.wsgi_app}"
    if args.settings != SETTINGS:
        kind += f", settings {args.settings}"
    rows = [
        ("server", f"gunicorn {versions['gunicorn']}, {args.workers} workers ({kind}), PostgreSQL {versions['pg']}"),
        ("app code", versions["code"]),
        ("machine", f"{os.cpu_count()} CPUs; Python {versions['python']}, Django {versions['django']}"),
        ("clients", f"{args.clients} concurrent ({client_kind}, one process)"),
        ("requests", f"{len(outcome.succeeded) + len(outcome.failed)} drafts timed "
                     f"(+{warm['drafts']} warm-up drafts, not timed)"),
        ("retry share", f"{args.retry_share:.0%} of drafts POSTed twice (half concurrent, half back-to-back)"),
        ("wall time", f"{wall:.2f} s"),
        ("submissions/s", f"{rate:.1f}  (successful unique submissions / wall time)"),
        ("POSTs/s", f"{outcome.posts / wall if wall else 0:.1f}  ({outcome.posts} POSTs incl. retries)"),
        ("latency p50", f"{statistics.median(ms) if ms else 0:.1f} ms"),
        ("latency p95", f"{percentile(ms, 0.95):.1f} ms"),
        ("latency max", f"{max(ms) if ms else 0:.1f} ms"),
        ("successes", f"{len(outcome.succeeded)} drafts (every POST answered 302 -> {RECEIPT})"),
        ("errors", f"{errors}" + (f"  {dict(outcome.errors)}" if errors else "")),
        ("retries sent", f"{outcome.retries}"),
        ("reports in DB", f"{checks['reports']}  (vs {len(outcome.succeeded) + warm['succeeded']} successful "
                          f"drafts incl. warm-up)"),
        ("distinct keys in DB", f"{checks['distinct_keys']}"),
        ("duplicates", f"{checks['duplicates']}"),
        ("lost", f"{checks['lost']}  (successful drafts without a report; {checks['unlinked']} not linked "
                 f"to their draft)"),
        ("reports w/o success", f"{checks['without_success']}  (created although a response failed)"),
        ("events / receipts", f"{checks['events']} report.submitted events, {checks['receipts']} receipts queued"),
        ("CPU during run", f"gunicorn {cpu['gunicorn']:.1f} s, postgres {cpu['postgres']:.1f} s, "
                           f"load generator {cpu['bench']:.1f} s, other processes {cpu['others']:.1f} s, "
                           f"stolen {cpu['steal']:.1f} s  (of {wall * (os.cpu_count() or 1):.1f} core-seconds)"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"$ {command}", ""]
    lines += [f"{name.ljust(width)}  {value}" for name, value in rows]
    if outcome.samples:
        lines += ["", "error samples:"] + [f"  {sample}" for sample in outcome.samples]
    verdict = ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in criteria.items())
    lines += ["", f"{'PASS' if passed else 'FAIL'}: {verdict}"]
    return "\n".join(lines), passed


def code_fingerprint() -> str:
    """Hash of the application's code and templates, and when they last changed: the tree may
    change between two runs, and this tells which code a table measured."""
    import hashlib

    digest, newest = hashlib.sha256(), 0.0
    for folder in ("fairplace", "config"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".html", ".txt", ".yaml"} and path.is_file():
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
                newest = max(newest, path.stat().st_mtime)
    return f"{digest.hexdigest()[:12]} (last change {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(newest))})"


def versions_of(url: str) -> dict:
    import django
    import gunicorn
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    return {"python": sys.version.split()[0], "django": django.get_version(), "gunicorn": gunicorn.__version__,
            "pg": pg, "code": code_fingerprint()}


# Main --------------------------------------------------------------------------------------

def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/intake.py", *(sys.argv[1:] if argv is None else argv)])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    print(f"database: recreating {urlsplit(args.database_url).path.lstrip('/')} …", flush=True)
    recreate_database(args.database_url)
    setup_django(args.database_url, args.settings)
    migrate()
    started = time.perf_counter()
    warm_jobs, jobs = prepare(args.requests, args.warmup, args.retry_share, args.seed)
    print(f"data: {len(jobs) + len(warm_jobs)} complete drafts in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    versions = versions_of(args.database_url)
    from django.db import connections

    connections.close_all()

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = RESULTS_DIR / f"gunicorn-{stamp}.log"
    gunicorn_cmd = gunicorn_command(port, args.workers, args.threads, args.wsgi_app)
    print(f"server: {' '.join(gunicorn_cmd[1:])}", flush=True)
    proc = start_gunicorn(gunicorn_cmd, args.database_url, log_path)
    try:
        wait_healthy(proc, base_url)
        warm_outcome, _ = asyncio.run(run_load(base_url, warm_jobs, args.clients, args.timeout, args.http_client))
        print(f"warm-up: {len(warm_outcome.succeeded)}/{len(warm_jobs)} drafts ok; timing "
              f"{len(jobs)} drafts …", flush=True)
        before = cpu_snapshot(proc.pid)
        outcome, wall = asyncio.run(run_load(base_url, jobs, args.clients, args.timeout, args.http_client))
        cpu = cpu_used(before, cpu_snapshot(proc.pid))
    finally:
        stop_gunicorn(proc)
    if proc.returncode not in (0, None):
        print(f"warning: gunicorn exited with status {proc.returncode} (log: {log_path})")

    succeeded = set(outcome.succeeded) | set(warm_outcome.succeeded)
    checks = check_database(jobs + warm_jobs, succeeded)
    warm = {"drafts": len(warm_jobs), "succeeded": len(warm_outcome.succeeded),
            "errors": sum(warm_outcome.errors.values())}
    table, passed = render_table(args, command, outcome, wall, checks, cpu, warm, versions)
    if args.count_queries:
        table += "\n\nqueries of one final step (in-process, warm):\n" + "\n".join(
            "  " + line for line in count_queries(args.database_url, args.seed))
    print()
    print(table)
    result_path = RESULTS_DIR / f"intake-{stamp}.txt"
    result_path.write_text(table + "\n", encoding="utf-8")
    if log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()
    kept = f"; gunicorn log: {log_path.relative_to(ROOT)}" if log_path.exists() else ""
    print(f"\n(written to {result_path.relative_to(ROOT)}{kept})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
