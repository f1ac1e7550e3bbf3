from django.contrib import admin

from .models import ProblemFamily, Report, ReportEvent


@admin.register(ProblemFamily)
class ProblemFamilyAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "position", "is_active")


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    fields = ("created_at", "code", "actor_kind", "payload")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only until the back office of issue #3: states change only through the workflow."""

    list_display = ("reference", "submitted_at", "marketplace", "family", "state", "consent")
    list_filter = ("state", "consent", "family", "marketplace")
    search_fields = ("reference", "siren", "siret", "company_name")
    inlines = [ReportEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Report._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
