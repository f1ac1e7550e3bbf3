"""Report states and closing outcomes (no model imports: models and workflow both use them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("Reçu, en attente d'examen")
    QUALIFIED = "qualified", _("Examiné par l'observatoire")
    NOT_ADMISSIBLE = "not_admissible", _("Non recevable")
    DUPLICATE = "duplicate", _("Doublon d'un autre signalement")
    FORWARDED = "forwarded", _("Transmis à la plateforme")
    ANSWERED = "answered", _("Réponse de la plateforme reçue")
    OVERDUE = "overdue", _("Sans réponse de la plateforme dans le délai")
    REFERRED = "referred_to_mediation", _("Confié au Médiateur des entreprises")
    IN_MEDIATION = "mediation_in_progress", _("Médiation en cours")
    CLOSED = "closed", _("Clos")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Résolu")
    PARTIALLY_RESOLVED = "partially_resolved", _("Résolu en partie")
    UNRESOLVED = "unresolved", _("Non résolu")
    WITHDRAWN = "withdrawn", _("Retiré par le vendeur")
    MEDIATION_AGREEMENT = "mediation_agreement", _("Accord de médiation")
    MEDIATION_FAILURE = "mediation_failure", _("Échec de la médiation")
    PLATFORM_DECLINED_MEDIATION = "platform_declined_mediation", _("Médiation refusée par la plateforme")


MEDIATION_OUTCOMES = {Outcome.MEDIATION_AGREEMENT, Outcome.MEDIATION_FAILURE, Outcome.PLATFORM_DECLINED_MEDIATION}

# What the seller sees of each state on the follow-up page.
SELLER_STATE_HELP = {
    ReportState.SUBMITTED: _(
        "Votre signalement a bien été reçu. Un agent de l'observatoire va l'examiner ; "
        "vous serez prévenu par courriel à chaque étape."
    ),
    ReportState.QUALIFIED: _(
        "Un agent a examiné votre signalement. Il décide de la suite selon votre choix de transmission."
    ),
    ReportState.NOT_ADMISSIBLE: _(
        "Votre signalement ne relève pas de l'observatoire. Le motif vous a été envoyé par courriel."
    ),
    ReportState.DUPLICATE: _("Ce signalement fait double emploi avec un autre de vos signalements, qui est suivi."),
    ReportState.FORWARDED: _(
        "Votre signalement a été transmis à la plateforme, qui doit répondre dans le délai indiqué."
    ),
    ReportState.ANSWERED: _("La plateforme a répondu. Dites-nous si cette réponse vous satisfait."),
    ReportState.OVERDUE: _(
        "La plateforme n'a pas répondu dans le délai. L'observatoire l'a relancée et en tient compte dans le baromètre."
    ),
    ReportState.REFERRED: _("Votre cas a été confié au Médiateur des entreprises, qui va vous contacter."),
    ReportState.IN_MEDIATION: _("La médiation est en cours."),
    ReportState.CLOSED: _("Le traitement de votre signalement est terminé."),
}


class MediationStage(models.TextChoices):
    """Steps the mediator records (the Médiateur des entreprises' process, anchors.md); the
    mediation ends with the ``close`` transition and a mediation outcome."""

    CONTACT_MADE = "contact_made", _("Contact pris avec le vendeur")
    PLATFORM_CONTACTED = "platform_contacted", _("Plateforme contactée")
    PLATFORM_AGREED = "platform_agreed", _("La plateforme accepte la médiation")
    PLATFORM_REFUSED = "platform_refused", _("La plateforme refuse la médiation")
    MEETING_HELD = "meeting_held", _("Réunion de médiation")
    PROPOSAL_MADE = "proposal_made", _("Proposition de solution soumise aux parties")
