"""From aggregates to publishable figures: the publication rules, applied once, when an
edition is frozen (methodology page: thresholds from settings.FAIRPLACE_BAROMETER).

- a count from 1 to 4 is "moins de 5" and is not stored; a rate whose numerator is 1 to 4 is
  stored without numerator, value or interval;
- a rate or a delay over fewer than MIN_SAMPLE_PUBLISH cases is not published ("insufficient");
- a family breakdown whose hidden cells would add up to 1–4 (deducible from the published total)
  hides its next smallest cells too (secondary suppression);
- rates carry a Wilson 95 % interval, medians a distribution-free 95 % interval (binomial ranks);
- ranks only among marketplaces with at least MIN_SAMPLE_RANK cases, counting only differences
  the intervals support; trends compare with the previous published edition, same rule.
"""

import math
from collections import defaultdict

from . import stats
from .indicators import all_indicators, barometer_setting
from .models import AggregateCell, EditionFigure, SellerPopulation

Status = EditionFigure.Status


def quarter_cells(period: str) -> dict[int, dict[tuple[str, int], int]]:
    cells = defaultdict(dict)
    for marketplace_id, measure, bucket, count in AggregateCell.objects.filter(period=period).values_list(
        "marketplace_id", "measure", "bucket", "count"
    ):
        cells[marketplace_id][(measure, bucket)] = count
    return cells


def _count_status(count: int) -> str:
    if count == 0:
        return Status.NONE
    return Status.BELOW_5 if count < barometer_setting("SUPPRESS_BELOW") else Status.OK


def count_figure(count: int) -> dict:
    status = _count_status(count)
    shown = None if status == Status.BELOW_5 else count
    return {"status": status, "n": shown, "value": shown}


def rate_figure(k: int, n: int) -> dict:
    if n == 0:
        return {"status": Status.NONE, "n": 0}
    if n < barometer_setting("SUPPRESS_BELOW"):
        return {"status": Status.BELOW_5}
    if n < barometer_setting("MIN_SAMPLE_PUBLISH"):
        return {"status": Status.INSUFFICIENT, "n": n}
    if 0 < k < barometer_setting("SUPPRESS_BELOW"):
        return {"status": Status.BELOW_5, "n": n}
    low, high = stats.wilson_interval(k, n)
    return {"status": Status.OK, "n": n, "k": k, "value": k / n, "ci_low": low, "ci_high": high}


def median_interval(histogram: dict[int, int]) -> tuple[float, float]:
    """Distribution-free 95 % interval of the median: order statistics at the binomial ranks
    n/2 ∓ 1.96·√n/2 (rounded outwards), as in Conover's method."""
    n = sum(histogram.values())
    half_width = stats.Z_95 * math.sqrt(n) / 2
    low_rank = max(1, math.floor(n / 2 - half_width))
    high_rank = min(n, math.ceil(1 + n / 2 + half_width))
    return stats._order_statistic(histogram, low_rank - 1), stats._order_statistic(histogram, high_rank - 1)


def distribution_figure(histogram: dict[int, int], awaiting: int, awaiting_overdue: int) -> dict:
    """Hours to answer → median and 90th percentile in days; still-open cases apart."""
    n = sum(histogram.values())
    extra = {}
    for name, count in (("awaiting", awaiting), ("awaiting_overdue", awaiting_overdue)):
        shown = count_figure(count)
        extra[name], extra[f"{name}_status"] = shown["n"], shown["status"]
    if n == 0:
        return {"status": Status.NONE, "n": 0, "extra": extra}
    if n < barometer_setting("SUPPRESS_BELOW"):
        return {"status": Status.BELOW_5, "extra": extra}
    if n < barometer_setting("MIN_SAMPLE_PUBLISH"):
        return {"status": Status.INSUFFICIENT, "n": n, "extra": extra}
    low, high = median_interval(histogram)
    return {
        "status": Status.OK,
        "n": n,
        "value": stats.histogram_percentile(histogram, 50) / 24,
        "p90": stats.histogram_percentile(histogram, 90) / 24,
        "ci_low": low / 24,
        "ci_high": high / 24,
        "extra": extra,
    }


