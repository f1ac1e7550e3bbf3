import pytest

from fairplace.core import refcache
from fairplace.platforms.models import Marketplace
from fairplace.platforms.queries import active_marketplaces, marketplace_by_slug

pytestmark = pytest.mark.django_db


def test_reference_data_is_read_once_then_served_from_memory(reference_data, django_assert_num_queries):
    active_marketplaces()
    with django_assert_num_queries(0):
        assert marketplace_by_slug("cdiscount").name == "Cdiscount"


def test_a_change_saved_here_is_seen_at_once(reference_data):
    assert marketplace_by_slug("temu") is not None
    marketplace = Marketplace.objects.get(slug="temu")
    marketplace.is_active = False
    marketplace.save()
    assert marketplace_by_slug("temu") is None


def test_entries_expire_for_changes_made_by_other_processes(reference_data, monkeypatch):
    assert marketplace_by_slug("vinted") is not None
    Marketplace.objects.filter(slug="vinted").update(is_active=False)  # no signal: as from another server
    assert marketplace_by_slug("vinted") is not None
    monkeypatch.setattr(refcache, "TTL", -1)
    assert marketplace_by_slug("vinted") is None
