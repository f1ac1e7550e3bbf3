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
    result_path.write_text(table + "\n", encoding="utf-8")
    if log_path is not None and log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()
    kept = f"; gunicorn log: {log_path.relative_to(ROOT)}" if log_path is not None and log_path.exists() else ""
    print(f"\n(written to {result_path.relative_to(ROOT)}{kept})")
