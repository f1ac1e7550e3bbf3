"""Atom feed of the substantive changes of terms (/observatoire/conditions/evolutions/flux.atom): every
tracked document (newest 50), one document (``?document=<pk>``) or one marketplace (``?place=<key>``, the key
of its timeline page)."""

from dataclasses import dataclass, field

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fairplace.observatory.fees.templatetags.fees import long_date

from ..models import ChangeKind, NoticeStatus, TrackedDocument
from .public import VersionSummary, changes_queryset, documents_of, service_label, summarise

FEED_ENTRIES = 50
DOCUMENT_PARAM = "document"
PLACE_PARAM = "place"


@dataclass
class Scope:
    """What a feed is about: one document, one marketplace's documents, or everything (no scope)."""

    title: str
    link: str
    query: str
    documents: list = field(default_factory=list)


def counts_sentence(summary: VersionSummary) -> str:
    parts = []
    for kind, singular, plural in (
        (ChangeKind.ADDED, "%(n)s clause ajoutée", "%(n)s clauses ajoutées"),
        (ChangeKind.REMOVED, "%(n)s clause supprimée", "%(n)s clauses supprimées"),
        (ChangeKind.MODIFIED, "%(n)s clause modifiée", "%(n)s clauses modifiées"),
        (ChangeKind.MOVED, "%(n)s clause déplacée", "%(n)s clauses déplacées"),
    ):
        n = summary.counts.get(kind, 0)
        if n:
            parts.append(ngettext(singular, plural, n) % {"n": n})
    return ", ".join(parts) if parts else _("aucune clause modifiée")


class ChangesFeed(Feed):
    feed_type = Atom1Feed
    language = "fr"
    author_name = "Fairplace"

    def get_object(self, request, *args, **kwargs):
        document, place = request.GET.get(DOCUMENT_PARAM, ""), request.GET.get(PLACE_PARAM, "")
        if document:
            if not document.isdigit():
                raise Http404(_("Document inconnu."))
            tracked = get_object_or_404(TrackedDocument.objects.select_related("marketplace"), pk=int(document))
            return Scope(
                _("Modifications de « %(title)s » (%(service)s) — Fairplace")
                % {"title": tracked.title, "service": service_label(tracked)},
                reverse("terms:document", args=[tracked.pk]),
                f"{DOCUMENT_PARAM}={tracked.pk}",
                [tracked],
            )
        if place:
            documents = documents_of(place)
            return Scope(
                _("Modifications des conditions de %(service)s — Fairplace") % {"service": service_label(documents[0])},
                reverse("terms:marketplace", args=[place]),
                f"{PLACE_PARAM}={place}",
                documents,
            )
        return None

    def title(self, scope):
        return scope.title if scope else _("Modifications des conditions des places de marché — Fairplace")

    def subtitle(self, scope):
        return _("Chaque modification de fond des conditions suivies par l’observatoire, clause par clause.")

    def link(self, scope):
        return scope.link if scope else reverse("terms:index")

    def feed_url(self, scope):
        url = reverse("terms:feed")
        return f"{url}?{scope.query}" if scope else url

    def items(self, scope):
        queryset = changes_queryset()
        if scope is not None:
            queryset = queryset.filter(document__in=scope.documents)
        return [summarise(version) for version in queryset[:FEED_ENTRIES]]

    def item_title(self, summary):
        version = summary.version
        return _("%(service)s — %(title)s : modification du %(day)s") % {
            "service": service_label(version.document),
            "title": version.document.title,
            "day": long_date(version.first_seen_at),
        }

    def item_link(self, summary):
        return reverse("terms:version", args=[summary.version.pk])

    def item_pubdate(self, summary):
        return summary.version.first_seen_at

    def item_description(self, summary):
        parts = [counts_sentence(summary).capitalize()]
        if summary.topics:
            parts.append(_("thèmes : %(topics)s") % {"topics": ", ".join(str(label) for _c, label in summary.topics)})
        notice = summary.notice
        if notice.status != NoticeStatus.UNKNOWN:
            parts.append(
                _("préavis : %(label)s") % {"label": notice.label}
                + (f" ({notice.decision_label})" if notice.decision_label else "")
            )
        return " ; ".join(parts) + "."
