from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("fairplace.core.urls")),
    path("compte/", include("fairplace.core.auth.urls")),
    path("", include("fairplace.reports.urls")),
    path("gestion/", include("fairplace.reports.urls_backoffice")),
    path("plateforme/", include("fairplace.reports.urls_platform")),
    path("mediation/", include("fairplace.reports.urls_mediation")),
    path("admin/", admin.site.urls),
]

handler404 = "fairplace.core.views.page_not_found"
handler500 = "fairplace.core.views.server_error"
