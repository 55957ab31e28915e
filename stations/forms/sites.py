"""Forms and filters for the public network pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from stations.models import Deputy, Sector, Site
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
    site = django_filters.ModelChoiceFilter(
        label=_("Station, room or point"),
        queryset=Site.objects.active().in_network_order().only("pk", "slug", "name"),
        to_field_name="slug",
        method="filter_site",
        empty_label=_("All"),
    )
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices, empty_label=_("All"))

    class Meta:
        model = Deputy
        fields = ["name", "level", "site", "sector"]

    def filter_site(self, queryset: QuerySet[Deputy], name: str, value: Site) -> QuerySet[Deputy]:
        # A voter who picks a station expects the deputies of its rooms and points as well.
        return queryset.filter(sites__in=Site.objects.active().under_station(value)).distinct()
