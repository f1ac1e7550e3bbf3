#!/usr/bin/env python
"""Benchmark of the background work on Huey (issue #13): e-mail delivery by real workers, the deadline scans
on a large database, and what enqueueing a task on commit costs a submission.

    .venv/bin/python bench/worker.py [--parts a,b,c] [--messages 2000] [--processes 1,2,4] [--threads 4]
                                     [--reports 1000000] [--due 1000] [--requests 600] [--clients 16]

(a) ``--messages`` e-mails written in one transaction through ``fairplace.core.outbox.enqueue_email``
    (FAIRPLACE_OUTBOX_DELIVERY=on_commit: one ``deliver_message`` task per message, pushed to Redis when the
    transaction commits) and delivered by ``manage.py run_huey`` processes (1, 2 then 4 separate processes,
    ``--threads`` threads each, periodic jobs off) to an aiosmtpd server of this script on 127.0.0.1, which
    recognises each message by its outbox Message-ID. The workers are started and ready first; the time runs
    from the COMMIT to the last message received. Lost and duplicated messages are counted on both sides
    (outbox rows not "sent", messages not received or received twice).
(b) ``reports.schedule.mark_overdue_reports`` and ``send_answer_reminders`` on a copy of the 1,000,000-report
    database of bench/backoffice.py (reused, or generated with the same code): the backlog of the generated
    data first, then passes with nothing to do (the steady state of a job every 5 minutes), then a pass with
    ``--due`` reports due to become overdue and ``--due`` reports due for a reminder. EXPLAIN (ANALYZE,
    BUFFERS) of the scan's SELECTs is written after the table.
(c) bench/intake.py's measure (``POST /signaler/recapitulatif/`` under gunicorn), rounds alternating
    FAIRPLACE_OUTBOX_DELIVERY=worker (no task) and on_commit (each receipt enqueues a task in Redis on
    commit; no worker runs meanwhile, the tasks stay in the queue and are counted), in ABBA order.

Every database is dropped and recreated by the script (names must contain "bench"); the queue and the cache are
in Redis (``--redis-url``) under a name unique to the run, whose keys are deleted at the end. The table is
printed and written to ``bench/results/worker-<timestamp>.txt``. See bench/README.md.
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

if (_root := str(Path(__file__).resolve().parent.parent)) not in sys.path:
    sys.path.insert(0, _root)  # run as a script: make bench.lib (and config, fairplace) importable

from bench.lib import RESULTS_DIR, ROOT, server
from bench.lib.stats import aligned, percentile, publish, verdict

SETTINGS = "bench.worker_settings"
PG = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_DATABASE_URL = PG + "fairplace_bench_worker"
DEFAULT_SCAN_URL = PG + "fairplace_bench_worker_scan"
DEFAULT_INTAKE_URL = PG + "fairplace_bench_worker_intake"
BACKOFFICE_URL = os.environ.get("BENCH_BACKOFFICE_DATABASE_URL", PG + "fairplace_bench_backoffice")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BIG = 1_000_000
TARGET_RATE = 100.0  # e-mails per second
TARGET_PASS_S = 2.0  # one pass of a deadline job
TARGET_RATIO = 0.95  # intake with task enqueueing / without
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<outbox-(\d+)@", re.MULTILINE | re.IGNORECASE)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index("(a)") :],
    )
    parser.add_argument("--parts", default="a,b,c", help="which parts to run, e.g. a,c (default a,b,c)")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help=f"Redis of the queue and the cache (default {DEFAULT_REDIS_URL}); only this run's keys "
        "are written and deleted",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated data (default 1)")
    part_a = parser.add_argument_group("(a) e-mail delivery")
    part_a.add_argument("--messages", type=int, default=2000, help="e-mails per worker count (default 2000)")
    part_a.add_argument("--processes", default="1,2,4", help="worker process counts, one run each (default 1,2,4)")
    part_a.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads of each worker process (run_huey -w; default 4, the deployment's default "
        "FAIRPLACE_WORKER_THREADS)",
    )
    part_a.add_argument(
        "--delivery-timeout",
        type=float,
        default=60.0,
        help="give up when no message arrives for this many seconds (default 60)",
    )
    part_a.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_WORKER_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="database of part (a), dropped and recreated",
    )
    part_b = parser.add_argument_group("(b) deadline scans")
    part_b.add_argument("--reports", type=int, default=BIG, help="reports in the database (default 1000000)")
    part_b.add_argument(
        "--source-url",
        default=None,
        help="database holding the generated reports, reused or generated like bench/backoffice.py "
        "(default: bench/backoffice.py's for 1,000,000 reports, else "
        "fairplace_bench_worker_source_<N>); never modified beyond migrate and generation",
    )
    part_b.add_argument(
        "--scan-database-url",
        default=DEFAULT_SCAN_URL,
        help="the copy of the source the passes run on, dropped and recreated",
    )
    part_b.add_argument(
        "--due",
        type=int,
        default=1000,
        help="reports made due to become overdue, and others due for a reminder (default 1000)",
    )
    part_b.add_argument(
        "--copy-wait",
        type=float,
        default=600.0,
        help="seconds to wait for the source to be free of other sessions before copying it (default 600)",
    )
    part_b.add_argument("--repeat", type=int, default=3, help="passes with nothing to do, per job (default 3)")
    part_b.add_argument(
        "--gen-workers", type=int, default=None, help="processes generating the data (default: one per CPU, at most 4)"
    )
    part_c = parser.add_argument_group("(c) intake with and without task enqueueing")
    part_c.add_argument("--requests", type=int, default=600, help="timed drafts per round (default 600)")
    part_c.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    part_c.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of each mode, ABBA order: worker, on_commit, on_commit, worker, … (default 2)",
    )
    part_c.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, as intake.py)")
    part_c.add_argument("--warmup", type=int, default=64, help="untimed drafts per round first (default 64)")
    part_c.add_argument("--retry-share", type=float, default=0.2, help="as intake.py (default 0.2)")
    part_c.add_argument(
        "--intake-database-url", default=DEFAULT_INTAKE_URL, help="database of part (c), dropped and recreated"
    )
    args = parser.parse_args(argv)
    args.parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if not args.parts or set(args.parts) - {"a", "b", "c"}:
        parser.error("--parts takes a, b and c separated by commas")
    try:
        args.processes = [int(value) for value in args.processes.split(",")]
    except ValueError:
        parser.error("--processes takes numbers separated by commas, e.g. 1,2,4")
    if (
        min(
            args.messages,
            args.threads,
            args.reports,
            args.due,
            args.repeat,
            args.requests,
            args.clients,
            args.rounds,
            args.workers,
            *args.processes,
        )
        < 1
    ):
        parser.error("counts must be at least 1")
    if args.source_url is None:
        args.source_url = (
            BACKOFFICE_URL if args.reports == BIG else PG + f"fairplace_bench_worker_source_{args.reports}"
        )
    for url in (args.database_url, args.source_url, args.scan_database_url, args.intake_database_url):
        if not server.is_bench_database(url):
            parser.error(f"{server.database_name(url)}: a database this script writes must contain 'bench'")
    if (
        len(
            {
                server.database_name(url)
                for url in (args.database_url, args.source_url, args.scan_database_url, args.intake_database_url)
            }
        )
        < 4
    ):
        parser.error("the four databases must be distinct")
    return args


def say(line: str) -> None:
    print(line, flush=True)


# Child processes ------------------------------------------------------------------------------


class PartFailed(RuntimeError):
    pass


def in_child(function, *args):
    """``function(*args)`` in a forked process with a Django, a database and an environment of its own: each part
    sets Django up once for its own database. Returns what the function returned."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, function, args))
    process.start()
    sender.close()
    try:
        try:
            ok, value = receiver.recv()
        except EOFError:
            ok, value = False, "the process ended without an answer"
        process.join()
    finally:
        if process.is_alive():  # interrupted: the child stops its workers and gunicorn in its finally blocks
            process.terminate()  # SIGTERM (ignored if Ctrl-C already reached it: it is cleaning up)
            process.join(timeout=90)
        if process.is_alive():
            process.kill()
            process.join()
    if not ok:
        raise PartFailed(f"{function.__name__} failed (exit status {process.exitcode}):\n{value}")
    return value


