#!/usr/bin/env python
"""Benchmark of the fee simulator (/observatoire/frais/simulateur/ and its CSV export).

Issue requirement: the simulation of a 50-line product mix across every marketplace with a
grid, median under 20 ms per request through the view.

    .venv/bin/python bench/simulator.py [--lines 50] [--requests 300] [--no-synthetic] [--workers 1]

The script recreates the bench database (its name must contain "bench"), migrates, loads the
reference data, the fee taxonomy and the seed schedules (data/seed_schedules.csv: 6 marketplaces),
then adds **synthetic** schedules (generated here, labelled as such in the database and in the
table) for the other active marketplaces, so that ~20 marketplaces have a grid. It draws a
50-line mix from a fixed seed and measures, one request at a time:

- through gunicorn (``config.settings.bench``, ``--workers`` sync workers, default 1: one client
  at a time measures a request's latency, not throughput), the page and the CSV export, **warm**
  (the compiled schedules in the reference cache, as for every request within its minute) and
  **cold** (the cache cleared before each request: the WSGI app is this module's ``application``,
  which clears the worker's reference cache when the request carries the cookie
  ``bench_cold=1``, then hands it to ``config.wsgi``); the trivial view ``/bench/trivial/``
  gives the cost of HTTP alone;
- in-process (Django test client, same settings and database), the same four, the SQL queries of
  a cold request with 1 and with 50 lines, and the engine alone (``simulator.simulate`` on the
  compiled schedules, no form, no template).

Prints a table, written to ``bench/results/simulator-<timestamp>.txt``. See bench/README.md.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

if (_root := str(Path(__file__).resolve().parent.parent)) not in sys.path:
    sys.path.insert(0, _root)  # run as a script: make bench.lib (and config, fairplace) importable

from bench.lib import RESULTS_DIR, server
from bench.lib.httpclient import load_get
from bench.lib.queries import measure
from bench.lib.stats import aligned, percentile, publish, verdict

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fairplace_bench_simulator"
TARGET_MEDIAN_MS = 20.0
PAGE, CSV_PAGE, TRIVIAL = (
    "/observatoire/frais/simulateur/",
    "/observatoire/frais/simulateur/export.csv",
    "/bench/trivial/",
)
COLD_COOKIE = "bench_cold=1"
WSGI_APP = "bench.simulator:application"
SYNTHETIC_DOCUMENT = "GRILLE SYNTHÉTIQUE du banc d'essai bench/simulator.py : pas une donnée réelle"
SYNTHETIC_EFFECTIVE = date(2025, 1, 1)


# The WSGI app of the cold runs -------------------------------------------------------------------

_django_app = None


def application(environ, start_response):
    """config.wsgi's application; a request with the cookie ``bench_cold=1`` first empties this
    worker's reference cache (compiled schedules, categories, marketplaces), as when its minute is up."""
    global _django_app
    if _django_app is None:
        from config.wsgi import application as django_app

        _django_app = django_app
    if COLD_COOKIE in environ.get("HTTP_COOKIE", ""):
        from fairplace.core import refcache

        refcache.clear()
    return _django_app(environ, start_response)


