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
from collections import Counter, defaultdict
from itertools import groupby

from django.db import connection, transaction
from django.utils import timezone

from fairplace.platforms.models import Marketplace
from fairplace.reports import queries as report_queries

from .facts import periods_of, report_cells
from .models import AggregateCell, ComputationLock, ComputationRun, ReportContribution, StaleReport

BATCH = 500


def _marketplace_ids() -> dict:
    return dict(Marketplace.objects.values_list("slug", "pk"))


def _lock():
    ComputationLock.objects.get_or_create(name="barometer")
    return ComputationLock.objects.select_for_update().get(name="barometer")


def _cells_for(report_ids) -> dict[int, list[tuple]]:
    """Fresh cells of the given reports (all of them when ``report_ids`` is None)."""
    slugs = _marketplace_ids()
    statics = {pk: (marketplace_id, answers)
               for pk, marketplace_id, answers in report_queries.submission_facts(report_ids)}
    cells = {}
    for report_id, rows in groupby(report_queries.barometer_events(report_ids), key=lambda row: row[0]):
        marketplace_id, answers = statics.get(report_id, (None, {}))
        cells[report_id] = report_cells(((code, at, payload) for _, code, at, payload in rows),
                                        marketplace_id, answers, slugs)
    return cells


def _expand(cells) -> Counter:
    """Monthly cells → counts per (marketplace, period, measure, bucket) for month, quarter, year."""
    counts = Counter()
    for marketplace_id, month, measure, bucket in cells:
        for period in periods_of(month):
            counts[(marketplace_id, period, measure, bucket)] += 1
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
                fresh = _cells_for(ids)
                old = {row.report_id: row for row in ReportContribution.objects.filter(report_id__in=ids)}
                delta = Counter()
                for report_id in ids:
                    new_cells = [tuple(cell) for cell in fresh.get(report_id, [])]
                    previous = old.get(report_id)
                    old_cells = [tuple(cell) for cell in previous.cells] if previous else []
                    if new_cells == old_cells:
                        continue
                    delta.update(_expand(new_cells))
                    delta.subtract(_expand(old_cells))
                    if previous and new_cells:
                        previous.cells = new_cells
                        previous.save(update_fields=["cells"])
                    elif previous:
                        previous.delete()
                    elif new_cells:
                        ReportContribution.objects.create(report_id=report_id, cells=new_cells)
                _apply(delta)
            ComputationRun.objects.create(kind=ComputationRun.Kind.INCREMENTAL, started_at=started,
                                          finished_at=timezone.now(), reports=len(ids),
                                          cells=sum(1 for value in delta.values() if value))
        done += len(ids)


def _apply(delta: Counter) -> None:
    changes = {key: value for key, value in delta.items() if value}
    if not changes:
        return
    by_marketplace = defaultdict(set)
    for marketplace_id, period, measure, _bucket in changes:
        by_marketplace[marketplace_id].add((period, measure))
    existing = {}
    for marketplace_id, pairs in by_marketplace.items():
        periods = {period for period, _ in pairs}
        measures = {measure for _, measure in pairs}
        for cell in AggregateCell.objects.filter(marketplace_id=marketplace_id, period__in=periods,
                                                 measure__in=measures):
            existing[(cell.marketplace_id, cell.period, cell.measure, cell.bucket)] = cell
    updated, created, emptied = [], [], []
    for key, value in changes.items():
        cell = existing.get(key)
        if cell is None:
            if value < 0:
                raise RuntimeError(f"barometer aggregates out of step at {key}: run compute_barometer --full")
            created.append(AggregateCell(marketplace_id=key[0], period=key[1], measure=key[2], bucket=key[3],
                                         count=value))
            continue
        cell.count += value
        if cell.count < 0:
            raise RuntimeError(f"barometer aggregates out of step at {key}: run compute_barometer --full")
        (emptied if cell.count == 0 else updated).append(cell)
    AggregateCell.objects.bulk_update(updated, ["count"], batch_size=1000)
    AggregateCell.objects.bulk_create(created, batch_size=1000)
    AggregateCell.objects.filter(pk__in=[cell.pk for cell in emptied]).delete()


def full_recompute(stdout=None) -> dict:
    """Rebuild every aggregate and every report's contribution from the events."""
    started, clock = timezone.now(), time.perf_counter()
    timings = {}
    with transaction.atomic():
        _lock()
        fresh = _cells_for(None)
        timings["lecture et calcul"] = time.perf_counter() - clock
        counts = Counter()
        for cells in fresh.values():
            for marketplace_id, month, measure, bucket in cells:
                counts[(marketplace_id, month, measure, bucket)] += 1
        totals = Counter()
        for (marketplace_id, month, measure, bucket), value in counts.items():
            for period in periods_of(month):
                totals[(marketplace_id, period, measure, bucket)] += value
        timings["agrégation"] = time.perf_counter() - clock - sum(timings.values())
        AggregateCell.objects.all().delete()
        ReportContribution.objects.all().delete()
        AggregateCell.objects.bulk_create(
            [AggregateCell(marketplace_id=key[0], period=key[1], measure=key[2], bucket=key[3], count=value)
             for key, value in totals.items()], batch_size=5000)
        _write_contributions({report_id: cells for report_id, cells in fresh.items() if cells})
        timings["écriture"] = time.perf_counter() - clock - sum(timings.values())
        ComputationRun.objects.create(kind=ComputationRun.Kind.FULL, started_at=started, finished_at=timezone.now(),
                                      reports=len(fresh), cells=len(totals))
    return {"reports": len(fresh), "cells": len(totals), "seconds": time.perf_counter() - clock, **timings}


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
        batch_size=2000)


def aggregate_snapshot() -> dict:
    """Every non-zero aggregate as {(marketplace_id, period, measure, bucket): count} (tests, checks)."""
    return {(cell[0], cell[1], cell[2], cell[3]): cell[4] for cell in AggregateCell.objects.values_list(
        "marketplace_id", "period", "measure", "bucket", "count") if cell[4]}
