"""Second factor (TOTP, django-otp) and lockout helpers. Views call these; errors carry the
French message to show."""

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils.html import escape
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

# The name shown in the admin for the device created by the enrolment page.
DEVICE_NAME = "Application d'authentification"


class SecondFactorError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """The e-mail address django-axes counts failures against (AXES_USERNAME_CALLABLE).

    Our form passes ``username=``, the admin's ``username``, other callers may pass ``email``:
    read them all, lower-cased, so that ``Agent@x.fr`` and ``agent@x.fr`` share one counter."""
    sources = [credentials or {}, getattr(request, "POST", {}) if request is not None else {}]
    for source in sources:
        for key in ("email", "username"):
            value = source.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return None


def has_totp_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def start_totp_enrolment(user) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows; the same one on every
    visit until it is confirmed, so that a reload does not invalidate a scanned QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def confirm_totp_enrolment(user, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app; raise SecondFactorError."""
    # A wrong code is raised after the transaction: its throttling count must be kept.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise SecondFactorError(_("La configuration a expiré : rechargez la page pour recommencer."))
        try:
            _check_token(device, token)
        except SecondFactorError as exc:
            error = exc
        else:
            error = None
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    if error is not None:
        raise error
    return device


def verify_totp(user, token: str) -> TOTPDevice:
    """The confirmed device that accepts ``token``; raise SecondFactorError otherwise.

    Rows are locked so that two concurrent requests cannot both use one code (django-otp
    also refuses a code at or before the last accepted time step)."""
    with transaction.atomic():
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"))
        if not devices:
            raise SecondFactorError(_("Aucune application d'authentification n'est configurée pour ce compte."))
        errors = []
        for device in devices:
            try:
                _check_token(device, token)
            except SecondFactorError as exc:
                errors.append(exc)
            else:
                return device
    raise errors[0]


def _check_token(device: TOTPDevice, token: str) -> None:
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        # django-otp doubles the wait after each wrong code (1 s, 2 s, 4 s…).
        raise SecondFactorError(_("Trop de codes erronés : patientez quelques instants avant de réessayer."))
    if not device.verify_token(token):
        raise SecondFactorError(
            _("Ce code n'est pas valide. Saisissez le code affiché maintenant par votre application.")
        )


def totp_secret(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing it into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (generated here: no CDN, no image
    file). A white background keeps it readable in the dark colour scheme."""
    image = qrcode.make(
        device.config_url,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    label = _("Code QR à scanner avec votre application d'authentification")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