# Arguments ---------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=50, help="lines of the product mix (default 50, at most 100)")
    parser.add_argument(
        "--requests", type=int, default=300, help="timed requests per measure, one at a time (default 300)"
    )
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per measure first (default 30)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers (default 1)")
    parser.add_argument(
        "--no-synthetic",
        dest="synthetic",
        action="store_false",
        help="only the seed grids (6 marketplaces), no synthetic schedules",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the mix and of the synthetic schedules")
    parser.add_argument("--settings", default=server.SETTINGS)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SIMULATOR_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds")
    args = parser.parse_args(argv)
    if not 1 <= args.lines <= 100 or min(args.requests, args.workers) < 1 or args.warmup < 0:
        parser.error("--lines must be 1 to 100; --requests and --workers at least 1")
    if not server.is_bench_database(args.database_url):
        parser.error("the database is dropped and recreated: its name must contain 'bench'")
    return args


# Data --------------------------------------------------------------------------------------------


def prepare_database(args) -> dict:
    print(f"database: recreating {server.database_name(args.database_url)} …", flush=True)
    server.recreate_database(args.database_url)
    server.setup_django(args.database_url, args.settings)
    server.migrate()
    from fairplace.observatory.fees.loading import load_seed, load_taxonomy

    load_taxonomy()
    seed = load_seed()
    synthetic = synthetic_schedules(random.Random(args.seed)) if args.synthetic else []
    from fairplace.core import refcache

    refcache.clear()
    return {"seed": seed, "synthetic": synthetic}


def synthetic_schedules(rng: random.Random) -> list[str]:
    """A generated schedule for every active marketplace without one: 1 to 3 plans, a default
    commission, 6 to 14 categories of their own (a tenth unknown, a third in price bands, band or
    marginal), sometimes fixed fees per item, payment and fulfilment fees. Returns the names."""
    from fairplace.observatory.fees.models import FeeCategory, FeeComponent, FeeSchedule
    from fairplace.platforms.models import Marketplace

    covered = set(FeeSchedule.objects.values_list("marketplace_id", flat=True))
    categories = list(FeeCategory.objects.all())
    names, components = [], []
    for marketplace in Marketplace.objects.active().exclude(id__in=covered).order_by("name"):
        schedule = FeeSchedule.objects.create(
            marketplace=marketplace,
            effective_on=SYNTHETIC_EFFECTIVE,
            observed_on=SYNTHETIC_EFFECTIVE,
            reliability="to_verify",
            source_document=SYNTHETIC_DOCUMENT,
            notes=SYNTHETIC_DOCUMENT,
        )
        names.append(marketplace.name)

        def add(kind, schedule=schedule, **fields):
            components.append(FeeComponent(schedule=schedule, kind=kind, **fields))

        plans = ["Standard", "Pro", "Premium"][: rng.randint(1, 3)]
        for index, plan in enumerate(plans):
            add("subscription", plan=plan, amount=Decimal(index * 20) + Decimal("19.99") * (index > 0))
        add(
            "commission",
            platform_category="Autres catégories",
            rate=Decimal(rng.randint(80, 200)) / 10,
            min_per_item=rng.choice([None, Decimal("0.30"), Decimal("0.50")]),
        )
        for category in rng.sample(categories, rng.randint(6, 14)):
            roll = rng.random()
            if roll < 0.1:
                add(
                    "commission",
                    category=category,
                    platform_category=category.label,
                    notes="taux non relevé (synthétique)",
                )
            elif roll < 0.35:
                cut = Decimal(rng.choice([15, 20, 50, 100]))
                low, high = sorted([Decimal(rng.randint(50, 150)) / 10, Decimal(rng.randint(50, 200)) / 10])
                mode = rng.choice(["band", "marginal"])
                add(
                    "commission",
                    category=category,
                    platform_category=category.label,
                    rate=low,
                    price_from=Decimal(0),
                    price_to=cut,
                    tier_mode=mode,
                )
                add(
                    "commission",
                    category=category,
                    platform_category=category.label,
                    rate=high,
                    price_from=cut,
                    tier_mode=mode,
                )
            else:
                add(
                    "commission",
                    category=category,
                    platform_category=category.label,
                    rate=Decimal(rng.randint(50, 250)) / 10,
                    base=rng.choice(["incl_vat", "excl_vat"]),
                    includes_shipping=rng.random() < 0.8,
                    max_per_item=rng.choice([None, Decimal(50)]),
                )
        if rng.random() < 0.5:
            add("per_item", plan=plans[0], amount=Decimal("0.99"))
        if rng.random() < 0.4:
            add("payment", rate=Decimal("1.4"), amount=Decimal("0.25"))
        if rng.random() < 0.3:
            add("fulfilment", amount=Decimal(rng.randint(250, 600)) / 100, includes_shipping=False)
    FeeComponent.objects.bulk_create(components)
    return names


def mix_query(rng: random.Random, count: int) -> str:
    """``count`` lines typed as a seller would (decimal commas, blank shipping sometimes)."""
    from fairplace.observatory.fees.models import FeeCategory

    codes = list(FeeCategory.objects.values_list("code", flat=True))
    pairs = []
    for _ in range(count):
        price = Decimal(rng.randint(100, 50_000)) / 100
        shipping = rng.choice(["", "0", "2,99", "4,99", "6,90", "12"])
        pairs += [
            ("categorie", rng.choice(codes)),
            ("prix", f"{price:.2f}".replace(".", ",")),
            ("port", shipping),
            ("quantite", str(rng.randint(1, 200))),
        ]
    return urlencode(pairs)


# In-process measures -------------------------------------------------------------------------------


def in_process(query: str, one_line: str, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test import Client

    from fairplace.core import refcache
    from fairplace.observatory.fees import simulator
    from fairplace.observatory.fees.forms_simulator import MixForm
    from fairplace.observatory.fees.models import FeeCategory

    client = Client(HTTP_HOST="127.0.0.1")
    found = {}
    for label, path, cold in (
        ("page, warm", f"{PAGE}?{query}", False),
        ("page, cold", f"{PAGE}?{query}", True),
        ("CSV, warm", f"{CSV_PAGE}?{query}", False),
        ("CSV, cold", f"{CSV_PAGE}?{query}", True),
    ):
        for _ in range(warmup):
            assert client.get(path).status_code == 200, path
        ms = []
        for _ in range(requests):
            if cold:
                refcache.clear()
            started = time.perf_counter()
            response = client.get(path)
            ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        found[label] = ms
    queries = {}
    for label, path in (("1 line", f"{PAGE}?{one_line}"), ("50 lines", f"{PAGE}?{query}")):
        refcache.clear()
        _, captured, elapsed, db = measure(connection, lambda p=path: client.get(p))
        queries[label] = (len(captured), elapsed, db)
    _, warm_queries, _, _ = measure(connection, lambda: client.get(f"{PAGE}?{query}"))
    queries["warm"] = (len(warm_queries), 0.0, 0.0)
    # The engine alone, on the compiled schedules, and compiling them (what a cold request adds).
    from django.http import QueryDict

    form = MixForm(QueryDict(query), FeeCategory.objects.values_list("code", flat=True))
    assert form.is_valid()
    compiled = simulator.schedules_in_force()
    engine, compile_ms = [], []
    for _ in range(requests):
        started = time.perf_counter()
        simulator.simulate(form.lines, schedules=compiled)
        engine.append((time.perf_counter() - started) * 1000)
    for _ in range(max(20, requests // 10)):
        refcache.clear()
        started = time.perf_counter()
        simulator.schedules_in_force()
        compile_ms.append((time.perf_counter() - started) * 1000)
    found["engine only (simulate)"] = engine
    found["load + compile schedules"] = compile_ms
    simulation = simulator.simulate(form.lines, schedules=compiled)
    return {
        "times": found,
        "queries": queries,
        "marketplaces": len(compiled),
        "complete": sum(1 for result in simulation.results if result.complete),
        "components": sum(len(rules) for item in compiled for rules in item.rules.values())
        + sum(len(item.plans) for item in compiled),
        "page_kb": len(client.get(f"{PAGE}?{query}").content) / 1024,
        "csv_kb": len(client.get(f"{CSV_PAGE}?{query}").content) / 1024,
    }


# Through gunicorn -------------------------------------------------------------------------------


def checks(names: list[str]) -> dict:
    def page(body: bytes) -> bool:
        return b'id="classement"' in body and all(name.encode() in body for name in names)

    def csv_export(body: bytes) -> bool:
        return body.startswith("\ufeffrang;place de marché;".encode()) and all(name.encode() in body for name in names)

    return {"page": page, "csv": csv_export, "trivial": lambda body: body == b"ok"}


async def through_gunicorn(base_url: str, query: str, names: list[str], args) -> dict:
    check = checks(names)
    measures = (
        ("trivial view (HTTP alone)", TRIVIAL, "", check["trivial"]),
        ("page, warm", f"{PAGE}?{query}", "", check["page"]),
        ("page, cold", f"{PAGE}?{query}", COLD_COOKIE, check["page"]),
        ("CSV, warm", f"{CSV_PAGE}?{query}", "", check["csv"]),
        ("CSV, cold", f"{CSV_PAGE}?{query}", COLD_COOKIE, check["csv"]),
    )
    runs = {}
    for label, path, cookie, test in measures:
        warm = await load_get(
            "raw", base_url, path, clients=1, count=max(1, args.warmup), timeout=args.timeout, check=test, cookie=cookie
        )
        if warm.errors:
            raise RuntimeError(f"{label} fails before timing: {warm.errors} {warm.samples}")
        runs[label] = await load_get(
            "raw", base_url, path, clients=1, count=args.requests, timeout=args.timeout, check=test, cookie=cookie
        )
        print(f"{label}: median {statistics.median(runs[label].latencies) * 1000:.1f} ms", flush=True)
    return runs


# Table -------------------------------------------------------------------------------------------


def timing_line(label: str, ms: list[float], errors: int | str = "", size: str = "") -> str:
    return (
        f"  {label:<28} {len(ms):>5} {statistics.median(ms):8.2f} {percentile(ms, 0.95):8.2f} "
        f"{max(ms):8.2f} {errors!s:>6} {size:>7}"
    )


def render_table(command, args, info, local, runs, versions, loads, cpu, wall) -> tuple[str, bool]:
    synthetic = info["synthetic"]
    rows = [
        *server.server_rows(versions, args.workers, 1, WSGI_APP, args.settings),
        (
            "data",
            f"{local['marketplaces']} marketplaces with a grid in force: "
            f"{info['seed']['created']} seed schedules (data/seed_schedules.csv) for 6 marketplaces"
            + (
                f" + {len(synthetic)} SYNTHETIC schedules generated by this script (seed {args.seed}) for "
                + ", ".join(synthetic)
                if synthetic
                else " (no synthetic schedules)"
            )
            + f"; {local['components']} components in all",
        ),
        (
            "mix",
            f"{args.lines} lines drawn with seed {args.seed} (random categories, prices 1–500 €, shipping, "
            f"1–200 units/month); {local['complete']} complete results of {local['marketplaces']}; "
            f"page {local['page_kb']:.0f} kB, CSV {local['csv_kb']:.1f} kB",
        ),
        (
            "load",
            f"one request at a time (raw asyncio HTTP/1.1, a connection per request); {args.warmup} "
            f"warm-up + {args.requests} timed requests per measure; cold = reference cache emptied "
            f"before each request",
        ),
        ("load average", f"{loads[0]} before the run, {loads[1]} before the load, {loads[2]} after"),
        ("CPU during load", server.describe_cpu(cpu, wall)),
    ]
    header = f"  {'':<28} {'n':>5} {'median':>8} {'p95':>8} {'max':>8} {'errors':>6} {'size':>7}   (ms)"
    lines = [
        f"$ {command}",
        "",
        *aligned(rows),
        "",
        "through gunicorn (end to end: HTTP, middleware, view, template)",
        header,
    ]
    for label, run in runs.items():
        ms = [latency * 1000 for latency in run.latencies]
        lines.append(timing_line(label, ms, sum(run.errors.values()), f"{run.body_bytes / 1024:.0f} kB"))
    lines += ["", "in-process (Django test client; the engine alone for reference)", header]
    for label, ms in local["times"].items():
        lines.append(timing_line(label, ms))
    q = local["queries"]
    lines += [
        "",
        f"SQL queries of a cold page: {q['1 line'][0]} with 1 line, {q['50 lines'][0]} with "
        f"{args.lines} lines ({q['50 lines'][2] * 1000:.1f} ms waiting for PostgreSQL); warm page: "
        f"{q['warm'][0]}",
    ]
    criteria = {}
    for label in ("page, warm", "CSV, warm"):
        median = statistics.median(runs[label].latencies) * 1000
        criteria[f"{label} median < {TARGET_MEDIAN_MS:.0f} ms ({median:.1f})"] = median < TARGET_MEDIAN_MS
    criteria["queries constant (1 vs 50 lines)"] = q["1 line"][0] == q["50 lines"][0]
    criteria["errors = 0"] = all(not run.errors for run in runs.values())
    if any(run.samples for run in runs.values()):
        lines += ["", "error samples:", *(f"  {s}" for run in runs.values() for s in run.samples)]
    cold = {label: statistics.median(runs[label].latencies) * 1000 for label in ("page, cold", "CSV, cold")}
    lines.append(
        f"(cold requests, for information: page median {cold['page, cold']:.1f} ms, CSV median "
        f"{cold['CSV, cold']:.1f} ms; a worker pays this once a minute)"
    )
    closing, passed = verdict(criteria)
    return "\n".join([*lines, "", closing]), passed


# Main --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/simulator.py", *(sys.argv[1:] if argv is None else argv)])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    loads = [server.load_average()]
    info = prepare_database(args)
    rng = random.Random(args.seed)
    query, one_line = mix_query(rng, args.lines), mix_query(random.Random(args.seed), 1)
    from fairplace.observatory.fees.simulator import schedules_in_force

    names = [compiled.marketplace_name for compiled in schedules_in_force()]
    print("in-process measures …", flush=True)
    local = in_process(query, one_line, args.requests, args.warmup)
    versions = server.versions_of(args.database_url)
    from django.db import connections

    connections.close_all()
    port = server.free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = RESULTS_DIR / f"gunicorn-simulator-{stamp}.log"
    gunicorn_cmd = server.gunicorn_command(port, args.workers, 1, WSGI_APP)
    print(f"server: {' '.join(gunicorn_cmd[1:])}", flush=True)
    loads.append(server.load_average())
    with server.running_gunicorn(gunicorn_cmd, args.database_url, base_url, log_path) as proc:
        before, started = server.cpu_snapshot(proc.pid), time.perf_counter()
        runs = asyncio.run(through_gunicorn(base_url, query, names, args))
        wall = time.perf_counter() - started
        cpu = server.cpu_used(before, server.cpu_snapshot(proc.pid))
    loads.append(server.load_average())
    table, passed = render_table(command, args, info, local, runs, versions, loads, cpu, wall)
    publish(table, "simulator", stamp, log_path)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
