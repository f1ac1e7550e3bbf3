"""Fee schedules of the marketplaces, as data.

A ``FeeSchedule`` is one version of what a marketplace charges its sellers, from an effective
date, with where the figures come from and how reliable they are. Its ``FeeComponent`` rows are
the fees themselves: subscriptions by plan, commissions by category (rate, base, minimum, cap,
price bands), fixed fees per item, payment and fulfilment fees. Categories are kept as the
platform names them and mapped to one common taxonomy (``FeeCategory``) so platforms compare.

A missing component is *unknown*, never zero: "no subscription" is a subscription component of
0 €. Comparing two consecutive versions gives ``FeeChange`` rows (append-only: a change that no
longer holds because an older version was entered later is withdrawn, never deleted).
"""

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from fairplace.core import refcache


class FeeCategory(models.Model):
    """A category of the common taxonomy (data/taxonomy.yaml)."""

    code = models.SlugField(_("code"), unique=True, max_length=40)
    label = models.CharField(_("libellé"), max_length=120)
    label_en = models.CharField(_("libellé (anglais)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie commune")
        verbose_name_plural = _("catégories communes")
        ordering = ["position", "code"]

    def __str__(self):
        return self.label


class Reliability(models.TextChoices):
    PRIMARY = "primary", _("Source primaire (plateforme, document officiel)")
    SECONDARY = "secondary", _("Source secondaire (intégrateur, presse)")
    TO_VERIFY = "to_verify", _("À vérifier")


class FeeScheduleQuerySet(models.QuerySet):
    def for_marketplace(self, marketplace):
        return self.filter(marketplace=marketplace).order_by("effective_on", "id")

    def in_force(self, day):
        """The version of each marketplace in force on ``day`` (latest effective date ≤ day)."""
        latest = (
            FeeSchedule.objects.filter(marketplace=models.OuterRef("marketplace"), effective_on__lte=day)
            .order_by("-effective_on", "-id")
            .values("id")[:1]
        )
        return self.filter(effective_on__lte=day, id=models.Subquery(latest))


class FeeSchedule(models.Model):
    """One version of a marketplace's fees, in force from ``effective_on``."""

    marketplace = models.ForeignKey("platforms.Marketplace", on_delete=models.PROTECT, related_name="fee_schedules")
    effective_on = models.DateField(_("date d'effet"))
    announced_on = models.DateField(_("date d'annonce aux vendeurs"), null=True, blank=True)
    observed_on = models.DateField(_("date de relevé"))
    source_url = models.URLField(_("source (adresse)"), max_length=500, blank=True)
    source_document = models.CharField(_("source (document)"), max_length=300, blank=True)
    reliability = models.CharField(_("fiabilité"), max_length=10, choices=Reliability.choices)
    notes = models.TextField(_("remarques"), blank=True)
    # Rows of the initial reference data (docs/domain.md §4), shown as such on the public pages.
    is_seed = models.BooleanField(_("donnée de référence initiale"), default=False)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = FeeScheduleQuerySet.as_manager()

    class Meta:
        verbose_name = _("grille tarifaire")
        verbose_name_plural = _("grilles tarifaires")
        ordering = ["marketplace__name", "-effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["marketplace", "effective_on"], name="fee_schedule_one_per_effective_date"),
        ]

    def __str__(self):
        return f"{self.marketplace} — {self.effective_on:%d/%m/%Y}"

    @property
    def notice_days(self) -> int | None:
        """Days between the announcement to sellers and the effective date (P2B art. 3(2))."""
        if self.announced_on is None:
            return None
        return (self.effective_on - self.announced_on).days


class ComponentKind(models.TextChoices):
    SUBSCRIPTION = "subscription", _("Abonnement mensuel")
    COMMISSION = "commission", _("Commission sur les ventes")
    PER_ITEM = "per_item", _("Frais fixes par article vendu")
    PAYMENT = "payment", _("Frais de paiement")
    FULFILMENT = "fulfilment", _("Logistique ou expédition")
    OTHER_RATE = "other_rate", _("Autres frais proportionnels")


class Base(models.TextChoices):
    PRICE_INCL_VAT = "incl_vat", _("prix TTC")
    PRICE_EXCL_VAT = "excl_vat", _("prix HT")


class TierMode(models.TextChoices):
    # The whole price of an item falls in one band, whose rate applies to all of it.
    BAND = "band", _("taux de la tranche où tombe le prix")
    # Each part of the price is charged at the rate of its band (like income tax).
    MARGINAL = "marginal", _("taux par tranche de prix (marginal)")


class FeeComponent(models.Model):
    """One fee of a schedule. Rates are in percent (15 = 15 %); amounts in euros excl. VAT."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="components")
    kind = models.CharField(_("composante"), max_length=12, choices=ComponentKind.choices)
    # Blank: applies whatever the seller's plan. A subscription row names its plan.
    plan = models.CharField(_("formule"), max_length=60, blank=True)
    # As the platform names it ("Informatique ; Électronique …"); blank for fees not by category.
    platform_category = models.CharField(_("catégorie de la plateforme"), max_length=200, blank=True)
    # Common taxonomy; null = every category not listed elsewhere in the schedule (default rate).
    category = models.ForeignKey(FeeCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rate = models.DecimalField(_("taux (%)"), max_digits=6, decimal_places=3, null=True, blank=True)
    amount = models.DecimalField(_("montant (€ HT)"), max_digits=10, decimal_places=2, null=True, blank=True)
    base = models.CharField(_("assiette"), max_length=8, choices=Base.choices, default=Base.PRICE_INCL_VAT)
    includes_shipping = models.BooleanField(_("frais de port inclus dans l'assiette"), default=True)
    min_per_item = models.DecimalField(
        _("minimum par article (€)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    max_per_item = models.DecimalField(
        _("plafond par article (€)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    price_from = models.DecimalField(
        _("tranche : prix à partir de (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    price_to = models.DecimalField(
        _("tranche : prix jusqu'à (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    tier_mode = models.CharField(_("mode des tranches"), max_length=8, choices=TierMode.choices, blank=True)
    reliability = models.CharField(
        _("fiabilité"),
        max_length=10,
        choices=Reliability.choices,
        blank=True,
        help_text=_("Si différente de celle de la grille."),
    )
    notes = models.CharField(_("remarques"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("composante tarifaire")
        verbose_name_plural = _("composantes tarifaires")
        ordering = ["schedule", "kind", "plan", "category__position", "price_from", "id"]
        indexes = [models.Index(fields=["schedule", "kind"], name="fee_component_schedule_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.platform_category or ''}".strip()

    @property
    def effective_reliability(self) -> str:
        return self.reliability or self.schedule.reliability


class ValueChange:
    """Old → new of one measure: the change in points or euros, relative, as a multiplier.
    Shared by the recorded ``FeeChange`` and the computed ``changes.ComponentDiff``."""

    @property
    def abs_change(self):
        """New − old (percentage points for a rate, euros for an amount); None if either is missing."""
        if self.old_value is None or self.new_value is None:
            return None
        return self.new_value - self.old_value

    @property
    def rel_change(self):
        """(new − old) / old, as a fraction; None when there is no old value or it is 0."""
        if self.old_value in (None, 0) or self.new_value is None:
            return None
        return (self.new_value - self.old_value) / self.old_value

    @property
    def multiplier(self):
        if self.old_value in (None, 0) or self.new_value is None:
            return None
        return self.new_value / self.old_value


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    MODERATE = "moderate", _("Modérée")
    HIGH = "high", _("Forte")
    CRITICAL = "critical", _("Critique")


class FeeChange(ValueChange, models.Model):
    """One difference between a schedule version and the previous one of its marketplace.

    Written when a version is recorded; append-only. If a version is later inserted between
    two recorded ones, the changes that compared across it are withdrawn (``withdrawn_at``)
    and the new pairs recorded.
    """

    marketplace = models.ForeignKey("platforms.Marketplace", on_delete=models.PROTECT, related_name="fee_changes")
    previous = models.ForeignKey(FeeSchedule, on_delete=models.PROTECT, related_name="changes_from")
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("composante"), max_length=12, choices=ComponentKind.choices)
    plan = models.CharField(_("formule"), max_length=60, blank=True)
    category = models.ForeignKey(FeeCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    platform_category = models.CharField(_("catégorie de la plateforme"), max_length=200, blank=True)
    band = models.CharField(_("tranche"), max_length=60, blank=True)
    measure = models.CharField(_("grandeur"), max_length=20)  # rate, amount, min_per_item, max_per_item, basis
    # added, removed, changed, now_known, now_unknown (changes.Status)
    status = models.CharField(_("nature"), max_length=12, default="changed")
    note = models.CharField(_("remarque"), max_length=300, blank=True)
    old_value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    new_value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    notice_days = models.IntegerField(_("préavis (jours)"), null=True, blank=True)
    severity = models.CharField(_("gravité"), max_length=10, choices=Severity.choices)
    recorded_at = models.DateTimeField(_("constatée le"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("évolution tarifaire")
        verbose_name_plural = _("évolutions tarifaires")
        ordering = ["-schedule__effective_on", "kind", "id"]
        indexes = [models.Index(fields=["marketplace", "kind"], name="fee_change_marketplace_kind")]

    def __str__(self):
        return f"{self.marketplace_id} {self.kind} {self.measure}: {self.old_value} → {self.new_value}"


class FeeChangeReport(models.Model):
    """A seller's report of the "fees" family that matches a recorded change."""

    change = models.ForeignKey(FeeChange, on_delete=models.CASCADE, related_name="report_links")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("pertinence"))
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("signalement lié à une évolution")
        verbose_name_plural = _("signalements liés à une évolution")
        constraints = [models.UniqueConstraint(fields=["change", "report"], name="fee_change_report_once")]

    def __str__(self):
        return f"{self.change_id} ↔ {self.report_id}"


class FeeImport(models.Model):
    """An import attempt (kept whether it succeeded or not, with its errors)."""

    filename = models.CharField(max_length=200)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    succeeded = models.BooleanField(default=False)
    schedules = models.ManyToManyField(FeeSchedule, blank=True, related_name="imports")
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.filename} ({self.imported_at:%d/%m/%Y %H:%M})"


class LinkCursor(models.Model):
    """Where ``linking.link_new_reports`` stopped: the last report id it processed (one row per name)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_report_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "curseur de rapprochement des signalements"

    def __str__(self):
        return f"{self.name}: {self.last_report_id}"


@receiver([post_save, post_delete], sender=FeeSchedule)
@receiver([post_save, post_delete], sender=FeeComponent)
@receiver([post_save, post_delete], sender=FeeCategory)
def _forget_schedules(**kwargs):
    refcache.clear("fees.current", "fees.categories")
