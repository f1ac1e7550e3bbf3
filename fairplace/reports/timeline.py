"""Event codes in French, for the timelines (the seller's and, later, the agents')."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "report.submitted": _("Signalement envoyé"),
    "report.qualified": _("Signalement examiné par l'observatoire"),
    "report.not_admissible": _("Signalement déclaré non recevable"),
    "report.duplicate": _("Signalement rattaché à un signalement identique"),
    "report.forwarded": _("Signalement transmis à la plateforme"),
    "report.answer_reminder_sent": _("Plateforme relancée avant l'échéance"),
    "report.overdue": _("Pas de réponse de la plateforme dans le délai"),
    "report.answered": _("Réponse de la plateforme reçue"),
    "report.referred_to_mediation": _("Cas confié au Médiateur des entreprises"),
    "report.mediation_started": _("Médiation ouverte"),
    "report.closed": _("Signalement clos"),
    "report.reopened": _("Signalement rouvert"),
}
# Internal events (reminders to the platform) are not shown to the seller.
SELLER_VISIBLE = set(EVENT_LABELS) - {"report.answer_reminder_sent"}


def seller_timeline(report) -> list[tuple]:
    events = report.events.filter(code__in=SELLER_VISIBLE).order_by("id").only("code", "created_at")
    return [(event.created_at, EVENT_LABELS[event.code]) for event in events]
