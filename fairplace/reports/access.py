"""Object-level access to reports, and what a platform may see of them."""

from django.http import Http404

from .models import Consent, Report


def get_report_for_user(user, reference: str) -> Report:
    """The report if ``user`` may see it; 404 otherwise (never 403: no existence leak)."""
    report = Report.objects.visible_to(user).select_related("marketplace", "family").filter(reference=reference).first()
    if report is None:
        raise Http404
    return report


IDENTITY_FIELDS = (
    "siret",
    "siren",
    "company_name",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
)


def platform_view(report: Report) -> dict:
    """What a platform representative is shown of a forwarded report: the facts, and the
    seller's identity only if the seller chose to forward it with their identity."""
    view = {
        "reference": report.reference,
        "family": report.family.label,
        "answers": report.answers,
        "description": report.description,
        "submitted_at": report.submitted_at,
        "state": report.get_state_display(),
        "answer_due_at": report.answer_due_at,
        "identified": report.consent == Consent.IDENTIFIED,
    }
    if view["identified"]:
        view.update({field: getattr(report, field) for field in IDENTITY_FIELDS})
    return view


# What the platform sees of a report's history: its own steps, never the agents' work; of the messages, those
# it sent or received once released (a held message of an anonymous seller is not shown, not even its date).
PLATFORM_EVENTS = {
    "report.forwarded",
    "report.read_by_platform",
    "report.answer_reminder_sent",
    "report.overdue",
    "report.answered",
    "report.withdrawn",
    "report.closed",
}
MESSAGE_EVENT = "report.message_sent"


def platform_timeline(report: Report) -> list[tuple]:
    """(when, French label) of what the platform may see of the history."""
    from django.utils.translation import gettext as _

    from .messaging import party_label
    from .models import Party
    from .timeline import event_label

    events = (
        report.events.filter(code__in=PLATFORM_EVENTS | {MESSAGE_EVENT})
        .order_by("id")
        .only("code", "created_at", "payload")
    )
    rows = []
    for event in events:
        if event.code == MESSAGE_EVENT:
            sender, recipient = event.payload.get("from"), event.payload.get("to")
            if event.payload.get("held") or Party.PLATFORM not in (sender, recipient):
                continue
            label = _("Message : %(sender)s → %(recipient)s") % {
                "sender": party_label(sender, viewer=Party.PLATFORM, report=report),
                "recipient": party_label(recipient, viewer=Party.PLATFORM, report=report),
            }
        else:
            label = event_label(event)
        rows.append((event.created_at, label))
    return rows
