"""Tracked contract documents of the marketplaces, their versions and clause-level changes.

Every fetch (or every version of an imported Open Terms Archive history) is a ``Snapshot``: the
raw evidence and the extracted Markdown, with the verdict of the noise filter (same text, flap,
truncated rendering, language switch, reordering, technical re-extraction, or a change). A
``TermsVersion`` is written only when the normalised text changes for real; its
``ClauseChange`` rows say which clauses were added, removed, modified or moved; its
``NoticeCheck`` compares the effective date with the first notification known (P2B art. 3).
A failed fetch never becomes a change: it is a ``FetchFailure`` in the operators' queue.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    SELLER_TERMS = "seller_terms", _("Conditions générales des vendeurs")
    FEE_PAGE = "fee_page", _("Page des tarifs")
    COMPLAINTS = "complaints", _("Réclamations et médiation")
    RANKING = "ranking", _("Paramètres de classement")
    OTHER = "other", _("Autre document")


class CheckOutcome(models.TextChoices):
    """What the last tracking attempt of a document gave (``TrackedDocument.last_check_outcome``)."""

    NEW_VERSION = "new_version", _("nouvelle version")
    UNCHANGED = "unchanged", _("texte inchangé")
    NOT_MODIFIED = "not_modified", _("page inchangée (HTTP 304)")
    SAME_BODY = "same_body", _("page identique au relevé précédent")
    NOISE = "noise", _("variation sans modification de fond")
    FAILURE = "failure", _("échec (voir les incidents)")


class TrackedDocument(models.Model):
    marketplace = models.ForeignKey(
        "platforms.Marketplace", on_delete=models.PROTECT, null=True, blank=True, related_name="tracked_documents"
    )
    # The service as named by its source (OTA's "Amazon", "kaufland.de"): not every tracked
    # service is a marketplace of the registry.
    service_name = models.CharField(_("service"), max_length=120)
    doc_type = models.CharField(_("type de document"), max_length=20, choices=DocumentType.choices)
    title = models.CharField(_("intitulé"), max_length=200)
    urls = models.JSONField(_("adresses"), default=list)
    select = models.JSONField(_("sélecteurs CSS à garder"), default=list, blank=True)
    remove = models.JSONField(_("sélecteurs CSS à retirer"), default=list, blank=True)
    needs_js = models.BooleanField(_("nécessite JavaScript (Chromium)"), default=False)
    is_active = models.BooleanField(_("suivi actif"), default=True)
    ota_collection = models.CharField(max_length=60, blank=True)
    ota_terms_type = models.CharField(max_length=120, blank=True)
    import_notes = models.TextField(_("remarques d'import"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last tracking attempt, whatever came of it (a 304 or the same bytes record no snapshot).
    last_checked_at = models.DateTimeField(_("dernier relevé tenté le"), null=True, blank=True)
    last_check_outcome = models.CharField(
        _("résultat du dernier relevé"), max_length=20, blank=True, choices=CheckOutcome.choices
    )

    class Meta:
        verbose_name = _("document suivi")
        verbose_name_plural = _("documents suivis")
        ordering = ["service_name", "doc_type", "title"]
        constraints = [models.UniqueConstraint(fields=["service_name", "title"], name="tracked_document_once")]

    def __str__(self):
        return f"{self.service_name} — {self.title}"


class Verdict(models.TextChoices):
    FIRST = "first", _("Première version")
    CHANGE = "change", _("Modification")
    SAME = "same", _("Texte inchangé")
    FLAP = "flap", _("Retour à une version déjà vue (oscillation)")
    TRUNCATED = "truncated", _("Rendu tronqué")
    RESTORED = "restored", _("Retour au rendu complet")
    LANGUAGE_SWITCH = "language_switch", _("Changement de langue")
    REORDERED = "reordered", _("Blocs réordonnés")
    TECHNICAL = "technical", _("Nouvelle extraction technique")


class Snapshot(models.Model):
    """One fetch (or one imported version): the evidence, whatever the verdict."""

    document = models.ForeignKey(TrackedDocument, on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField(_("relevé le"))
    source = models.CharField(max_length=20)  # "fetch" or "ota_import"
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    final_url = models.URLField(max_length=1000, blank=True)
    body_sha256 = models.CharField(max_length=64, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    markdown = models.TextField(blank=True)
    fingerprint = models.CharField(_("empreinte du texte normalisé"), max_length=64, db_index=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    record_type = models.CharField(max_length=30, blank=True)  # OTA: first_record, change, technical_upgrade

    class Meta:
        ordering = ["document", "fetched_at", "id"]
        indexes = [models.Index(fields=["document", "fetched_at"], name="snapshot_document_time")]

    def __str__(self):
        return f"{self.document} @ {self.fetched_at:%Y-%m-%d %H:%M}"


class TermsVersion(models.Model):
    """A real change of the normalised text (or the first text seen)."""

    document = models.ForeignKey(TrackedDocument, on_delete=models.CASCADE, related_name="versions")
    snapshot = models.OneToOneField(Snapshot, on_delete=models.PROTECT, related_name="version")
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    first_seen_at = models.DateTimeField(_("vue pour la première fois le"))
    language = models.CharField(max_length=5, blank=True)
    substantive = models.BooleanField(_("modification de fond"), default=True)
    stated_dates = models.JSONField(_("dates indiquées dans le texte"), default=list, blank=True)
    clause_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["document", "first_seen_at", "id"]

    def __str__(self):
        return f"{self.document} — {self.first_seen_at:%d/%m/%Y}"


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Ajoutée")
    REMOVED = "removed", _("Supprimée")
    MODIFIED = "modified", _("Modifiée")
    MOVED = "moved", _("Déplacée")


# The topics of text/topics.py, as the pages and the alert e-mails name them.
TOPIC_LABELS = {
    "fees": _("Frais"),
    "payment": _("Paiements"),
    "suspension_termination": _("Suspension et résiliation"),
    "ranking": _("Classement"),
    "liability": _("Responsabilité"),
    "jurisdiction": _("Droit applicable, litiges et médiation"),
    "data_access": _("Accès aux données"),
    "change_notice": _("Modification des conditions"),
    "other": _("Autres clauses"),
}


class ClauseChange(models.Model):
    version = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="clause_changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    clause_id = models.CharField(max_length=300)
    number = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=300, blank=True)
    topics = models.JSONField(default=list, blank=True)
    old_text = models.TextField(blank=True)
    new_text = models.TextField(blank=True)
    diff_html = models.TextField(blank=True)  # <ins>/<del> word diff, escaped
    cosmetic = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number} {self.title}".strip()


class NoticeStatus(models.TextChoices):
    OK = "ok", _("Préavis d'au moins 15 jours")
    SHORT = "short", _("Préavis inférieur à 15 jours")
    RETROACTIVE = "retroactive", _("Effet rétroactif")
    UNKNOWN = "unknown", _("Préavis inconnu")


class NoticeCheck(models.Model):
    """P2B art. 3(2) and 8, for one version; an exception is a reviewer's decision."""

    version = models.OneToOneField(TermsVersion, on_delete=models.CASCADE, related_name="notice")
    effective_on = models.DateField(null=True, blank=True)
    effective_basis = models.CharField(max_length=20, blank=True)
    notified_on = models.DateField(null=True, blank=True)
    notified_source = models.CharField(max_length=20, blank=True)
    gap_days = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=NoticeStatus.choices)
    needs_review = models.BooleanField(default=False)
    review_decision = models.CharField(max_length=20, blank=True)  # "", "exception", "confirmed"
    review_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Former measures and decisions, oldest first, each with ``replaced_at`` and ``reason`` (notices.py).
    history = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.version}: {self.status}"


