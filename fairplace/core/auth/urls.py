from django.urls import path

from . import views

# The "core" namespace: settings.LOGIN_URL is "core:login".
app_name = "core"

urlpatterns = [
    path("", views.account_view, name="account"),
    path("connexion/", views.login_view, name="login"),
    path("verification/", views.verify_view, name="verify"),
    path("double-authentification/", views.enrol_view, name="enrol"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("proconnect/", views.proconnect_start_view, name="proconnect"),
    path("proconnect/retour/", views.proconnect_callback_view, name="proconnect_callback"),
]
