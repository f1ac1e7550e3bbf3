"""Public pages of the contract-terms observatory (/observatoire/conditions/).

- ``index``: the tracked documents grouped by marketplace (or service), and the latest substantive
  changes (newest first);
- ``document``: one document's timeline of versions, with the notice check of each;
- ``version``: the clause-by-clause diff of a version against the previous one;
- ``timeline.marketplace``: one marketplace's changes (views/timeline.py); ``feeds.ChangesFeed``: the Atom feed.

Reads only: a fixed number of queries per page (annotations and one prefetch of the clause changes,
loaded without their texts except on the version page).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from django.db.models import Count, Max, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from fairplace.observatory.fees.wording import reported_label
from fairplace.reports.queries import distinct_sellers

from ..models import (
    TOPIC_LABELS,
    ChangeKind,
    ClauseChange,
    NoticeCheck,
    NoticeStatus,
    SellerNotice,
    TermsVersion,
    TrackedDocument,
)
from ..reviews import CONFIRMED, EXCEPTION
from ..text.topics import TOPICS

LATEST_CHANGES = 30

KIND_BADGES = {
    ChangeKind.ADDED: "success",
    ChangeKind.REMOVED: "error",
    ChangeKind.MODIFIED: "warning",
    ChangeKind.MOVED: "info",
}
STATED_KINDS = {"last_updated": gettext_lazy("Mise à jour le"), "effective": gettext_lazy("En vigueur le")}
NOTIFIED_SOURCES = {
    "stated": gettext_lazy("date de mise à jour indiquée dans le texte"),
    "first_seen": gettext_lazy("date du premier relevé par l’observatoire"),
    "seller_upload": gettext_lazy("avis reçus par des vendeurs, transmis avec leurs signalements"),
}
EFFECTIVE_BASES = {
    "stated_effective": gettext_lazy("date d’entrée en vigueur indiquée dans le texte"),
    "stated_last_updated": gettext_lazy("date de mise à jour indiquée dans le texte"),
    "first_seen": gettext_lazy("date du premier relevé par l’observatoire"),
    "seller_notice": gettext_lazy("date d’entrée en vigueur annoncée dans les avis reçus par des vendeurs"),
}

# --- Notice status, as shown everywhere ------------------------------------------------------------


@dataclass
class Notice:
    status: str  # NoticeStatus value, "unknown" when there is no check
    label: str
    badge: str  # DSFR badge variant ("" for none)
    flagged: bool  # short or retroactive, and no exception retained
    decision: str = ""  # "", "exception", "confirmed"
    decision_label: str = ""
    pending: bool = False  # flagged, awaiting a reviewer


def notice_of(status: str | None, decision: str = "", needs_review: bool = False) -> Notice:
    status = status or NoticeStatus.UNKNOWN
    if status == NoticeStatus.SHORT:
        label, badge = _("préavis inférieur à 15 jours (règlement P2B, art. 3)"), "warning"
    elif status == NoticeStatus.RETROACTIVE:
        label, badge = _("effet rétroactif (art. 8)"), "error"
    elif status == NoticeStatus.OK:
        label, badge = _("préavis d’au moins 15 jours"), "success"
    else:
        status, label, badge = NoticeStatus.UNKNOWN, _("préavis inconnu"), ""
    measured_flag = status in (NoticeStatus.SHORT, NoticeStatus.RETROACTIVE)
    notice = Notice(status, label, badge, flagged=measured_flag and decision != EXCEPTION, decision=decision)
    if decision == EXCEPTION:
        notice.decision_label = _("exception retenue après examen")
        notice.badge = "info"
    elif decision == CONFIRMED:
        notice.decision_label = _("manquement confirmé après examen")
    elif measured_flag and needs_review:
        notice.pending = True
        notice.decision_label = _("en cours d’examen")
    return notice


def notice_of_check(check: NoticeCheck | None) -> Notice:
    if check is None:
        return notice_of(None)
    return notice_of(check.status, check.review_decision, check.needs_review)


def _check_of(version: TermsVersion) -> NoticeCheck | None:
    try:
        return version.notice
    except NoticeCheck.DoesNotExist:
        return None


# --- Versions, summarised ------------------------------------------------------------------------


@dataclass
class VersionSummary:
    version: TermsVersion
    counts: dict = field(default_factory=dict)  # kind → number of clauses
    cosmetic: int = 0
    topics: list = field(default_factory=list)  # (code, label)
    notice: Notice | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def summarise(version: TermsVersion) -> VersionSummary:
    """Counts per kind, the topics touched (cosmetic edits aside) and the notice of a version whose
    ``clause_changes`` were prefetched."""
    counts = dict.fromkeys(ChangeKind.values, 0)
    touched, cosmetic = set(), 0
    for change in version.clause_changes.all():
        counts[change.kind] = counts.get(change.kind, 0) + 1
        if change.cosmetic:
            cosmetic += 1
        else:
            touched.update(change.topics or ())
    topics = [(code, TOPIC_LABELS[code]) for code in TOPICS if code in touched]
    topics += [(code, code) for code in sorted(touched - set(TOPICS))]
    return VersionSummary(version, counts, cosmetic, topics, notice_of_check(_check_of(version)))


def light_changes() -> Prefetch:
    return Prefetch(
        "clause_changes",
        queryset=ClauseChange.objects.only("id", "version_id", "kind", "topics", "cosmetic", "position"),
    )


def changes_queryset():
    """Substantive versions that follow another one (the first text seen is not a change)."""
    return (
        TermsVersion.objects.filter(substantive=True, previous__isnull=False)
        .select_related("document", "document__marketplace", "notice")
        .defer("stated_dates")
        .prefetch_related(light_changes())
        .order_by("-first_seen_at", "-id")
    )


def service_label(document: TrackedDocument) -> str:
    return document.marketplace.name if document.marketplace_id else document.service_name


def documents_of(key: str) -> list[TrackedDocument]:
    """The tracked documents of a marketplace (by slug) or of a service outside the registry; 404 if none."""
    documents = list(TrackedDocument.objects.select_related("marketplace").filter(marketplace__slug=key))
    if not documents:
        documents = [
            document
            for document in TrackedDocument.objects.filter(marketplace__isnull=True)
            if _slug(document.service_name) == key
        ]
    if not documents:
        raise Http404(_("Aucun document suivi pour cette place de marché."))
    return sorted(documents, key=lambda d: (d.get_doc_type_display(), d.title))


def service_key(document: TrackedDocument) -> str:
    """The key of the document's marketplace timeline: the registry slug, else its service name slugified."""
    return document.marketplace.slug if document.marketplace_id else _slug(document.service_name)


