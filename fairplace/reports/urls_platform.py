from django.urls import path

from .views import platform_space

app_name = "platform_space"

urlpatterns = [
    path("", platform_space.reports, name="reports"),
    path("export.csv", platform_space.export, name="export"),
    path("signalements/<str:reference>/", platform_space.report_detail, name="report"),
    path("signalements/<str:reference>/repondre/", platform_space.answer, name="answer"),
    path("signalements/<str:reference>/messages/", platform_space.message, name="message"),
    path("signalements/<str:reference>/pieces/<uuid:attachment_id>/", platform_space.attachment, name="attachment"),
]
