from django.urls import path  # noqa: F401

app_name = "platform_space"

urlpatterns = []
