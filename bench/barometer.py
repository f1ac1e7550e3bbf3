#!/usr/bin/env python
"""Benchmark of the public barometer on a large database.

Issue requirement: with 1,000,000 reports in PostgreSQL, the full recompute of the aggregates under
60 s; the marketplace page and the comparison page, under 32 concurrent clients against gunicorn,
at 80 % or more of the requests per second of a trivial Django view of the same server measured in
the same run, with p95 under 50 ms.

    .venv/bin/python bench/barometer.py [--reports 1000000] [--reuse] [--recompute-runs 3]
                                        [--clients 32] [--requests 3000] [--rounds 5] [--workers 3]

The script (re)creates the bench database (its name must contain "bench"), migrates, loads the
reference data, generates the reports with ``manage.py generate_bench_reports``'s code (``--reuse``
keeps those already there), vacuums and analyses; times ``full_recompute()`` (what ``manage.py
compute_barometer --full`` runs) and an incremental refresh of ``--stale`` reports, checked against
the full recompute; freezes and publishes the editions of the two quarters before today
(``manage.py freeze_edition CODE --today … --publish``); then starts gunicorn with
``config.settings.bench`` and loads, in one run, the trivial view ``/bench/trivial/`` and the
public pages, ``--rounds`` times in turn. Prints a table, written to
``bench/results/barometer-<timestamp>.txt``. See bench/README.md.
"""

import argparse
import asyncio
import gc
import gzip
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import date
from io import StringIO
from pathlib import Path

if (_root := str(Path(__file__).resolve().parent.parent)) not in sys.path:
    sys.path.insert(0, _root)  # run as a script: make bench.lib (and config, fairplace) importable

