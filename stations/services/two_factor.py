"""Two-factor sign-in with TOTP (django-otp): enrolment and verification."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.audit import audit
from stations.models.audit import AuditAction

DEVICE_NAME = "authenticator"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user) -> TOTPDevice:
    """The user's unconfirmed device, created on first call; the same secret until it is confirmed, so a
    reload of the enrolment page does not invalidate the QR code already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an authenticator app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def device_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG data URI, drawn here: the secret never leaves the server."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _otp_login(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key once the session gains the second factor, as Django does at password sign-in:
    # a key seen before (on a shared computer, in a proxy log) is worth nothing afterwards.
    request.session.cycle_key()
    otp_login(request, device)


@transaction.atomic
def totp_enrol(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm a pending device with a code from the app; the session then counts as verified."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Other pending devices of the user are abandoned enrolments.
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    _otp_login(request, device)
    audit(
        action=AuditAction.CREATE,
        request=request,
        target=device,
        summary=gettext_noop("two-factor device enrolled"),
    )
    return True


@transaction.atomic
def totp_verify(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code for a signed-in user's confirmed device. django-otp refuses a code used before and
    slows down guessing (each failure doubles the wait)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.verify_token(token):
        _otp_login(request, device)
        audit(action=AuditAction.LOGIN, request=request, summary=gettext_noop("second factor passed"))
        return True
    audit(action=AuditAction.LOGIN_FAILED, request=request, summary=gettext_noop("wrong second-factor code"))
    return False
