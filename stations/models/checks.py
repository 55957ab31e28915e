"""A database check whose rule `full_clean` checks in Python.

Django validates a CheckConstraint by asking the database (`SELECT 1 WHERE <condition>`), a query per constraint
on every `full_clean`: the record book and its importer pay it on every visit and every handling step. When the
rule is as simple as a range or "this, or that is filled", the same rule written in Python (`holds`) gives the
same message without the query; the database keeps the constraint itself, and migrations see a plain
CheckConstraint (as `stations.bounds.BoundsCheck`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models


class PythonCheck(models.CheckConstraint):
    def __init__(self, *, holds: Callable[[Any], bool], fields: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.holds = holds
        # The fields the rule reads: like Django's own check, it is skipped when one of them is excluded.
        self.fields = tuple(fields)

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        if exclude and set(self.fields) & set(exclude):
            return
        if not self.holds(instance):
            raise ValidationError(self.get_violation_error_message(), code=self.violation_error_code)

    def clone(self) -> PythonCheck:
        _path, args, kwargs = self.deconstruct()
        return type(self)(*args, holds=self.holds, fields=self.fields, **kwargs)

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        _path, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs
