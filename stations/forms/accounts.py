"""Forms for signing in: user name and password (the portal's and the admin's), the second factor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.translation import gettext_lazy as _


class _BoundedUserNameMixin:
    """Django's sign-in form sets the user name's max_length after the field is built, so only the widget's
    maxlength attribute knows it and a longer name reaches authentication (and django-axes' table, whose
    column is 255 characters: a 500 on PostgreSQL). Here a longer name is a form error, and is not counted
    as a failed sign-in: no account has such a name."""

    fields: dict[str, Any]  # the form's, once mixed into one

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(_BoundedUserNameMixin, AuthenticationForm):
    pass


class AdminSignInForm(_BoundedUserNameMixin, AdminAuthenticationForm):
    pass


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from the authenticator app"),
        max_length=8,
        validators=[RegexValidator(r"^\s*\d{3}\s?\d{3}\s*$", _("Enter the six digits the app shows."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())
