"""Filters of the audit log viewer."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.bounds import validate_in_bounds
from stations.models.audit import AuditEntry, action_filter_choices


def object_type_choices() -> list[tuple[str, str]]:
    """The kinds of object entries name: the portal's models and the user accounts (no query needed)."""
    models = [*apps.get_app_config("stations").get_models(), apps.get_model("auth", "User")]
    models.append(apps.get_model("otp_totp", "TOTPDevice"))
    return sorted(((model._meta.model_name, str(model._meta.verbose_name)) for model in models), key=lambda c: c[1])


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label=_("User name"))
    # A code ("visit.updated"), or a group of them by their first part ("visit."); old codes too.
    action = django_filters.ChoiceFilter(choices=action_filter_choices, method="filter_action", label=_("Action"))
    object_type = django_filters.ChoiceFilter(choices=object_type_choices, label=_("Object type"))
    date_from = django_filters.DateFilter(
        method="filter_from",
        label=_("From"),
        validators=[validate_in_bounds],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        method="filter_to",
        label=_("To"),
        validators=[validate_in_bounds],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)

    # Bounds on the indexed timestamp itself (not on its date), in the portal's time zone.
    def filter_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(at__gte=_day_start(value))

    def filter_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(at__lt=_day_start(value + dt.timedelta(days=1)))
