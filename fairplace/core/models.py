from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class Role(models.TextChoices):
    AGENT = "agent", _("Agent de l'observatoire")
    SUPERVISOR = "supervisor", _("Superviseur")
    PLATFORM = "platform", _("Représentant d'une plateforme")
    MEDIATOR = "mediator", _("Médiateur")
    ADMINISTRATOR = "administrator", _("Administrateur")


# Roles whose accounts must use a second factor (TOTP) to log in.
SECOND_FACTOR_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.MEDIATOR, Role.ADMINISTRATOR}
# Roles that work the whole queue of reports.
OBSERVATORY_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR}


class User(AbstractUser):
    """Staff, mediator and platform accounts log in with their e-mail address. Sellers have
    no account."""

    username = None
    email = models.EmailField(_("adresse électronique"), unique=True)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, blank=True)

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES or self.is_superuser

    @property
    def works_the_queue(self) -> bool:
        return self.is_active and (self.role in OBSERVATORY_ROLES or self.is_superuser)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self):
        return self.email


class OutboxMessage(models.Model):
    """An e-mail waiting to be sent. Claimed by a worker with a conditional UPDATE so that
    two workers never send the same message."""

    class Status(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENDING = "sending", _("en cours d'envoi")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("échec définitif")

    to = models.EmailField(_("destinataire"))
    subject = models.CharField(_("objet"), max_length=255)
    body_text = models.TextField(_("texte"))
    template = models.CharField(_("modèle"), max_length=100)
    dedup_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("message sortant")
        verbose_name_plural = _("messages sortants")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"{self.template} → {self.to} ({self.status})"


class RateLimitCounter(models.Model):
    """One fixed window of a rate limit. The key is a hash: no IP or SIRET is stored."""

    key = models.CharField(max_length=64, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key} = {self.count}"


class PeriodicJob(models.Model):
    """One row per periodic job (``fairplace.core.jobs``): its latest outcomes, so that the health page reads
    one row per job (the schedule is the code's, ``JobSpec.schedule_text``). The row is also the job's lock: a
    run starts under ``select_for_update`` of it, only when no other run holds an unexpired lease."""

    name = models.CharField(_("tâche"), max_length=80, unique=True)
    last_started_at = models.DateTimeField(_("dernier départ"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("dernier succès"), null=True, blank=True)
    last_failed_at = models.DateTimeField(_("dernier échec"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("échecs consécutifs"), default=0)
    last_result = models.CharField(_("dernier résultat"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tâche périodique")
        verbose_name_plural = _("tâches périodiques")

    def __str__(self):
        return self.name


class JobRun(models.Model):
    """One run of a periodic job in one scheduled slot: unique per (job, slot), so that two workers (on
    one machine or several) never run the same slot twice. A run whose lease has expired while still
    "running" belongs to a worker that died: it is marked interrupted and no longer blocks the job."""

    class Status(models.TextChoices):
        RUNNING = "running", _("en cours")
        SUCCEEDED = "succeeded", _("réussie")
        FAILED = "failed", _("échouée")
        INTERRUPTED = "interrupted", _("interrompue")

    job = models.ForeignKey(PeriodicJob, on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField(_("créneau"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("départ"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    lease_until = models.DateTimeField()
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    result = models.CharField(_("résultat"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exécution")
        verbose_name_plural = _("exécutions")
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="jobrun_one_per_slot")]
        indexes = [
            models.Index(fields=["job", "-started_at"], name="jobrun_latest_idx"),
            models.Index(fields=["status", "lease_until"], name="jobrun_running_idx"),
        ]

    def __str__(self):
        return f"{self.job.name} @ {self.slot:%Y-%m-%d %H:%M} ({self.status})"


class WorkerHeartbeat(models.Model):
    """A worker process says it is alive every ``HEARTBEAT_SECONDS`` (``jobs.heartbeat``)."""

    worker = models.CharField(max_length=120, unique=True)
    hostname = models.CharField(max_length=100)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self):
        return self.worker
