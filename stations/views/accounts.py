"""Two-factor sign-in pages (enrolment with a locally drawn QR code, and the code page) and the audited
"change my password" page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from stations.audit import Actor, audit
from stations.forms.accounts import TokenForm
from stations.models import AuditAction
from stations.services import two_factor


def _otp_login(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key once the session gains the second factor, as Django does at password sign-in:
    # a key seen before (on a shared computer, in a proxy log) is worth nothing afterwards.
    request.session.cycle_key()
    otp_login(request, device)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("stations:staff_home")


@never_cache
@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    if two_factor.confirmed_device(request.user) is not None:
        # Replacing a device needs an administrator (delete it in the admin): otherwise a stolen password
        # alone would be enough to enrol the thief's phone.
        return redirect(f"{reverse('stations:otp_verify')}?{urlencode({'next': _next_url(request)})}")
    device = two_factor.pending_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_enrol(device=device, token=form.cleaned_data["token"], actor=Actor.from_request(request)):
            _otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not right. Check the phone's time and try the newest code."))
    context = {
        "form": form,
        "qr_svg": two_factor.device_qr_svg(device),
        "secret": two_factor.device_secret(device),
        "next": _next_url(request),
    }
    return render(request, "registration/otp_setup.html", context)


@never_cache
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('stations:otp_setup')}?{urlencode({'next': _next_url(request)})}")
    if request.user.is_verified():  # type: ignore[union-attr]  # added by django_otp's OTPMiddleware
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_verify(device=device, token=form.cleaned_data["token"], actor=Actor.from_request(request)):
            _otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not right or was already used. Wait for the next code."))
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@require_POST
@login_required
def session_keep_alive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": any request renews the idle limit (SESSION_SAVE_EVERY_REQUEST), so this only answers
    how long the session now lasts. Called by static/js/session.js from the warning before the session ends."""
    return JsonResponse({"expires_in": settings.SESSION_COOKIE_AGE})


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's own "change my password" page, with the change written to the audit log (never the password)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        audit(
            action=AuditAction.PASSWORD_CHANGED,
            actor=Actor.from_request(self.request),
            target=form.user,
            changes={"user": form.user.get_username(), "fields": ["password"]},
        )
        return response