class SellerNotice(models.Model):
    """A seller's report of a change of terms (family TCCHG), linked by an agent to the version it is about.

    The dates are the ones the agent checked against the notice the seller uploaded (pre-filled with the
    seller's answers): when the seller was notified (None: the seller says no notice came) and the date of
    effect the notice states. They count in the version's notice check (``notices.recheck_notice``). A link
    is never deleted: a withdrawal keeps it, with who withdrew it, when and why."""

    version = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="seller_notices")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    notified_on = models.DateField(_("notifié au vendeur le"), null=True, blank=True)
    effective_on = models.DateField(_("en vigueur selon l'avis le"), null=True, blank=True)
    medium = models.CharField(_("moyen de notification"), max_length=20, blank=True)
    attachment_ids = models.JSONField(_("pièces consultées"), default=list, blank=True)
    note = models.TextField(_("note de l'agent"), blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    linked_at = models.DateTimeField(_("rattaché le"))
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("avis transmis par un vendeur")
        verbose_name_plural = _("avis transmis par des vendeurs")
        ordering = ["version", "linked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "report"],
                condition=models.Q(withdrawn_at=None),
                name="seller_notice_once_per_version",
            )
        ]

    def __str__(self):
        return f"{self.version_id} ← {self.report_id}"


class FailureKind(models.TextChoices):
    BLOCKED = "blocked", _("Accès bloqué")
    HTTP_ERROR = "http_error", _("Erreur HTTP")
    TIMEOUT = "timeout", _("Délai dépassé")
    EMPTY = "empty", _("Page vide")
    SELECTOR_MISSING = "selector_missing", _("Sélecteur introuvable")
    TRUNCATED = "truncated", _("Texte tronqué")


class FetchFailure(models.Model):
    """The operators' queue: a fetch that did not give a usable text (never a change)."""

    document = models.ForeignKey(TrackedDocument, on_delete=models.CASCADE, related_name="failures")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=FailureKind.choices)
    detail = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["resolved_at", "-occurred_at"]

    def __str__(self):
        return f"{self.document}: {self.get_kind_display()}"