def _child_main(sender, function, args) -> None:
    signal.signal(signal.SIGTERM, _stop_once)
    signal.signal(signal.SIGINT, _stop_once)
    try:
        sender.send((True, function(*args)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which prints it
        sender.send((False, traceback.format_exc()))
    finally:
        sender.close()


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _stop_once(signum, frame):
    """The first SIGINT or SIGTERM stops the part; later ones are ignored, so that its finally blocks (workers
    and gunicorn stopped) run to the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)


def redis_env(args, name: str) -> None:
    os.environ.update(
        {
            "REDIS_URL": args.redis_url,
            "FAIRPLACE_HUEY_NAME": name,
            "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
        }
    )


def drop_redis_keys(redis_url: str, name: str) -> int:
    """Delete this run's keys, and only them: Huey's (huey.<kind>.<name>) and the cache's (<name>:<version>:…)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = {
            key
            for pattern in (f"huey.*.{name}", f"huey.notify.{name}.*", f"{name}:*")
            for key in client.scan_iter(match=pattern, count=1000)
        }
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


# CPU ---------------------------------------------------------------------------------------------


def redis_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def cpu_snapshot(workers: list[int]) -> dict:
    return {
        "machine": server._machine(),
        "bench": time.process_time(),
        "workers": {pid: server._cpu_of(pid) for pid in workers},
        "postgres": {pid: server._cpu_of(pid) for pid in server._postgres_pids()},
        "redis": {pid: server._cpu_of(pid) for pid in redis_pids()},
    }


def cpu_used(before: dict, after: dict) -> dict:
    def delta(group):
        return sum(value - before[group].get(pid, 0.0) for pid, value in after[group].items())

    used = {group: delta(group) for group in ("workers", "postgres", "redis")}
    used["bench"] = after["bench"] - before["bench"]
    used["others"] = max(0.0, after["machine"][0] - before["machine"][0] - sum(used.values()))
    used["steal"] = after["machine"][1] - before["machine"][1]
    return used


# (a) e-mail delivery ------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: each message counted by the outbox row of its Message-ID, with its first arrival time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.arrived: dict[int, float] = {}
        self.unrecognised = 0

    async def handle_DATA(self, server_, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        now = time.perf_counter()
        match = MESSAGE_ID.search(
            envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        )
        with self.lock:
            if match is None:
                self.unrecognised += 1
            else:
                pk = int(match.group(1))
                self.counts[pk] += 1
                self.arrived.setdefault(pk, now)
        return "250 Message accepted for delivery"

    def received(self, pks) -> int:
        with self.lock:
            return sum(1 for pk in pks if pk in self.arrived)


def start_worker(threads: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "manage.py",
        "run_huey",
        "--workers",
        str(threads),
        "--worker-type",
        "thread",
        "--no-periodic",
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # noqa: S603
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def stop_workers(processes: list[subprocess.Popen]) -> None:
    """SIGINT (Huey's graceful stop: running tasks finish), then SIGKILL after 20 s, for each process started."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 20
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session, started by start_worker
            process.wait(timeout=10)


def wait_ready(processes: list[subprocess.Popen], since, log_path: Path, timeout: float = 90.0) -> float:
    """Until each process's heartbeat row is written (Huey calls the start-up hook as its worker threads start)."""
    import socket

    from fairplace.core.models import WorkerHeartbeat

    names = {f"{socket.gethostname()}:{process.pid}" for process in processes}
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"worker {process.pid} exited with status {process.returncode}; log {log_path}:\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
        if WorkerHeartbeat.objects.filter(worker__in=names, last_seen_at__gte=since).count() == len(names):
            return time.perf_counter() - started
        time.sleep(0.1)
    raise RuntimeError(f"the workers did not start within {timeout:.0f} s (log {log_path})")


def delivery_run(args, processes: int, inbox: Inbox, log_path: Path) -> dict:
    """One worker count: start the workers, enqueue the messages in one transaction, wait for the SMTP server."""
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from fairplace.core.models import OutboxMessage
    from fairplace.core.outbox import enqueue_email

    HUEY.storage.flush_queue()
    HUEY.storage.flush_schedule()
    workers: list[subprocess.Popen] = []
    result = {"processes": processes, "threads": args.threads, "messages": args.messages}
    try:
        since = timezone.now()
        workers = [start_worker(args.threads, log_path) for _ in range(processes)]
        result["startup_s"] = wait_ready(workers, since, log_path)
        time.sleep(0.5)  # the other worker threads of each process reach the queue
        pids = [worker.pid for worker in workers]
        first = OutboxMessage.objects.aggregate(top=Max("pk"))["top"] or 0
        started = time.perf_counter()
        with transaction.atomic():  # the tasks are enqueued when this commits (on_commit)
            for number in range(args.messages):
                enqueue_email(
                    to=f"vendeur{number}@exemple.fr",
                    template="email_code",
                    context={"code": f"{number:06d}", "minutes": 15},
                )
            before = cpu_snapshot(pids)
            commit = time.perf_counter()
        enqueued = time.perf_counter()
        result["write_s"], result["enqueue_s"] = commit - started, enqueued - commit
        pks = set(OutboxMessage.objects.filter(pk__gt=first).values_list("pk", flat=True))
        say(
            f"  {processes} process(es) × {args.threads} threads: {len(pks)} messages committed; waiting for the "
            f"SMTP server …"
        )
        seen, progress_at = 0, time.perf_counter()
        while seen < len(pks) and time.perf_counter() - progress_at < args.delivery_timeout:
            time.sleep(0.02)
            now_seen = inbox.received(pks)
            if now_seen > seen:
                seen, progress_at = now_seen, time.perf_counter()
        after = cpu_snapshot(pids)
        # Late copies would show now: the queue empty, nothing left "sending", then one more second.
        settle = time.perf_counter() + 15
        while time.perf_counter() < settle and (
            HUEY.pending_count()
            or OutboxMessage.objects.filter(pk__in=pks, status=OutboxMessage.Status.SENDING).exists()
        ):
            time.sleep(0.1)
        time.sleep(1.0)
        result["queue_left"] = HUEY.pending_count()
        result["scheduled_left"] = HUEY.scheduled_count()
    finally:
        stop_workers(workers)
    result["exit_codes"] = [worker.returncode for worker in workers]
    with inbox.lock:
        arrivals = sorted(inbox.arrived[pk] for pk in pks if pk in inbox.arrived)
        result["duplicated"] = sum(inbox.counts[pk] - 1 for pk in pks if inbox.counts[pk] > 1)
    result["received"] = len(arrivals)
    result["not_received"] = len(pks) - len(arrivals)
    result["not_sent"] = OutboxMessage.objects.filter(pk__in=pks).exclude(status=OutboxMessage.Status.SENT).count()
    result["rows"] = len(pks)
    if arrivals:
        result["elapsed_s"] = arrivals[-1] - commit
        result["first_ms"] = (arrivals[0] - commit) * 1000
        result["rate"] = len(arrivals) / result["elapsed_s"]
        result["rate_first_last"] = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    else:
        result.update(elapsed_s=0.0, first_ms=0.0, rate=0.0, rate_first_last=0.0)
    result["cpu"] = cpu_used(before, after)
    say(
        f"  {processes} process(es): {result['received']}/{len(pks)} received in {result['elapsed_s']:.2f} s "
        f"({result['rate']:.1f}/s), {result['duplicated']} duplicated, {result['not_sent']} rows not sent"
    )
    return result


def part_a(args, stamp: str, name: str) -> dict:
    from aiosmtpd.controller import Controller

    port = server.free_port()
    redis_env(args, name)
    os.environ.update(
        {
            "FAIRPLACE_OUTBOX_DELIVERY": "on_commit",
            "EMAIL_BACKEND": SMTP_BACKEND,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_TIMEOUT": "10",
        }
    )
    say(f"(a) database: recreating {server.database_name(args.database_url)} …")
    server.recreate_database(args.database_url)
    server.setup_django(args.database_url, SETTINGS)
    server.migrate()
    info = {"versions": versions(args), "load_before": server.load_average()}
    log_path = RESULTS_DIR / f"worker-{stamp}-huey.log"
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        info["runs"] = [delivery_run(args, processes, inbox, log_path) for processes in args.processes]
    finally:
        controller.stop()
        from django.db import connections

        connections.close_all()
    info["unrecognised"] = inbox.unrecognised
    info["load_after"] = server.load_average()
    info["log_problems"] = log_problems(log_path)
    info["log"] = str(log_path.relative_to(ROOT)) if info["log_problems"] else ""
    if not info["log_problems"] and log_path.exists():
        log_path.unlink()
    return info


def log_problems(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(
        1
        for line in path.read_text(errors="replace").splitlines()
        if "Traceback" in line or " ERROR " in line or "WARNING" in line or "Error:" in line
    )


def versions(args) -> dict:
    import aiosmtpd
    import huey
    import redis

    found = server.versions_of(args.database_url)
    client = redis.Redis.from_url(args.redis_url)
    try:
        found["redis"] = client.info("server")["redis_version"]
    finally:
        client.close()
    found.update(huey=huey.__version__, aiosmtpd=aiosmtpd.__version__)
    return found


# (b) deadline scans ------------------------------------------------------------------------------------------------


def prepare_source(args) -> dict:
    """The generated database (bench/backoffice.py's): reused, completed, or generated, then vacuumed."""
    from django.db import connection

    name = server.database_name(args.source_url)
    created = not server.database_exists(args.source_url)
    if created:
        say(f"(b) source: creating {name} …")
        server.recreate_database(args.source_url)
    server.setup_django(args.source_url, "config.settings.bench")
    server.migrate()
    from fairplace.reports.benchdata import generate
    from fairplace.reports.models import Report

    existing = Report.objects.count()
    info = {"source": name, "existing": existing, "generated": 0}
    if existing >= args.reports:
        say(f"(b) source: reusing {name}, {existing:,} reports")
        return info
    missing = args.reports - existing
    say(f"(b) source: generating {missing:,} reports into {name} (seed {args.seed}; several minutes for a million) …")
    result = generate(
        missing, seed=args.seed + existing, workers=args.gen_workers, progress=lambda line: say(f"  {line}")
    )
    info.update(
        generated=result.reports,
        generation_s=result.seconds,
        generation_workers=result.workers,
        index_s=result.index_seconds,
    )
    started = time.perf_counter()
    say("(b) source: VACUUM (ANALYZE) …")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    info["vacuum_s"] = time.perf_counter() - started
    return info


def copy_database(source_url: str, target_url: str, wait: float) -> float:
    """target := a file copy of source (CREATE DATABASE … TEMPLATE): the passes change reports, the source stays
    as bench/backoffice.py measures it. PostgreSQL copies only a database nobody is connected to: while another
    benchmark uses the source, try again every 10 s for ``wait`` seconds. Returns the seconds of the copy."""
    import psycopg

    deadline = time.monotonic() + wait
    while True:
        try:
            return _copy_database(source_url, target_url)
        except psycopg.errors.ObjectInUse as exc:
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"{server.database_name(source_url)} is still in use after {wait:.0f} s (bench/backoffice.py "
                    f"running?): it cannot be copied. {exc}"
                ) from exc
            say(f"(b) {server.database_name(source_url)} is in use by another session; trying again in 10 s …")
            time.sleep(10)


def _copy_database(source_url: str, target_url: str) -> float:
    import psycopg
    from psycopg import sql

    parts = urlsplit(target_url)
    started = time.perf_counter()
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(server.database_name(target_url)))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(server.database_name(target_url)), sql.Identifier(server.database_name(source_url))
            )
        )
    return time.perf_counter() - started


