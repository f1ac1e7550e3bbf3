"""The agents' queue: the filter form (GET parameters) and the one queryset behind the list
page and the exports, with the search; the forms of the saved filters and bulk actions.

Everything starts from ``Report.objects.visible_to(user)``. A page of the queue costs the
same number of queries whatever its size: the related rows come with ``select_related`` and
"has evidence" / "late" are computed in SQL (``Exists``, a boolean expression).
"""

import re
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siren as stdnum_siren

from fairplace.core.forms import CachedFieldGroups
from fairplace.core.models import OBSERVATORY_ROLES
from fairplace.platforms.queries import active_marketplaces, marketplace_by_slug

from .deadlines import late_condition
from .models import Attachment, Consent, Report, SavedFilter, active_families
from .states import ReportState

# The expression of the French full-text index (migration 0005_french_full_text_index). It is
# what ``SearchVector("description", "company_name", config="french")`` compiles to, so that
# PostgreSQL can answer the search from the GIN index; change both together.
FRENCH_SEARCH_COLUMNS = ("description", "company_name")

SORTS = {
    "newest": (gettext_lazy("Les plus récents"), ["-submitted_at", "-id"]),
    "oldest": (gettext_lazy("Les plus anciens"), ["submitted_at", "id"]),
    "due": (gettext_lazy("Échéance la plus proche"), [F("answer_due_at").asc(nulls_last=True), "-submitted_at"]),
    "state": (gettext_lazy("État"), ["state_position", "-submitted_at"]),
    "marketplace": (gettext_lazy("Place de marché"), [F("marketplace__name").asc(nulls_last=True), "-submitted_at"]),
}
DEFAULT_SORT = "newest"
PER_PAGE_CHOICES = (20, 50, 100)
REFERENCE_RE = re.compile(r"^FP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
# The parameters that make a selection (the page number does not).
FILTER_PARAMS = (
    "marketplace",
    "family",
    "state",
    "overdue",
    "submitted_from",
    "submitted_to",
    "siren",
    "attachments",
    "consent",
    "assigned",
    "q",
    "sort",
    "per_page",
)


def observatory_users() -> list:
    """Active agents, supervisors and administrators: who may be given a case."""
    users = get_user_model().objects.filter(is_active=True).filter(Q(role__in=OBSERVATORY_ROLES) | Q(is_superuser=True))
    fields = ("id", "email", "first_name", "last_name", "is_active", "role", "is_superuser")
    return list(users.order_by("last_name", "first_name", "email").only(*fields))


def user_label(user) -> str:
    return user.get_full_name() or user.email


class QueueFilters(CachedFieldGroups, DsfrBaseForm):
    """The queue's GET parameters, all optional, validated on the server."""

    q = forms.CharField(
        label=gettext_lazy("Recherche"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Mots de la description ou de la raison sociale, référence, SIREN ou SIRET"),
    )
    marketplace = forms.ChoiceField(label=gettext_lazy("Place de marché"), required=False)
    family = forms.ChoiceField(label=gettext_lazy("Famille de problèmes"), required=False)
    state = forms.MultipleChoiceField(
        label=gettext_lazy("État"), required=False, choices=ReportState.choices, widget=forms.CheckboxSelectMultiple
    )
    overdue = forms.BooleanField(
        label=gettext_lazy("En retard seulement"),
        required=False,
        widget=forms.CheckboxInput(attrs={"value": "1"}),
        help_text=gettext_lazy("Plateforme sans réponse dans le délai"),
    )
    submitted_from = forms.DateField(
        label=gettext_lazy("Déposé à partir du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    submitted_to = forms.DateField(
        label=gettext_lazy("Déposé jusqu'au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    siren = forms.CharField(
        label=gettext_lazy("SIREN"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("9 chiffres"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    attachments = forms.ChoiceField(
        label=gettext_lazy("Pièces jointes"),
        required=False,
        choices=[
            ("", gettext_lazy("Indifférent")),
            ("yes", gettext_lazy("Avec pièces jointes")),
            ("no", gettext_lazy("Sans pièce jointe")),
        ],
    )
    consent = forms.ChoiceField(
        label=gettext_lazy("Choix de transmission"),
        required=False,
        choices=[("", gettext_lazy("Tous"))] + Consent.choices,
    )
    assigned = forms.ChoiceField(label=gettext_lazy("Agent chargé"), required=False)
    sort = forms.ChoiceField(
        label=gettext_lazy("Trier par"),
        required=False,
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
    )
    per_page = forms.TypedChoiceField(
        label=gettext_lazy("Par page"),
        required=False,
        coerce=int,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
        empty_value=20,
    )

    def __init__(self, *args, user, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.agents = observatory_users() if agents is None else agents
        everything = [("", _("Toutes"))]
        self.fields["marketplace"].choices = everything + [(m.slug, m.name) for m in active_marketplaces()]
        self.fields["family"].choices = everything + [(f.code, f.label) for f in active_families()]
        self.fields["assigned"].choices = [("", _("Tous")), ("me", _("Moi")), ("none", _("Personne"))] + [
            (str(agent.pk), user_label(agent)) for agent in self.agents
        ]
        for name in ("marketplace", "family", "consent", "attachments", "sort", "per_page"):
            self.fields[name].error_messages["invalid_choice"] = _("Choisissez une valeur de la liste.")
        self.fields["state"].error_messages["invalid_choice"] = _("Choisissez des états de la liste.")
        self.fields["assigned"].error_messages["invalid_choice"] = _(
            "Choisissez « moi », « personne » ou un agent de l'observatoire."
        )
        for name in ("submitted_from", "submitted_to"):
            self.fields[name].error_messages["invalid"] = _("Indiquez une date valide, par exemple 31/01/2026.")

    def clean_siren(self) -> str:
        value = re.sub(r"[\s.\-]", "", self.cleaned_data.get("siren") or "")
        if not value:
            return ""
        if not value.isdigit() or len(value) != 9:
            raise forms.ValidationError(_("Le SIREN compte 9 chiffres."), code="format")
        try:
            return stdnum_siren.validate(value)
        except stdnum_errors.ValidationError:
            raise forms.ValidationError(
                _("Ce numéro SIREN n'est pas valide : vérifiez les chiffres."), code="checksum"
            ) from None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("La date de fin doit être postérieure ou égale à la date de début."))
        return cleaned

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else None) or DEFAULT_SORT

    @property
    def page_size(self) -> int:
        return (self.cleaned_data.get("per_page") if self.is_valid() else None) or PER_PAGE_CHOICES[0]


def filters_from_query(user, query: str, **kwargs) -> QueueFilters:
    """The filter form bound to a stored query string (saved filters, exports)."""
    return QueueFilters(QueryDict(query), user=user, **kwargs)


def selection_query(params: QueryDict) -> str:
    """The query string of a selection: the filter parameters only, in a stable order."""
    kept = QueryDict(mutable=True)
    for name in FILTER_PARAMS:
        values = [value for value in params.getlist(name) if value != ""]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def annotated_reports(user) -> QuerySet:
    """The reports ``user`` may see, with what a row of the queue or an export shows."""
    seller_evidence = Attachment.objects.filter(report=OuterRef("pk"), answer__isnull=True)
    state_order = [When(state=value, then=Value(position)) for position, value in enumerate(ReportState.values)]
    return (
        Report.objects.visible_to(user)
        .select_related("marketplace", "family", "assigned_to")
        # Neither the list nor the exports show these (the search filters on them in SQL).
        .defer("answers", "description", "family__questions", "family__explanation")
        .annotate(
            has_attachments=Exists(seller_evidence),
            is_late=ExpressionWrapper(late_condition(), output_field=BooleanField()),
            state_position=Case(*state_order, default=Value(len(state_order))),
        )
    )


def queue_queryset(user, filters: QueueFilters) -> QuerySet:
    """The reports of the queue for ``user`` under valid ``filters``, sorted."""
    data = filters.cleaned_data
    reports = annotated_reports(user)
    conditions = {
        # The id, not a join on the slug: PostgreSQL then walks report_queue_idx for that one
        # marketplace, already sorted (a join made it scan the whole date index: ~1 s at 1M rows).
        "marketplace_id": _marketplace_id(data.get("marketplace")),
        "family__code": data.get("family"),
        "state__in": data.get("state"),
        "siren": data.get("siren"),
        "consent": data.get("consent"),
        # Whole days in Paris time, as bounds on the indexed column (not on its date).
        "submitted_at__gte": _start_of(data.get("submitted_from")),
        "submitted_at__lt": _start_of(data.get("submitted_to"), days_after=1),
    }
    reports = reports.filter(**{lookup: value for lookup, value in conditions.items() if value})
    if data.get("overdue"):
        reports = reports.filter(late_condition())
    if data.get("attachments"):
        reports = reports.filter(has_attachments=data["attachments"] == "yes")
    reports = _filter_assignee(reports, data.get("assigned"), user)
    if data.get("q"):
        reports = search(reports, data["q"])
    return reports.order_by(*SORTS[data.get("sort") or DEFAULT_SORT][1])


def _marketplace_id(slug: str | None) -> int | None:
    marketplace = marketplace_by_slug(slug) if slug else None
    return marketplace.pk if marketplace else None


class QueuePaginator(Paginator):
    """Finds a page's ids first (an index-only walk of the queue index, LIMIT/OFFSET on ids),
    then reads those rows with their joins: one statement, whatever the page size."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


def _start_of(day, days_after: int = 0):
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=days_after), time.min))


def _filter_assignee(reports: QuerySet, assigned: str, user) -> QuerySet:
    if assigned == "me":
        return reports.filter(assigned_to=user)
    if assigned == "none":
        return reports.filter(assigned_to__isnull=True)
    if assigned:
        return reports.filter(assigned_to_id=int(assigned))
    return reports


def search(reports: QuerySet, text: str) -> QuerySet:
    """Full-text search (French stemming on PostgreSQL), or an exact reference, SIREN or SIRET."""
    text = text.strip()
    exact = Q(reference=text.upper()) if REFERENCE_RE.match(text.upper()) else Q(pk__in=[])
    digits = re.sub(r"[\s.\-]", "", text)
    if digits.isdigit() and len(digits) == 9:
        exact |= Q(siren=digits)
    elif digits.isdigit() and len(digits) == 14:
        exact |= Q(siret=digits)
    if connections[reports.db].vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        reports = reports.alias(french_text=SearchVector(*FRENCH_SEARCH_COLUMNS, config="french"))
        words = Q(french_text=SearchQuery(text, config="french", search_type="websearch"))
    else:
        # SQLite (development): no stemming, a plain substring match.
        words = Q(description__icontains=text) | Q(company_name__icontains=text)
    return reports.filter(exact | words)


class SavedFilterForm(CachedFieldGroups, DsfrBaseForm):
    name = forms.CharField(
        label=gettext_lazy("Nom du filtre"),
        max_length=80,
        error_messages={
            "required": gettext_lazy("Donnez un nom au filtre."),
            "max_length": gettext_lazy("Le nom compte 80 caractères au plus."),
        },
    )
    query = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.HiddenInput,
        error_messages={"max_length": gettext_lazy("Ces filtres sont trop longs pour être enregistrés.")},
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "saved-filter-%s")  # unique ids beside the other forms of the page
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Donnez un nom au filtre."))
        if SavedFilter.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError(_("Vous avez déjà un filtre nommé « %(name)s ».") % {"name": name})
        return name

    def clean_query(self) -> str:
        query = selection_query(QueryDict(self.cleaned_data.get("query") or ""))
        if not filters_from_query(self.user, query).is_valid():
            raise forms.ValidationError(_("Ces filtres ne sont pas valides : corrigez-les avant de les enregistrer."))
        return query


class ReferenceListField(forms.Field):
    """The references ticked in the queue (one ``reports`` parameter per checkbox)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        return [item.strip().upper() for item in (value or []) if item and item.strip()]


class BulkActionForm(CachedFieldGroups, DsfrBaseForm):
    ACTIONS = [
        ("assign_me", gettext_lazy("M'attribuer")),
        ("assign_to", gettext_lazy("Attribuer à l'agent choisi")),
        ("unassign", gettext_lazy("Retirer l'attribution")),
        ("qualify", gettext_lazy("Qualifier")),
        ("forward", gettext_lazy("Transmettre à la plateforme")),
        ("mark_overdue", gettext_lazy("Constater l'absence de réponse")),
    ]

    reports = ReferenceListField(error_messages={"required": gettext_lazy("Cochez au moins un signalement.")})
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("", gettext_lazy("Choisir une action")), *ACTIONS],
        error_messages={
            "required": gettext_lazy("Choisissez une action."),
            "invalid_choice": gettext_lazy("Choisissez une action de la liste."),
        },
    )
    assignee = forms.ChoiceField(
        label=gettext_lazy("Agent (pour « Attribuer à l'agent choisi »)"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choisissez un agent de la liste.")},
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, agents, **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self.agents = {str(agent.pk): agent for agent in agents}
        self.fields["assignee"].choices = [("", _("Choisir un agent"))] + [
            (key, user_label(agent)) for key, agent in self.agents.items()
        ]

    def clean_reports(self) -> list[str]:
        references = self.cleaned_data["reports"]
        if any(not REFERENCE_RE.match(reference) for reference in references):
            raise forms.ValidationError(_("La sélection contient une référence invalide."))
        return references

    def clean_assignee(self):
        return self.agents.get(self.cleaned_data.get("assignee") or "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "assign_to" and cleaned.get("assignee") is None:
            self.add_error("assignee", _("Choisissez l'agent à qui attribuer les signalements."))
        return cleaned
