"""Bench data: a realistic queue of reports with coherent histories, written fast.

``generate(count)`` writes ``count`` reports spread over three years, every active
marketplace (and some "autre"), every active family, states distributed as in a queue that
has run for a while (mostly closed; some waiting, forwarded, overdue, in mediation), each
with the chain of events the workflow would have written (same codes, same payloads, same
SHA-256 chain as ``events.record_event``, so ``events.verify_chain`` holds), plus the seller
contacts, platform answers, mediation referrals and attachment rows (no files) they imply.

Only for a database made for benchmarks: the management command ``generate_bench_reports``
refuses any other (see ``is_bench_database``). On PostgreSQL the rows go through ``COPY``
(psycopg 3) and the secondary indexes of the two big tables are dropped during the load and
rebuilt after it; elsewhere (SQLite) through ``bulk_create``. Ids are allocated up front (the
sequences are moved past them at the end), so a chunk of reports is a pure function of the
seed and its position.

``sellers``: who the sellers are (names, SIRETs, references); ``cases``: one report and its
history; ``loading``: writing the rows.
"""

import hashlib
import multiprocessing
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, connections, transaction
from django.utils import timezone

from ..models import MediationReferral, PlatformAnswer, Report, ReportEvent, SellerContact, SellerFeedback
from .cases import YEARS, Chunk, Plan, build_chunk
from .loading import (
    TABLES,
    can_skip_foreign_key_checks,
    check_foreign_keys,
    move_sequences,
    next_id,
    secondary_indexes_dropped,
    table_spec,
    write_chunk,
)
from .refs import load_refs
from .sellers import seller_for


def is_bench_database(name: str) -> bool:
    """Generated data must never land in a real database: only one named for benchmarks."""
    return "bench" in (name or "").lower()


@dataclass
class Result:
    reports: int = 0
    events: int = 0
    contacts: int = 0
    answers: int = 0
    referrals: int = 0
    attachments: int = 0
    feedback: int = 0
    states: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    index_seconds: float = 0.0
    first_report_id: int = 0
    workers: int = 1
    foreign_key_checks: str = "per row"

    @property
    def rows(self) -> int:
        return (
            self.reports
            + self.events
            + self.contacts
            + self.answers
            + self.referrals
            + self.attachments
            + self.feedback
        )

    def add(self, counts: dict) -> None:
        for name in ("reports", "events", "contacts", "answers", "referrals", "attachments", "feedback"):
            setattr(self, name, getattr(self, name) + counts[name])
        self.states.update(counts["states"])


def _counts(chunk: Chunk) -> dict:
    return {
        "reports": len(chunk.reports),
        "events": len(chunk.events),
        "contacts": len(chunk.contacts),
        "answers": len(chunk.answers),
        "referrals": len(chunk.referrals),
        "feedback": len(chunk.feedback),
        "attachments": len(chunk.attachments),
        "states": chunk.states,
    }


