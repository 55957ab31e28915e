"""Forms for the schedule filters, the staff roster pages and the admin's "generate a year" page."""

from __future__ import annotations

from itertools import groupby
from typing import cast

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from stations.bounds import FIRST_YEAR, LAST_YEAR, BoundedDateField
from stations.clock import local_time
from stations.forms.base import PortalForm
from stations.models import AbsenceReason, Attendance, Deputy, District, Duty, DutyShift, Site
from stations.paging import SELECT_LIMIT

YEAR_MIN, YEAR_MAX = FIRST_YEAR, LAST_YEAR


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def site_choices(sites) -> list:
    """Sites grouped by town for a <select>: 88 options are easier to scan in groups."""
    rows = sites.in_network_order().values_list("town", "slug", "name")
    return [(town, [(slug, name) for _town, slug, name in group]) for town, group in groupby(rows, key=lambda r: r[0])]


class ScheduleFilterForm(forms.Form):
    date = BoundedDateField(label=_("Date"), required=False, widget=DateInput(attrs={"class": "form-control"}))
    # Slugs: an unknown one is a 404 in the view, so printed links that go stale say so plainly.
    site = forms.CharField(label=_("Station, room or point"), required=False, max_length=80)
    town = forms.CharField(label=_("Town or street"), required=False, max_length=80)
    district = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)
    deputy = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args, district: District | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The place to show is chosen within one district, and never from a list of every site of the province:
        # the district's sites when they fit a select, else its towns, else neither (the day's list is paged).
        self.place_field = ""
        if district is None:
            return
        sites = Site.objects.active().filter(district=district)
        if sites.count() <= SELECT_LIMIT:
            self.place_field = "site"
            self.fields["site"].widget = forms.Select(
                choices=[("", _("All sites")), *site_choices(sites)], attrs={"class": "form-select"}
            )
        else:
            stations = list(sites.stations().order_by("town", "name").values_list("slug", "town")[: SELECT_LIMIT + 1])
            if len(stations) <= SELECT_LIMIT:
                self.place_field = "town"
                self.fields["town"].widget = forms.Select(
                    choices=[("", _("Every town and street")), *stations], attrs={"class": "form-select"}
                )


# --- staff pages ----------------------------------------------------------------------------------------


class YearForm(PortalForm):
    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Reason"),
            required=False,
            max_length=200,
            help_text=_("Required once the roster is published; shown in the change history."),
            **kwargs,
        )


class AssignForm(PortalForm):
    deputy = forms.ModelChoiceField(label=_("Deputy"), queryset=Deputy.objects.none())
    reason = ReasonField()

    def __init__(self, *args, deputies, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["deputy"]).queryset = deputies


class DutyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Duty) -> str:
        local = local_time(obj.shift.start)
        return f"{obj.deputy.name} · {obj.shift.roster.site.name} {local:%Y-%m-%d %H:%M}"


class RemoveForm(PortalForm):
    duty = forms.ModelChoiceField(queryset=Duty.objects.none(), widget=forms.HiddenInput)
    reason = ReasonField()

    def __init__(self, *args, shift: DutyShift, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["duty"]).queryset = shift.duties.all()


class SwapForm(PortalForm):
    duty = DutyChoiceField(label=_("Deputy on this shift"), queryset=Duty.objects.none())
    other_duty = DutyChoiceField(label=_("Swap with"), queryset=Duty.objects.none())
    reason = ReasonField()

    def __init__(self, *args, shift: DutyShift, **kwargs):
        super().__init__(*args, **kwargs)
        related = Duty.objects.select_related("deputy", "shift__roster__site").order_by("shift__start", "deputy__name")
        cast(forms.ModelChoiceField, self.fields["duty"]).queryset = related.filter(
            shift=shift, attendance=Attendance.UNMARKED
        )
        # Only what can still be swapped: duties to come, not yet marked, on the station's other receptions that
        # go ahead (swaps stay within the station: its heads plan its sites together).
        station_sites = Site.objects.under_station(shift.site.station)
        others = related.filter(
            shift__roster__site__in=station_sites,
            shift__roster__year=shift.roster.year,
            shift__cancelled=False,
            shift__start__gt=timezone.now(),
            attendance=Attendance.UNMARKED,
        ).exclude(shift=shift)
        field = cast(DutyChoiceField, self.fields["other_duty"])
        field.queryset = others
        # Grouped by day (<optgroup>): a year holds a dozen receptions a site, each with its deputies.
        by_day = groupby(others, key=lambda duty: local_time(duty.shift.start).date())
        field.widget.choices = [
            ("", "---------"),
            *(
                (
                    formats.date_format(day, "DATE_FORMAT"),
                    [(duty.pk, field.label_from_instance(duty)) for duty in duties],
                )
                for day, duties in by_day
            ),
        ]


class SubstituteForm(PortalForm):
    duty = DutyChoiceField(label=_("Deputy to replace"), queryset=Duty.objects.none())
    substitute = forms.ModelChoiceField(label=_("Replaced by"), queryset=Deputy.objects.none())
    reason = ReasonField()

    def __init__(self, *args, shift: DutyShift, deputies, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["duty"]).queryset = shift.duties.select_related(
            "deputy", "shift__roster__site"
        )
        cast(forms.ModelChoiceField, self.fields["substitute"]).queryset = deputies


class MoveForm(PortalForm):
    date = BoundedDateField(label=_("New date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    reason = ReasonField()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("The reception must end after it starts."))
        return data


class AttendanceForm(PortalForm):
    attendance = forms.ChoiceField(
        label=_("Attendance"),
        choices=[(value, label) for value, label in Attendance.choices if value != Attendance.UNMARKED],
    )
    absence_reason = forms.ChoiceField(
        label=_("Reason for absence"), required=False, choices=[("", "—"), *AbsenceReason.choices]
    )
    substitute = forms.ModelChoiceField(label=_("Substitute"), required=False, queryset=Deputy.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, deputies, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["substitute"]).queryset = deputies


# --- admin -----------------------------------------------------------------------------------------------


class GenerateYearForm(PortalForm):
    """The admin's page: a year for one site (optionally with everything under it), or a whole district."""

    year = forms.IntegerField(label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX)
    site = forms.ModelChoiceField(
        label=_("Station, room or point"), required=False, queryset=Site.objects.active().in_network_order()
    )
    include_children = forms.BooleanField(label=_("With every room and point under it"), required=False, initial=True)
    district = forms.ModelChoiceField(label=_("Or the whole district"), required=False, queryset=District.objects.all())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if bool(data.get("site")) == bool(data.get("district")):
            raise forms.ValidationError(_("Choose either a site or a district."))
        return data
