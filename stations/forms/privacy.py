"""Forms for a voter's rights: find by phone, anonymise on request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stations.phones import canonical_phone
from stations.validators import validate_phone


class VoterPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Voter's phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        # However the number is written (0573-8234 5678, +86 138…, 0086…), it is looked up by its digits.
        phone = canonical_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        return phone


class AnonymiseForm(VoterPhoneForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For example: the voter's written request of 5 March 2025."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the names, phone numbers and e-mail addresses are erased for good."),
        required=True,
    )
