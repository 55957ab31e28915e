"""Forms of a deputy's own pages, the head's decision on a swap request and the voter's answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.bounds import BoundedDateField
from stations.forms.base import PortalForm
from stations.models import Attendance, Duty, Satisfaction
from stations.selectors.rosters import format_span


class UnavailabilityForm(PortalForm):
    date = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason (optional, seen by the station)"), max_length=200, required=False)


class DutyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        shift = obj.shift
        return f"{format_span(shift.start, shift.end)} · {shift.roster.site.name} · {obj.deputy.name}"


def swap_candidates(duty: Duty) -> QuerySet[Duty]:
    """Colleagues' duties still to come at the sites of the same station, on published rosters: what the deputy
    may offer to exchange with."""
    station = duty.shift.roster.site.station
    return (
        Duty.objects.filter(
            shift__roster__site__in=station.__class__.objects.under_station(station),
            shift__roster__published_at__isnull=False,
            shift__cancelled=False,
            shift__start__gt=timezone.now(),
            attendance=Attendance.UNMARKED,
        )
        .exclude(deputy=duty.deputy)
        .exclude(shift=duty.shift)
        .select_related("shift__roster__site", "deputy")
        .order_by("shift__start", "deputy__name", "pk")
    )


class SwapRequestForm(PortalForm):
    other_duty = DutyChoiceField(
        label=_("Swap with"), queryset=Duty.objects.none(), empty_label=_("Choose a colleague's duty")
    )
    reason = forms.CharField(label=_("Why you cannot serve on that day"), max_length=200)

    def __init__(self, *args: Any, duty: Duty, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["other_duty"]
        assert isinstance(field, DutyChoiceField)
        field.queryset = swap_candidates(duty)


class SwapDecisionForm(PortalForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve: swap the two duties")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note to the deputy (required when refusing)"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("note") or "").strip():
            self.add_error("note", _("Tell the deputy why the swap is refused."))
        return data


class VoterAnswerForm(PortalForm):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how your opinion was handled?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
