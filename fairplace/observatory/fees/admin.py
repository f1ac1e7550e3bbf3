"""Admin of the fee observatory.

Schedules are recorded through the back office (/gestion/frais/), which validates them and
computes the changes against the neighbouring versions; the admin cannot add, delete or change
their figures (that would leave the recorded changes out of date). Administrators may correct
a schedule's source and notes, and the labels of the common taxonomy; import attempts are
read-only. Everyone of the observatory with staff access may look.
"""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from fairplace.core.models import OBSERVATORY_ROLES, Role

from .models import FeeCategory, FeeComponent, FeeImport, FeeSchedule


def _can_view(user) -> bool:
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role in OBSERVATORY_ROLES))


def _can_edit(user) -> bool:
    return bool(user.is_active and user.is_staff and user.role == Role.ADMINISTRATOR)


class _ViewPermissions:
    def has_module_permission(self, request):
        return _can_view(request.user)

    def has_view_permission(self, request, obj=None):
        return _can_view(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FeeCategory)
class FeeCategoryAdmin(_ViewPermissions, admin.ModelAdmin):
    list_display = ("code", "label", "label_en", "position")
    search_fields = ("code", "label", "label_en")
    readonly_fields = ("code", "position")
    fields = ("code", "label", "label_en", "position")

    def has_change_permission(self, request, obj=None):
        return _can_edit(request.user)


class FeeComponentInline(_ViewPermissions, admin.TabularInline):
    model = FeeComponent
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "plan",
        "platform_category",
        "category",
        "rate",
        "amount",
        "base",
        "includes_shipping",
        "min_per_item",
        "max_per_item",
        "price_from",
        "price_to",
        "tier_mode",
        "reliability",
        "notes",
    )
    readonly_fields = fields


@admin.register(FeeSchedule)
class FeeScheduleAdmin(_ViewPermissions, admin.ModelAdmin):
    list_display = ("marketplace", "effective_on", "announced_on", "reliability", "is_seed", "created_at")
    list_filter = ("marketplace", "reliability", "is_seed")
    date_hierarchy = "effective_on"
    inlines = [FeeComponentInline]
    fields = (
        "marketplace",
        "effective_on",
        "announced_on",
        "observed_on",
        "source_url",
        "source_document",
        "reliability",
        "notes",
        "is_seed",
        "created_at",
        "created_by",
    )
    readonly_fields = (
        "marketplace",
        "effective_on",
        "announced_on",
        "observed_on",
        "reliability",
        "is_seed",
        "created_at",
        "created_by",
    )
    list_select_related = ("marketplace",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_change_permission(self, request, obj=None):
        return _can_edit(request.user)


@admin.register(FeeImport)
class FeeImportAdmin(_ViewPermissions, admin.ModelAdmin):
    list_display = ("imported_at", "filename", "imported_by", "succeeded", "error_count")
    list_filter = ("succeeded",)
    fields = ("filename", "imported_by", "imported_at", "succeeded", "schedules", "errors")
    readonly_fields = fields

    @admin.display(description=_("erreurs"))
    def error_count(self, obj):
        return len(obj.errors or [])
