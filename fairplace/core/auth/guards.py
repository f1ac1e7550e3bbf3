"""Who may open the staff, platform and mediator pages.

Not logged in → the login page; logged in with the wrong role → 403; the right role but an
object outside one's scope → 404 (the views use scoped querysets: ``get_report_for_user``).
Observatory and mediator pages also require a session confirmed by the second factor.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from fairplace.core.auth.decorators import second_factor_redirect
from fairplace.core.models import Role


def _guard(check):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            redirect = second_factor_redirect(request)
            if redirect is not None:
                return redirect
            if not check(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _is_observatory(request) -> bool:
    return request.user.works_the_queue


def _is_supervisor(request) -> bool:
    return request.user.works_the_queue and (request.user.role != Role.AGENT or request.user.is_superuser)


def _is_platform(request) -> bool:
    user = request.user
    if user.role != Role.PLATFORM or not user.is_active:
        return False
    representative = getattr(user, "platform_representative", None)
    if representative is None:
        return False
    request.marketplace = representative.marketplace
    return True


def _is_mediator(request) -> bool:
    return request.user.is_active and request.user.role == Role.MEDIATOR


def _is_administrator(request) -> bool:
    user = request.user
    return user.is_active and (user.role == Role.ADMINISTRATOR or user.is_superuser)


observatory_required = _guard(_is_observatory)
"""Agents, supervisors, administrators (verified second factor)."""
supervisor_required = _guard(_is_supervisor)
"""Supervisors and administrators."""
platform_required = _guard(_is_platform)
"""A platform representative; sets ``request.marketplace`` to their own marketplace."""
mediator_required = _guard(_is_mediator)
"""A mediator (verified second factor)."""
administrator_required = _guard(_is_administrator)
"""Administrators (verified second factor): the background work's page."""
