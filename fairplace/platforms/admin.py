from django.contrib import admin

from .models import Marketplace


@admin.register(Marketplace)
class MarketplaceAdmin(admin.ModelAdmin):
    list_display = ("name", "operator", "country", "is_active")
    list_filter = ("is_active", "country")
    search_fields = ("name", "operator", "slug")
