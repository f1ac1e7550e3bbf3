"""Sellers' notices in the back office (/gestion/conditions/), for agents, supervisors and administrators.

- ``queue``: the sellers' reports of a change of terms (family TCCHG), newest first, each with the versions
  it is linked to or, when it is not yet, the versions it may describe (``?tous=1``: linked ones too);
- ``version_notices``: one version, its notice check (with the former measures), the notices linked to it,
  the reports that may describe it, and the form that links one (``?reference=`` pre-fills it);
- ``withdraw``: withdraw a link (kept, with its reason).

Thin views: the rules are in ``seller_notices.py``, whose French messages are shown as is.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from fairplace.core.auth.guards import observatory_required
from fairplace.reports.queries import terms_change_reports

from .. import seller_notices as service
from ..forms import SellerNoticeForm, WithdrawSellerNoticeForm
from ..models import NoticeStatus, SellerNotice, TermsVersion
from ..reviews import DECISIONS
from .public import EFFECTIVE_BASES, NOTIFIED_SOURCES, notice_of_check, service_label

PER_PAGE = 30
ALL_PARAM = "tous"
MEDIUMS = {
    "email": gettext_lazy("par courriel"),
    "seller_space": gettext_lazy("par un message de l’espace vendeur"),
    "letter": gettext_lazy("par courrier"),
    "website_only": gettext_lazy("publié sur le site, sans message personnel"),
    "found_myself": gettext_lazy("découvert par le vendeur lui-même"),
    "other": gettext_lazy("autrement"),
}


def _versions():
    return TermsVersion.objects.select_related("document", "document__marketplace", "notice").defer("stated_dates")


@observatory_required
@require_safe
def queue(request):
    show_all = request.GET.get(ALL_PARAM) == "1"
    page = _page_number(request)
    linked = SellerNotice.objects.filter(withdrawn_at__isnull=True)
    rows = terms_change_reports(
        exclude_ids=None if show_all else linked.values("report_id"), offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1
    )
    has_next, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    links: dict[int, list] = {}
    for notice in linked.filter(report_id__in=[row["id"] for row in rows]).select_related(
        "version", "version__document", "version__document__marketplace"
    ):
        links.setdefault(notice.report_id, []).append(notice.version)
    marketplaces = {row["marketplace_id"] for row in rows if row["id"] not in links}
    changes = list(_versions().filter(document__marketplace_id__in=marketplaces, previous__isnull=False))
    topics = service.changed_topics([version.pk for version in changes])
    for row in rows:
        row["linked_versions"] = links.get(row["id"], [])
        row["suggestions"] = [] if row["linked_versions"] else service.candidate_versions(row, changes, topics=topics)
        _describe(row)
    return render(
        request,
        "terms/backoffice/seller_notices.html",
        {
            "rows": rows,
            "page": page,
            "has_next": has_next,
            "show_all": show_all,
            "all_param": ALL_PARAM,
        },
    )


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return max(1, min(int(value), 10_000)) if value.isdigit() else 1


def _describe(report: dict) -> None:
    answers = report["answers"]
    report["announced_on"] = service.as_date(answers.get("change_announced_on"))
    report["effective_on"] = service.as_date(answers.get("change_effective_on"))
    report["medium_label"] = MEDIUMS.get(answers.get("change_medium"), "")
    report["adaptation_needed"] = answers.get("adaptation_needed") == "yes"


def _render_version(request, version, form, *, report=None, status=200):
    check = getattr(version, "notice", None)
    notices = list(
        SellerNotice.objects.filter(version=version)
        .select_related("linked_by", "withdrawn_by")
        .order_by("withdrawn_at", "linked_at", "pk")
    )
    reports = {row["id"]: row for row in terms_change_reports(report_ids=[notice.report_id for notice in notices])}
    for notice in notices:
        notice.report_row = reports.get(notice.report_id)  # None: since marked duplicate or not admissible
        notice.attachments = [
            item
            for item in (notice.report_row or {}).get("attachments", [])
            if item["id"] in set(notice.attachment_ids or ())
        ]
    suggestions = service.candidate_reports(version)
    for suggestion in suggestions:
        _describe(suggestion.report)
    if report is not None:
        _describe(report)
    return render(
        request,
        "terms/backoffice/version_notices.html",
        {
            "version": version,
            "document": version.document,
            "service": service_label(version.document),
            "check": check,
            "notice": notice_of_check(check),
            "effective_basis": EFFECTIVE_BASES.get(check.effective_basis, check.effective_basis) if check else "",
            "notified_source": NOTIFIED_SOURCES.get(check.notified_source, check.notified_source) if check else "",
            "history": [_former(item) for item in reversed(check.history or [])] if check else [],
            "active": [notice for notice in notices if notice.withdrawn_at is None],
            "withdrawn": [notice for notice in notices if notice.withdrawn_at is not None],
            "suggestions": suggestions,
            "form": form,
            "report": report,
            "withdraw_form": WithdrawSellerNoticeForm(),
        },
        status=status,
    )


@observatory_required
@require_http_methods(["GET", "HEAD", "POST"])
def version_notices(request, pk):
    version = get_object_or_404(_versions(), pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    report = _report_or_none(source.get("reference", ""))
    attachments = report["attachments"] if report else ()
    if request.method != "POST":
        initial = {}
        if report is not None:
            initial = {
                "reference": report["reference"],
                "notified_on": service.as_date(report["answers"].get("change_announced_on")),
                "effective_on": service.as_date(report["answers"].get("change_effective_on")),
            }
        return _render_version(
            request, version, SellerNoticeForm(initial=initial, attachments=attachments), report=report
        )
    form = SellerNoticeForm(request.POST, attachments=attachments)
    if form.is_valid():
        try:
            notice = service.link_seller_notice(
                version,
                form.cleaned_data["reference"],
                by=request.user,
                notified_on=form.cleaned_data["notified_on"],
                effective_on=form.cleaned_data["effective_on"],
                attachment_ids=form.cleaned_data["attachments"],
                note=form.cleaned_data["note"],
            )
        except service.SellerNoticeError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Avis du signalement %(reference)s rattaché ; le préavis a été recalculé.")
                % {"reference": report["reference"] if report else notice.report_id},
            )
            return redirect("terms_backoffice:version_notices", pk=version.pk)
    return _render_version(request, version, form, report=report, status=422)


def _former(item: dict) -> dict:
    """A former measure of ``NoticeCheck.history``, with its status and decision in French."""
    decision = item.get("review_decision") or ""
    return {
        **item,
        "status_label": NoticeStatus(item["status"]).label
        if item.get("status") in NoticeStatus.values
        else item.get("status", ""),
        "decision_label": DECISIONS.get(decision, decision),
    }


def _report_or_none(reference: str) -> dict | None:
    try:
        return service.report_by_reference(reference) if reference.strip() else None
    except service.SellerNoticeError:
        return None


@observatory_required
@require_POST
def withdraw(request, pk):
    notice = get_object_or_404(SellerNotice.objects.select_related("version"), pk=pk)
    form = WithdrawSellerNoticeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("terms_backoffice:version_notices", pk=notice.version_id)
    try:
        service.withdraw_seller_notice(notice, by=request.user, reason=form.cleaned_data["reason"])
    except service.SellerNoticeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rattachement retiré ; le préavis a été recalculé."))
    return redirect("terms_backoffice:version_notices", pk=notice.version_id)