from bench.lib import RESULTS_DIR, server
from bench.lib.httpclient import CLIENTS, RawClient, load_rounds
from bench.lib.queries import describe, measure
from bench.lib.stats import aligned, publish, rounds_table, verdict

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fairplace_bench_barometer"
TARGET_RECOMPUTE_S, TARGET_RATIO, TARGET_P95_MS = 60.0, 0.80, 50.0
TRIVIAL = ("trivial view", "/bench/trivial/")
# (label, path) of the public pages, in the order they are loaded (after the trivial view).
PAGES = (
    ("comparison", "/barometre/"),
    ("comparison, 2 marketplaces", "/barometre/?comparer=amazon&comparer=cdiscount"),
    ("marketplace (Amazon)", "/barometre/places-de-marche/amazon/"),
    ("marketplace, English", "/en/barometre/places-de-marche/amazon/"),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=1_000_000, help="reports in the database (default 1000000)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it exists and generate only the missing reports"
    )
    parser.add_argument("--recompute-runs", type=int, default=3, help="timed full recomputes (default 3; 0: none)")
    parser.add_argument(
        "--stale", type=int, default=1000, help="reports of the timed incremental refresh (default 1000; 0: none)"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the day whose two previous quarters are published (default: the machine's date)",
    )
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients (default 32)")
    parser.add_argument("--requests", type=int, default=3000, help="timed GETs per page and round (default 3000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed GETs per page first (default 300)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="every page (trivial view first) is loaded this many times in turn (default 5)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3, sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; above 1: gthread (default 1)")
    parser.add_argument(
        "--gen-workers", type=int, default=None, help="processes generating the data (default: one per CPU, at most 4)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    parser.add_argument("--http-client", choices=list(CLIENTS), default="raw")
    parser.add_argument("--wsgi-app", default=server.APP)
    parser.add_argument("--settings", default=server.SETTINGS)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_BAROMETER_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    args = parser.parse_args(argv)
    if (
        min(args.reports, args.clients, args.requests, args.rounds, args.workers, args.threads) < 1
        or min(args.warmup, args.recompute_runs, args.stale) < 0
    ):
        parser.error("--reports, --clients, --requests, --rounds, --workers and --threads must be at least 1")
    if not server.is_bench_database(args.database_url):
        parser.error("the database is dropped and recreated: its name must contain 'bench'")
    return args


# Database ------------------------------------------------------------------------------------


def prepare_database(args) -> dict:
    from django.core.management import call_command
    from django.db import connection

    if not args.reuse or not server.database_exists(args.database_url):
        print(f"database: recreating {server.database_name(args.database_url)} …", flush=True)
        server.recreate_database(args.database_url)
    server.setup_django(args.database_url, args.settings)
    server.migrate()
    call_command("load_barometer_reference", stdout=StringIO())  # the charter registry of the pages
    from fairplace.reports.benchdata import generate
    from fairplace.reports.models import Report, ReportEvent

    existing = Report.objects.count()
    info = {"generated": 0}
    if existing < args.reports:
        print(f"data: generating {args.reports - existing} reports (seed {args.seed}) …", flush=True)
        result = generate(
            args.reports - existing,
            seed=args.seed + existing,
            workers=args.gen_workers,
            progress=lambda line: print(f"  {line}", flush=True),
        )
        info.update(generated=result.reports, generation_s=result.seconds)
    started = time.perf_counter()
    print("database: VACUUM (ANALYZE) …", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    info.update(
        vacuum_s=time.perf_counter() - started, reports=Report.objects.count(), events=ReportEvent.objects.count()
    )
    return info


# Aggregates ----------------------------------------------------------------------------------


def time_recomputes(runs: int) -> list[dict]:
    """``runs`` full recomputes in this process (what ``manage.py compute_barometer --full`` runs):
    each one's result (reports, cells, phases) plus its wall time and the CPU split. Each timed run
    replaces a full set of contributions (an untimed run first makes one when there is none) in
    tables vacuumed since the previous run, as autovacuum would between two nightly runs."""
    from django.db import connection

    from fairplace.barometer.compute import full_recompute
    from fairplace.barometer.models import AggregateCell, ReportContribution

    if not ReportContribution.objects.exists():
        print("recompute: a first, untimed run (no contributions yet) …", flush=True)
        full_recompute()
    results = []
    for number in range(1, runs + 1):
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {ReportContribution._meta.db_table}, {AggregateCell._meta.db_table}")
        gc.collect()
        before, started = server.cpu_snapshot(os.getpid()), time.perf_counter()
        result = full_recompute()
        result["wall"] = time.perf_counter() - started
        after = server.cpu_snapshot(os.getpid())
        used = server.cpu_used(before, after)  # its "gunicorn" is this process, as is "bench"
        busy = after["machine"][0] - before["machine"][0]
        result["cpu"] = {
            "python": used["bench"],
            "postgres": used["postgres"],
            "others": max(0.0, busy - used["bench"] - used["postgres"]),
        }
        print(f"recompute {number}/{runs}: {result['wall']:.1f} s", flush=True)
        results.append(result)
    return results


def time_incremental(count: int, seed: int) -> dict:
    """Take ``count`` random reports out of the aggregates (their contribution subtracted and
    deleted, with compute.py's own helpers), mark them stale, time ``refresh_stale()`` putting them
    back, and compare every aggregate with what the full recompute had left."""
    from django.db import connection, transaction

    from fairplace.barometer import compute
    from fairplace.barometer.models import ReportContribution, StaleReport

    before = compute.aggregate_snapshot()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [random.Random(seed).random()])  # the same sample each run
    ids = list(ReportContribution.objects.order_by("?").values_list("report_id", flat=True)[:count])
    with transaction.atomic():
        removed = Counter()
        for contribution in ReportContribution.objects.filter(report_id__in=ids):
            removed.update(compute._expand(contribution.cells))  # as refresh_stale does with an old one
        compute._apply(Counter({key: -value for key, value in removed.items()}))
        ReportContribution.objects.filter(report_id__in=ids).delete()
        StaleReport.objects.bulk_create([StaleReport(report_id=pk) for pk in ids], ignore_conflicts=True)
    started = time.perf_counter()
    done = compute.refresh_stale()
    seconds = time.perf_counter() - started
    after = compute.aggregate_snapshot()
    differing = sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    return {"reports": done, "seconds": seconds, "cells": len(before), "differing": differing}


def publish_editions(today: date) -> list[str]:
    """Freeze and publish the two quarters before ``today`` (oldest first, so the second has trends),
    as ``manage.py freeze_edition CODE --today TODAY --publish`` does; earlier runs' are replaced."""
    from django.core.management import call_command

    from fairplace.barometer.models import Edition

    quarter = (today.month - 1) // 3  # 0-based index of today's quarter
    codes = []
    for back in (2, 1):
        index = today.year * 4 + quarter - back
        codes.append(f"{index // 4}-T{index % 4 + 1}")
    Edition.objects.filter(code__in=codes).delete()  # a bench database: republish with today's code
    lines = []
    for code in codes:
        out = StringIO()
        started = time.perf_counter()
        call_command("freeze_edition", code, today=today, publish=True, stdout=out)
        lines.append(f"{' / '.join(out.getvalue().strip().splitlines())} ({time.perf_counter() - started:.1f} s)")
        print(f"edition: {lines[-1]}", flush=True)
    return lines


# Pages ---------------------------------------------------------------------------------------


def page_checks() -> dict:
    """What each page's body must contain (beyond a 200): its heading, the edition, the names."""
    from fairplace.barometer.published import latest_edition
    from fairplace.platforms.models import Marketplace

    names = dict(Marketplace.objects.filter(slug__in=["amazon", "cdiscount"]).values_list("slug", "name"))
    code = latest_edition().code.encode()
    amazon = f"<h1>{names['amazon']}</h1>".encode()
    wanted = {
        TRIVIAL[1]: [b"ok"],
        PAGES[0][1]: ["<h1>Choisir sa place de marché</h1>".encode(), code],
        PAGES[1][1]: [b'id="comparaison-titre"', names["amazon"].encode(), names["cdiscount"].encode(), code],
        PAGES[2][1]: [amazon, code, b'<html lang="fr"'],
        PAGES[3][1]: [amazon, code, b'<html lang="en"'],
    }
    return {path: _checker(parts) for path, parts in wanted.items()}


def _checker(parts: list[bytes]):
    """Pages come gzip-compressed (the client accepts it, as a browser does) and are the same
    bytes from every worker: a body is decompressed and searched once, then recognised."""
    verified = set()

    def check(body: bytes) -> bool:
        if body in verified:
            return True
        text = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        if all(part in text for part in parts):
            verified.add(body)
            return True
        return False

    return check


def in_process_costs() -> dict:
    """Each page rendered in-process (Django test client, same settings and database): once right
    after the page cache was made stale (a miss: the real rendering), once more (a hit)."""
    from django.db import connection
    from django.test import Client

    from fairplace.barometer.published import bump_generation

    client, costs = Client(HTTP_HOST="127.0.0.1"), {}
    for _label, path in (TRIVIAL, *PAGES):
        client.get(path)  # warm: URL resolver, templates, reference cache
        bump_generation()
        miss = measure(connection, lambda p=path: client.get(p))
        hit = measure(connection, lambda p=path: client.get(p))
        costs[path] = (miss, hit)
    return costs


# Report --------------------------------------------------------------------------------------


def render_table(
    args, command, info, today, recomputes, incremental, editions, costs, targets, runs, walls, loads, versions
) -> tuple[str, bool]:
    data = f"{info['reports']:,} reports, {info['events']:,} events"
    data += (
        f"; {info['generated']:,} generated in {info['generation_s']:.0f} s" if info["generated"] else " (reused)"
    ) + f"; VACUUM (ANALYZE) {info['vacuum_s']:.0f} s"
    from django.conf import settings

    cache = settings.CACHES["default"]
    rows = [
        *server.server_rows(versions, args.workers, args.threads, args.wsgi_app, args.settings),
        ("data", data),
        (
            "cache",
            f"{cache['BACKEND'].rsplit('.', 1)[-1]} {cache.get('LOCATION', '')} "
            + ("(REDIS_URL)" if settings.REDIS_URL else "(no REDIS_URL: the database's cache table)"),
        ),
        ("load average", f"{loads[0]} before the run, {loads[1]} before the load, {loads[2]} after (1/5/15 min)"),
    ]
    criteria = {}
    if recomputes:
        walls_s = [result["wall"] for result in recomputes]
        phases = [name for name in recomputes[0] if name not in ("reports", "cells", "seconds", "wall", "cpu")]
        median = statistics.median(walls_s)
        rows += [
            (
                "full recompute",
                f"median {median:.1f} s of {len(walls_s)} ("
                + ", ".join(f"{s:.1f}" for s in walls_s)
                + f" s); {recomputes[0]['reports']:,} "
                f"reports, {recomputes[0]['cells']:,} cells; peak RSS "
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
            ),
            (
                "  phases (median)",
                ", ".join(f"{name} {statistics.median(r[name] for r in recomputes):.1f} s" for name in phases),
            ),
            (
                "  CPU (median)",
                ", ".join(
                    f"{name} {statistics.median(r['cpu'][name] for r in recomputes):.1f} s"
                    for name in ("python", "postgres", "others")
                ),
            ),
        ]
        criteria[f"full recompute < {TARGET_RECOMPUTE_S:.0f} s (median {median:.1f} s)"] = median < TARGET_RECOMPUTE_S
    if incremental:
        rows.append(
            (
                "incremental",
                f"{incremental['reports']:,} stale reports put back in {incremental['seconds']:.2f}"
                f" s ({incremental['reports'] / incremental['seconds']:,.0f} reports/s); "
                f"{incremental['differing']} of {incremental['cells']:,} cells differ from the "
                f"full recompute",
            )
        )
        criteria["incremental == full"] = incremental["differing"] == 0
    rows += [
        ("editions", f"today {today:%Y-%m-%d}: " + "; ".join(editions)),
        (
            "load",
            f"{CLIENTS[args.http_client].replace('POST', 'request')}; {args.clients} clients; "
            f"{args.rounds} round(s) of {args.requests} GETs per page, pages in turn, after "
            f"{args.warmup} warm-up GETs each",
        ),
    ]
    lines = [f"$ {command}", "", *aligned(rows), ""]
    table, summary = rounds_table(targets, runs, TRIVIAL[1])
    lines += table
    for label, path in targets:
        ratio, p95 = summary[path]["ratio"], summary[path]["p95"]
        if path in dict(PAGES).values():
            criteria[f"{label}: ≥ {TARGET_RATIO:.0%} of trivial ({ratio:.1%})"] = ratio >= TARGET_RATIO
            criteria[f"{label}: p95 < {TARGET_P95_MS:.0f} ms ({p95:.1f})"] = p95 < TARGET_P95_MS
        criteria[f"{label}: errors = 0"] = summary[path]["errors"] == 0
    samples = [sample for found in summary.values() for sample in found["samples"]]
    cpu = {
        key: sum(run.cpu[key] for page_runs in runs.values() for run in page_runs)
        for key in ("gunicorn", "postgres", "bench", "others", "steal")
    }
    lines += [
        f"(baseline: the trivial view; the second line is the trivial view answering as many bytes as the "
        f"{PAGES[0][0]} page; latencies in ms over every timed GET of every round, queueing in gunicorn's "
        "backlog included; CPU per timed GET; others: CPU seconds of other processes and steal)",
        "CPU during the load: " + server.describe_cpu(cpu, sum(walls)),
        "",
        "one page in-process (test client, warm): page cache stale (rendered) / page cache hit",
    ]
    for label, path in (TRIVIAL, *PAGES):
        (_, queries, elapsed, db), (_, hit_queries, hit_elapsed, hit_db) = costs[path]
        lines.append(
            f"  {label:<27} {elapsed * 1000:6.1f} ms, {len(queries):2} queries ({db * 1000:5.1f} ms db)  /  "
            f"{hit_elapsed * 1000:5.1f} ms, {len(hit_queries)} queries ({hit_db * 1000:4.1f} ms db)"
        )
    lines += ["  " + line for line in describe(f"{PAGES[2][0]}, rendered", *costs[PAGES[2][1]][0][1:])]
    if samples:
        lines += ["", "error samples:"] + [f"  {sample}" for sample in samples[:5]]
    closing, passed = verdict(criteria)
    return "\n".join([*lines, "", closing]), passed


# Main ----------------------------------------------------------------------------------------


def main(argv=None) -> int:
    args = parse_args(argv)
    RawClient.accept_encoding = "gzip, deflate, br"  # what Chromium sends; the pages come compressed
    command = " ".join([".venv/bin/python bench/barometer.py", *(sys.argv[1:] if argv is None else argv)])
    stamp, today = time.strftime("%Y%m%d-%H%M%S"), args.today or date.today()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    loads = [server.load_average()]
    info = prepare_database(args)
    recomputes = time_recomputes(args.recompute_runs)
    incremental = time_incremental(args.stale, args.seed) if args.stale else None
    editions = publish_editions(today)
    checks, costs = page_checks(), in_process_costs()
    # The trivial view again, answering as many bytes as the comparison page: what size alone costs.
    kilobytes = max(1, round(len(costs[PAGES[0][1]][0][0].content) / 1024))
    padded = (f"trivial view, {kilobytes} kB", f"/bench/trivial/{kilobytes}k/")
    checks[padded[1]] = lambda body: body.startswith(b"ok")
    targets = [TRIVIAL, padded, *PAGES]
    versions = server.versions_of(args.database_url)
    from django.db import connections

    connections.close_all()
    port = server.free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = RESULTS_DIR / f"gunicorn-barometer-{stamp}.log"
    gunicorn_cmd = server.gunicorn_command(port, args.workers, args.threads, args.wsgi_app)
    print(f"server: {' '.join(gunicorn_cmd[1:])}", flush=True)
    loads.append(server.load_average())
    with server.running_gunicorn(gunicorn_cmd, args.database_url, base_url, log_path) as proc:
        runs = asyncio.run(
            load_rounds(
                args.http_client,
                base_url,
                targets,
                checks,
                clients=args.clients,
                count=args.requests,
                warmup=args.warmup,
                rounds=args.rounds,
                timeout=args.timeout,
                gunicorn_pid=proc.pid,
            )
        )
    loads.append(server.load_average())
    walls = [run.wall for page_runs in runs.values() for run in page_runs]
    table, passed = render_table(
        args, command, info, today, recomputes, incremental, editions, costs, targets, runs, walls, loads, versions
    )
    publish(table, "barometer", stamp, log_path)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
