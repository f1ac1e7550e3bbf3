import uuid

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from fairplace.core import refcache
from fairplace.platforms.models import Marketplace

from .states import Outcome, ReportState


class ProblemFamily(models.Model):
    """A family of problems (domain.md §5) with its structured questions, loaded from
    ``data/families.yaml``."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    explanation = models.TextField(_("explication"))
    legal_basis = models.CharField(_("fondement"), max_length=300, blank=True)
    questions = models.JSONField(_("questions"), default=list)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("famille de problèmes")
        verbose_name_plural = _("familles de problèmes")
        ordering = ["position"]

    def __str__(self):
        return self.label


class Consent(models.TextChoices):
    ANONYMOUS = "anonymous", _("Transmettre à la plateforme sans mon identité")
    IDENTIFIED = "identified", _("Transmettre à la plateforme avec mon identité")
    BAROMETER_ONLY = "barometer_only", _("Ne pas transmettre : baromètre seulement")
    MEDIATION = "mediation", _("Demander une médiation")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Moins de 10 salariés (TPE)")
    SMALL = "small", _("De 10 à 49 salariés")
    MEDIUM = "medium", _("De 50 à 249 salariés")
    LARGE = "large", _("250 salariés ou plus")
    UNKNOWN = "unknown", _("Je ne sais pas")


class SellerContact(models.Model):
    """A verified seller e-mail address: the key of the "my reports" space."""

    email = models.EmailField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.email


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ReportQuerySet":
        """The only way to list reports for a person: what their role lets them see."""
        from fairplace.core.models import Role

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.works_the_queue:
            return self
        if user.role == Role.PLATFORM:
            # Only reports forwarded to the representative's own marketplace.
            return self.filter(forwarded_at__isnull=False, marketplace__representatives__user=user)
        if user.role == Role.MEDIATOR:
            return self.filter(mediation_referral__mediator=user)
        return self.none()


# The DSFR badge colour of each state, on the agents' case page.
STATE_BADGES = {ReportState.CLOSED: "success", ReportState.OVERDUE: "error"}


class Report(models.Model):
    """A seller's report (signalement). Its state changes only through ``workflow``."""

    reference = models.CharField(_("référence"), max_length=20, unique=True)
    idempotency_key = models.UUIDField(unique=True)
    state = models.CharField(
        _("état"), max_length=30, choices=ReportState.choices, default=ReportState.SUBMITTED, db_index=True
    )
    marketplace = models.ForeignKey(
        Marketplace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("place de marché"),
    )
    marketplace_other_name = models.CharField(_("autre place de marché"), max_length=100, blank=True)
    marketplace_other_url = models.URLField(_("adresse de l'autre place de marché"), blank=True)
    family = models.ForeignKey(
        ProblemFamily, on_delete=models.PROTECT, related_name="reports", verbose_name=_("famille de problèmes")
    )
    answers = models.JSONField(_("réponses"), default=dict)
    occurred_on = models.DateField(_("date des faits"), null=True, blank=True)
    description = models.TextField(_("description"))
    siret = models.CharField(_("SIRET"), max_length=14)
    siren = models.CharField(_("SIREN"), max_length=9, db_index=True)
    company_name = models.CharField(_("raison sociale"), max_length=200)
    company_size = models.CharField(_("taille"), max_length=10, choices=CompanySize.choices)
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    naf_version = models.CharField(_("nomenclature NAF"), max_length=10, blank=True)
    company_source = models.CharField(_("origine des données entreprise"), max_length=10)
    contact = models.ForeignKey(SellerContact, on_delete=models.PROTECT, related_name="reports")
    contact_first_name = models.CharField(_("prénom"), max_length=100)
    contact_last_name = models.CharField(_("nom"), max_length=100)
    contact_email = models.EmailField(_("courriel"))
    contact_phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    consent = models.CharField(_("choix de transmission"), max_length=20, choices=Consent.choices)
    submitted_at = models.DateTimeField(_("déposé le"), db_index=True)
    # Kept in step with the events by the workflow, for queues and filters only: the
    # barometer computes from the events.
    outcome = models.CharField(_("issue"), max_length=30, choices=Outcome.choices, blank=True)
    answer_due_at = models.DateTimeField(_("réponse attendue avant le"), null=True, blank=True, db_index=True)
    forwarded_at = models.DateTimeField(_("transmis le"), null=True, blank=True)
    platform_first_read_at = models.DateTimeField(_("première lecture par la plateforme"), null=True, blank=True)
    # Case handling (mutable working fields; each change is also an event).
    assigned_to = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reports",
        verbose_name=_("agent chargé"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("doublon de"),
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["-submitted_at"]
        indexes = [
            # The agents' queue: marketplace + state, newest first; on PostgreSQL it also covers
            # answer_due_at (migration 0006) so "late" counts and pages never read the table.
            models.Index(fields=["marketplace", "state", "-submitted_at", "-id"], name="report_queue_idx"),
            models.Index(fields=["state", "answer_due_at"], name="report_state_due_idx"),
            models.Index(fields=["assigned_to", "state"], name="report_assignee_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def state_badge(self) -> str:
        """The DSFR badge colour of the state (success, error, info…)."""
        return STATE_BADGES.get(self.state, "info")

    @property
    def marketplace_label(self) -> str:
        return self.marketplace.name if self.marketplace_id else self.marketplace_other_name


class ReportDraft(models.Model):
    """What a seller has typed so far in the wizard, step by step, as typed. The final
    step validates all of it again and turns it into one Report (``submit_key`` makes a
    double submit or a browser retry land on the same report)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    steps = models.JSONField(default=dict)
    submit_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email_code_hash = models.CharField(max_length=128, blank=True)
    email_code_for = models.EmailField(blank=True)
    email_code_expires_at = models.DateTimeField(null=True, blank=True)
    email_code_attempts = models.PositiveSmallIntegerField(default=0)
    email_verified = models.EmailField(blank=True)
    report = models.OneToOneField(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="draft")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self):
        return f"brouillon {self.pk}"


def attachment_path(instance, filename):
    # Never the seller's file name on disk: a random name, grouped by month.
    return f"attachments/{instance.uploaded_at:%Y/%m}/{instance.id.hex}"


class Attachment(models.Model):
    class ScanStatus(models.TextChoices):
        PENDING = "pending", _("analyse antivirus en attente")
        CLEAN = "clean", _("sain")
        INFECTED = "infected", _("infecté")
        ERROR = "error", _("analyse impossible")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(ReportDraft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    # Set for a file joined to a platform's answer (``report`` is set too, for scoping);
    # empty for the seller's own evidence.
    answer = models.ForeignKey(
        "PlatformAnswer", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    scan_status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.PENDING, db_index=True)
    scan_detail = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name

    @property
    def scan_badge(self) -> str:
        return {self.ScanStatus.CLEAN: "success", self.ScanStatus.PENDING: "info"}.get(self.scan_status, "error")


class ReportEvent(models.Model):
    """Append-only history of a report. Each event carries the hash of the report's
    previous event, so that a rewritten history shows."""

    class ActorKind(models.TextChoices):
        SELLER = "seller", _("vendeur")
        AGENT = "agent", _("agent")
        PLATFORM = "platform", _("plateforme")
        MEDIATOR = "mediator", _("médiateur")
        SYSTEM = "system", _("système")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    code = models.CharField(max_length=60, db_index=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at"], name="event_report_time_idx")]

    def __str__(self):
        return f"{self.report_id} {self.code}"


class MediationReferral(models.Model):
    """A case confided to the Médiateur des entreprises, with the seller's consent."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="mediation_referral")
    mediator = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mediation_referrals",
        verbose_name=_("médiateur"),
    )
    referred_at = models.DateTimeField(_("saisi le"))

    class Meta:
        verbose_name = _("saisine du médiateur")
        verbose_name_plural = _("saisines du médiateur")

    def __str__(self):
        return f"{self.report} → {self.mediator or '—'}"


class AnswerKind(models.TextChoices):
    ACCEPTED = "accepted", _("Demande acceptée")
    REJECTED = "rejected", _("Demande rejetée")
    NOT_CONCERNED = "not_concerned", _("Plateforme non concernée")


class PromisedAction(models.TextChoices):
    REINSTATEMENT = "reinstatement", _("Réactivation du compte ou des offres")
    FEE_REFUND = "fee_refund", _("Remboursement de frais ou de commissions")
    PAYMENT_RELEASE = "payment_release", _("Versement des sommes retenues")
    STOCK_RETURN = "stock_return", _("Restitution du stock")
    EXPLANATION = "explanation", _("Explication détaillée de la décision")
    TERMS_CORRECTED = "terms_corrected", _("Correction des conditions ou de la pratique")
    CONTACT_OFFERED = "contact_offered", _("Mise en relation avec un interlocuteur dédié")
    OTHER = "other", _("Autre action (précisée dans le message)")


class RejectionReason(models.TextChoices):
    TERMS_BREACH = "terms_breach", _("Manquement du vendeur aux conditions générales")
    DECISION_UPHELD = "decision_upheld", _("Décision maintenue après réexamen")
    LEGAL_OBLIGATION = "legal_obligation", _("Obligation légale ou injonction d'une autorité")
    FRAUD_RISK = "fraud_risk", _("Risque de fraude ou de sécurité")
    CONSUMER_COMPLAINTS = "consumer_complaints", _("Réclamations de clients")
    FEES_AS_PUBLISHED = "fees_as_published", _("Frais conformes au barème publié")
    INSUFFICIENT_INFORMATION = "insufficient_information", _("Informations insuffisantes pour traiter la demande")
    OTHER = "other", _("Autre motif (précisé dans le message)")


class NotConcernedReason(models.TextChoices):
    UNKNOWN_SELLER = "unknown_seller", _("Aucun compte vendeur correspondant")
    OTHER_PLATFORM = "other_platform", _("Les faits concernent une autre plateforme")
    ALREADY_SETTLED = "already_settled", _("Litige déjà réglé avant le signalement")
    OTHER = "other", _("Autre motif (précisé dans le message)")


class PlatformAnswer(models.Model):
    """A platform's structured answer to a forwarded report, as the platform states it.
    What the seller says of it is a separate ``SellerFeedback``."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="platform_answers")
    kind = models.CharField(_("sens de la réponse"), max_length=20, choices=AnswerKind.choices)
    reasons = models.JSONField(_("motifs"), default=list, blank=True)
    actions = models.JSONField(_("actions promises"), default=list, blank=True)
    message_for_seller = models.TextField(_("message pour le vendeur"))
    message_for_administration = models.TextField(_("message pour l'administration seulement"), blank=True)
    author = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("reçue le"))
    # When the seller is asked whether the promised action happened (21 days later).
    follow_up_due_at = models.DateTimeField(_("relance du vendeur le"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("réponse de plateforme")
        verbose_name_plural = _("réponses de plateformes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.report} : {self.get_kind_display()}"

    @property
    def kind_badge(self) -> str:
        return {AnswerKind.ACCEPTED: "success", AnswerKind.REJECTED: "error"}.get(self.kind, "info")


class SellerFeedback(models.Model):
    """What the seller says: of the answer (rating) and, later, of the promised action."""

    class Kind(models.TextChoices):
        ANSWER_RATING = "answer_rating", _("Avis sur la réponse")
        ACTION_CONFIRMATION = "action_confirmation", _("Réalisation de l'action promise")

    class AnswerRating(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfaisante")
        PARTLY_SATISFIED = "partly_satisfied", _("En partie satisfaisante")
        NOT_SATISFIED = "not_satisfied", _("Pas satisfaisante")

    class ActionOutcome(models.TextChoices):
        DONE = "done", _("Oui, c'est fait")
        PARTLY_DONE = "partly_done", _("En partie")
        NOT_DONE = "not_done", _("Non, rien n'a été fait")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="feedback")
    answer = models.ForeignKey(PlatformAnswer, on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=20)
    comment = models.TextField(_("commentaire"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("avis du vendeur")
        verbose_name_plural = _("avis des vendeurs")
        constraints = [models.UniqueConstraint(fields=["answer", "kind"], name="one_feedback_per_answer_and_kind")]

    def __str__(self):
        return f"{self.report} {self.kind}={self.value}"


class Party(models.TextChoices):
    SELLER = "seller", _("Vendeur")
    OBSERVATORY = "observatory", _("Observatoire")
    PLATFORM = "platform", _("Plateforme")


class Message(models.Model):
    """A message about a report between two parties. A platform never learns an anonymous
    seller's identity from it: a seller's message to the platform waits for an agent's
    review (``released_at``) while the seller is anonymous."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(max_length=12, choices=Party.choices)
    recipient = models.CharField(max_length=12, choices=Party.choices)
    author = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at"], name="message_report_time_idx")]

    def __str__(self):
        return f"{self.report} {self.sender}→{self.recipient}"


class InternalNote(models.Model):
    """An agents' note on a case: seen by the observatory only."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="internal_notes")
    author = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"note {self.pk} ({self.report})"


class MediatorNote(models.Model):
    """A mediator's private note: seen by its author only (not even by the observatory)."""

    referral = models.ForeignKey(MediationReferral, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"note {self.pk} ({self.referral})"


class SavedFilter(models.Model):
    """A named set of queue filters (the query string), per agent."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("nom"), max_length=80)
    query = models.CharField(_("filtres"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_per_user")]

    def __str__(self):
        return self.name


def export_path(instance, filename):
    return f"exports/{instance.created_at:%Y/%m}/{instance.id.hex}"


class ExportJob(models.Model):
    """A CSV or XLSX export of a queue selection; large ones are built by the worker."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX (Excel)"

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("prêt")
        FAILED = "failed", _("échec")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=4, choices=Format.choices)
    query = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running job's claim: past it, the worker that held it is taken to have stopped.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"export {self.pk} ({self.status})"


@receiver([post_save, post_delete], sender=ProblemFamily)
def _forget_families(**kwargs):
    refcache.clear("reports.families")


def active_families() -> list[ProblemFamily]:
    """The families offered in the form, in order, from the reference cache."""
    return refcache.cached("reports.families", lambda: list(ProblemFamily.objects.filter(is_active=True)))


def family_by_code(code: str) -> ProblemFamily | None:
    return next((family for family in active_families() if family.code == code), None)
