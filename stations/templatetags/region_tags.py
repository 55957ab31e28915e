"""Links to a region's public page (issue 15)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from stations.models import Region

register = template.Library()


@register.filter
def region_page_url(region: Region) -> str:
    return reverse("stations:region_detail", kwargs={"key": region.key})
