"""Forms of the record book: the visit itself, its opinions (a formset) and the record book's filters."""

from __future__ import annotations

from typing import cast

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations import paging
from stations.bounds import BoundedDateTimeField, validate_in_bounds
from stations.clock import local_time, local_today
from stations.forms.base import (
    PlainSelectMultiple,
    PortalForm,
    deputies_named,
    deputy_with_sites,
    select_or_typed,
    site_field_choices,
    typed_names,
)
from stations.forms.records import ThemeChoiceField
from stations.models import Category, Channel, Deputy, Site, Theme, Visit, VisitDeputy
from stations.models.visits import MAX_PEOPLE
from stations.phones import normalise_phone
from stations.selectors.visits import assigned_deputy_ids, with_open_opinions
from stations.validators import pk_from, validate_phone

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_OPINIONS = 20
PEOPLE_MESSAGE = _("The number of people must be between 1 and 500.")


class SiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return str(obj)


class VisitForm(PortalForm):
    """One entry of the record book. The view hands the cleaned data to the record-book service."""

    site = SiteChoiceField(label=_("Site"), queryset=Site.objects.none(), empty_label=_("Choose the site"))
    occurred_at = BoundedDateTimeField(
        label=_("Date and time"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    deputies = forms.ModelMultipleChoiceField(
        label=_("Deputies present"),
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The deputies on duty are ticked already."),
    )
    visiting_deputies = forms.ModelMultipleChoiceField(
        label=_("Visiting deputies"),
        queryset=Deputy.objects.none(),
        required=False,
        widget=PlainSelectMultiple(attrs={"size": 6}),
        help_text=_("Deputies not assigned to this site who took part in the reception."),
    )
    # Only when the site's district has more deputies than a list holds (see _limit_deputy_choices).
    visiting_names = forms.CharField(
        label=_("Other visiting deputies, by name"),
        max_length=500,
        required=False,
        help_text=_("Deputies of the district not in the list above: type their full names, separated by commas."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    visitor_name = forms.CharField(
        label=_("Visitor's name"),
        max_length=50,
        required=False,
        help_text=_("Optional: a voter may stay anonymous."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Longer than the stored 20 characters: people type "+86 138 1234 5678" or "００８６ １３８…", which
    # normalise_phone writes one way before it is stored.
    visitor_phone = forms.CharField(
        label=_("Visitor's phone"),
        max_length=30,
        required=False,
        help_text=_("Optional. A mobile or a landline with area code."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    village = forms.CharField(
        label=_("Village or community"),
        max_length=100,
        required=False,
        help_text=_("Choose one the site serves or type another."),
        widget=forms.TextInput(attrs={"list": "village-options", "autocomplete": "off"}),
    )
    people = forms.IntegerField(
        label=_("Number of people"),
        initial=1,
        min_value=1,
        max_value=MAX_PEOPLE,
        error_messages={"min_value": PEOPLE_MESSAGE, "max_value": PEOPLE_MESSAGE},
        help_text=_("A group counts as its size."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.RECEPTION_DAY)
    category = forms.ChoiceField(label=_("Topic"), choices=Category.choices, initial=Category.OTHER)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the voter raised, in a few sentences."),
    )
    themes = ThemeChoiceField(
        label=_("Annual themes"),
        queryset=Theme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The year's activity themes the visit concerns; its opinions carry them too."),
    )
    contact_consent = forms.BooleanField(
        label=_("The voter agrees that their name and phone are kept on the opinions, to be told of progress"),
        required=False,
        help_text=_("Without consent the opinions carry no contact; the voter follows them with the tracking code."),
    )

    def __init__(
        self,
        *args,
        sites: QuerySet[Site],
        site: Site | None = None,
        site_options: list[Site] | None = None,
        on_duty: list[Deputy] | None = None,
        already_present: tuple[int, set[int]] | None = None,
        **kwargs,
    ) -> None:
        """`site_options` are the user's sites when they fit a select (sites_for_select); None: the site was chosen
        by search (the site chooser) and travels in a hidden field. The field still validates a posted site against
        the user's `sites` (one indexed look-up)."""
        super().__init__(*args, **kwargs)
        # (site id, deputy ids) of a record being changed: those deputies stay acceptable at that site even
        # if their assignment ended since.
        self.already_present = already_present
        self.site_options = site_options
        site_field_choices(cast(forms.ModelChoiceField, self.fields["site"]), sites=sites, options=site_options)
        # The fields accept a deputy of any of the user's districts, so that clean() and the service can say *why*
        # one does not fit ("a deputy of another district") instead of Django's bare "not a valid choice"; only the
        # site's own district is ever listed.
        reachable = Deputy.objects.filter(district_id__in=sites.values("district_id"))
        cast(forms.ModelChoiceField, self.fields["deputies"]).queryset = reachable
        cast(forms.ModelChoiceField, self.fields["visiting_deputies"]).queryset = reachable
        self.render_site = self._bound_site(sites, site_options) or (None if self.is_bound else site)
        self._limit_deputy_choices(on_duty or [])
        self._limit_theme_choices(sites)

    def _bound_site(self, sites: QuerySet[Site], options: list[Site] | None) -> Site | None:
        if not self.is_bound:
            return None
        pk = pk_from(str(self.data.get(self.add_prefix("site")) or ""))
        if pk is None:
            return None
        if options is not None:
            return next((row for row in options if row.pk == pk), None)
        return sites.filter(pk=pk).select_related("station", "district").first()

    def _selected(self, name: str) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist(self.add_prefix(name))) if hasattr(self.data, "getlist") else set()
        return {str(getattr(value, "pk", value)) for value in self.initial.get(name) or ()}

    def _chosen_ids(self, name: str) -> set[int]:
        return {pk for pk in map(pk_from, self._selected(name)) if pk is not None}

    @property
    def deputies_by_name(self) -> bool:
        """The site's district has more deputies than a list holds: the others are found by typed name."""
        return "visiting_names" in self.fields

    def _limit_deputy_choices(self, on_duty: list[Deputy]) -> None:
        """Show the site's own deputies as ticks and the district's others in the visiting list; no deputy at all
        before a site is chosen.

        A district larger than a list (1,500 deputies at a province's size) lists as visitors only the deputies of
        the site's station (when they fit a list), those on duty and those already chosen; the others are typed by
        name (visiting_names, resolved in clean()). At most a few hundred rows are read whatever the district."""
        site = self.render_site
        ticked, listed = self._chosen_ids("deputies"), self._chosen_ids("visiting_deputies")
        if site is None:
            self.fields["deputies"].widget.choices = []
            self.fields["visiting_deputies"].widget.choices = []
            del self.fields["visiting_names"]
            return
        # Unordered reads (sorted below): ordering by name walked the province's name index for one district's rows.
        district = Deputy.objects.filter(district_id=site.district_id).order_by()
        assigned = assigned_deputy_ids(site)
        on_duty_ids = {deputy.pk for deputy in on_duty if deputy.district_id == site.district_id}
        rows: dict[int, str] = dict(
            district.filter(is_active=True).values_list("pk", "name")[: paging.SELECT_LIMIT + 1]
        )
        if len(rows) > paging.SELECT_LIMIT:
            wanted = district.filter(is_active=True, pk__in=assigned | on_duty_ids)
            station = district.filter(is_active=True, assignments__site__station_id=site.station_id).distinct()
            rows = dict(wanted.values_list("pk", "name"))
            of_station = dict(station.values_list("pk", "name")[: paging.SELECT_LIMIT + 1])
            if len(of_station) <= paging.SELECT_LIMIT:
                rows |= of_station
        else:
            del self.fields["visiting_names"]
        if ticked | listed:
            rows |= dict(district.filter(pk__in=ticked | listed).values_list("pk", "name"))
        own, others = [], []
        for pk, name in sorted(rows.items(), key=lambda row: (row[1], row[0])):
            if pk in assigned or pk in ticked:
                label = _("%(name)s (on duty)") % {"name": name} if pk in on_duty_ids else name
                own.append((pk, label))
            else:
                others.append((pk, name))
        # The deputies on duty come first: they are the ones the staff member expects to see ticked.
        own.sort(key=lambda choice: choice[0] not in on_duty_ids)
        self.fields["deputies"].widget.choices = own
        self.fields["visiting_deputies"].widget.choices = others

    def _limit_theme_choices(self, sites: QuerySet[Site]) -> None:
        """Offer the themes of the visit's year that its station works on; the service checks the year and the
        station again once the time and site are known."""
        years = {local_today().year}
        occurred = self.initial.get("occurred_at")
        if occurred is not None:
            years.add(occurred.year)
        posted = str(self.data.get(self.add_prefix("occurred_at")) or "") if self.is_bound else ""
        if posted[:4].isdigit():
            years.add(int(posted[:4]))
        # The chosen site's district's themes (another district's theme cannot tag the visit anyway); before a site is
        # chosen, those of the user's districts.
        if self.render_site is not None:
            themes = Theme.objects.filter(district_id=self.render_site.district_id, year__in=years)
        else:
            themes = Theme.objects.filter(district_id__in=sites.values("district_id"), year__in=years)
        field = cast(forms.ModelMultipleChoiceField, self.fields["themes"])
        field.queryset = themes.order_by("-year", "position", "name")
        selected = [pk for pk in map(pk_from, self._selected("themes")) if pk is not None]
        shown = themes
        if self.render_site is not None:
            station_themes = themes.for_station(self.render_site.station).values("pk")
            shown = themes.filter(Q(pk__in=station_themes) | Q(pk__in=selected))
        elif self.site_options is None:  # chosen by search: never every district's themes
            shown = themes.filter(pk__in=selected)
        field.widget.choices = [(theme.pk, theme.name) for theme in shown.order_by("position", "name")]

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("A visit cannot be recorded in the future."))
        return value

    def clean_visitor_phone(self) -> str:
        value = self.cleaned_data["visitor_phone"].strip()
        if not value:
            return ""
        validate_phone(value)
        return normalise_phone(value)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        site = cleaned.get("site")
        if site is None:
            return cleaned
        if self.deputies_by_name:
            found = self._deputies_named(site, typed_names(cleaned.get("visiting_names", "")))
            cleaned["visiting_deputies"] = list(dict.fromkeys([*(cleaned.get("visiting_deputies") or ()), *found]))
        assigned = assigned_deputy_ids(site)
        if self.already_present and self.already_present[0] == site.pk:
            assigned |= self.already_present[1]
        errors = [
            _("%(name)s is not assigned to this site; add them as a visiting deputy.") % {"name": deputy.name}
            for deputy in cleaned.get("deputies") or ()
            if deputy.pk not in assigned
        ]
        if errors:
            self.add_error("deputies", errors)
        return cleaned

    def _deputies_named(self, site: Site, names: list[str]) -> list[Deputy]:
        """The deputies of the site's district with the typed names (one query). An unknown name, or one that
        several deputies bear, is an error next to the box; namesakes join the visiting list, labelled with their
        sites, so that the right one is chosen there."""
        named = deputies_named(Deputy.objects.filter(district_id=site.district_id), names)
        found: list[Deputy] = []
        errors: list[str] = []
        namesakes: list[tuple[int, str]] = []
        for name in names:
            matches = named.get(name, [])
            if not matches:
                errors.append(
                    _("No deputy of %(district)s is called %(name)s: check the name, or choose the deputy in the list.")
                    % {"district": site.district.name, "name": name}
                )
            elif len(matches) > 1:
                labels = [deputy_with_sites(deputy) for deputy in matches]
                namesakes += [(deputy.pk, label) for deputy, label in zip(matches, labels, strict=True)]
                errors.append(
                    _(
                        "%(count)s deputies of the district are called %(name)s (%(which)s). They are now in the list "
                        "of visiting deputies with their sites: choose the one who came there, and take the name "
                        "out of this box."
                    )
                    % {"count": len(matches), "name": name, "which": "; ".join(labels)}
                )
            else:
                found.append(matches[0])
        if namesakes:
            widget = self.fields["visiting_deputies"].widget
            listed = {pk for pk, _label in widget.choices}
            widget.choices = [*widget.choices, *(choice for choice in namesakes if choice[0] not in listed)]
        if errors:
            self.add_error("visiting_names", errors)
        return found

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "site": data["site"],
            "occurred_at": data["occurred_at"],
            "deputies": list(data["deputies"]),
            "visiting_deputies": list(data["visiting_deputies"]),
            "visitor_name": data["visitor_name"],
            "visitor_phone": data["visitor_phone"],
            "village": data["village"],
            "people": data["people"],
            "channel": data["channel"],
            "category": data["category"],
            "summary": data["summary"],
            "contact_consent": data["contact_consent"],
            "themes": list(data["themes"]),
        }


def visit_initial(visit: Visit) -> dict:
    presences = list(visit.visit_deputies.all())
    return {
        "site": visit.site,
        "occurred_at": local_time(visit.occurred_at),
        "deputies": [presence.deputy_id for presence in presences if not presence.is_visiting],
        "visiting_deputies": [presence.deputy_id for presence in presences if presence.is_visiting],
        "visitor_name": visit.visitor_name,
        "visitor_phone": visit.visitor_phone,
        "village": visit.village,
        "people": visit.people,
        "channel": visit.channel,
        "category": visit.category,
        "summary": visit.summary,
        "themes": list(visit.themes.values_list("pk", flat=True)),
    }


class OpinionForm(PortalForm):
    """One opinion raised during the visit; an untouched form is simply skipped."""

    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Same as the visit's topic")), *Category.choices],
        required=False,
    )
    # Not marked required: the boxes are optional, but a box that was touched needs its text (see clean).
    content = forms.CharField(
        label=_("Opinion or suggestion"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    accept_now = forms.BooleanField(
        label=_("Accept now"),
        required=False,
        help_text=_("Accept the opinion on the spot; it is registered and accepted in one step."),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "content" in cleaned and not cleaned["content"]:
            self.add_error("content", _("Write the opinion, or leave this box and its category empty."))
        return cleaned


OpinionFormSet = forms.formset_factory(
    OpinionForm, extra=3, max_num=MAX_OPINIONS, absolute_max=MAX_OPINIONS, validate_max=True
)


def opinions_from(formset) -> list[dict[str, object]]:
    return [
        {
            "category": form.cleaned_data.get("category", ""),
            "content": form.cleaned_data["content"],
            "accept": bool(form.cleaned_data.get("accept_now")),
        }
        for form in formset.forms
        if form.has_changed() and form.cleaned_data.get("content")
    ]


class ArchiveForm(PortalForm):
    """Archiving takes a visit out of the record book: the staff member confirms and says why."""

    reason = forms.CharField(
        label=_("Reason for archiving"),
        max_length=100,
        help_text=_("Kept in the visit's history and the audit log, e.g. “entered twice”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


# --- the record book's filters ------------------------------------------------------------------------


class OpenOpinions:
    WITH = "with"
    WITHOUT = "without"


class Archived:
    CURRENT = ""
    ARCHIVED = "archived"
    ALL = "all"


class VisitFilter(django_filters.FilterSet):
    """Filters of the record book. The querysets of the choices are scoped to the user's sites."""

    date_from = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label=_("From"),
        validators=[validate_in_bounds],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label=_("To"),
        validators=[validate_in_bounds],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=Site.objects.none(), empty_label=_("All sites"))
    deputy = django_filters.ModelChoiceFilter(
        label=_("Deputy"),
        field_name="visit_deputies__deputy",
        queryset=Deputy.objects.none(),
        empty_label=_("All deputies"),
    )
    # Typed instead of the selects above when these would hold more than SELECT_LIMIT options (an administrator
    # of a large network): never every site and every deputy in the page (issue 15).
    place = django_filters.CharFilter(
        label=_("Site or town"),
        method="filter_place",
        max_length=80,
        help_text=_("A name or part of it; a station covers its rooms and points."),
    )
    deputy_name = django_filters.CharFilter(label=_("Deputy's name"), method="filter_deputy_name", max_length=50)
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("All channels"))
    category = django_filters.ChoiceFilter(label=_("Topic"), choices=Category.choices, empty_label=_("All topics"))
    opinions = django_filters.ChoiceFilter(
        label=_("Opinions"),
        choices=[(OpenOpinions.WITH, _("With open opinions")), (OpenOpinions.WITHOUT, _("Without open opinions"))],
        empty_label=_("Any"),
        method="filter_opinions",
    )
    late = django_filters.BooleanFilter(
        label=_("Entered late only"),
        field_name="entered_late",
        widget=forms.CheckboxInput,
        method="filter_late",
    )
    q = django_filters.CharFilter(label=_("Search summary or village"), method="filter_search")
    archived = django_filters.ChoiceFilter(
        label=_("Archived visits"),
        choices=[(Archived.ARCHIVED, _("Archived only")), (Archived.ALL, _("Current and archived"))],
        empty_label=_("Hide archived"),
        method="filter_archived",
    )

    class Meta:
        model = Visit
        fields: list[str] = []

    def __init__(self, *args, sites: QuerySet[Site], deputies: QuerySet[Deputy], can_see_archived: bool, **kwargs):
        super().__init__(*args, **kwargs)
        cast(django_filters.ModelChoiceFilter, self.filters["site"]).queryset = sites
        cast(django_filters.ModelChoiceFilter, self.filters["deputy"]).queryset = deputies
        self.can_see_archived = can_see_archived
        if not can_see_archived:
            del self.filters["archived"]
        # A select while the choice fits one (a station's sites and deputies), a typed search beyond.
        select_or_typed(
            self, [("site", "place", sites), ("deputy", "deputy_name", deputies)], within={"deputy": "site"}
        )

    def filter_queryset(self, queryset):
        # Archived visits stay out of the book unless a district administrator asks for them.
        if not (self.can_see_archived and self.form.cleaned_data.get("archived")):
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_archived(self, queryset, name, value):
        if value == Archived.ARCHIVED:
            return queryset.filter(archived_at__isnull=False)
        return queryset

    def filter_late(self, queryset, name, value):
        # Unticked means "any": the box only narrows the book to records typed in after the late-entry limit.
        return queryset.filter(entered_late=True) if value else queryset

    def filter_opinions(self, queryset, name, value):
        return with_open_opinions(queryset, value == OpenOpinions.WITH)

    def filter_place(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(site__name__icontains=value) | Q(site__town__icontains=value) | Q(site__station__name__icontains=value)
        )

    def filter_deputy_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        present = VisitDeputy.objects.filter(deputy__name__icontains=value).values("visit_id")
        return queryset.filter(pk__in=present)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(summary__icontains=value) | Q(area__name__icontains=value) | Q(area_text__icontains=value)
        )

    @property
    def active(self) -> bool:
        if not self.is_bound or not self.form.is_valid():
            return self.is_bound
        return any(value not in (None, "", []) for value in self.form.cleaned_data.values())