def generate(
    count: int,
    *,
    seed: int = 1,
    batch: int = 10_000,
    workers: int | None = None,
    now: datetime | None = None,
    progress: Callable[[str], None] = print,
    bulk_mode: bool | None = None,
) -> Result:
    """Write ``count`` reports with their histories (see the module docstring); the caller
    makes sure the database is a bench database. On PostgreSQL, outside a transaction,
    ``workers`` processes (default: one per CPU, at most 4) build and COPY chunks side by side.
    ``bulk_mode`` (default: from 50,000 reports, on PostgreSQL) drops the secondary indexes of
    the reports and events during the load and, for a superuser, defers the foreign-key checks
    to one verification at the end."""
    if count < 1 or batch < 1:
        raise ValueError("count and batch must be at least 1")
    started = time.perf_counter()
    refs = load_refs()
    now = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    plan = Plan(
        count=count,
        seed=seed,
        now=now,
        report_base=next_id(Report),
        event_base=next_id(ReportEvent),
        contact_base=next_id(SellerContact),
        answer_base=next_id(PlatformAnswer),
        feedback_base=next_id(SellerFeedback),
        referral_base=next_id(MediationReferral),
        repeat_sellers=max(1, count // 50),
        salt=int.from_bytes(hashlib.sha256(f"bench:{seed}".encode()).digest()[:8], "big"),
    )
    specs = {name: table_spec(model, attnames) for name, model, attnames in TABLES}
    # Separate processes need committed reference data and their own connections: PostgreSQL
    # only, and not inside a transaction (the test suite's).
    parallel = connection.vendor == "postgresql" and not connection.in_atomic_block
    workers = max(1, min(workers or min(4, os.cpu_count() or 1), -(-count // batch))) if parallel else 1
    bulk_mode = count >= 50_000 if bulk_mode is None else bulk_mode
    skip_fk = bulk_mode and can_skip_foreign_key_checks()
    result = Result(
        first_report_id=plan.report_base,
        workers=workers,
        foreign_key_checks="checked after the load" if skip_fk else "per row",
    )
    # The repeat sellers' contacts first: any chunk may point at them.
    repeat = [seller_for(plan.contact_base + i, seed) for i in range(plan.repeat_sellers)]
    with transaction.atomic():
        write_chunk(specs, Chunk(contacts=[(s.contact_id, s.email, now - timedelta(days=YEARS * 365)) for s in repeat]))
    result.contacts += len(repeat)
    with secondary_indexes_dropped([Report, ReportEvent] if bulk_mode else [], workers=workers) as dropped:
        if dropped:
            progress(
                f"{len(dropped)} index secondaires des signalements et des événements supprimés le temps du chargement"
            )
        starts = list(range(0, count, batch))
        chunks = (
            _in_processes(plan, refs, specs, starts, batch, workers, skip_fk)
            if workers > 1
            else _in_process(plan, refs, specs, starts, batch, skip_fk)
        )
        for counts in chunks:
            result.add(counts)
            elapsed = time.perf_counter() - started
            progress(
                f"{result.reports:>9} signalements, {result.events:>9} événements en {elapsed:6.1f} s "
                f"({result.reports / elapsed:.0f} signalements/s, {result.rows / elapsed:.0f} lignes/s)"
            )
        index_started = time.perf_counter()
        if dropped:
            progress("reconstruction des index …")
    result.index_seconds = time.perf_counter() - index_started if dropped else 0.0
    if skip_fk:
        progress("vérification des clés étrangères …")
        broken = check_foreign_keys()
        if broken:
            raise RuntimeError(f"generated rows point at missing rows: {', '.join(broken)}")
    move_sequences()
    result.seconds = time.perf_counter() - started
    return result


def _in_process(plan, refs, specs, starts, batch, skip_fk):
    for start in starts:
        chunk = build_chunk(plan, refs, start, min(plan.count, start + batch))
        with transaction.atomic():
            write_chunk(specs, chunk, skip_foreign_key_checks=skip_fk)
        yield _counts(chunk)


def _in_processes(plan, refs, specs, starts, batch, workers, skip_fk):
    """Chunks built and written by ``workers`` forked processes (each its own connection);
    yields their counts as they finish. A failing worker stops the others."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    # A forked child must not share the parent's connection: close it before forking; each
    # child opens its own on first use.
    connections.close_all()
    processes = [
        context.Process(
            target=_worker, daemon=True, args=(plan, refs, specs, starts[w::workers], batch, skip_fk, queue)
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    running = workers
    try:
        while running:
            kind, value = queue.get()
            if kind == "error":
                raise RuntimeError(f"a generating process failed:\n{value}")
            if kind == "done":
                running -= 1
            else:
                yield value
    finally:
        for process in processes:
            if process.is_alive() and running:
                process.terminate()
            process.join()


def _worker(plan, refs, specs, starts, batch, skip_fk, queue) -> None:
    try:
        for counts in _in_process(plan, refs, specs, starts, batch, skip_fk):
            queue.put(("chunk", counts))
        queue.put(("done", None))
    except BaseException:  # reported to the parent, which stops the run
        queue.put(("error", traceback.format_exc()))
    finally:
        connections.close_all()
