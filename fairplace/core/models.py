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
