"""The upload form of the import page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stations.imports.kinds import KINDS


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet file"),
        help_text=_("XLSX, or CSV saved as UTF-8 or GB18030 (what Chinese Excel saves)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    kind = forms.ChoiceField(label=_("Kind of records"), required=False)
    dry_run = forms.BooleanField(
        label=_("Check only (save nothing)"),
        required=False,
        initial=True,
        help_text=_("Untick to save the file's records once the check finds no problem."),
    )

    def __init__(self, *args, kinds: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, object]] = [("", _("Found from the columns"))]
        choices += [(key, KINDS[key].label) for key in kinds]
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = choices
