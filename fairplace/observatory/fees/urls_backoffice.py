"""The fee observatory's back office for agents (/gestion/frais/)."""

from django.urls import path

from .views import backoffice_changes, backoffice_schedules

app_name = "fees_backoffice"

urlpatterns = [
    path("", backoffice_schedules.schedule_list, name="schedules"),
    path("grilles/nouvelle/", backoffice_schedules.schedule_create, name="create"),
    path("grilles/<int:pk>/", backoffice_schedules.schedule_detail, name="schedule"),
    path("import/", backoffice_schedules.import_file, name="import"),
    path("import/modele.csv", backoffice_schedules.import_template, name="import_template"),
    path("evolutions/", backoffice_changes.change_list, name="changes"),
    path("evolutions/<int:pk>/", backoffice_changes.change_detail, name="change"),
]
