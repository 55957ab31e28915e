"""Forms of the seed's other practices (issue 16): annual themes and tagging, pairing, deputies' activities.

`DeputyActivityForm` is shared with the deputy's own pages (i16-people): build it with the deputy, hand its
`service_kwargs()` to `stations.services.records.activity_record` with the actor."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from stations import paging
from stations.bounds import FIRST_YEAR, LAST_YEAR, BoundedDateField
from stations.clock import local_today
from stations.forms.base import (
    PlainSelect,
    PortalForm,
    deputies_named,
    deputy_with_sites,
    select_or_typed,
    site_field_choices,
    typed_names,
)
from stations.models import ActivityKind, ContactMethod, Deputy, District, PairingKind, Site, Theme
from stations.models.sites import network_ordering
from stations.phones import normalise_phone
from stations.validators import pk_from, validate_phone

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label: Any, **kwargs: Any) -> BoundedDateField:
    return BoundedDateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class SiteField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return str(obj)


# --- themes ---------------------------------------------------------------------------------------------------


class ThemeForm(PortalForm):
    """A theme for a year. District administrators choose the stations (none: the whole district); a station
    head's theme is their station's."""

    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    name = forms.CharField(label=_("Theme"), max_length=100)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stations = forms.ModelMultipleChoiceField(
        label=_("Stations"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for a theme of the whole district."),
    )

    def __init__(self, *args: Any, stations: QuerySet[Site] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if stations is None:
            del self.fields["stations"]
        else:
            cast(forms.ModelMultipleChoiceField, self.fields["stations"]).queryset = stations.order_by(
                *network_ordering()
            )


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    """The year's themes, by name; a posted value that cannot be an id is refused as an invalid choice."""

    def label_from_instance(self, obj: Theme) -> str:
        return obj.name

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if pk_from(str(pk)) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]  # in Django, not in its stubs


