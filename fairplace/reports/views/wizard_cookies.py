"""Where the wizard keeps its place: two signed cookies, not the session.

The draft itself is in the database; the browser only holds its (signed, HttpOnly) id, and
after sending, the id of the report to show on the receipt. Sellers thus never create a
server-side session: nothing to read or write per request but the draft row.
"""

import functools
import uuid

from django.conf import settings
from django.core import signing

DRAFT = "fairplace_brouillon"
RECEIPT = "fairplace_recu"
# A draft is kept a week; the receipt is shown for an hour (a shared computer should not
# keep showing the last seller's reference).
MAX_AGE = {DRAFT: 7 * 24 * 3600, RECEIPT: 3600}


def sign(name: str, value) -> str:
    """The cookie value for ``value`` (also used by tests and the benchmark)."""
    # Same signer as HttpResponse.set_signed_cookie(name, value, salt=name).
    return signing.get_cookie_signer(salt=name + name).sign(str(value))


def read_uuid(request, name: str) -> uuid.UUID | None:
    value = request.get_signed_cookie(name, default=None, salt=name, max_age=MAX_AGE[name])
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def read_int(request, name: str) -> int | None:
    value = request.get_signed_cookie(name, default=None, salt=name, max_age=MAX_AGE[name])
    return int(value) if value and value.isdigit() else None


def remember(request, name: str, value) -> None:
    request.wizard_cookies = {**getattr(request, "wizard_cookies", {}), name: value}


def forget(request, name: str) -> None:
    remember(request, name, None)


def applies_cookies(view):
    """Write the cookies a view asked for on whatever response it returns."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        for name, value in getattr(request, "wizard_cookies", {}).items():
            if value is None:
                response.delete_cookie(name, samesite="Lax")
            else:
                response.set_signed_cookie(
                    name,
                    str(value),
                    salt=name,
                    max_age=MAX_AGE[name],
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        return response

    return wrapper