def timed(function) -> tuple[int, float]:
    started = time.perf_counter()
    done = function()
    return done, time.perf_counter() - started


def settle_backlog() -> dict:
    """Bring the copy to the steady state that a deadline job every 5 minutes keeps. The generated data leaves
    forwarded reports past their deadline (and, as days go by after the generation, reminders falling due); at
    10-30 ms a report the jobs would take many minutes over them, so they are settled in bulk instead: one UPDATE
    to "overdue" (without the event and the seller's e-mail the job adds), and the reminder events written with
    their hash chain (without the platform's e-mail). The scans only read the state, the deadline and the reminder
    events: they see what they would see after the jobs."""
    from django.db import transaction
    from django.utils import timezone

    from fairplace.reports import deadlines
    from fairplace.reports.events import event_hash
    from fairplace.reports.models import Report, ReportEvent
    from fairplace.reports.schedule import REMINDER_EVENT
    from fairplace.reports.states import ReportState

    started, now = time.perf_counter(), timezone.now()
    with transaction.atomic():
        overdue = Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__lt=now).update(
            state=ReportState.OVERDUE
        )
        waiting = (
            Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__gte=now)
            .exclude(events__code=REMINDER_EVENT)
            .order_by()
            .values_list("pk", "answer_due_at")
        )
        due = [(pk, at) for pk, at in waiting.iterator(chunk_size=5000) if deadlines.reminder_at(at) <= now]
        events = []
        for start in range(0, len(due), 5000):
            chunk = due[start : start + 5000]
            last = dict(
                ReportEvent.objects.filter(report_id__in=[pk for pk, _ in chunk])
                .order_by("report_id", "-id")
                .distinct("report_id")
                .values_list("report_id", "hash")
            )
            for pk, at in chunk:
                payload, prev = {"due_at": at.isoformat()}, last.get(pk, "")
                events.append(
                    ReportEvent(
                        report_id=pk,
                        code=REMINDER_EVENT,
                        actor_kind="system",
                        payload=payload,
                        created_at=now,
                        prev_hash=prev,
                        hash=event_hash(prev, pk, REMINDER_EVENT, "system", None, payload, now),
                    )
                )
        ReportEvent.objects.bulk_create(events, batch_size=2000)
    return {"overdue": overdue, "reminders": len(events), "seconds": time.perf_counter() - started}


