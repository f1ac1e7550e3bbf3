from django.urls import path

from .views import intake, staff, tracking

app_name = "reports"

urlpatterns = [
    path("signaler/", intake.start, name="start"),
    path("signaler/code/", intake.email_code, name="email_code"),
    path("signaler/recu/", intake.receipt, name="receipt"),
    path("signaler/pieces/<uuid:attachment_id>/", intake.draft_attachment, name="draft_attachment"),
    path("signaler/<slug:key>/", intake.step, name="step"),
    path("suivi/", tracking.tracking_request, name="tracking_request"),
    path("suivi/<str:token>/", tracking.tracking, name="tracking"),
    path("suivi/<str:token>/<str:reference>/", tracking.tracking_detail, name="tracking_detail"),
    path(
        "suivi/<str:token>/<str:reference>/pieces/<uuid:attachment_id>/",
        tracking.tracking_attachment,
        name="tracking_attachment",
    ),
    path("suivi/<str:token>/<str:reference>/evaluer/", tracking.tracking_rate, name="tracking_rate"),
    path("suivi/<str:token>/<str:reference>/action/", tracking.tracking_action, name="tracking_action"),
    path("suivi/<str:token>/<str:reference>/messages/", tracking.tracking_message, name="tracking_message"),
    path("suivi/<str:token>/<str:reference>/retirer/", tracking.tracking_withdraw, name="tracking_withdraw"),
    path("gestion/pieces/<uuid:attachment_id>/", staff.staff_attachment, name="staff_attachment"),
]
