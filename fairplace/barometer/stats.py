"""The barometer's statistics, written once: Wilson intervals, percentiles of a histogram,
ranking only where intervals separate, trends. Tests compare them with scipy and numpy."""

import math
from collections.abc import Mapping

Z_95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n (n > 0)."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError("wilson_interval needs 0 <= k <= n and n > 0")
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def histogram_percentile(histogram: Mapping[int, int], q: float) -> float:
    """The q-th percentile (0–100) of the values a histogram {value: count} describes, with
    linear interpolation between order statistics (numpy's default method)."""
    total = sum(histogram.values())
    if total <= 0:
        raise ValueError("empty histogram")
    position = (total - 1) * q / 100
    lower_index, fraction = int(math.floor(position)), position - math.floor(position)
    lower = _order_statistic(histogram, lower_index)
    if fraction == 0:
        return float(lower)
    upper = _order_statistic(histogram, lower_index + 1)
    return lower + (upper - lower) * fraction


def _order_statistic(histogram: Mapping[int, int], index: int) -> int:
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if index < seen:
            return value
    raise IndexError(index)


def separated(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two intervals do not overlap."""
    return a[1] < b[0] or b[1] < a[0]


def rank_where_separated(intervals: Mapping[object, tuple[float, float, float]], higher_is_better: bool) -> dict:
    """Competition ranks that only count differences the intervals support: a marketplace's
    rank is 1 + the number of marketplaces whose whole interval lies on the better side of
    its own. ``intervals`` maps key → (value, low, high). Overlapping marketplaces share a rank."""
    ranks = {}
    for key, (_value, low, high) in intervals.items():
        better = 0
        for other, (_v, other_low, other_high) in intervals.items():
            if other == key:
                continue
            if higher_is_better and other_low > high or not higher_is_better and other_high < low:
                better += 1
        ranks[key] = better + 1
    return ranks


def trend(previous: tuple[float, float] | None, current: tuple[float, float] | None) -> str:
    """ "up" or "down" when the two intervals separate, "stable" when they overlap, "" when one
    of them is missing (not published)."""
    if previous is None or current is None:
        return ""
    if not separated(previous, current):
        return "stable"
    return "up" if current[0] > previous[1] else "down"