def busiest_deadline() -> dict:
    """The most forwarded reports sharing one deadline (every report forwarded on a given day is due at 23:59:59
    of the same day, so the pass after that midnight marks them all), and how many share the next one."""
    from django.db.models import Count
    from django.utils import timezone

    from fairplace.reports.models import Report
    from fairplace.reports.states import ReportState

    by_deadline = (
        Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__gte=timezone.now())
        .order_by()
        .values("answer_due_at")
        .annotate(n=Count("id"))
    )
    top = by_deadline.order_by("-n").first() or {"n": 0}
    following = by_deadline.order_by("answer_due_at").first() or {"n": 0}
    return {"busiest": top["n"], "next": following["n"]}


def make_due(count: int) -> dict:
    """``count`` forwarded reports (the next ones due) now past their deadline, and ``count`` others (the next
    ones without a reminder) due in an hour, so inside the reminder window: what a pass finds on a busy day."""
    from datetime import timedelta

    from django.utils import timezone

    from fairplace.reports.models import Report
    from fairplace.reports.schedule import REMINDER_EVENT
    from fairplace.reports.states import ReportState

    now = timezone.now()
    waiting = Report.objects.filter(state=ReportState.FORWARDED, answer_due_at__gte=now)
    overdue = list(waiting.order_by("answer_due_at", "id").values_list("pk", flat=True)[:count])
    remind = list(
        waiting.exclude(events__code=REMINDER_EVENT)
        .exclude(pk__in=overdue)
        .order_by("answer_due_at", "id")
        .values_list("pk", flat=True)[:count]
    )
    Report.objects.filter(pk__in=overdue).update(answer_due_at=now - timedelta(minutes=1))
    Report.objects.filter(pk__in=remind).update(answer_due_at=now + timedelta(hours=1))
    return {"overdue": len(overdue), "remind": len(remind)}


