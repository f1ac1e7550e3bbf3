"""Numbers and tables of a benchmark run: percentiles, the aligned table, the verdict, the result file."""

import statistics
from pathlib import Path

from bench.lib import RESULTS_DIR, ROOT


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else 0.0


def latency_rows(ms: list[float]) -> list[tuple[str, str]]:
    """The p50, p95 and max rows of a table, from latencies in milliseconds."""
    return [
        ("latency p50", f"{statistics.median(ms) if ms else 0:.1f} ms"),
        ("latency p95", f"{percentile(ms, 0.95):.1f} ms"),
        ("latency max", f"{max(ms) if ms else 0:.1f} ms"),
    ]


def aligned(rows: list[tuple[str, str]]) -> list[str]:
    """``name  value`` lines, the values in one column."""
    width = max(len(name) for name, _ in rows)
    return [f"{name.ljust(width)}  {value}" for name, value in rows]


def verdict(criteria: dict[str, bool]) -> tuple[str, bool]:
    """The closing ``PASS: …`` / ``FAIL: …`` line of a table, and whether every criterion is met."""
    passed = all(criteria.values())
    details = ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in criteria.items())
    return f"{'PASS' if passed else 'FAIL'}: {details}", passed


def publish(table: str, name: str, stamp: str, log_path: Path | None = None) -> None:
    """Print ``table``, write it to bench/results/<name>-<stamp>.txt and drop ``log_path`` if empty."""
    print()
    print(table)
    result_path = RESULTS_DIR / f"{name}-{stamp}.txt"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)  # ignored by git: absent from a fresh clone
    result_path.write_text(table + "\n", encoding="utf-8")
    if log_path is not None and log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()
    kept = f"; gunicorn log: {log_path.relative_to(ROOT)}" if log_path is not None and log_path.exists() else ""
    print(f"\n(written to {result_path.relative_to(ROOT)}{kept})")


def rounds_table(targets: list[tuple[str, str]], runs: dict, baseline: str) -> tuple[list[str], dict]:
    """The table of ``httpclient.load_rounds``'s ``runs``, one line per ``(label, path)`` target: page
    size, median req/s over the rounds (and each round's), latency percentiles over every timed
    request, errors, the ratio of the median req/s to the ``baseline`` path's, CPU per request (the
    server's, PostgreSQL's, the load generator's) and the CPU seconds other processes took meanwhile.
    Returns the lines and, by path, {rate, ratio, p95, errors, samples}."""
    base_rate = statistics.median(run.rate for run in runs[baseline])
    width = max(len(label) for label, _ in targets)
    lines = [
        f"{'page'.ljust(width)} {'KB':>5} {'req/s (median; each round)':<30} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'max':>6} {'errors':>6} {'vs baseline':>11}  CPU ms/req: server    pg  client  others s"
    ]
    summary = {}
    for label, path in targets:
        page_runs = runs[path]
        ms = [latency * 1000 for run in page_runs for latency in run.latencies]
        count = len(ms) or 1
        rate = statistics.median(run.rate for run in page_runs)
        cpu = {
            key: sum(run.cpu[key] for run in page_runs) for key in ("gunicorn", "postgres", "bench", "others", "steal")
        }
        errors = sum(sum(run.errors.values()) for run in page_runs)
        ratio = rate / base_rate if base_rate else 0.0
        rates = f"{rate:7.0f} (" + " ".join(f"{run.rate:.0f}" for run in page_runs) + ")"
        lines.append(
            f"{label.ljust(width)} {page_runs[0].body_bytes / 1024:5.0f} {rates:<30} "
            f"{statistics.median(ms) if ms else 0:6.1f} {percentile(ms, 0.95):6.1f} "
            f"{percentile(ms, 0.99):6.1f} {max(ms) if ms else 0:6.1f} {errors:>6} {ratio:>11.1%}  "
            f"{cpu['gunicorn'] * 1000 / count:18.2f} {cpu['postgres'] * 1000 / count:5.2f} "
            f"{cpu['bench'] * 1000 / count:7.2f} {cpu['others'] + cpu['steal']:9.1f}"
        )
        summary[path] = {
            "rate": rate,
            "ratio": ratio,
            "p95": percentile(ms, 0.95),
            "errors": errors,
            "samples": [sample for run in page_runs for sample in run.samples],
        }
    return lines, summary
