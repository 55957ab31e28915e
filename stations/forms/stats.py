"""Choosing what the figures cover: a scope the user may see, and a period."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from stations.bounds import BoundedDateField
from stations.clock import local_today
from stations.models import District, RegionLevel, SiteKind
from stations.policy import (
    User,
    administers_everything,
    district_of,
    region_for_user,
    region_of,
    stats_districts,
    stats_regions,
    visible_sites,
)
from stations.selectors.stats import Period, Scope, default_scope, sites_in_tree_order

YEARS_BACK = 9
MAX_RANGE_DAYS = 366 * 10


def year_choices(today: dt.date | None = None) -> list[tuple[int, str]]:
    this_year = (today or local_today()).year
    return [(year, str(year)) for year in range(this_year, this_year - YEARS_BACK - 1, -1)]


def roster_year_choices(today: dt.date | None = None) -> list[tuple[int, str]]:
    """The years offered on pages about duties: next year too (in December the head publishes January's
    receptions, and its duties count from then), then this year and the years before. No query: a year
    without a roster simply shows nobody scheduled yet."""
    next_year = (today or local_today()).year + 1
    return [(next_year, str(next_year)), *year_choices(today)]


def with_defaults(query: QueryDict, defaults: dict[str, Any]) -> dict[str, Any]:
    """The query string on top of the defaults, so that `?year=2025` alone is a complete request."""
    data: dict[str, Any] = {key: str(value) for key, value in defaults.items()}
    data.update({key: value for key, value in query.items() if value != ""})
    return data


class PeriodForm(forms.Form):
    """A year, or some months of a year (January–August): the public page's choice."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    month_from = forms.TypedChoiceField(label=_("From month"), coerce=int, choices=sorted(MONTHS.items()))
    month_to = forms.TypedChoiceField(label=_("To month"), coerce=int, choices=sorted(MONTHS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = year_choices()

    @staticmethod
    def defaults() -> dict[str, Any]:
        return {"year": local_today().year, "month_from": 1, "month_to": 12}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("month_from"), data.get("month_to")
        if first and last and last < first:
            self.add_error("month_to", _("The last month must be the same as or later than the first."))
        return data

    def period(self) -> Period:
        data = self.cleaned_data
        return Period.months(data["year"], data["month_from"], data["month_to"])


class StatsForm(PeriodForm):
    """Staff: a scope among the sites the user may see, and a year, months of a year or any date range."""

    scope = forms.ChoiceField(label=_("Scope"))
    date_from = BoundedDateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = BoundedDateField(
        label=_("To date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A date range, when given, replaces the year and months."),
    )
    field_order = ["scope", "year", "month_from", "month_to", "date_from", "date_to"]

    def __init__(self, query: QueryDict | None = None, *, user: User) -> None:
        """Bound to the query string over the defaults (the user's own place, this whole year). `?region=<code or
        id>` (the links one level down) chooses a region or a district within the user's scope (404 outside)."""
        self.scopes: dict[str, Scope] = {}
        wanted = None
        if query is not None and query.get("region") and not query.get("scope"):
            wanted = Scope.for_region(region_for_user(user, str(query["region"]))).key
            query = query.copy()
            query["scope"] = wanted
        choices = self._scope_choices(user, wanted or (query.get("scope", "") if query is not None else ""))
        data = None
        if query is not None:
            home = self._home_key(user)
            data = with_defaults(query, {**self.defaults(), "scope": home or next(iter(self.scopes), "")})
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["scope"]).choices = choices

    def _home_key(self, user: User) -> str | None:
        """Where an administrator's figures open: their region, their district, or (for the portal's own
        administrator) the portal's top as the public figures open (one district: that district)."""
        region = region_of(user)
        if region is not None:
            key = Scope.for_region(region).key
        elif (district := district_of(user)) is not None:
            key = Scope.for_district(district).key  # kept only if offered: not for a station's staff
        elif administers_everything(user):
            # One district: that district, as before regions (and without asking the database again).
            key = self._district_keys[0] if len(self._district_keys) == 1 else default_scope().key
        else:
            return None
        return key if key in self.scopes else None

    def _scope_choices(self, user: User, wanted: str) -> list[tuple[str, list[tuple[str, str]]]]:
        choices: list[tuple[str, list[tuple[str, str]]]] = []
        sites = visible_sites(user).select_related("district")
        district_list = list(stats_districts(user).select_related("region__parent__parent").order_by("name"))
        regions: list[Scope] = []
        if administers_everything(user) and len(district_list) > 1:
            regions.append(Scope.everything())
        regions += [
            Scope.for_region(region)
            for region in stats_regions(user)
            .filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY])
            .order_by("level", "code", "name")
        ]
        if regions:
            choices.append((str(_("Region")), self._add(regions)))
        districts = [Scope.for_district(d) for d in district_list]
        self._district_keys = [scope.key for scope in districts]
        if districts:
            choices.append((str(_("District")), self._add(districts)))
        if len(district_list) > 1:
            # Above one district, stations and sites are offered for the district asked for (reached through the
            # links one level down), never the whole region's thousands (issue 15).
            chosen = self._district_in(wanted, district_list, sites)
            sites = sites.filter(district=chosen) if chosen is not None else sites.none()
        stations = [Scope.for_station(s) for s in sites.filter(kind=SiteKind.STATION).in_network_order()]
        if stations:
            choices.append((str(_("Station with its rooms and points")), self._add(stations)))
        by_pk = {site.pk: site for site in sites}
        singles = [Scope.for_site(by_pk[pk]) for pk, _name in sites_in_tree_order(sites)]
        if singles:
            choices.append((str(_("One site")), self._add(singles)))
        return choices

    @staticmethod
    def _district_in(wanted: str, districts: list[District], sites: Any) -> District | None:
        """The district a wanted scope key names (a district, or a station or site of one), among the user's."""
        kind, _sep, ref = wanted.partition(":")
        by_slug = {district.slug: district for district in districts}
        if kind == "district":
            return by_slug.get(ref)
        if kind in ("station", "site") and ref:
            site = sites.filter(slug=ref).first()
            return site.district if site is not None else None
        return None

    def _add(self, scopes: list[Scope]) -> list[tuple[str, str]]:
        for scope in scopes:
            self.scopes[scope.key] = scope
        return [(scope.key, scope.name) for scope in scopes]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("date_from"), data.get("date_to")
        if (first is None) != (last is None):
            missing = "date_to" if last is None else "date_from"
            self.add_error(missing, _("Give both dates of the range, or neither."))
        elif first and last:
            if last < first:
                self.add_error("date_to", _("The end date must be the same as or later than the start date."))
            elif (last - first).days > MAX_RANGE_DAYS:
                self.add_error("date_to", _("Choose a range of at most ten years."))
        return data

    def selected_scope(self) -> Scope:
        return self.scopes[self.cleaned_data["scope"]]

    def period(self) -> Period:
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to"):
            return Period.between(data["date_from"], data["date_to"])
        return super().period()


def public_form(query: QueryDict) -> PeriodForm:
    return PeriodForm(with_defaults(query, PeriodForm.defaults()))


def year_from(query: QueryDict, choices: list[tuple[int, str]] | None = None) -> int:
    """The `?year=` of a page about one year; this year when absent or not one of the offered years."""
    years = [year for year, _label in (choices or year_choices())]
    this_year = local_today().year
    try:
        year = int(query.get("year", ""))
    except ValueError:
        year = this_year
    return year if year in years else this_year