def explain_scan(function) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the SELECTs on reports_report that ``function`` sends, planned as the job
    runs them: ``.iterator()`` reads through a server-side cursor (DECLARE … WITH HOLD, as Django declares it in
    autocommit), which PostgreSQL plans for the first rows (cursor_tuple_fraction = 0.1), not for the whole
    result as a plain SELECT. The two plans can differ by an order of magnitude: both are shown when they do."""
    from django.db import connection, transaction

    from bench.lib.queries import measure

    _, queries, elapsed, db_time = measure(connection, function)
    lines = [
        f"-- {function.__name__}: {len(queries)} statements, {elapsed * 1000:.1f} ms "
        f"({db_time * 1000:.1f} ms waiting for PostgreSQL)"
    ]
    for query in queries:
        statement = query["sql"]
        if statement.upper().startswith("DECLARE"):  # what psycopg sends for .iterator(): DECLARE … FOR SELECT …
            statement = statement[statement.upper().index(" FOR ") + 5 :]
        if not statement.upper().startswith("SELECT") or "reports_report" not in statement:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) DECLARE bench_scan CURSOR WITH HOLD FOR " + statement)
            as_cursor = [row[0] for row in cursor.fetchall()]
            cursor.execute("EXPLAIN " + statement)
            plain = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        lines += ["", statement, "", "as the job's cursor runs it (EXPLAIN ANALYZE DECLARE … CURSOR):"] + as_cursor
        if _plan_shape(plain) != _plan_shape(as_cursor):
            lines += ["", "a plain SELECT would be planned otherwise (EXPLAIN, not run):"] + plain
    return lines


def _plan_shape(plan: list[str]) -> list[str]:
    """The nodes of a plan (its first line and the "->" lines) without costs and timings, to compare two plans."""
    nodes = plan[:1] + [line for line in plan[1:] if "->" in line]
    return [re.sub(r"\s*\((cost|actual|never)[^)]*\)", "", line).strip() for line in nodes]


def part_b_scans(args, name: str) -> dict:
    from django.db import connection

    redis_env(args, name)
    os.environ["FAIRPLACE_OUTBOX_DELIVERY"] = "worker"  # e-mails stay in the outbox: no task, no SMTP
    server.setup_django(args.scan_database_url, SETTINGS)
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    started = time.perf_counter()
    call_command("migrate", verbosity=1, interactive=False, stdout=out)
    applied = [
        line.split("Applying ", 1)[1].split("...")[0] for line in out.getvalue().splitlines() if "Applying " in line
    ]
    info = {"migrated": applied, "migrate_s": time.perf_counter() - started, "load_before": server.load_average()}
    from fairplace.core.models import OutboxMessage
    from fairplace.reports import schedule
    from fairplace.reports.models import Report, ReportEvent

    info["reports"], info["events"] = Report.objects.count(), ReportEvent.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, count(*) FROM reports_report GROUP BY state")
        info["states"] = dict(cursor.fetchall())
    passes = []

    def run(label: str, function, kind: str) -> tuple[int, float]:
        outbox = OutboxMessage.objects.count()
        done, seconds = timed(function)
        passes.append(
            {
                "label": label,
                "job": function.__name__,
                "kind": kind,
                "done": done,
                "seconds": seconds,
                "emails": OutboxMessage.objects.count() - outbox,
            }
        )
        say(f"  {function.__name__}, {label}: {done:,} in {seconds:.3f} s")
        return done, seconds

    from django.urls import reverse

    # A worker has imported the URLconf long before (the e-mails' links): not a cost of the first pass.
    reverse("platform_space:report", args=["FP-0000-0000-0000"])
    say("(b) settling the backlog of the generated data in bulk …")
    info["settled"] = settle_backlog()
    info["deadlines"] = busiest_deadline()
    for number in range(args.repeat):
        run(f"nothing due ({number + 1})", schedule.mark_overdue_reports, "steady")
        run(f"nothing due ({number + 1})", schedule.send_answer_reminders, "steady")
    info["plans"] = explain_scan(schedule.mark_overdue_reports) + [""] + explain_scan(schedule.send_answer_reminders)
    info["made_due"] = make_due(args.due)
    run(f"{info['made_due']['overdue']:,} due", schedule.mark_overdue_reports, "due")
    run(f"{info['made_due']['remind']:,} due", schedule.send_answer_reminders, "due")
    run("nothing due again", schedule.mark_overdue_reports, "after")
    run("nothing due again", schedule.send_answer_reminders, "after")
    info["passes"] = passes
    info["load_after"] = server.load_average()
    connection.close()
    return info


def part_b(args, name: str) -> dict:
    info = in_child(prepare_source, args)
    say(f"(b) copying {info['source']} to {server.database_name(args.scan_database_url)} …")
    info["copy_s"] = copy_database(args.source_url, args.scan_database_url, args.copy_wait)
    info.update(in_child(part_b_scans, args, name))
    return info


# (c) intake with and without task enqueueing -------------------------------------------------------------------


def part_c(args, stamp: str, name: str) -> dict:
    from bench import intake

    redis_env(args, name)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"  # never SMTP in a request
    say(f"(c) database: recreating {server.database_name(args.intake_database_url)} …")
    server.recreate_database(args.intake_database_url)
    server.setup_django(args.intake_database_url, SETTINGS)
    server.migrate()
    from django.db import connections
    from huey.contrib.djhuey import HUEY

    from fairplace.core.models import OutboxMessage

    HUEY.storage.flush_queue()
    modes = []
    for number in range(args.rounds):
        modes += ["worker", "on_commit"] if number % 2 == 0 else ["on_commit", "worker"]
    rounds, all_jobs, succeeded = [], [], set()
    info = {"load_before": server.load_average()}
    for number, mode in enumerate(modes, 1):
        warm_jobs, jobs = intake.prepare(args.requests, args.warmup, args.retry_share, args.seed + 1000 * number)
        all_jobs += warm_jobs + jobs
        outbox_before, queued_before = OutboxMessage.objects.count(), HUEY.pending_count()
        connections.close_all()
        os.environ["FAIRPLACE_OUTBOX_DELIVERY"] = mode  # read by gunicorn's settings (config/settings/bench.py)
        port = server.free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = RESULTS_DIR / f"gunicorn-worker-{stamp}-{number}.log"
        command = server.gunicorn_command(port, args.workers, 1, server.APP)
        with server.running_gunicorn(command, args.intake_database_url, base_url, log_path) as proc:
            warm, _ = asyncio.run(intake.run_load(base_url, warm_jobs, args.clients, 60.0))
            before = server.cpu_snapshot(proc.pid)
            outcome, wall = asyncio.run(intake.run_load(base_url, jobs, args.clients, 60.0))
            cpu = server.cpu_used(before, server.cpu_snapshot(proc.pid))
        if log_path.exists() and log_path.stat().st_size == 0:
            log_path.unlink()
        succeeded |= set(outcome.succeeded) | set(warm.succeeded)
        entry = {
            "number": number,
            "mode": mode,
            "rate": len(outcome.succeeded) / wall,
            "wall": wall,
            "latencies_ms": [latency * 1000 for latency in outcome.latencies],
            "posts": outcome.posts,
            "errors": sum(outcome.errors.values()) + sum(warm.errors.values()),
            "samples": outcome.samples + warm.samples,
            "drafts": len(jobs),
            "succeeded": len(outcome.succeeded),
            "receipts": OutboxMessage.objects.count() - outbox_before,
            "tasks": HUEY.pending_count() - queued_before,
            "cpu": cpu,
            "log": str(log_path.relative_to(ROOT)) if log_path.exists() else "",
        }
        rounds.append(entry)
        say(
            f"  round {number} ({mode}): {entry['rate']:.1f} submissions/s, p50 "
            f"{statistics.median(entry['latencies_ms']):.1f} ms, {entry['tasks']} tasks enqueued for "
            f"{entry['receipts']} receipts, {entry['errors']} errors"
        )
    info["checks"] = intake.check_database(all_jobs, succeeded)
    info["rounds"] = rounds
    info["load_after"] = server.load_average()
    HUEY.storage.flush_queue()
    connections.close_all()
    return info


# Table -----------------------------------------------------------------------------------------------------------


def table_a(args, info: dict) -> tuple[list[str], dict]:
    lines = [
        "",
        f"(a) e-mail delivery: {args.messages:,} messages per run written in one transaction by "
        "enqueue_email (on_commit: one deliver_message task each, pushed to Redis at COMMIT); workers "
        f"= separate `manage.py run_huey -w {args.threads} -k thread --no-periodic` processes, started "
        "and ready before the transaction; aiosmtpd on 127.0.0.1 in the bench process",
        "    time = COMMIT → last message received; msgs/s = messages received / time; first→last = "
        "between the first and the last arrival; lost = outbox rows not 'sent' / messages not received",
        f"{'workers':<18} {'msgs':>6} {'time s':>7} {'msgs/s':>7} {'first→last':>10} {'1st ms':>7} "
        f"{'start s':>7} {'lost (rows/recv)':>16} {'dup':>4}   CPU ms/msg: workers    pg redis smtp+bench "
        f"others steal",
    ]
    criteria = {}
    for run in info["runs"]:
        cpu, count = run["cpu"], max(1, run["received"])
        label = f"{run['processes']} × {run['threads']} thread{'s' if run['threads'] > 1 else ''}"
        lines.append(
            f"{label:<18} {run['received']:>6} {run['elapsed_s']:>7.2f} {run['rate']:>7.1f} "
            f"{run['rate_first_last']:>10.1f} {run['first_ms']:>7.0f} {run['startup_s']:>7.1f} "
            f"{run['not_sent']:>7} / {run['not_received']:<6} {run['duplicated']:>4}   "
            f"{cpu['workers'] * 1000 / count:>19.2f} {cpu['postgres'] * 1000 / count:>5.2f} "
            f"{cpu['redis'] * 1000 / count:>5.2f} {cpu['bench'] * 1000 / count:>10.2f} "
            f"{cpu['others'] * 1000 / count:>6.2f} {cpu['steal'] * 1000 / count:>5.2f}"
        )
    write = ", ".join(f"{run['write_s']:.2f}" for run in info["runs"])
    enqueue = ", ".join(f"{run['enqueue_s'] * 1000:.0f}" for run in info["runs"])
    lines.append(
        f"    (not timed: rendering and writing the {args.messages:,} rows took {write} s; COMMIT and the "
        f"{args.messages:,} on-commit enqueues {enqueue} ms, inside the time)"
    )
    left = [(run["queue_left"], run["scheduled_left"]) for run in info["runs"]]
    lines.append(
        f"    queue after each run (pending, scheduled): {left}; worker exit codes "
        f"{[run['exit_codes'] for run in info['runs']]}; messages without an outbox Message-ID: "
        f"{info['unrecognised']}; worker log: "
        + (
            f"{info['log_problems']} warning/error lines, kept in {info['log']}"
            if info["log_problems"]
            else "no warning or error"
        )
    )
    lines.append(f"    load average {info['load_before']} before, {info['load_after']} after")
    best = max(info["runs"], key=lambda run: run["rate"])
    rates = ", ".join(f"{run['processes']}: {run['rate']:.0f}" for run in info["runs"])
    criteria[
        f"(a) delivery >= {TARGET_RATE:.0f} msgs/s with some worker count (best {best['rate']:.1f} with "
        f"{best['processes']} processes; {rates})"
    ] = best["rate"] >= TARGET_RATE
    criteria["(a) 0 lost"] = all(run["not_sent"] == 0 and run["not_received"] == 0 for run in info["runs"])
    criteria["(a) 0 duplicated"] = all(run["duplicated"] == 0 for run in info["runs"]) and info["unrecognised"] == 0
    return lines, criteria


def table_b(args, info: dict) -> tuple[list[str], dict]:
    source = (
        f"{info['existing']:,} reports reused"
        if not info["generated"]
        else (
            f"{info['generated']:,} reports generated in {info['generation_s']:.0f} s ({info['generation_workers']} "
            f"processes, indexes {info['index_s']:.0f} s), VACUUM (ANALYZE) {info['vacuum_s']:.0f} s"
        )
    )
    migrated = (
        f"; migrated on the copy: {', '.join(info['migrated'])} ({info['migrate_s']:.1f} s)" if info["migrated"] else ""
    )
    states, settled, deadlines = info["states"], info["settled"], info["deadlines"]
    lines = [
        "",
        f"(b) deadline scans: {info['reports']:,} reports, {info['events']:,} events, "
        f"{states.get('forwarded', 0):,} forwarded and {states.get('overdue', 0):,} overdue before the "
        f"first pass; copy of {info['source']} ({source}) made in {info['copy_s']:.0f} s{migrated}",
        f"    backlog of the generated data settled in bulk first ({settled['overdue']:,} forwarded reports past "
        f"their deadline set overdue by one UPDATE, {settled['reminders']:,} reminder events written; "
        f"{settled['seconds']:.1f} s): the steady state of a job every 5 minutes",
        "    each pass is the function the periodic job runs (reports.overdue, reports.answer_reminders), timed "
        f"alone, real COMMITs; 'due': {args.due:,} forwarded reports moved past their deadline and {args.due:,} "
        "others into the reminder window (answer due in an hour) just before",
        f"    for scale: the busiest deadline shares {deadlines['busiest']:,} forwarded reports (all forwarded the "
        f"same day are due at the same 23:59:59), the next one {deadlines['next']:,}",
        f"{'pass':<48} {'reports':>8} {'e-mails':>8} {'seconds':>9} {'ms/report':>10}",
    ]
    steady = {}
    for entry in info["passes"]:
        per = f"{entry['seconds'] * 1000 / entry['done']:.1f}" if entry["done"] else ""
        lines.append(
            f"{entry['job'] + ', ' + entry['label']:<48} {entry['done']:>8,} {entry['emails']:>8,} "
            f"{entry['seconds']:>9.3f} {per:>10}"
        )
        if entry["kind"] == "steady":
            steady.setdefault(entry["job"], []).append(entry["seconds"])
    lines.append(
        f"    load average {info['load_before']} before the passes, {info['load_after']} after; "
        "EXPLAIN (ANALYZE, BUFFERS) of the scans with nothing due after the table"
    )
    criteria = {}
    for job, seconds in steady.items():
        criteria[
            f"(b) {job}, nothing due: median of {len(seconds)} < {TARGET_PASS_S:.0f} s "
            f"({statistics.median(seconds):.3f} s, max {max(seconds):.3f})"
        ] = statistics.median(seconds) < TARGET_PASS_S
    for entry in info["passes"]:
        if entry["kind"] == "due":
            criteria[
                f"(b) {entry['job']}, {entry['done']:,} due: < {TARGET_PASS_S:.0f} s ({entry['seconds']:.2f} s)"
            ] = entry["seconds"] < TARGET_PASS_S
    return lines, criteria


def table_c(args, info: dict) -> tuple[list[str], dict]:
    lines = [
        "",
        f"(c) intake (bench/intake.py's drafts, load and checks): {args.requests} timed drafts per round "
        f"(+{args.warmup} warm-up), {args.clients} clients, {args.retry_share:.0%} retries, gunicorn "
        f"{args.workers} sync workers; rounds alternate FAIRPLACE_OUTBOX_DELIVERY, ABBA; no worker runs "
        "(the on_commit tasks stay in Redis and are counted); dummy e-mail backend",
        f"{'round':<6} {'delivery':<10} {'subm/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
        f"{'tasks/receipts':>15} {'gunicorn CPU ms/subm':>21} {'pg ms/subm':>10} {'others s':>8}",
    ]
    for entry in info["rounds"]:
        ms, cpu, count = entry["latencies_ms"], entry["cpu"], max(1, entry["succeeded"])
        lines.append(
            f"{entry['number']:<6} {entry['mode']:<10} {entry['rate']:>7.1f} {statistics.median(ms):>7.1f} "
            f"{percentile(ms, 0.95):>7.1f} {entry['errors']:>6} "
            f"{str(entry['tasks']) + ' / ' + str(entry['receipts']):>15} "
            f"{cpu['gunicorn'] * 1000 / count:>21.2f} {cpu['postgres'] * 1000 / count:>10.2f} "
            f"{cpu['others'] + cpu['steal']:>8.1f}"
        )
    summary = {}
    for mode in ("worker", "on_commit"):
        entries = [entry for entry in info["rounds"] if entry["mode"] == mode]
        ms = [value for entry in entries for value in entry["latencies_ms"]]
        summary[mode] = {
            "rate": statistics.median(entry["rate"] for entry in entries),
            "p50": statistics.median(ms),
            "p95": percentile(ms, 0.95),
            "cpu": statistics.median(entry["cpu"]["gunicorn"] * 1000 / max(1, entry["succeeded"]) for entry in entries),
        }
    ratio = summary["on_commit"]["rate"] / summary["worker"]["rate"] if summary["worker"]["rate"] else 0.0
    for mode, label in (("worker", "without tasks (worker)"), ("on_commit", "with a task each (on_commit)")):
        row = summary[mode]
        lines.append(
            f"median {label:<30} {row['rate']:7.1f} submissions/s, latency p50 {row['p50']:.1f} ms, "
            f"p95 {row['p95']:.1f} ms, gunicorn CPU {row['cpu']:.2f} ms/submission"
        )
    lines.append(f"ratio with / without: {ratio:.3f} (submissions/s, medians over the rounds)")
    checks = info["checks"]
    lines.append(
        f"    database: {checks['reports']:,} reports, {checks['duplicates']} duplicates, {checks['lost']} lost "
        f"({checks['unlinked']} unlinked), {checks['receipts']:,} receipts; load average "
        f"{info['load_before']} before, {info['load_after']} after"
    )
    samples = [sample for entry in info["rounds"] for sample in entry["samples"]][:3]
    lines += [f"    error sample: {sample}" for sample in samples]
    tasks_ok = all(
        entry["tasks"] == (entry["receipts"] if entry["mode"] == "on_commit" else 0) for entry in info["rounds"]
    )
    criteria = {
        f"(c) with / without task enqueueing >= {TARGET_RATIO} ({ratio:.3f})": ratio >= TARGET_RATIO,
        "(c) one task per receipt with on_commit, none with worker": tasks_ok,
        "(c) 0 lost, 0 duplicates, 0 errors": (
            checks["lost"] == 0
            and checks["unlinked"] == 0
            and checks["duplicates"] == 0
            and not any(entry["errors"] for entry in info["rounds"])
        ),
    }
    return lines, criteria


def render(args, command: str, results: dict, errors: dict, started: float, machine: dict) -> tuple[str, bool]:
    found = next((results[part]["versions"] for part in ("a",) if part in results), None)
    rows = [
        ("date", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(machine["started"]))),
        ("app code", server.code_fingerprint()),
    ]
    if found:
        rows.append(
            (
                "machine",
                f"{os.cpu_count()} CPUs; Python {found['python']}, Django {found['django']}, "
                f"huey {found['huey']}, aiosmtpd {found['aiosmtpd']}, gunicorn {found['gunicorn']}, "
                f"PostgreSQL {found['pg']}, Redis {found['redis']}",
            )
        )
    else:
        rows.append(("machine", f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}"))
    rows += [
        (
            "queue",
            f"Redis {args.redis_url}, Huey name {machine['name']} (its keys deleted afterwards: "
            f"{machine.get('dropped', 0)})",
        ),
        ("load average", f"{machine['load_before']} at the start, {server.load_average()} at the end"),
        ("total time", f"{time.perf_counter() - started:.0f} s"),
    ]
    lines = [f"$ {command}", ""] + aligned(rows)
    criteria_lines, passed, plans = [], True, []
    for part, builder in (("a", table_a), ("b", table_b), ("c", table_c)):
        if part in errors:
            lines += ["", f"({part}) FAILED to run:", *("    " + line for line in errors[part].splitlines()[-15:])]
            criteria_lines.append(f"FAIL: ({part}) did not run to the end")
            passed = False
            continue
        if part not in results:
            continue
        part_lines, criteria = builder(args, results[part])
        lines += part_lines
        for name, ok in criteria.items():
            line, _ = verdict({name: ok})
            criteria_lines.append(line)
        passed = passed and all(criteria.values())
        if part == "b":
            plans = results[part]["plans"]
    lines += [""] + criteria_lines
    if plans:
        lines += ["", "EXPLAIN (ANALYZE, BUFFERS) of the deadline scans, nothing due (part b):", ""] + plans
    return "\n".join(lines), passed


def main(argv=None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/worker.py", *(sys.argv[1:] if argv is None else argv)])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    name = f"fairplace_bench_worker_{stamp.replace('-', '_')}_{os.getpid()}"
    machine = {"started": time.time(), "name": name, "load_before": server.load_average()}
    started = time.perf_counter()
    results, errors = {}, {}
    parts = {
        "a": lambda: in_child(part_a, args, stamp, name),
        "c": lambda: in_child(part_c, args, stamp, name),
        "b": lambda: part_b(args, name),
    }
    try:
        for part in ("a", "c", "b"):  # the quick parts first
            if part in args.parts:
                try:
                    results[part] = parts[part]()
                except (PartFailed, RuntimeError) as exc:
                    say(f"({part}) failed: {exc}")
                    errors[part] = str(exc)
    finally:
        machine["dropped"] = drop_redis_keys(args.redis_url, name)
    table, passed = render(args, command, results, errors, started, machine)
    publish(table, "worker", stamp)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
