from django.urls import path

from .views import mediation

app_name = "mediation"

urlpatterns = [
    path("", mediation.cases, name="cases"),
    path("<str:reference>/", mediation.case, name="case"),
    path("<str:reference>/etape/", mediation.stage, name="stage"),
    path("<str:reference>/notes/", mediation.note, name="note"),
    path("<str:reference>/clore/", mediation.close, name="close"),
]
