"""Admin of the barometer: the charter registry (editable by administrators, with history) and
read-only lists of the editions and the platforms' replies.

The admin site already requires a staff account and the second factor. On top of that, only
accounts with the *administrator* role change the registry; other observatory staff may look.
Every save and deletion — inline rows included — writes a ``RegistryRevision`` (history.py),
in the admin's own transaction. Revisions themselves can be changed by nobody.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fairplace.core.models import OBSERVATORY_ROLES, Role

from . import charters, history, indicators
from .models import (
    Charter,
    Commitment,
    Edition,
    PlatformReply,
    RegistryRevision,
    SellerPopulation,
    Signature,
)

# --- Who may do what --------------------------------------------------------------------------


def can_view_registry(user) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role in OBSERVATORY_ROLES))


def can_edit_registry(user) -> bool:
    """Only the administrator role changes the registry (a superuser without it only looks)."""
    return bool(user.is_active and user.is_staff and user.role == Role.ADMINISTRATOR)


class _ViewPermissions:
    def has_module_permission(self, request):
        return can_view_registry(request.user)

    def has_view_permission(self, request, obj=None):
        return can_view_registry(request.user)


class _EditPermissions(_ViewPermissions):
    def has_add_permission(self, request, obj=None):
        return can_edit_registry(request.user)

    def has_change_permission(self, request, obj=None):
        return can_edit_registry(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_edit_registry(request.user)


class _ReadOnlyPermissions(_ViewPermissions):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- History ----------------------------------------------------------------------------------


def _saved(obj, before: dict | None, user) -> None:
    """Save ``obj`` and record its revision (nothing when an edit changed no field)."""
    obj.save()
    if before is None:
        history.record_revision(obj, RegistryRevision.Action.CREATED, user)
        return
    changed = history.diff(before, history.snapshot(obj))
    if changed:
        history.record_revision(obj, RegistryRevision.Action.UPDATED, user, changed_fields=changed)


def _before(obj) -> dict | None:
    """The stored state of an object about to be saved (None for a new one)."""
    if obj.pk is None:
        return None
    stored = type(obj).objects.filter(pk=obj.pk).first()
    return history.snapshot(stored) if stored is not None else None


def _cascaded(obj) -> list:
    """Rows deleted along with ``obj`` (a charter's commitments and signatures)."""
    if isinstance(obj, Charter):
        return [*obj.commitments.all(), *obj.signatures.all()]
    return []


def _record_deletion(obj, user) -> None:
    for child in _cascaded(obj):
        history.record_revision(child, RegistryRevision.Action.DELETED, user)
    history.record_revision(obj, RegistryRevision.Action.DELETED, user)


class _HistoryAdmin(_EditPermissions, admin.ModelAdmin):
    """A registry admin whose every save and deletion writes a revision."""

    def save_model(self, request, obj, form, change):
        _saved(obj, _before(obj) if change else None, request.user)

    def delete_model(self, request, obj):
        _record_deletion(obj, request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                _record_deletion(obj, request.user)
            super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            _record_deletion(obj, request.user)
            obj.delete()
        for obj in instances:
            _saved(obj, _before(obj), request.user)
        formset.save_m2m()


# --- Forms ------------------------------------------------------------------------------------


class _SourcesForm(forms.ModelForm):
    """Checks the sources: a list of {label, url, reliability, date}."""

    def clean_sources(self):
        sources, errors = charters.validate_sources(self.cleaned_data.get("sources"), "Sources")
        if errors:
            raise ValidationError(errors)
        return sources


def _indicator_choices():
    return [(indicator.code, f"{indicator.label} ({indicator.code})") for indicator in indicators.all_indicators()]


class CommitmentForm(_SourcesForm):
    indicator_codes = forms.MultipleChoiceField(
        label=_("Indicateurs qui en donnent la preuve"),
        choices=_indicator_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucun indicateur coché : la page affiche « pas encore d'indicateur »."),
        error_messages={
            "invalid_choice": _(
                "L'indicateur « %(value)s » n'existe pas dans le registre des indicateurs (indicators.yaml)."
            )
        },
    )

    class Meta:
        model = Commitment
        fields = [
            "charter",
            "number",
            "code",
            "axis_number",
            "axis_title",
            "axis_title_en",
            "text",
            "text_en",
            "indicator_codes",
            "sources",
        ]

    def clean_indicator_codes(self):
        codes, errors = charters.validate_indicator_codes(
            list(self.cleaned_data.get("indicator_codes") or []), "Indicateurs"
        )
        if errors:
            raise ValidationError(errors)
        return codes


class SignatureForm(_SourcesForm):
    class Meta:
        model = Signature
        fields = ["charter", "marketplace", "signatory_name", "status", "date", "note", "sources"]


class CharterForm(_SourcesForm):
    class Meta:
        model = Charter
        fields = ["code", "title", "title_en", "adopted_on", "previous", "summary", "summary_en", "sources"]

    def clean_previous(self):
        previous = self.cleaned_data.get("previous")
        if previous is not None and self.instance.pk is not None and previous.pk == self.instance.pk:
            raise ValidationError(_("Une charte ne peut pas être sa propre version précédente."))
        return previous


# --- The registry -----------------------------------------------------------------------------


class CommitmentInline(_EditPermissions, admin.StackedInline):
    model = Commitment
    form = CommitmentForm
    extra = 0


class SignatureInline(_EditPermissions, admin.StackedInline):
    model = Signature
    form = SignatureForm
    extra = 0


@admin.register(Charter)
class CharterAdmin(_HistoryAdmin):
    form = CharterForm
    list_display = ("title", "code", "adopted_on", "previous")
    search_fields = ("title", "code")
    inlines = [CommitmentInline, SignatureInline]


@admin.register(Commitment)
class CommitmentAdmin(_HistoryAdmin):
    form = CommitmentForm
    list_display = ("charter", "number", "axis_number", "short_text", "indicators_display")
    list_display_links = ("short_text",)
    list_filter = ("charter",)
    search_fields = ("text", "code")

    @admin.display(description=_("engagement"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 90 else obj.text[:89] + "…"

    @admin.display(description=_("indicateurs"))
    def indicators_display(self, obj):
        return ", ".join(obj.indicator_codes) if obj.indicator_codes else charters.NO_INDICATOR


@admin.register(Signature)
class SignatureAdmin(_HistoryAdmin):
    form = SignatureForm
    list_display = ("signatory_name", "marketplace", "charter", "status", "date")
    list_filter = ("charter", "status")
    search_fields = ("signatory_name",)


@admin.register(SellerPopulation)
class SellerPopulationAdmin(_HistoryAdmin):
    list_display = ("marketplace", "year", "sellers", "source_label")
    list_filter = ("year",)


@admin.register(RegistryRevision)
class RegistryRevisionAdmin(_ReadOnlyPermissions, admin.ModelAdmin):
    """The history: read by the observatory staff, changed by nobody."""

    list_display = ("changed_at", "action", "object_type", "object_repr", "fields_display", "changed_by_display")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr",)
    readonly_fields = (
        "changed_at",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changed_fields",
        "changed_by",
        "snapshot",
    )
    fields = readonly_fields
    actions = None

    @admin.display(description=_("champs modifiés"))
    def fields_display(self, obj):
        return ", ".join(obj.changed_fields) if obj.changed_fields else "—"

    @admin.display(description=_("par"))
    def changed_by_display(self, obj):
        return obj.changed_by or _("chargement du fichier de référence")


# --- Editions (read-only) ---------------------------------------------------------------------


class _ReadOnlyAdmin(_ReadOnlyPermissions, admin.ModelAdmin):
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Edition)
class EditionAdmin(_ReadOnlyAdmin):
    list_display = ("code", "status", "period_start", "period_end", "publication_date", "published_at")
    list_filter = ("status",)


@admin.register(PlatformReply)
class PlatformReplyAdmin(_ReadOnlyAdmin):
    list_display = ("edition", "marketplace", "submitted_at", "updated_at")
    list_filter = ("edition",)
