"""The admin site: one login page for the whole service, and the second factor required."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from .decorators import is_second_factor_satisfied


class SecondFactorAdminSite(admin.AdminSite):
    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if not settings.FAIRPLACE_ADMIN_REQUIRES_SECOND_FACTOR:
            return True
        return is_second_factor_satisfied(request.user)

    def login(self, request, extra_context=None):
        # The service's login page applies the lockout and the second factor; the admin's own
        # form would skip both.
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated and not is_second_factor_satisfied(request.user):
            return redirect(f"{reverse('core:verify')}?{urlencode({'next': next_url})}")
        return redirect(f"{reverse('core:login')}?{urlencode({'next': next_url})}")
