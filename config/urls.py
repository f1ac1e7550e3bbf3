from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("fairplace.core.urls")),
    path("compte/", include("fairplace.core.auth.urls")),
    path("", include("fairplace.reports.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "fairplace.core.views.page_not_found"
handler500 = "fairplace.core.views.server_error"
