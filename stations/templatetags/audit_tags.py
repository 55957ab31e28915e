"""Showing an audit entry's recorded changes as short lines."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if value in (None, ""):
        return "—"
    return str(value)


@register.filter
def audit_change_lines(changes: Any) -> list[str]:
    """{"people": {"from": 2, "to": 3}, "phone": "138****1234"} → ["people: 2 → 3", "phone: 138****1234"]."""
    if not isinstance(changes, dict):
        return [_text(changes)]
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            lines.append(f"{key}: {_text(value['from'])} → {_text(value['to'])}")
        else:
            lines.append(f"{key}: {_text(value)}")
    return lines
