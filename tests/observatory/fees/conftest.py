"""Fixtures of the fee observatory: the common taxonomy, the seed schedules."""

import pytest

from fairplace.observatory.fees.loading import load_seed, load_taxonomy


@pytest.fixture
def fee_taxonomy(db):
    """The 27 categories of data/taxonomy.yaml."""
    load_taxonomy()


@pytest.fixture
def fee_seed(reference_data, fee_taxonomy):
    """Marketplaces, taxonomy and the seed schedules of data/seed_schedules.csv; returns the
    loader's counts."""
    return load_seed()
