"""The public barometer: charter registry, indicator aggregates, frozen editions.

Aggregates are derived data: ``ReportContribution`` holds what each report adds to the
aggregates (recomputed from its events), ``AggregateCell`` their sums per marketplace × period.
Editions freeze publishable figures (``EditionFigure``): suppression, intervals and ranks are
applied when an edition is frozen, so nothing below the publication rules is ever stored in a
published table.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# --- Charter registry ---------------------------------------------------------------------


class Charter(models.Model):
    """A version of a charter of good conduct (2019 charter, its December 2020 renewal)."""

    code = models.SlugField(_("code"), unique=True)
    title = models.CharField(_("titre"), max_length=200)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    adopted_on = models.DateField(_("date de signature"))
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        verbose_name=_("version précédente"),
    )
    summary = models.TextField(_("présentation"), blank=True)
    summary_en = models.TextField(_("présentation (anglais)"), blank=True)
    sources = models.JSONField(
        _("sources"), default=list, blank=True, help_text=_("Liste de {label, url, reliability, date}.")
    )

    class Meta:
        verbose_name = _("charte")
        verbose_name_plural = _("chartes")
        ordering = ["adopted_on"]

    def __str__(self):
        return f"{self.title} ({self.adopted_on:%d/%m/%Y})"


class Commitment(models.Model):
    """One commitment of a charter, with the indicators that give evidence on it."""

    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="commitments")
    code = models.SlugField(_("code"))
    axis_number = models.PositiveSmallIntegerField(_("numéro d'axe"), null=True, blank=True)
    axis_title = models.CharField(_("axe"), max_length=200, blank=True)
    axis_title_en = models.CharField(_("axe (anglais)"), max_length=200, blank=True)
    number = models.PositiveSmallIntegerField(_("numéro"))
    text = models.TextField(_("engagement"))
    text_en = models.TextField(_("engagement (anglais)"), blank=True)
    indicator_codes = models.JSONField(
        _("indicateurs"), default=list, blank=True, help_text=_("Codes des indicateurs qui en donnent la preuve.")
    )
    sources = models.JSONField(_("sources"), default=list, blank=True)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["charter", "number"]
        constraints = [models.UniqueConstraint(fields=["charter", "code"], name="commitment_code_unique")]

    def __str__(self):
        return f"{self.charter.code} · {self.number}. {self.text[:60]}"


class Signature(models.Model):
    """Who signed, refused or withdrew from a charter, and when."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signataire")
        REFUSED = "refused", _("A refusé de signer")
        WITHDRAWN = "withdrawn", _("S'est retiré")

    charter = models.ForeignKey(Charter, on_delete=models.CASCADE, related_name="signatures")
    marketplace = models.ForeignKey(
        "platforms.Marketplace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charter_signatures",
        verbose_name=_("place de marché"),
    )
    signatory_name = models.CharField(
        _("signataire"), max_length=200, help_text=_("Nom tel que cité (organisations professionnelles comprises).")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    date = models.DateField(_("date"), null=True, blank=True)
    note = models.TextField(_("précision"), blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["charter", "signatory_name", "date"]

    def __str__(self):
        return f"{self.signatory_name} — {self.get_status_display()} — {self.charter.code}"


class RegistryRevision(models.Model):
    """Append-only history of the administrators' edits of the charter registry."""

    class Action(models.TextChoices):
        CREATED = "created", _("création")
        UPDATED = "updated", _("modification")
        DELETED = "deleted", _("suppression")

    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=250)
    action = models.CharField(max_length=10, choices=Action.choices)
    snapshot = models.JSONField(default=dict)
    changed_fields = models.JSONField(default=list)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("révision du registre")
        verbose_name_plural = _("historique du registre")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_type} {self.object_repr}"


class SellerPopulation(models.Model):
    """How many sellers a marketplace has (for reports per 1,000 sellers), with its source."""

    marketplace = models.ForeignKey(
        "platforms.Marketplace", on_delete=models.CASCADE, related_name="seller_populations"
    )
    year = models.PositiveSmallIntegerField(_("année"))
    sellers = models.PositiveIntegerField(_("nombre de vendeurs"))
    source_label = models.CharField(_("source"), max_length=250)
    source_url = models.URLField(_("adresse de la source"), blank=True)

    class Meta:
        verbose_name = _("nombre de vendeurs")
        verbose_name_plural = _("nombres de vendeurs")
        constraints = [models.UniqueConstraint(fields=["marketplace", "year"], name="population_unique")]

    def __str__(self):
        return f"{self.marketplace} {self.year} : {self.sellers}"


# --- Computation --------------------------------------------------------------------------


