from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from fairplace.core import refcache


class MarketplaceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Marketplace(models.Model):
    """An online marketplace on which TPE/PME sell (an "opérateur de plateforme en ligne")."""

    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=100)
    operator = models.CharField(_("opérateur"), max_length=200, blank=True)
    website = models.URLField(_("site"), blank=True)
    country = models.CharField(_("pays de l'opérateur"), max_length=2, blank=True)
    group = models.CharField(_("groupe"), max_length=100, blank=True)
    is_active = models.BooleanField(_("proposée dans le formulaire"), default=True)

    objects = MarketplaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place de marché")
        verbose_name_plural = _("places de marché")
        ordering = ["name"]

    def __str__(self):
        return self.name


@receiver([post_save, post_delete], sender=Marketplace)
def _forget_marketplaces(**kwargs):
    refcache.clear("platforms.marketplaces")


class PlatformRepresentative(models.Model):
    """A user who answers for one marketplace in its platform space."""

    user = models.OneToOneField("core.User", on_delete=models.CASCADE, related_name="platform_representative")
    marketplace = models.ForeignKey(Marketplace, on_delete=models.PROTECT, related_name="representatives")

    class Meta:
        verbose_name = _("représentant de plateforme")
        verbose_name_plural = _("représentants de plateforme")

    def __str__(self):
        return f"{self.user} — {self.marketplace}"
