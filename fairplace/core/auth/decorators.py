"""``second_factor_required``: the guard of every staff page.

Anonymous → the login page; a user who needs a second factor (agents, supervisors, mediators,
administrators, superusers) but whose session was not confirmed by a TOTP code → the
verification page; anyone else (a platform representative, a verified agent) → the view.
Only the login is checked: what the user may see is the view's business (scoped querysets).
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse


def is_second_factor_satisfied(user) -> bool:
    """True when ``user`` is logged in and, if their role needs it, verified by a TOTP code
    in this session (django-otp's middleware sets ``is_verified``)."""
    if not user.is_authenticated:
        return False
    if not user.needs_second_factor:
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def second_factor_redirect(request):
    """The response that sends ``request`` to log in or to type its code, or None."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_second_factor_satisfied(request.user):
        return redirect(f"{reverse('core:verify')}?{urlencode({'next': request.get_full_path()})}")
    return None


def second_factor_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return second_factor_redirect(request) or view(request, *args, **kwargs)

    return wrapped


class SecondFactorRequiredMixin:
    """The same guard for class-based views (put it first among the bases)."""

    def dispatch(self, request, *args, **kwargs):
        return second_factor_redirect(request) or super().dispatch(request, *args, **kwargs)
