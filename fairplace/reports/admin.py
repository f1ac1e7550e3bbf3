from django.contrib import admin

from .models import ExportJob, PlatformAnswer, ProblemFamily, Report, ReportEvent, SellerFeedback


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
    """Read-only: cases are worked in the back office (/gestion/), states change only through
    the workflow. Mediator notes are not registered anywhere: they are the mediator's alone."""

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


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the platforms and sellers stated, and the exports: for looking, never editing."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlatformAnswer)
class PlatformAnswerAdmin(ReadOnlyAdmin):
    list_display = ("report", "kind", "created_at")
    list_filter = ("kind",)


@admin.register(SellerFeedback)
class SellerFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("report", "kind", "value", "created_at")
    list_filter = ("kind", "value")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "requested_by", "format", "status", "row_count", "created_at")
    list_filter = ("status", "format")
