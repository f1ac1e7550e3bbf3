"""While the database cannot be reached: 503, ``Retry-After`` and a page that says what happened.

``DatabaseOutageMiddleware`` sits right after WhiteNoise, outside the session, locale, CSRF,
authentication, OTP, messages and lockout middleware. It answers a ``django.db.OperationalError``
or ``InterfaceError`` (connection refused or lost, server shutting down, database locked) with a 503:

- raised by a view, or by a template it renders (``request.user``, the session): ``process_exception``,
  which runs last since this middleware is the outermost one to define it;
- raised by an inner middleware (one that reads the user, the session saved after the view): Django
  has already turned it into a 500 by then (and logged it with its traceback), which ``__call__``
  replaces, knowing the cause from ``got_request_exception``; and if the 500 handler itself failed on
  the database, the exception reaches ``__call__``, which answers the same way.

The page is rendered without the request (no context processor, so no user and no session) from a
standalone template: rendering it never touches the database. The failure is logged once, at
WARNING, with the path and no traceback (Django's own "Service Unavailable" line is skipped).
``/healthz`` catches its own database error and answers its JSON 503 itself.
"""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
TEMPLATE = "core/database_unavailable.html"
# The report wizard (fairplace/reports/urls.py): its steps store what the seller typed in a draft.
WIZARD_PATH_PREFIX = "/signaler/"
_ERROR_ATTRIBUTE = "_fairplace_database_error"


def database_unavailable(request, exc: BaseException) -> HttpResponse:
    """The 503 answered instead of a page that needed the database."""
    logger.warning(
        "Base de données injoignable, réponse 503 : %s %s (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        _first_line(exc),
    )
    posted = request.method not in ("GET", "HEAD", "OPTIONS")
    # As config/urls.py's i18n_patterns (prefix_default_language=False): English under /en/, French elsewhere.
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(
            TEMPLATE,
            {
                "posted": posted,
                "wizard": posted and request.path_info.startswith(WIZARD_PATH_PREFIX),
                "retry_url": request.get_full_path(),
            },
        )
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    # Logged above, once: BaseHandler.get_response would add an ERROR line for every 5xx.
    response._has_been_logged = True
    return response


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _note_database_error(sender, request=None, **kwargs):
    """got_request_exception: remember on the request that Django's 500 comes from the database."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        setattr(request, _ERROR_ATTRIBUTE, exc)


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid="fairplace.core.outage")

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as exc:  # Django's 500 handler failed on the database too
            return database_unavailable(request, exc)
        exc = getattr(request, _ERROR_ATTRIBUTE, None)
        if exc is not None and response.status_code == 500:
            return database_unavailable(request, exc)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None
