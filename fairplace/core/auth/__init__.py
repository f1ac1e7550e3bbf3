"""Staff and platform login: e-mail + password, TOTP second factor, lockout, ProConnect.

Flows (see ``views``): the password (or ProConnect) proves the first factor; a user who needs a
second factor is only *pending* until a TOTP code is typed, and ``django.contrib.auth.login``
runs after that code, so no view (``login_required``, ``staff_member_required``, the admin)
ever sees a half-authenticated session. ``decorators.second_factor_required`` guards the
staff pages of the other apps.
"""
