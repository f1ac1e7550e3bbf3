from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

# The public barometer first: its pages are the most requested and are resolved before the
# other patterns are tried. French at /barometre/…, English at /en/barometre/…
urlpatterns = i18n_patterns(
    path("barometre/", include("fairplace.barometer.urls")),
    prefix_default_language=False,
)

urlpatterns += [
    path("", include("fairplace.core.urls")),
    path("compte/", include("fairplace.core.auth.urls")),
    path("", include("fairplace.reports.urls")),
    path("observatoire/frais/", include("fairplace.observatory.fees.urls")),
    path("observatoire/conditions/", include("fairplace.observatory.terms.urls")),
    # Before the reports' own /gestion/ and /plateforme/ routes.
    path("gestion/barometre/", include("fairplace.barometer.urls_backoffice")),
    path("plateforme/barometre/", include("fairplace.barometer.urls_platform")),
    path("gestion/frais/", include("fairplace.observatory.fees.urls_backoffice")),
    path("gestion/conditions/", include("fairplace.observatory.terms.urls_backoffice")),
    path("gestion/taches/", include("fairplace.core.urls_backoffice")),
    path("gestion/", include("fairplace.reports.urls_backoffice")),
    path("plateforme/", include("fairplace.reports.urls_platform")),
    path("mediation/", include("fairplace.reports.urls_mediation")),
    path("api/", include("fairplace.api.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "fairplace.core.views.page_not_found"
handler500 = "fairplace.core.views.server_error"
