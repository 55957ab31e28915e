"""Formatting of figures in templates, the same as in the statistics tables and their exports."""

from django import template

from stations.stats_tables import Days, Rate, display

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return display(None if value is None else Rate(value))


@register.filter
def days(value: float | None) -> str:
    return display(None if value is None else Days(value))
