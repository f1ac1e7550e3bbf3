"""Aggregates: incremental update (per stale report) and full recompute, same figures.

Both paths compute each report's cells with ``facts.report_cells`` and keep, per report, what it
contributed (``ReportContribution``). The incremental path recounts the reports marked stale by
a new event (``StaleReport``, written in the event's transaction), under those reports' row locks —
the lock every event writer takes — and adds the difference between the new and the old
contribution to the aggregates. The full recompute rebuilds everything from the event table;
marks left by events written meanwhile are processed by the next incremental run (recounting a
report is idempotent). Runs are serialised by a lock row (``ComputationLock``).
"""

import io
import json
import time
from collections import Counter
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from fairplace.platforms.models import Marketplace
from fairplace.reports import queries as report_queries

from .facts import NO_ANSWERS, periods_of, report_cells
from .models import AggregateCell, ComputationLock, ComputationRun, ReportContribution, StaleReport

BATCH = 500


def _marketplace_ids() -> dict:
    return dict(Marketplace.objects.values_list("slug", "pk"))


def _lock():
    ComputationLock.objects.get_or_create(name="barometer")
    return ComputationLock.objects.select_for_update().get(name="barometer")


def _contributions_for(report_ids) -> dict[int, list | None]:
    """Fresh contributions of the given reports (all of them when ``report_ids`` is None)."""
    slugs = _marketplace_ids()
    statics = {
        pk: (marketplace_id, answers) for pk, marketplace_id, answers in report_queries.submission_facts(report_ids)
    }
    contributions = {}
    for report_id, rows in groupby(report_queries.barometer_events(report_ids), key=itemgetter(0)):
        marketplace_id, answers = statics.get(report_id, (None, NO_ANSWERS))
        contributions[report_id] = report_cells((row[1:] for row in rows), marketplace_id, answers, slugs)
    return contributions


def _expand(contribution) -> Counter:
    """A report's contribution → counts per (marketplace, period, measure, bucket) for its
    month, quarter and year."""
    counts = Counter()
    if not contribution:
        return counts
    marketplace_id, month, measures, hours = contribution
    for period in periods_of(month):
        for measure in measures:
            counts[(marketplace_id, period, measure, 0)] += 1
        if hours is not None:
            counts[(marketplace_id, period, "answer_hours", hours)] += 1
    return counts


def refresh_stale(batch: int = BATCH) -> int:
    """Recount the reports marked stale; returns how many reports were recounted."""
    done = 0
    while True:
        ids = list(StaleReport.objects.order_by("report_id").values_list("report_id", flat=True)[:batch])
        if not ids:
            return done
        started = timezone.now()
        with transaction.atomic():
            _lock()
            with report_queries.locked_reports(ids):
                # Under the reports' locks every event of theirs is committed and visible.
                StaleReport.objects.filter(report_id__in=ids).delete()
                fresh = _contributions_for(ids)
                old = dict(ReportContribution.objects.filter(report_id__in=ids).values_list("report_id", "cells"))
                delta, changed, emptied = Counter(), {}, []
                for report_id in ids:
                    new_cells, old_cells = fresh.get(report_id), old.get(report_id)
                    if new_cells == old_cells:
                        continue
                    delta.update(_expand(new_cells))
                    delta.subtract(_expand(old_cells))
                    if new_cells:
                        changed[report_id] = new_cells
                    else:
                        emptied.append(report_id)
                ReportContribution.objects.filter(report_id__in=emptied).delete()
                ReportContribution.objects.bulk_create(
                    [ReportContribution(report_id=report_id, cells=cells) for report_id, cells in changed.items()],
                    update_conflicts=True,
                    unique_fields=["report_id"],
                    update_fields=["cells"],
                    batch_size=1000,
                )
                _apply(delta)
            ComputationRun.objects.create(
                kind=ComputationRun.Kind.INCREMENTAL,
                started_at=started,
                finished_at=timezone.now(),
                reports=len(ids),
                cells=sum(1 for value in delta.values() if value),
            )
        done += len(ids)


