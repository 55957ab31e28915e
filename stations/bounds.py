"""The dates the portal accepts: one range for every date a person can type, in a form, a query string, an
import or the admin.

A date outside it is a typing mistake (0001-01-01, 9999-12-31), never a record: no liaison station kept a
record book before 2000, and nothing is planned past 2099. Bounding every date also keeps date arithmetic
(a day after the last date, a year's roster) and the database's own calendar (year 1 in local mean time is
1 BC in UTC, which PostgreSQL stores and Python cannot read back) away from their edges, so that a row that
could not be read back can never be written. The same bounds are database checks (`in_bounds`), form fields
(`BoundedDateField`, `BoundedDateTimeField`) and model validators (`validate_in_bounds`, run by `full_clean`
in the services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
# Roster years, and any other year a person picks, lie wholly within the range.
FIRST_YEAR, LAST_YEAR = EARLIEST.year, LATEST.year
# Midnight at the start of EARLIEST and the end of LATEST in UTC: as datetimes, the range is a little wider
# than in Beijing time, which the validators check exactly; the database only has to refuse the absurd.
EARLIEST_MOMENT = dt.datetime.combine(EARLIEST, dt.time.min, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime.combine(LATEST, dt.time.max, tzinfo=dt.UTC)


def _outside(value: dt.date | dt.datetime) -> bool:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            try:
                value = timezone.localtime(value)
            except OverflowError:  # year 1 or 9999 moved into Beijing time leaves the calendar
                return True
        value = value.date()
    return not EARLIEST <= value <= LATEST


def validate_in_bounds(value: dt.date | dt.datetime | None) -> None:
    if value is not None and _outside(value):
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_bounds",
            params={
                "earliest": formats.date_format(EARLIEST, "DATE_FORMAT"),
                "latest": formats.date_format(LATEST, "DATE_FORMAT"),
            },
        )


def in_bounds(field: str, *, moment: bool = False, nullable: bool = True) -> Q:
    """The database check for one date or datetime column."""
    low, high = (EARLIEST_MOMENT, LATEST_MOMENT) if moment else (EARLIEST, LATEST)
    check = Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return check | Q(**{f"{field}__isnull": True}) if nullable else check


class BoundsCheck(models.CheckConstraint):
    """The database check of one column's bounds (`in_bounds`). The column's own validator (`validate_in_bounds`)
    checks the same rule in Python when a service runs `full_clean`, with a message next to the field; Django
    would otherwise ask the database once per constraint on every `full_clean` (a query each, and a model has up
    to five of them), which made every write of the record book and the importer several times slower. Migrations
    see a plain CheckConstraint."""

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        return None

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs


def parse_date(value: str | None) -> dt.date | None:
    """A `YYYY-MM-DD` query parameter, or None when it is missing, malformed or out of bounds."""
    try:
        parsed = dt.date.fromisoformat(value or "")
    except ValueError:
        return None
    return parsed if EARLIEST <= parsed <= LATEST else None


def _bounds_attrs(widget: forms.Widget) -> dict[str, str]:
    """The browser's own date picker offers only dates within the bounds."""
    kind = widget.attrs.get("type", getattr(widget, "input_type", ""))
    if kind == "date":
        return {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
    if kind == "datetime-local":
        return {"min": f"{EARLIEST.isoformat()}T00:00", "max": f"{LATEST.isoformat()}T23:59"}
    return {}


class BoundedDateField(forms.DateField):
    default_validators = [validate_in_bounds]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), **_bounds_attrs(widget)}


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [validate_in_bounds]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), **_bounds_attrs(widget)}
