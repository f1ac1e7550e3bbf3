"""Login pages. Thin: forms validate, ``login_flow``, ``services`` and ``proconnect`` act."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import login_flow, proconnect, services
from .decorators import second_factor_required
from .forms import LoginForm, TokenForm


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = login_flow.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect(login_flow.begin_login(request, form.user, backend=form.user.backend, next_url=next_url))
    return render(
        request,
        "core/auth/login.html",
        {"form": form, "next": next_url, "proconnect_enabled": settings.PROCONNECT_ENABLED},
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request):
    """Type the code of an enrolled authenticator app."""
    user, next_url = _pending(request)
    if user is None:
        return _nobody_pending(request, next_url)
    if not services.has_totp_device(user):
        return redirect("core:enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_totp(user, form.cleaned_data["code"])
        except services.SecondFactorError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect(login_flow.finish_login(request, user, device, next_url=next_url))
    return render(request, "core/auth/verify.html", {"form": form, "next": next_url or ""})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request):
    """First login of a role that needs a second factor: set up an authenticator app."""
    user, next_url = _pending(request)
    if user is None:
        return _nobody_pending(request, next_url)
    if services.has_totp_device(user):
        return redirect("core:verify")
    device = services.start_totp_enrolment(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.confirm_totp_enrolment(user, form.cleaned_data["code"])
        except services.SecondFactorError as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, _("La double authentification est activée pour votre compte."))
            return redirect(login_flow.finish_login(request, user, device, next_url=next_url))
    return render(
        request,
        "core/auth/enrol.html",
        {
            "form": form,
            "next": next_url or "",
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret(device),
            "email": user.email,
        },
    )


def _pending(request):
    """The user halfway through logging in (password given, code not yet) and where to go next."""
    next_url = request.POST.get("next") or request.GET.get("next") or login_flow.pending_next(request)
    return login_flow.second_factor_user(request), next_url


def _nobody_pending(request, next_url):
    if request.user.is_authenticated:  # already verified
        return redirect(login_flow.safe_next(request, next_url))
    messages.info(request, _("Votre connexion a expiré : saisissez de nouveau votre mot de passe."))
    return redirect("core:login")


@require_POST
def logout_view(request):
    id_token = request.session.get(login_flow.PROCONNECT_ID_TOKEN_KEY)
    auth_logout(request)
    login_url = settings.FAIRPLACE_PUBLIC_URL.rstrip("/") + reverse("core:login")
    if id_token and settings.PROCONNECT_ENABLED:
        # Ends the ProConnect session too (its cookies live in the browser); back to the login page.
        client = proconnect.get_proconnect_client()
        try:
            return redirect(client.logout_url(client.discover(), id_token=id_token, post_logout_redirect_uri=login_url))
        except proconnect.ProConnectError:
            pass
    messages.success(request, _("Vous êtes déconnecté(e)."))
    return redirect("core:login")


@second_factor_required
@require_GET
def account_view(request):
    return render(
        request,
        "core/auth/account.html",
        {
            "has_device": services.has_totp_device(request.user),
            "from_proconnect": login_flow.PROCONNECT_ID_TOKEN_KEY in request.session,
        },
    )


def _proconnect_redirect_uri() -> str:
    return settings.FAIRPLACE_PUBLIC_URL.rstrip("/") + reverse("core:proconnect_callback")


@never_cache
@require_GET
def proconnect_start_view(request):
    if not settings.PROCONNECT_ENABLED:
        raise Http404
    next_url = login_flow.safe_next(request, request.GET.get("next"))
    try:
        url = proconnect.start_login(request, redirect_uri=_proconnect_redirect_uri(), next_url=next_url)
    except proconnect.ProConnectError as exc:
        return _proconnect_error(request, exc)
    return redirect(url)


@never_cache
@require_GET
def proconnect_callback_view(request):
    if not settings.PROCONNECT_ENABLED:
        raise Http404
    try:
        result = proconnect.complete_login(request, redirect_uri=_proconnect_redirect_uri())
    except proconnect.ProConnectError as exc:
        return _proconnect_error(request, exc)
    return redirect(
        login_flow.begin_login(
            request,
            result.user,
            backend=login_flow.MODEL_BACKEND,
            next_url=login_flow.safe_next(request, result.next_url),
            id_token=result.id_token,
        )
    )


def _proconnect_error(request, exc: proconnect.ProConnectError):
    return render(request, "core/auth/proconnect_error.html", {"error": exc}, status=exc.status)
