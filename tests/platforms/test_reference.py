from fairplace.platforms.models import Marketplace
from fairplace.platforms.reference import load_marketplaces, read_marketplaces

CHARTER_2019 = {"boulanger", "cdiscount", "conforama", "ebay", "fnac", "la-redoute", "leboncoin", "manomano", "rakuten"}
OTHERS = {"amazon", "aliexpress", "alibaba", "back-market", "ldlc", "temu", "shein", "zalando", "vinted", "etsy"}


def test_registry_lists_the_charter_signatories_and_the_others():
    slugs = {entry["slug"] for entry in read_marketplaces()}
    assert slugs >= CHARTER_2019 | OTHERS


def test_every_marketplace_has_an_operator_a_website_and_a_country():
    for entry in read_marketplaces():
        assert entry["operator"], entry["slug"]
        assert entry["website"].startswith("https://"), entry["slug"]
        assert len(entry["country"]) == 2 and entry["country"].isupper(), entry["slug"]


def test_loading_is_idempotent_and_keeps_manual_deactivation(db):
    created, updated = load_marketplaces()
    assert created >= 19 and updated == 0
    Marketplace.objects.filter(slug="temu").update(is_active=False)
    assert load_marketplaces() == (0, created)
    assert Marketplace.objects.count() == created
    assert not Marketplace.objects.get(slug="temu").is_active
