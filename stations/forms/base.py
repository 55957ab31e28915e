"""What every form of the portal shares: long text is counted, never cut."""

from __future__ import annotations

from typing import Any

from django import forms


class PortalForm(forms.Form):
    """A form whose text fields carry no `maxlength` attribute.

    A browser silently cuts pasted or typed text at `maxlength`, so a voter's words could be lost without a word
    said. The limit moves to `data-maxlength`, which the character counter (static/js/forms.js) shows; the
    server still refuses text that is too long, with an error naming the field (see includes/_error_summary.html).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            limit = field.widget.attrs.pop("maxlength", None)
            if limit is not None:
                field.widget.attrs["data-maxlength"] = limit
