from django.urls import path

from .views import backoffice_case, backoffice_queue

app_name = "backoffice"

urlpatterns = [
    # The queue, its bulk actions, saved filters and exports (views/backoffice_queue.py).
    path("", backoffice_queue.queue, name="queue"),
    path("actions/", backoffice_queue.bulk, name="bulk"),
    path("filtres/", backoffice_queue.save_filter, name="save_filter"),
    path("filtres/<int:filter_id>/supprimer/", backoffice_queue.delete_filter, name="delete_filter"),
    # One view, two names: GET lists the user's exports, POST asks for a new one.
    path("exports/", backoffice_queue.exports, name="exports"),
    path("exports/", backoffice_queue.exports, name="export_create"),
    path("exports/<uuid:job_id>/", backoffice_queue.export_download, name="export_download"),
    # The case page and its actions (views/backoffice_case.py).
    path("signalements/<str:reference>/", backoffice_case.case, name="case"),
    path("signalements/<str:reference>/action/", backoffice_case.case_transition, name="case_transition"),
    path("signalements/<str:reference>/assigner/", backoffice_case.case_assign, name="case_assign"),
    path("signalements/<str:reference>/notes/", backoffice_case.case_note, name="case_note"),
    path("signalements/<str:reference>/requalifier/", backoffice_case.case_requalify, name="case_requalify"),
    path("signalements/<str:reference>/fusionner/", backoffice_case.case_merge, name="case_merge"),
    path("signalements/<str:reference>/messages/", backoffice_case.case_message, name="case_message"),
    path(
        "signalements/<str:reference>/messages/<int:message_id>/transmettre/",
        backoffice_case.case_message_release,
        name="case_message_release",
    ),
]
