"""Two-factor sign-in with TOTP (django-otp): enrolment and verification."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.audit import Actor, AuditAction, audit

DEVICE_NAME = "authenticator"


def confirmed_device(user: AbstractBaseUser | AnonymousUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: AbstractBaseUser | AnonymousUser) -> TOTPDevice:
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


@transaction.atomic
def totp_enrol(*, device: TOTPDevice, token: str, actor: Actor) -> bool:
    """Confirm a pending device with a code from the app. The caller (the view) then marks the session as
    verified: sessions are HTTP, services know none."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Other pending devices of the user are abandoned enrolments.
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    audit(action=AuditAction.SECOND_FACTOR_ENROLLED, actor=actor, target=device)
    return True


@transaction.atomic
def totp_verify(*, device: TOTPDevice, token: str, actor: Actor) -> bool:
    """Check a code for a signed-in user's confirmed device; the caller then marks the session as verified.
    django-otp refuses a code used before and slows down guessing (each failure doubles the wait)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.verify_token(token):
        audit(action=AuditAction.SECOND_FACTOR_PASSED, actor=actor)
        return True
    audit(action=AuditAction.SECOND_FACTOR_FAILED, actor=actor)
    return False
