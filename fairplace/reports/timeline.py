"""Event codes in French, and the timelines built from them: the seller's (what concerns
them, never internal work) and the case timeline of the observatory."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ReportEvent
from .states import MediationStage, Outcome, ReportState

EVENT_LABELS = {
    "report.submitted": gettext_lazy("Signalement envoyé"),
    "report.qualified": gettext_lazy("Signalement examiné par l'observatoire"),
    "report.not_admissible": gettext_lazy("Signalement déclaré non recevable"),
    "report.duplicate": gettext_lazy("Signalement rattaché à un signalement identique"),
    "report.forwarded": gettext_lazy("Signalement transmis à la plateforme"),
    "report.read_by_platform": gettext_lazy("Signalement lu par la plateforme"),
    "report.answer_reminder_sent": gettext_lazy("Plateforme relancée avant l'échéance"),
    "report.overdue": gettext_lazy("Pas de réponse de la plateforme dans le délai"),
    "report.answered": gettext_lazy("Réponse de la plateforme reçue"),
    "report.answer_rated": gettext_lazy("Réponse évaluée par le vendeur"),
    "report.action_follow_up_sent": gettext_lazy("Vendeur interrogé sur l'action promise"),
    "report.action_confirmed": gettext_lazy("Le vendeur a dit si l'action promise a été réalisée"),
    "report.referred_to_mediation": gettext_lazy("Cas confié au Médiateur des entreprises"),
    "report.mediation_started": gettext_lazy("Médiation ouverte"),
    "report.mediation_stage": gettext_lazy("Étape de la médiation"),
    "report.closed": gettext_lazy("Signalement clos"),
    "report.withdrawn": gettext_lazy("Signalement retiré par le vendeur"),
    "report.reopened": gettext_lazy("Signalement rouvert"),
    "report.assigned": gettext_lazy("Dossier attribué"),
    "report.requalified": gettext_lazy("Signalement requalifié"),
    "report.message_sent": gettext_lazy("Message envoyé"),
}
# Internal work (reminders, assignment, requalification, messages between other parties)
# is not shown to the seller.
SELLER_VISIBLE = set(EVENT_LABELS) - {
    "report.answer_reminder_sent",
    "report.assigned",
    "report.requalified",
    "report.message_sent",
    "report.action_follow_up_sent",
}
ACTOR_LABELS = {
    ReportEvent.ActorKind.SELLER: gettext_lazy("le vendeur"),
    ReportEvent.ActorKind.AGENT: gettext_lazy("l'observatoire"),
    ReportEvent.ActorKind.PLATFORM: gettext_lazy("la plateforme"),
    ReportEvent.ActorKind.MEDIATOR: gettext_lazy("le médiateur"),
    ReportEvent.ActorKind.SYSTEM: gettext_lazy("automatique"),
}


def event_label(event) -> str:
    label = str(EVENT_LABELS.get(event.code, event.code))
    if event.code == "report.mediation_stage" and event.payload.get("stage") in MediationStage.values:
        label = f"{label} : {MediationStage(event.payload['stage']).label}"
    return label


def event_detail(event) -> str:
    """The short French detail the observatory sees beside an event."""
    payload = event.payload
    if event.code == "report.closed" and payload.get("outcome") in Outcome.values:
        return _("Issue : %(outcome)s") % {"outcome": Outcome(payload["outcome"]).label}
    if event.code == "report.requalified":
        return ", ".join(
            f"{field} : {change.get('from') or '—'} → {change.get('to') or '—'}"
            for field, change in (payload.get("changes") or {}).items()
        )
    if payload.get("reason"):
        return _("Motif : %(reason)s") % {"reason": payload["reason"]}
    if payload.get("duplicate_of"):
        return _("Doublon de %(reference)s") % {"reference": payload["duplicate_of"]}
    if event.code == "report.reopened" and payload.get("from") in ReportState.values:
        return _("Était : %(state)s") % {"state": ReportState(payload["from"]).label}
    return ""


def seller_timeline(report) -> list[tuple]:
    events = report.events.filter(code__in=SELLER_VISIBLE).order_by("id").only("code", "created_at", "payload")
    return [(event.created_at, event_label(event)) for event in events]


def staff_timeline(report) -> list[dict]:
    """Every event of the case, oldest first, in French, with who did it (one query)."""
    events = report.events.select_related("actor").order_by("id")
    return [
        {
            "at": event.created_at,
            "label": event_label(event),
            "detail": event_detail(event),
            "actor": ACTOR_LABELS.get(event.actor_kind, ""),
            "actor_email": event.actor.email if event.actor else "",
            "code": event.code,
        }
        for event in events
    ]
