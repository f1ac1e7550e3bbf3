"""What other apps may read of the marketplace registry."""

from fairplace.core import refcache

from .models import Marketplace


def active_marketplaces() -> list[Marketplace]:
    """Marketplaces offered in the form, from the reference cache."""
    return refcache.cached("platforms.marketplaces", lambda: list(Marketplace.objects.active()))


def marketplace_by_slug(slug: str) -> Marketplace | None:
    return next((marketplace for marketplace in active_marketplaces() if marketplace.slug == slug), None)
