"""The contract-terms observatory for agents (/gestion/conditions/).

- ``failures``: the operators' queue of failed fetches (unresolved first), each resolvable (POST), and the
  active documents the periodic run has not checked for two intervals;
- ``notices``: the flagged notice checks awaiting a reviewer's decision, and the latest decisions;
- ``review_notice``: the decision form (exception retained / breach confirmed, with a note).

Thin views: the rules are in ``reviews.py``, whose French messages are shown as is.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from fairplace.core.auth.guards import observatory_required

from ..forms import ReviewNoticeForm
from ..models import FetchFailure, NoticeCheck, TrackedDocument
from ..reviews import ReviewError
from ..reviews import resolve_failure as resolve_failure_service
from ..reviews import review_notice as review_notice_service
from ..tasks import interval_hours
from .public import EFFECTIVE_BASES, NOTIFIED_SOURCES, notice_of_check, service_label

FAILURES_PER_PAGE = 50
OVERDUE_INTERVALS = 2
OVERDUE_SHOWN = 100
RECENT_DECISIONS = 20


@observatory_required
@require_safe
def failures(request):
    queryset = FetchFailure.objects.select_related("document", "document__marketplace", "resolved_by").order_by(
        F("resolved_at").asc(nulls_first=True), "-occurred_at", "-id"
    )
    page = Paginator(queryset, FAILURES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "terms/backoffice/failures.html",
        {
            "page": page,
            "unresolved": FetchFailure.objects.filter(resolved_at__isnull=True).count(),
            "overdue": overdue_documents(),
            "interval_hours": interval_hours(),
        },
    )


def overdue_documents() -> list[TrackedDocument]:
    """Active documents whose last check is older than two tracking intervals (or that were never checked
    by the tracker): the periodic run is not reaching them. Empty when periodic tracking is off."""
    hours = interval_hours()
    if hours <= 0:
        return []
    limit = timezone.now() - timedelta(hours=OVERDUE_INTERVALS * hours)
    return list(
        TrackedDocument.objects.filter(is_active=True)
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=limit))
        .select_related("marketplace")
        .order_by(F("last_checked_at").asc(nulls_first=True), "pk")[:OVERDUE_SHOWN]
    )


@observatory_required
@require_POST
def resolve_failure(request, pk):
    failure = get_object_or_404(FetchFailure.objects.select_related("document"), pk=pk)
    try:
        resolve_failure_service(failure, request.user)
    except ReviewError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Incident marqué comme résolu : %(document)s.") % {"document": failure.document})
    return redirect("terms_backoffice:failures")


def _checks():
    return NoticeCheck.objects.select_related(
        "version", "version__document", "version__document__marketplace", "reviewed_by"
    ).defer("version__stated_dates")


@observatory_required
@require_safe
def notices(request):
    pending = list(_checks().filter(needs_review=True, review_decision="").order_by("-version__first_seen_at", "-id"))
    decided = list(_checks().exclude(review_decision="").order_by("-reviewed_at", "-id")[:RECENT_DECISIONS])
    for check in (*pending, *decided):
        check.display = notice_of_check(check)
        check.service = service_label(check.version.document)
    return render(request, "terms/backoffice/notices.html", {"pending": pending, "decided": decided})


def _render_review(request, check, form, status=200):
    return render(
        request,
        "terms/backoffice/review_notice.html",
        {
            "check": check,
            "form": form,
            "notice": notice_of_check(check),
            "service": service_label(check.version.document),
            "open": check.needs_review and not check.review_decision,
            "effective_basis": EFFECTIVE_BASES.get(check.effective_basis, check.effective_basis),
            "notified_source": NOTIFIED_SOURCES.get(check.notified_source, check.notified_source),
        },
        status=status,
    )


@observatory_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_notice(request, pk):
    check = get_object_or_404(_checks(), pk=pk)
    if request.method != "POST":
        return _render_review(request, check, ReviewNoticeForm())
    form = ReviewNoticeForm(request.POST)
    if form.is_valid():
        try:
            review_notice_service(check, request.user, form.cleaned_data["decision"], form.cleaned_data["note"])
        except ReviewError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Décision enregistrée ; elle est affichée sur les pages publiques."))
            return redirect("terms_backoffice:notices")
    return _render_review(request, check, form, status=422)
