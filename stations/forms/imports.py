"""The upload form of the import page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stations.imports.kinds import KINDS
from stations.models import District


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

    def __init__(self, *args, kinds: list[str], districts: list[District] | None = None, **kwargs) -> None:
        """`districts`: the districts the user may import into, when there are several to choose from (a city or
        province administrator); with one, or for a station's head, the district is known and not asked."""
        super().__init__(*args, **kwargs)
        if districts and len(districts) > 1:
            self.fields["district"] = forms.ModelChoiceField(
                label=_("County or district"),
                queryset=District.objects.filter(pk__in=[d.pk for d in districts]).order_by("name"),
                help_text=_("The district whose records the file holds."),
            )
            self.order_fields(["district", "file", "kind", "dry_run"])
        choices: list[tuple[str, object]] = [("", _("Found from the columns"))]
        choices += [(key, KINDS[key].label) for key in kinds]
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = choices
