"""Between the first factor and the second: the pending login kept in the session.

A user who needs a second factor is not logged in by their password (or ProConnect): the
session only remembers, for a few minutes, who proved the first factor, with which backend and
where to go next. ``finish_login`` logs them in once their TOTP code is accepted.
"""

import time

from django.conf import settings
from django.contrib.auth import get_user_model, login, logout
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from .decorators import is_second_factor_satisfied
from .services import has_totp_device

PENDING_KEY = "fairplace_auth_pending"
PROCONNECT_ID_TOKEN_KEY = "fairplace_proconnect_id_token"  # noqa: S105 - a session key
# Time to open the authenticator app and type a code (or to enrol one).
PENDING_MAX_AGE = 10 * 60
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def safe_next(request, candidate: str | None) -> str:
    """``candidate`` if it is a path of this site, else the default page after login."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def begin_login(request, user, *, backend: str, next_url: str, id_token: str = "") -> str:
    """After the first factor: log in at once if the role needs nothing more, else remember
    the pending login. Return the URL to go to."""
    if request.user.is_authenticated:
        logout(request)  # logging in again, maybe as someone else: start from a clean session
    request.session.pop(PENDING_KEY, None)
    if not user.needs_second_factor:
        login(request, user, backend=backend)
        _remember_id_token(request, id_token)
        return next_url
    request.session.cycle_key()  # a new session id once the first factor is proven
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "next": next_url,
        "id_token": id_token,
        "started": time.time(),
    }
    return reverse("core:verify") if has_totp_device(user) else reverse("core:enrol")


def second_factor_user(request):
    """The user who must type a code now: the pending one, or a logged-in user whose session
    was not verified (a session opened without this flow). None if there is nobody."""
    if request.user.is_authenticated:
        return None if is_second_factor_satisfied(request.user) else request.user
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if time.time() - pending.get("started", 0) > PENDING_MAX_AGE:
        del request.session[PENDING_KEY]
        return None
    return get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()


def pending_next(request) -> str | None:
    return (request.session.get(PENDING_KEY) or {}).get("next")


def finish_login(request, user, device, *, next_url: str | None = None) -> str:
    """The TOTP code was accepted by ``device``: log in (if pending) and mark the session
    verified. Return the URL to go to."""
    pending = request.session.pop(PENDING_KEY, None) or {}
    # django-otp stores the device in the session on the user_logged_in signal.
    user.otp_device = device
    if request.user.is_authenticated and request.user.pk == user.pk:
        otp_login(request, device)
    else:
        login(request, user, backend=pending.get("backend", MODEL_BACKEND))
        _remember_id_token(request, pending.get("id_token", ""))
    return safe_next(request, next_url or pending.get("next"))


def _remember_id_token(request, id_token: str) -> None:
    # Kept for the ProConnect logout (id_token_hint).
    if id_token:
        request.session[PROCONNECT_ID_TOKEN_KEY] = id_token
