"""Forms and filters for the public network pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from stations.models import Assignment, Deputy, Sector, Site
from stations.models.sites import DEPUTY_TITLES
from stations.validators import validate_image_pixels


class PhotoField(forms.ImageField):
    """Django's ImageField opens the upload with Pillow, which refuses a decompression bomb with an error
    that Django reports as "not a valid image". The pixel count is checked first, with its own message."""

    def to_python(self, data):
        if data not in self.empty_values:
            validate_image_pixels(data)
        return super().to_python(data)


class SiteSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Village, community or station"),
        max_length=50,
        required=False,
        error_messages={"max_length": _("Type at most %(limit_value)d characters.")},
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("e.g. Jinxing Village"),
                "aria-describedby": "site-search-help",
            }
        ),
    )


class DeputyFilter(django_filters.FilterSet):
    """The public deputy list's filters; each one narrows the list, all are optional."""

    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")
    level = django_filters.ChoiceFilter(
        label=_("Level"),
        field_name="mandates__level",
        choices=list(DEPUTY_TITLES.items()),
        distinct=True,
        empty_label=_("All"),
    )
    # Text, not a select of every site (10,000 at province scale): a site's name or part of it, its town, or the
    # slug links and posters give (`?site=<slug>`). A station covers its rooms and points.
    site = django_filters.CharFilter(
        label=_("Station, room or point"),
        method="filter_site",
        max_length=80,
        help_text=_("Its name or part of it, or its town or street."),
    )
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices, empty_label=_("All"))

    unknown_site = False

    class Meta:
        model = Deputy
        fields = ["name", "level", "site", "sector"]

    def filter_site(self, queryset: QuerySet[Deputy], name: str, value: str) -> QuerySet[Deputy]:
        value = value.strip()
        if not value:
            return queryset
        sites = Site.objects.active().filter(
            Q(slug=value)
            | Q(parent__slug=value)
            | Q(station__slug=value)
            | Q(name__icontains=value)
            | Q(town__icontains=value)
            | Q(station__name__icontains=value)
        )
        # The sites' ids are read first: nested in the deputies' count, the OR over three joins let PostgreSQL plan
        # nested loops over every assignment on freshly filled tables (a CI run stalled minutes on one count).
        site_ids = list(sites.values_list("pk", flat=True))
        self.unknown_site = not site_ids
        if self.unknown_site:
            return queryset  # a stale link or a typo: the whole list, and a word next to the field
        return queryset.filter(pk__in=Assignment.objects.filter(site_id__in=site_ids).values("deputy_id"))
