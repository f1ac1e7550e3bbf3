from django.contrib.admin.apps import AdminConfig


class SecondFactorAdminConfig(AdminConfig):
    """``django.contrib.admin`` whose default site asks for the second factor (see adminsite)."""

    default_site = "fairplace.core.auth.adminsite.SecondFactorAdminSite"
