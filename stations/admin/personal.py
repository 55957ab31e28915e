"""Voters' personal data in the admin: masked on a record's change page until revealed, and a reveal recorded.

The staff pages show a visitor's or submitter's name, phone and e-mail masked to everybody but the station's
own staff, and a district administrator's reveal writes `personal_data.viewed` (stations.views.visits). The
admin follows the same rule: a visit's or an opinion's change page (and a historical version of it) shows the
values masked and read-only, above the rest of the form, with a "reveal" link when the policy allows it. The
link reloads the page with `?reveal=1`: the real fields, editable, and an audit entry. Django's change form
posts back to its own address, so a revealed form saves the fields; a masked form does not carry them at all,
so saving it leaves them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from stations.audit import Actor, audit
from stations.models import AuditAction
from stations.privacy import mask_email, mask_name, mask_phone, redact_phones

if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object

REVEAL_PARAMETER = "reveal"
REVEAL_LINK = "reveal_personal_data"


def masked_twin(field_name: str) -> str:
    """The read-only column that shows a personal field masked."""
    return f"masked_{field_name}_value"


def _masker(field_name: str) -> Callable[[str], str]:
    if "phone" in field_name:
        return mask_phone
    if "email" in field_name:
        return mask_email
    return mask_name


class PersonalDataAdminMixin(_ModelAdminBase):
    """For a ModelAdmin whose model holds a voter's personal fields (`personal_fields`); the subclass says who
    may reveal them (`may_reveal`, asking stations.policy)."""

    personal_fields: tuple[str, ...] = ()
    # Free text where a number may have been typed: read-only with numbers masked (as on the staff pages for
    # those who have not revealed the record), editable once revealed.
    text_fields: tuple[str, ...] = ()
    personal_fieldset_title = _("Voter")

    def may_reveal(self, request: HttpRequest, obj: models.Model) -> bool:
        raise NotImplementedError

    # --- what the page shows -----------------------------------------------------------------------------------

    def is_revealed(self, request: HttpRequest, obj: models.Model | None) -> bool:
        """A new record is typed in full, and so is one with nothing to mask; any other is masked unless
        revealed by someone allowed to."""
        if obj is None or not self._has_personal_data(obj):
            return True
        return request.GET.get(REVEAL_PARAMETER) == "1" and self.may_reveal(request, obj)

    def _masked_fields(self, request: HttpRequest, obj: models.Model | None) -> list[str]:
        shown = [masked_twin(name) for name in self.personal_fields]
        if obj is not None and self.may_reveal(request, obj):
            shown.append(REVEAL_LINK)
        return shown

    def _has_personal_data(self, obj: models.Model) -> bool:
        """A personal field is filled in, or a number stands in the free text (an anonymous opinion may quote
        one; without it, its text is simply editable)."""
        if any(getattr(obj, name, "") for name in self.personal_fields):
            return True
        texts = (getattr(obj, name, "") or "" for name in self.text_fields)
        return any(redact_phones(text) != text for text in texts)

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.is_revealed(request, obj):
            readonly += [*self._masked_fields(request, obj), *(masked_twin(name) for name in self.text_fields)]
        return readonly

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> list[Any]:
        # Everything else; the voter's fields (or their masked twins) get a fieldset of their own, free text
        # stays where it stands, masked unless revealed.
        hidden = {*self.personal_fields, *(masked_twin(name) for name in self.personal_fields), REVEAL_LINK}
        hidden |= {masked_twin(name) for name in self.text_fields}
        revealed = self.is_revealed(request, obj)
        fields: list[Any] = []
        for name in super().get_fields(request, obj):
            if isinstance(name, str) and name in self.text_fields and not revealed:
                fields.append(masked_twin(name))
            elif name not in hidden:
                fields.append(name)
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> Any:
        voter = list(self.personal_fields) if self.is_revealed(request, obj) else self._masked_fields(request, obj)
        return [(self.personal_fieldset_title, {"fields": voter}), (None, {"fields": self.get_fields(request, obj)})]

    # --- the masked values and the link --------------------------------------------------------------------------

    def _masked_value(self, obj: models.Model, field_name: str) -> str:
        value = getattr(obj, field_name, "") or ""
        if field_name in self.text_fields:
            return linebreaksbr(redact_phones(value))
        return _masker(field_name)(value) or "—"

    @admin.display(description=_("Personal data"))
    def reveal_personal_data(self, obj: models.Model) -> str:
        return format_html(
            '<a href="?{}=1">{}</a> <span class="help">{}</span>',
            REVEAL_PARAMETER,
            _("Show the voter's details in full"),
            _("Revealing is recorded in the audit log."),
        )

    # --- recording a reveal --------------------------------------------------------------------------------------

    def _record_reveal(self, request: HttpRequest, obj: models.Model | None, where: str) -> None:
        if request.method != "GET" or obj is None or not self._has_personal_data(obj):
            return
        if request.GET.get(REVEAL_PARAMETER) == "1" and self.may_reveal(request, obj):
            audit(action=AuditAction.PERSONAL_DATA_VIEWED, actor=Actor.from_request(request), target=obj, summary=where)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            self._record_reveal(
                request,
                self.get_object(request, unquote(object_id)),
                gettext_noop("voter's details revealed on the admin page"),
            )
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]
        if response.status_code == 200:
            # The version shown is of this object; the entry names the object, as a reveal on its page does.
            self._record_reveal(
                request,
                self.get_object(request, unquote(object_id)),
                gettext_noop("voter's details revealed on an admin history version"),
            )
        return response


def _make_masked_display(field_name: str) -> Callable[[PersonalDataAdminMixin, models.Model], str]:
    def display(self: PersonalDataAdminMixin, obj: models.Model) -> str:
        return self._masked_value(obj, field_name)

    display.__name__ = masked_twin(field_name)
    return display


def masked_displays(model: type[models.Model], fields: Sequence[str]) -> dict[str, Any]:
    """The read-only columns showing each personal field (or free text) masked, labelled as the field is."""
    displays: dict[str, Any] = {}
    for name in fields:
        field = model._meta.get_field(name)
        label = field.verbose_name if isinstance(field, models.Field) else name
        displays[masked_twin(name)] = admin.display(description=label)(_make_masked_display(name))
    return displays
