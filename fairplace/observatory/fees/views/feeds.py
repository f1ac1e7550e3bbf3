"""Atom feed of the fee changes: one entry per version that changed something (the last 50).

``/observatoire/frais/evolutions/flux.atom``, optionally ``?place=<slug>`` for one marketplace.
The entry's content lists the change sentences (``wording.change_sentence``, as on the pages).
"""

from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fairplace.platforms.models import Marketplace

from .. import catalogue
from ..catalogue import VersionChanges
from .public import PLACE_PARAM, BadFilter, marketplace_filter

ENTRIES = 50


class ChangesAtomFeed(Atom1Feed):
    """Atom with a ``<content type="html">`` element for each entry (Django writes ``summary`` only)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


@dataclass
class Scope:
    place: Marketplace | None
    root: str  # "https://host", for the entries' ids


@dataclass
class Entry:
    group: VersionChanges
    guid: str


class ChangesFeed(Feed):
    feed_type = ChangesAtomFeed
    language = "fr"
    author_name = "Fairplace"

    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except BadFilter as error:
            return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")

    def get_object(self, request, *args, **kwargs):
        return Scope(
            place=marketplace_filter(request.GET.get(PLACE_PARAM, "")), root=request.build_absolute_uri("/").rstrip("/")
        )

    # --- Feed ---------------------------------------------------------------------------------

    def title(self, scope):
        if scope.place:
            return _("Évolutions des frais sur %(name)s — Fairplace") % {"name": scope.place.name}
        return _("Évolutions des frais des places de marché — Fairplace")

    def subtitle(self, scope):
        return _("Chaque nouvelle grille tarifaire relevée par l’observatoire, comparée à la précédente.")

    def link(self, scope):
        url = reverse("fees:timeline")
        return f"{url}?{urlencode({PLACE_PARAM: scope.place.slug})}" if scope.place else url

    def feed_url(self, scope):
        url = reverse("fees:feed")
        return f"{url}?{urlencode({PLACE_PARAM: scope.place.slug})}" if scope.place else url

    def items(self, scope):
        versions = catalogue.versions_by_recording(marketplace=scope.place, limit=ENTRIES)
        marketplace_url = {}
        entries = []
        for group in catalogue.change_groups(versions):
            slug = group.marketplace.slug
            if slug not in marketplace_url:
                marketplace_url[slug] = reverse("fees:marketplace", args=[slug])
            entries.append(Entry(group, f"{scope.root}{marketplace_url[slug]}#version-{group.schedule.id}"))
        return entries

    # --- Entries --------------------------------------------------------------------------------

    def item_title(self, entry):
        return entry.group.title

    def item_link(self, entry):
        group = entry.group
        url = reverse("fees:compare", args=[group.marketplace.slug])
        return f"{url}?{urlencode({'de': group.previous.id, 'a': group.schedule.id})}"

    def item_guid(self, entry):
        return entry.guid

    def item_pubdate(self, entry):
        return entry.group.first_recorded_at

    def item_updateddate(self, entry):
        return entry.group.recorded_at

    def item_description(self, entry):
        group = entry.group
        count = len(group.lines)
        parts = [ngettext("%(count)s changement", "%(count)s changements", count) % {"count": count}]
        if group.notice_flag:
            parts.append(group.notice_flag)
        return " ; ".join(parts) + "."

    def item_extra_kwargs(self, entry):
        return {"content": entry_content(entry.group)}


def entry_content(group: VersionChanges) -> str:
    """The changes of a version as an HTML list, with the notice warning and report counts."""
    items = format_html_join(
        "",
        "<li>{} ({}){}</li>",
        (
            (line.sentence, line.change.get_severity_display(), f" — {line.reported}" if line.reported else "")
            for line in group.lines
        ),
    )
    notice = format_html("<p>{}</p>", group.notice_flag) if group.notice_flag else ""
    return format_html("<ul>{}</ul>{}", items, notice)
