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

What is specific to the intake lives here (drafts, load, checks, table); the server, the HTTP
clients, the query counting and the table layout come from bench/lib/, shared by benchmarks.
"""

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

if (_root := str(Path(__file__).resolve().parent.parent)) not in sys.path:
    sys.path.insert(0, _root)  # run as a script: make bench.lib (and config, fairplace) importable

from bench.lib import RESULTS_DIR, server
from bench.lib.httpclient import CLIENTS, ERRORS, client_session, post_form
from bench.lib.queries import browser, describe, measure
from bench.lib.stats import aligned, latency_rows, publish, verdict

FINAL_STEP = "/signaler/recapitulatif/"
RECEIPT = "/signaler/recu/"
TARGET_RATE = 100.0
CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--requests", type=int, default=2000, help="distinct drafts submitted (default 2000)")
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn worker processes (default 3: the best of 2-6 on 2 cores)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per worker; above 1 the gthread worker is used (default 1: sync)",
    )
    parser.add_argument(
        "--retry-share",
        type=float,
        default=0.2,
        help="share of drafts POSTed twice, half concurrently, half back-to-back (default 0.2)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=64,
        help="drafts submitted before the timed phase (checked, not timed; default 64)",
    )
    parser.add_argument(
        "--http-client",
        choices=list(CLIENTS),
        default="raw",
        help="load generator: raw asyncio HTTP/1.1 (light, default) or httpx.AsyncClient",
    )
    parser.add_argument(
        "--wsgi-app",
        default=server.APP,
        help="WSGI application for gunicorn (to A/B a patched app; default config.wsgi:application)",
    )
    parser.add_argument(
        "--settings",
        default=server.SETTINGS,
        help=f"Django settings of the server and of the data preparation (default {server.SETTINGS})",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", server.DEFAULT_DATABASE_URL))
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    parser.add_argument(
        "--count-queries",
        action="store_true",
        help="after the run, count the SQL queries of one final step (in-process)",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--clients, --requests, --workers and --threads must be at least 1")
    if not 0 <= args.retry_share <= 1:
        parser.error("--retry-share must be between 0 and 1")
    if not server.is_bench_database(args.database_url):
        parser.error("the database is dropped and recreated: its name must contain 'bench'")
    return args


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


def complete_steps(
    family, marketplace: str, siret: str, email: str, consent: str, rng: random.Random, occurred_on: str
) -> dict:
    """The stored steps of a finished wizard, shaped like tests/conftest.py::complete_steps."""
    from fairplace.reports.demo import example_answers

    other = marketplace == "autre"
    return {
        "plateforme": {
            "marketplace": marketplace,
            "other_name": "Boutique Exemple" if other else "",
            "other_url": "https://www.boutique-exemple.fr" if other else "",
        },
        "probleme": {"family": family.code},
        f"details.{family.code}": example_answers(family.questions, occurred_on),
        "description": {
            "description": "Mon compte a été suspendu du jour au lendemain sans aucune explication, "
            f"alors que mes ventes étaient régulières (dossier {rng.randrange(10**6)})."
        },
        "entreprise": {
            "siret": siret,
            "company_name": rng.choice(COMPANIES),
            "company_size": rng.choice(SIZES),
            "naf_code": rng.choice(["47.91B", "47.91A", ""]),
            "company_source": "manual",
        },
        "contact": {
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "email": email,
            "phone": rng.choice(["", "06 12 34 56 78"]),
        },
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
        steps = complete_steps(
            families[i % len(families)],
            marketplaces[i % len(marketplaces)],
            make_siret(rng),
            email,
            consents[i % len(consents)],
            rng,
            occurred_on,
        )
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
        jobs.append(
            Job(str(draft.pk), str(draft.submit_key), get_random_string(32, CSRF_CHARS), retry, timed=i >= warmup)
        )
    rng.shuffle(jobs)
    return [job for job in jobs if not job.timed], [job for job in jobs if job.timed]


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


async def _post(client, job: Job, outcome: Outcome) -> bool:
    data = {"csrfmiddlewaretoken": job.csrf, "accuracy": "on", "submit_key": job.submit_key}
    started = time.perf_counter()
    try:
        status, location, content = await post_form(client, FINAL_STEP, data, job.cookie)
    except ERRORS as exc:
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


async def run_load(
    base_url: str, jobs: list[Job], clients: int, timeout: float, http_client: str = "raw"
) -> tuple[Outcome, float]:
    outcome = Outcome()
    queue = iter(jobs)

    async def seller():
        async with client_session(http_client, base_url, timeout) as client:
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

    _, jobs = prepare(3, 0, 0.0, seed + 1000)
    lines = []

    def post(job):
        client = browser(job.cookie)
        data = {"csrfmiddlewaretoken": job.csrf, "accuracy": "on", "submit_key": job.submit_key}
        response, queries, elapsed, db_time = measure(connection, lambda: client.post(FINAL_STEP, data))
        assert response.status_code == 302 and response["Location"] == RECEIPT, response
        return queries, elapsed, db_time

    connections.close_all()
    post(jobs[0])  # warm caches (URL resolver, templates, translations)
    for label, job in (("first submission", jobs[1]), ("retry of a submitted draft", jobs[1])):
        lines.extend(describe(label, *post(job)))
    return lines


# Report ------------------------------------------------------------------------------------


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
    rows = [
        *server.server_rows(versions, args.workers, args.threads, args.wsgi_app, args.settings),
        ("clients", f"{args.clients} concurrent ({CLIENTS[args.http_client]}, one process)"),
        (
            "requests",
            f"{len(outcome.succeeded) + len(outcome.failed)} drafts timed "
            f"(+{warm['drafts']} warm-up drafts, not timed)",
        ),
        ("retry share", f"{args.retry_share:.0%} of drafts POSTed twice (half concurrent, half back-to-back)"),
        ("wall time", f"{wall:.2f} s"),
        ("submissions/s", f"{rate:.1f}  (successful unique submissions / wall time)"),
        ("POSTs/s", f"{outcome.posts / wall if wall else 0:.1f}  ({outcome.posts} POSTs incl. retries)"),
        *latency_rows(ms),
        ("successes", f"{len(outcome.succeeded)} drafts (every POST answered 302 -> {RECEIPT})"),
        ("errors", f"{errors}" + (f"  {dict(outcome.errors)}" if errors else "")),
        ("retries sent", f"{outcome.retries}"),
        (
            "reports in DB",
            f"{checks['reports']}  (vs {len(outcome.succeeded) + warm['succeeded']} successful drafts incl. warm-up)",
        ),
        ("distinct keys in DB", f"{checks['distinct_keys']}"),
        ("duplicates", f"{checks['duplicates']}"),
        (
            "lost",
            f"{checks['lost']}  (successful drafts without a report; {checks['unlinked']} not linked to their draft)",
        ),
        ("reports w/o success", f"{checks['without_success']}  (created although a response failed)"),
        ("events / receipts", f"{checks['events']} report.submitted events, {checks['receipts']} receipts queued"),
        ("CPU during run", server.describe_cpu(cpu, wall)),
    ]
    lines = [f"$ {command}", ""] + aligned(rows)
    if outcome.samples:
        lines += ["", "error samples:"] + [f"  {sample}" for sample in outcome.samples]
    closing, passed = verdict(criteria)
    lines += ["", closing]
    return "\n".join(lines), passed


# Main --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/intake.py", *(sys.argv[1:] if argv is None else argv)])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)

    print(f"database: recreating {server.database_name(args.database_url)} …", flush=True)
    server.recreate_database(args.database_url)
    server.setup_django(args.database_url, args.settings)
    server.migrate()
    started = time.perf_counter()
    warm_jobs, jobs = prepare(args.requests, args.warmup, args.retry_share, args.seed)
    print(f"data: {len(jobs) + len(warm_jobs)} complete drafts in {time.perf_counter() - started:.1f} s", flush=True)
    versions = server.versions_of(args.database_url)
    from django.db import connections

    connections.close_all()

    port = server.free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = RESULTS_DIR / f"gunicorn-{stamp}.log"
    gunicorn_cmd = server.gunicorn_command(port, args.workers, args.threads, args.wsgi_app)
    print(f"server: {' '.join(gunicorn_cmd[1:])}", flush=True)
    with server.running_gunicorn(gunicorn_cmd, args.database_url, base_url, log_path) as proc:
        warm_outcome, _ = asyncio.run(run_load(base_url, warm_jobs, args.clients, args.timeout, args.http_client))
        print(
            f"warm-up: {len(warm_outcome.succeeded)}/{len(warm_jobs)} drafts ok; timing {len(jobs)} drafts …",
            flush=True,
        )
        before = server.cpu_snapshot(proc.pid)
        outcome, wall = asyncio.run(run_load(base_url, jobs, args.clients, args.timeout, args.http_client))
        cpu = server.cpu_used(before, server.cpu_snapshot(proc.pid))

    succeeded = set(outcome.succeeded) | set(warm_outcome.succeeded)
    checks = check_database(jobs + warm_jobs, succeeded)
    warm = {
        "drafts": len(warm_jobs),
        "succeeded": len(warm_outcome.succeeded),
        "errors": sum(warm_outcome.errors.values()),
    }
    table, passed = render_table(args, command, outcome, wall, checks, cpu, warm, versions)
    if args.count_queries:
        table += "\n\nqueries of one final step (in-process, warm):\n" + "\n".join(
            "  " + line for line in count_queries(args.database_url, args.seed)
        )
    publish(table, "intake", stamp, log_path)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