class StaleReport(models.Model):
    """A report with events not yet counted in the aggregates (written with the event)."""

    report_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return str(self.report_id)


class ReportContribution(models.Model):
    """What one report adds to the monthly aggregates, as computed from its events."""

    report_id = models.BigIntegerField(primary_key=True)
    cells = models.JSONField(default=list, help_text="[marketplace_id, month, [measure, …], hours to answer or null]")

    def __str__(self):
        return str(self.report_id)


class AggregateCell(models.Model):
    """A count per marketplace × period (month ``2026-07``, quarter ``2026-T3``, year ``2026``) ×
    measure; ``bucket`` splits distributions (hours to answer) and is 0 otherwise."""

    marketplace_id = models.IntegerField()
    period = models.CharField(max_length=7)
    measure = models.CharField(max_length=40)
    bucket = models.IntegerField(default=0)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["marketplace_id", "period", "measure", "bucket"], name="aggregate_cell_unique"
            )
        ]

    def __str__(self):
        return f"{self.marketplace_id} {self.period} {self.measure}[{self.bucket}] = {self.count}"


class ComputationRun(models.Model):
    """One run of the computation (also the lock that serialises runs: see compute.py)."""

    class Kind(models.TextChoices):
        FULL = "full", _("recalcul complet")
        INCREMENTAL = "incremental", _("mise à jour")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    reports = models.IntegerField(default=0)
    cells = models.IntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M}"


class ComputationLock(models.Model):
    """A single row locked (SELECT … FOR UPDATE) by every computation run."""

    name = models.CharField(max_length=20, primary_key=True)

    def __str__(self):
        return self.name


# --- Editions -----------------------------------------------------------------------------


class Edition(models.Model):
    """A quarterly edition: frozen, shown to the platforms for at least 15 days, then published."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("En relecture par les plateformes")
        PUBLISHED = "published", _("Publiée")
        WITHDRAWN = "withdrawn", _("Retirée")

    code = models.CharField(_("trimestre"), max_length=7, unique=True, help_text="2026-T3")
    period_start = models.DateField(_("début"))
    period_end = models.DateField(_("fin"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PREVIEW)
    frozen_at = models.DateTimeField(_("figée le"))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    publication_date = models.DateField(_("date de publication prévue"))
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    methodology_version = models.CharField(max_length=20)
    settings_snapshot = models.JSONField(default=dict, help_text="Règles appliquées (seuils).")
    pdf = models.FileField(upload_to="barometer/editions/", blank=True)

    class Meta:
        verbose_name = _("édition")
        verbose_name_plural = _("éditions")
        ordering = ["-period_start"]

    def __str__(self):
        return self.code


class EditionFigure(models.Model):
    """One publishable figure of an edition (already suppressed, rounded and ranked)."""

    class Status(models.TextChoices):
        OK = "ok", _("publié")
        NONE = "none", _("aucun cas")
        BELOW_5 = "below_5", _("moins de 5")
        INSUFFICIENT = "insufficient", _("échantillon insuffisant")
        UNKNOWN = "unknown", _("donnée non disponible")

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="figures")
    marketplace = models.ForeignKey("platforms.Marketplace", on_delete=models.PROTECT, related_name="+")
    indicator = models.CharField(max_length=40)
    breakdown = models.CharField(max_length=40, blank=True, help_text="Famille de problèmes, le cas échéant.")
    status = models.CharField(max_length=12, choices=Status.choices)
    n = models.IntegerField(null=True, help_text="Effectif (dénominateur d'un taux, nombre de cas).")
    k = models.IntegerField(null=True, help_text="Numérateur d'un taux.")
    value = models.FloatField(null=True, help_text="Taux (0–1), médiane (jours), nombre ou taux pour 1 000.")
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    p90 = models.FloatField(null=True)
    rank = models.IntegerField(null=True)
    ranked_count = models.IntegerField(null=True)
    trend = models.CharField(
        max_length=6, blank=True, help_text="up / down / stable, par rapport à l'édition précédente."
    )
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["edition", "marketplace", "indicator", "breakdown"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "marketplace", "indicator", "breakdown"], name="edition_figure_unique"
            )
        ]

    def __str__(self):
        return f"{self.edition_id} {self.marketplace_id} {self.indicator} {self.breakdown}"


class PlatformReply(models.Model):
    """A platform's reply to an edition, published next to its figures."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="replies")
    marketplace = models.ForeignKey("platforms.Marketplace", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("réponse"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("droit de réponse")
        verbose_name_plural = _("droits de réponse")
        constraints = [models.UniqueConstraint(fields=["edition", "marketplace"], name="reply_unique")]

    def __str__(self):
        return f"{self.edition_id} {self.marketplace_id}"