def _apply(delta: Counter) -> None:
    """Add ``delta`` to the cells: one INSERT … ON CONFLICT DO UPDATE (PostgreSQL and SQLite)."""
    changes = [(*key, value) for key, value in delta.items() if value]
    if not changes:
        return
    table = AggregateCell._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(changes), 1000):
            rows = changes[start : start + 1000]
            cursor.execute(
                f"INSERT INTO {table} (marketplace_id, period, measure, bucket, count) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
                + " ON CONFLICT (marketplace_id, period, measure, bucket)"
                f" DO UPDATE SET count = {table}.count + excluded.count",
                [value for row in rows for value in row],
            )
        cursor.execute(f"DELETE FROM {table} WHERE count = 0")  # noqa: S608
        cursor.execute(f"SELECT 1 FROM {table} WHERE count < 0 LIMIT 1")  # noqa: S608
        if cursor.fetchone():
            raise RuntimeError("barometer aggregates out of step: run manage.py compute_barometer --full")


def full_recompute(stdout=None) -> dict:
    """Rebuild every aggregate and every report's contribution from the events."""
    started, clock = timezone.now(), time.perf_counter()
    timings = {}
    with transaction.atomic():
        _lock()
        fresh = _contributions_for(None)
        timings["lecture et calcul"] = time.perf_counter() - clock
        # Reports with the same marketplace, month and measures are counted together.
        signatures, hours = Counter(), Counter()
        for contribution in fresh.values():
            if contribution:
                marketplace_id, month, measures, answer_hours = contribution
                signatures[(marketplace_id, month, tuple(measures))] += 1
                if answer_hours is not None:
                    hours[(marketplace_id, month, answer_hours)] += 1
        totals = Counter()
        for (marketplace_id, month, measures), count in signatures.items():
            for period in periods_of(month):
                for measure in measures:
                    totals[(marketplace_id, period, measure, 0)] += count
        for (marketplace_id, month, answer_hours), count in hours.items():
            for period in periods_of(month):
                totals[(marketplace_id, period, "answer_hours", answer_hours)] += count
        timings["agrégation"] = time.perf_counter() - clock - sum(timings.values())
        _empty_tables()
        _write_cells(totals)
        _write_contributions({report_id: cells for report_id, cells in fresh.items() if cells})
        timings["écriture"] = time.perf_counter() - clock - sum(timings.values())
        ComputationRun.objects.create(
            kind=ComputationRun.Kind.FULL,
            started_at=started,
            finished_at=timezone.now(),
            reports=len(fresh),
            cells=len(totals),
        )
    return {"reports": len(fresh), "cells": len(totals), "seconds": time.perf_counter() - clock, **timings}


def _empty_tables() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # transactional; much faster than DELETE on a million rows
            cursor.execute(f"TRUNCATE {AggregateCell._meta.db_table}, {ReportContribution._meta.db_table}")
        return
    AggregateCell.objects.all().delete()
    ReportContribution.objects.all().delete()


def _write_cells(totals: Counter) -> None:
    if connection.vendor == "postgresql":
        columns = "marketplace_id, period, measure, bucket, count"
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {AggregateCell._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for key, value in totals.items():
                copy.write_row((*key, value))
        return
    AggregateCell.objects.bulk_create(
        [
            AggregateCell(marketplace_id=key[0], period=key[1], measure=key[2], bucket=key[3], count=value)
            for key, value in totals.items()
        ],
        batch_size=5000,
    )


def _write_contributions(contributions: dict) -> None:
    if connection.vendor == "postgresql":
        table = ReportContribution._meta.db_table
        buffer = io.StringIO()
        for report_id, cells in contributions.items():
            text = json.dumps(cells, separators=(",", ":")).replace("\\", "\\\\")
            buffer.write(f"{report_id}\t{text}\n")
        buffer.seek(0)
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} (report_id, cells) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        return
    ReportContribution.objects.bulk_create(
        [ReportContribution(report_id=report_id, cells=cells) for report_id, cells in contributions.items()],
        batch_size=2000,
    )


def aggregate_snapshot() -> dict:
    """Every non-zero aggregate as {(marketplace_id, period, measure, bucket): count} (tests, checks)."""
    return {
        (cell[0], cell[1], cell[2], cell[3]): cell[4]
        for cell in AggregateCell.objects.values_list("marketplace_id", "period", "measure", "bucket", "count")
        if cell[4]
    }