def family_figures(cells: dict, received: int) -> dict[str, dict]:
    counts = {
        measure.split(":", 1)[1]: count
        for (measure, _bucket), count in cells.items()
        if measure.startswith("family:") and count
    }
    figures = {family: rate_figure(count, received) for family, count in counts.items()}
    hidden = {family for family, figure in figures.items() if figure["status"] == Status.BELOW_5}
    if received >= barometer_setting("MIN_SAMPLE_PUBLISH"):
        # The published total minus the published cells must not reveal a count under 5.
        while 0 < sum(counts[family] for family in hidden) < barometer_setting("SUPPRESS_BELOW"):
            shown = sorted((count, family) for family, count in counts.items() if family not in hidden)
            if not shown:
                break
            family = shown[0][1]
            hidden.add(family)
            figures[family] = {"status": Status.BELOW_5, "n": received, "extra": {"secondary": True}}
    return figures


def _populations(year: int) -> dict:
    """Each marketplace's latest sourced seller count up to ``year`` (one query)."""
    latest = {}
    for population in SellerPopulation.objects.filter(year__lte=year).order_by("year"):
        latest[population.marketplace_id] = population
    return latest


def build_figures(period: str, marketplace_ids: list[int], previous: dict | None = None) -> list[dict]:
    """Figures of quarter ``period`` for the given marketplaces, ranked and compared with the
    previous edition's figures ``previous`` ({(marketplace_id, indicator, breakdown): figure})."""
    cells_by_marketplace = quarter_cells(period)
    populations = _populations(int(period[:4]))
    rows = []
    for marketplace_id in marketplace_ids:
        cells = cells_by_marketplace.get(marketplace_id, {})

        def get(measure, cells=cells):
            return cells.get((measure, 0), 0)

        received = get("received")
        for indicator in all_indicators():
            measures = indicator.measures
            if indicator.kind == "count":
                figures = {"": count_figure(get(measures["n"]))}
            elif indicator.kind == "rate":
                figures = {"": rate_figure(get(measures["k"]), get(measures["n"]))}
            elif indicator.kind == "breakdown":
                figures = family_figures(cells, received)
            elif indicator.kind == "distribution":
                histogram = {
                    bucket: count
                    for (measure, bucket), count in cells.items()
                    if measure == measures["histogram"] and count
                }
                figures = {"": distribution_figure(histogram, get(measures["open"]), get(measures["open_overdue"]))}
            else:  # per_thousand
                population = populations.get(marketplace_id)
                figure = count_figure(received)
                if population is None or population.sellers == 0:
                    figure = {"status": Status.UNKNOWN}
                elif figure["status"] == Status.OK:
                    figure["value"] = 1000 * received / population.sellers
                if population is not None:
                    figure["extra"] = {
                        "sellers": population.sellers,
                        "source": population.source_label,
                        "source_url": population.source_url,
                        "year": population.year,
                    }
                figures = {"": figure}
            for breakdown, figure in figures.items():
                rows.append(
                    {"marketplace_id": marketplace_id, "indicator": indicator.code, "breakdown": breakdown, **figure}
                )
    _rank(rows)
    _trend(rows, previous or {})
    return rows


def _rank(rows: list[dict]) -> None:
    indicators = {indicator.code: indicator for indicator in all_indicators()}
    groups = defaultdict(list)
    for row in rows:
        indicator = indicators[row["indicator"]]
        if (
            indicator.higher_is_better is not None
            and indicator.kind in ("rate", "distribution")
            and row["status"] == Status.OK
            and row.get("n", 0) >= indicator.rank_min_sample
        ):
            groups[(row["indicator"], row["breakdown"])].append(row)
    for (code, _breakdown), members in groups.items():
        if len(members) < 2:
            continue
        ranks = stats.rank_where_separated(
            {id(row): (row["value"], row["ci_low"], row["ci_high"]) for row in members},
            indicators[code].higher_is_better,
        )
        for row in members:
            row["rank"], row["ranked_count"] = ranks[id(row)], len(members)


def _trend(rows: list[dict], previous: dict) -> None:
    for row in rows:
        before = previous.get((row["marketplace_id"], row["indicator"], row["breakdown"]))
        if row["status"] != Status.OK or row.get("ci_low") is None or not before:
            continue
        if before.get("status") != Status.OK or before.get("ci_low") is None:
            continue
        row["trend"] = stats.trend((before["ci_low"], before["ci_high"]), (row["ci_low"], row["ci_high"]))