class ThemesTagForm(forms.Form):
    """The year's themes a reception, visit or opinion concerns."""

    prefix = "themes"
    themes = ThemeChoiceField(
        label=_("Annual themes"), queryset=Theme.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, themes: QuerySet[Theme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["themes"]).queryset = themes.order_by("position", "name")


# --- pairing --------------------------------------------------------------------------------------------------


class PairingForm(PortalForm):
    site = SiteField(label=_("Site"), queryset=Site.objects.none(), empty_label=_("Choose the site"))
    deputy = forms.ModelChoiceField(
        label=_("Deputy"), queryset=Deputy.objects.none(), empty_label=_("Choose the deputy"), widget=PlainSelect
    )
    # Only when the site's district has more deputies than a select holds (see _limit_deputy_choices).
    deputy_name = forms.CharField(
        label=_("Deputy's name"),
        max_length=50,
        required=False,
        help_text=_("The district has more deputies than a list can show: type the deputy's full name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Paired with"), choices=PairingKind.choices, initial=PairingKind.VOTER)
    voter_name = forms.CharField(
        label=_("Voter's name"),
        max_length=50,
        help_text=_("For a household, the person the deputy deals with."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    voter_phone = forms.CharField(
        label=_("Voter's phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    village = forms.CharField(label=_("Village or community"), max_length=100, required=False)
    household_size = forms.IntegerField(label=_("People in the household"), min_value=1, max_value=50, required=False)
    consent = forms.BooleanField(
        label=_("The voter agrees to be paired and to have their name and phone kept on record by the station"),
        error_messages={"required": _("A pairing is recorded only with the voter's consent.")},
    )
    consent_on = _date_field(_("Consent given on"))
    consent_note = forms.CharField(
        label=_("How consent was given"), max_length=200, required=False, help_text=_("e.g. signed form, in person")
    )
    started_on = _date_field(_("Paired since"), required=False, help_text=_("Empty: the day consent was given."))
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        sites: QuerySet[Site],
        deputies: QuerySet[Deputy],
        site_options: list[Site] | None = None,
        site: Site | None = None,
        **kwargs: Any,
    ) -> None:
        """`site_options` are the user's sites when they fit a select (sites_for_select); None: the site was chosen
        by search (`site`, from the chooser) and travels in a hidden field. `sites` and `deputies` validate what is
        posted (one indexed look-up each); only the chosen site's district's deputies are ever listed."""
        super().__init__(*args, **kwargs)
        self.site_options = site_options
        self.deputies = deputies
        site_field = cast(forms.ModelChoiceField, self.fields["site"])
        site_field_choices(site_field, sites=sites, options=site_options, plain=True)
        cast(forms.ModelChoiceField, self.fields["deputy"]).queryset = deputies
        self.fields["consent_on"].initial = local_today()
        self.render_site = self._bound_site(sites) if self.is_bound else site
        self._limit_deputy_choices()

    def _bound_site(self, sites: QuerySet[Site]) -> Site | None:
        pk = pk_from(str(self.data.get(self.add_prefix("site")) or ""))
        if pk is None:
            return None
        if self.site_options is not None:
            return next((row for row in self.site_options if row.pk == pk), None)
        return sites.filter(pk=pk).select_related("station", "district").first()

    @property
    def deputy_by_name(self) -> bool:
        """The district has more deputies than a select holds: the deputy is typed by name."""
        return "deputy_name" in self.fields

    def _district_id(self) -> int | None:
        """Whose deputies are listed: the chosen site's district, else the one district all the sites of the select
        belong to (a station's staff); none before a site is chosen among several districts."""
        if self.render_site is not None:
            return self.render_site.district_id
        districts = {row.district_id for row in self.site_options or ()}
        return districts.pop() if len(districts) == 1 else None

    def _limit_deputy_choices(self) -> None:
        field = cast(forms.ModelChoiceField, self.fields["deputy"])
        district = self._district_id()
        self.deputy_district = district
        if district is None:
            field.widget.choices = []
            del self.fields["deputy_name"]
            return
        # Read unordered, sorted here: ordering by name walked the province's name index for one district's rows.
        rows = sorted(
            self.deputies.filter(district_id=district, is_active=True)
            .order_by()
            .values_list("pk", "name")[: paging.SELECT_LIMIT + 1],
            key=lambda row: (row[1], row[0]),
        )
        if len(rows) > paging.SELECT_LIMIT:
            # Only a deputy already chosen (among namesakes) is offered; clean() resolves the typed name.
            field.required = False
            chosen = pk_from(str(self.data.get(self.add_prefix("deputy")) or "")) if self.is_bound else None
            chosen_rows = self.deputies.filter(district_id=district, pk=chosen) if chosen is not None else None
            rows = list(chosen_rows.values_list("pk", "name")) if chosen_rows is not None else []
        else:
            del self.fields["deputy_name"]
        field.widget.choices = [("", field.empty_label), *rows]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        site = cleaned.get("site")
        if not self.deputy_by_name or site is None or cleaned.get("deputy") is not None:
            return cleaned
        name = " ".join(typed_names(cleaned.get("deputy_name", "")))
        if not name:
            self.add_error("deputy_name", _("Type the deputy's name."))
            return cleaned
        matches = deputies_named(self.deputies.filter(district_id=site.district_id), [name]).get(name, [])
        if not matches:
            self.add_error(
                "deputy_name",
                _("No deputy of %(district)s is called %(name)s: check the name as the deputy's record writes it.")
                % {"district": site.district.name, "name": name},
            )
        elif len(matches) > 1:
            labels = [deputy_with_sites(deputy) for deputy in matches]
            field = cast(forms.ModelChoiceField, self.fields["deputy"])
            field.widget.choices = [("", field.empty_label), *zip([d.pk for d in matches], labels, strict=True)]
            self.add_error(
                "deputy_name",
                _(
                    "%(count)s deputies of the district are called %(name)s (%(which)s): choose the one meant in the "
                    "list of deputies below."
                )
                % {"count": len(matches), "name": name, "which": "; ".join(labels)},
            )
        else:
            cleaned["deputy"] = matches[0]
        return cleaned

    def clean_voter_phone(self) -> str:
        value = self.cleaned_data["voter_phone"].strip()
        if not value:
            return ""
        validate_phone(value)
        return normalise_phone(value)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[key] for key in self.fields if key not in ("consent", "deputy_name")}


class ContactForm(PortalForm):
    happened_on = _date_field(_("Date"))
    method = forms.ChoiceField(label=_("How"), choices=ContactMethod.choices)
    notes = forms.CharField(
        label=_("What was said"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="contact", **kwargs)
        self.fields["happened_on"].initial = local_today()


class DeedForm(PortalForm):
    happened_on = _date_field(_("Date"))
    what = forms.CharField(label=_("What was done"), max_length=200)
    outcome = forms.CharField(label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="deed", **kwargs)
        self.fields["happened_on"].initial = local_today()


MONTHS = [(n, str(n)) for n in range(1, 13)]


class PairingFilterForm(forms.Form):
    """The period and the place of the pairing list. An administrator of several districts may narrow it to one
    (a select while they fit one; beyond, a row of the figures by district is the link that chooses it); the
    station is a select while the stations (of the chosen district) fit one, a typed name, town or code beyond
    (issue 15: never a province's 1,000 stations in one select)."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    month_from = forms.TypedChoiceField(label=_("From month"), coerce=int, choices=MONTHS, required=False, initial=1)
    month_to = forms.TypedChoiceField(label=_("To month"), coerce=int, choices=MONTHS, required=False, initial=12)
    district = forms.ModelChoiceField(label=capfirst(_("district")), queryset=District.objects.none(), required=False)
    station = forms.ModelChoiceField(label=_("Station"), queryset=Site.objects.none(), required=False)
    place = forms.CharField(
        label=_("Station's name, town or code"),
        required=False,
        max_length=80,
        help_text=_("A station covers its rooms and points."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("month_from") or 1, cleaned.get("month_to") or 12
        if last < first:
            self.add_error("month_to", _("The last month must be the same as or later than the first."))
        return cleaned

    def months(self) -> tuple[int, int]:
        """The months chosen (the whole year by default); call after is_valid()."""
        return self.cleaned_data.get("month_from") or 1, self.cleaned_data.get("month_to") or 12

    def __init__(
        self,
        *args: Any,
        years: list[tuple[int, str]],
        districts: QuerySet[District],
        stations: QuerySet[Site],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = years  # type: ignore[attr-defined]
        self.fields["year"].initial = local_today().year
        district_field = cast(forms.ModelChoiceField, self.fields["district"])
        district_field.queryset = districts.order_by("name", "pk")
        district_field.empty_label = _("All my districts")
        district_field.to_field_name = "slug"
        asked = self.data.get("district") if self.is_bound else None
        if asked:  # the stations of the district asked for (the district field refuses one out of reach)
            stations = stations.filter(district__slug=asked)
        station_field = cast(forms.ModelChoiceField, self.fields["station"])
        station_field.queryset = stations.order_by(*network_ordering())
        station_field.empty_label = _("All stations")
        station_field.to_field_name = "slug"
        select_or_typed(
            self,
            [
                ("district", None, district_field.queryset.only("pk", "slug", "name")),
                ("station", "place", station_field.queryset),
            ],
        )
        # One district (or none): nothing to choose.
        if not isinstance(district_field.widget, forms.HiddenInput) and len(district_field.widget.choices) <= 2:
            del self.fields["district"]

    @property
    def several_districts(self) -> bool:
        return "district" in self.fields


# --- deputies' activities -------------------------------------------------------------------------------------


class DeputyActivityForm(PortalForm):
    """One activity of a deputy besides receptions. Reused by the deputy's own pages."""

    kind = forms.ChoiceField(label=_("Kind of activity"), choices=ActivityKind.choices)
    held_on = _date_field(_("Date"))
    title = forms.CharField(label=_("Subject"), max_length=200)
    site = SiteField(
        label=_("At the site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Not at a site"),
        help_text=_("The station, room or point where it took place; a study session needs one."),
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    hours = forms.DecimalField(label=_("Hours"), min_value=0.5, max_value=24, decimal_places=1, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, deputy: Deputy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deputy = deputy
        sites = Site.objects.filter(district_id=deputy.district_id, is_active=True).order_by(*network_ordering())
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = sites
        self.fields["held_on"].initial = local_today()

    def service_kwargs(self) -> dict[str, Any]:
        return {"deputy": self.deputy, **self.cleaned_data}
