"""The only place a report changes state. Issue #3 adds the triage, forwarding, answer and
mediation transitions; a report starts in SUBMITTED."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("Reçu, en attente d'examen")


# What the seller sees of each state on the follow-up page.
SELLER_STATE_HELP = {
    ReportState.SUBMITTED: _(
        "Votre signalement a bien été reçu. Un agent de l'observatoire va l'examiner ; "
        "vous serez prévenu par courriel à chaque étape."
    ),
}
