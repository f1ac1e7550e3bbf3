"""The barometer's statistics against an independent computation (scipy, numpy)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

from fairplace.barometer import stats
from fairplace.barometer.figures import median_interval


def test_z_is_the_normal_quantile():
    assert abs(stats.Z_95 - norm.ppf(0.975)) < 1e-12


@given(n=st.integers(min_value=1, max_value=5000), data=st.data())
@settings(max_examples=300, deadline=None)
def test_wilson_interval_matches_scipy(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = stats.wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_wilson_known_value():
    # 43 of 120, as binomtest(43, 120).proportion_ci(method="wilson") gives it.
    low, high = stats.wilson_interval(43, 120)
    assert (round(low, 4), round(high, 4)) == (0.2782, 0.4473)


@pytest.mark.parametrize("k, n", [(-1, 3), (4, 3), (0, 0)])
def test_wilson_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError):
        stats.wilson_interval(k, n)


histograms = st.dictionaries(
    st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=40), min_size=1, max_size=60
)


@given(histogram=histograms, q=st.sampled_from([0, 10, 25, 50, 75, 90, 99, 100]))
@settings(max_examples=300, deadline=None)
def test_histogram_percentile_matches_numpy(histogram, q):
    values = np.repeat(list(histogram.keys()), list(histogram.values()))
    assert stats.histogram_percentile(histogram, q) == pytest.approx(np.percentile(values, q), abs=1e-9)


@given(histogram=histograms)
@settings(max_examples=200, deadline=None)
def test_median_interval_brackets_the_median_at_binomial_ranks(histogram):
    values = np.sort(np.repeat(list(histogram.keys()), list(histogram.values())))
    n = len(values)
    low, high = median_interval(histogram)
    half = norm.ppf(0.975) * np.sqrt(n) / 2
    low_rank, high_rank = max(1, int(np.floor(n / 2 - half))), min(n, int(np.ceil(1 + n / 2 + half)))
    assert (low, high) == (values[low_rank - 1], values[high_rank - 1])
    assert low <= np.median(values) <= high


def test_ranks_count_only_separated_intervals():
    intervals = {"a": (0.85, 0.80, 0.90), "b": (0.78, 0.70, 0.84), "c": (0.55, 0.50, 0.60)}
    assert stats.rank_where_separated(intervals, higher_is_better=True) == {"a": 1, "b": 1, "c": 3}
    # Lower is better (delays): c is better than both, a and b overlap.
    assert stats.rank_where_separated(intervals, higher_is_better=False) == {"a": 2, "b": 2, "c": 1}


@pytest.mark.parametrize(
    "previous, current, expected",
    [
        ((0.3, 0.4), (0.5, 0.6), "up"),
        ((0.5, 0.6), (0.3, 0.4), "down"),
        ((0.3, 0.5), (0.4, 0.6), "stable"),
        (None, (0.4, 0.6), ""),
    ],
)
def test_trend_needs_separated_intervals(previous, current, expected):
    assert stats.trend(previous, current) == expected
