"""Object-level access to reports, and what a platform may see of them."""

from django.http import Http404

from .models import Consent, Report


def get_report_for_user(user, reference: str) -> Report:
    """The report if ``user`` may see it; 404 otherwise (never 403: no existence leak)."""
    report = (Report.objects.visible_to(user).select_related("marketplace", "family")
              .filter(reference=reference).first())
    if report is None:
        raise Http404
    return report


IDENTITY_FIELDS = ("siret", "siren", "company_name", "contact_first_name", "contact_last_name", "contact_email",
                   "contact_phone")


def platform_view(report: Report) -> dict:
    """What a platform representative is shown of a forwarded report: the facts, and the
    seller's identity only if the seller chose to forward it with their identity."""
    view = {
        "reference": report.reference, "family": report.family.label, "answers": report.answers,
        "description": report.description, "submitted_at": report.submitted_at, "state": report.get_state_display(),
        "answer_due_at": report.answer_due_at, "identified": report.consent == Consent.IDENTIFIED,
    }
    if view["identified"]:
        view.update({field: getattr(report, field) for field in IDENTITY_FIELDS})
    return view