def _slug(name: str) -> str:
    return slugify(name.replace(".", " "))  # "kaufland.de" → "kaufland-de"


# --- Pages ----------------------------------------------------------------------------------------


@require_safe
def index(request):
    latest_check = NoticeCheck.objects.filter(version__document=OuterRef("pk")).order_by(
        "-version__first_seen_at", "-version_id"
    )
    documents = TrackedDocument.objects.select_related("marketplace").annotate(
        last_version_at=Max("versions__first_seen_at"),
        changes=Count("versions", filter=Q(versions__substantive=True, versions__previous__isnull=False)),
        notice_status=Subquery(latest_check.values("status")[:1]),
        notice_decision=Subquery(latest_check.values("review_decision")[:1]),
        notice_needs_review=Subquery(latest_check.values("needs_review")[:1]),
    )
    rows = sorted(documents, key=lambda d: (service_label(d).casefold(), d.get_doc_type_display(), d.title))
    groups = []
    for name, items in groupby(rows, key=service_label):
        items = list(items)
        for item in items:
            item.latest_notice = (
                notice_of(item.notice_status, item.notice_decision or "", bool(item.notice_needs_review))
                if item.notice_status
                else None
            )
        groups.append({"name": name, "key": service_key(items[0]), "documents": items})
    changes = [summarise(version) for version in changes_queryset()[:LATEST_CHANGES]]
    return render(request, "terms/index.html", {"groups": groups, "changes": changes, "document_count": len(rows)})


@require_safe
def document(request, pk):
    tracked = get_object_or_404(TrackedDocument.objects.select_related("marketplace"), pk=pk)
    versions = (
        tracked.versions.select_related("notice")
        .defer("stated_dates")
        .prefetch_related(light_changes())
        .order_by("-first_seen_at", "-id")
    )
    summaries = [summarise(version) for version in versions]
    return render(
        request,
        "terms/document.html",
        {
            "document": tracked,
            "service": service_label(tracked),
            "summaries": summaries,
            "changes": sum(1 for s in summaries if s.version.substantive and s.version.previous_id),
        },
    )


@dataclass
class StatedDate:
    kind: str
    label: str
    day: date | None
    text: str


def _stated_dates(values) -> list[StatedDate]:
    dates = []
    for value in values or ():
        if not isinstance(value, dict):
            continue
        try:
            day = date.fromisoformat(str(value.get("date", "")))
        except ValueError:
            day = None
        kind = str(value.get("kind", ""))
        dates.append(StatedDate(kind, STATED_KINDS.get(kind, kind), day, str(value.get("text", ""))))
    return dates


_ALLOWED_TAG = re.compile(r"</?(?:ins|del)>")


def safe_diff(diff_html: str) -> str:
    """The stored word diff, marked safe only when its sole markup is bare ``<ins>``/``<del>`` tags
    (``align.word_diff_html`` escapes the words); anything else is escaped as text."""
    if "<" in _ALLOWED_TAG.sub("", diff_html) or ">" in _ALLOWED_TAG.sub("", diff_html):
        return escape(diff_html)
    return mark_safe(diff_html)  # noqa: S308 — only <ins>/<del> left, words escaped by align.py


@dataclass
class ChangeRow:
    change: ClauseChange
    badge: str
    topics: list
    diff: str


@require_safe
def version(request, pk):
    current = get_object_or_404(
        TermsVersion.objects.select_related("document", "document__marketplace", "previous", "notice"), pk=pk
    )
    rows = [
        ChangeRow(
            change,
            KIND_BADGES.get(change.kind, ""),
            [(code, TOPIC_LABELS.get(code, code)) for code in change.topics or ()],
            safe_diff(change.diff_html) if change.diff_html else "",
        )
        for change in current.clause_changes.all()
    ]
    check = _check_of(current)
    counts = dict.fromkeys(ChangeKind.values, 0)
    for row in rows:
        counts[row.change.kind] = counts.get(row.change.kind, 0) + 1
    report_ids = SellerNotice.objects.filter(version=current, withdrawn_at__isnull=True).values_list(
        "report_id", flat=True
    )
    sellers = distinct_sellers({current.pk: list(report_ids)})[current.pk]
    return render(
        request,
        "terms/version.html",
        {
            "version": current,
            "reported": reported_label(sellers),
            "document": current.document,
            "service": service_label(current.document),
            "rows": rows,
            "counts": counts,
            "check": check,
            "notice": notice_of_check(check),
            "stated_dates": _stated_dates(current.stated_dates),
            "effective_basis": EFFECTIVE_BASES.get(check.effective_basis, check.effective_basis) if check else "",
            "notified_source": NOTIFIED_SOURCES.get(check.notified_source, check.notified_source) if check else "",
        },
    )
