"""What a change to a visit changes, as pure functions: the typed fields as stored, who is recorded as present
(and why a list is refused), and the difference the history and the audit log keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from stations.phones import normalise_phone

# The summary is kept in the audit log up to this many characters (the full text is in the visit's history).
AUDIT_SUMMARY_CHARS = 100


@dataclass(frozen=True)
class Person:
    """A deputy as the planner needs them: who, and of which district."""

    pk: int
    name: str
    district: int


@dataclass
class Presence:
    """The deputies present (pk → whether visiting) and the reasons to refuse the list, if any."""

    visiting: dict[int, bool] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def plan_presence(
    *,
    deputies: Sequence[Person],
    visiting_deputies: Sequence[Person],
    assigned: AbstractSet[int],
    district: int,
    already_present: AbstractSet[int] = frozenset(),
) -> Presence:
    """A deputy ticked as present must be assigned to the site (`assigned`); anybody else has to be added
    explicitly as a visiting deputy, of the site's district. A visiting deputy who turns out to be assigned is
    simply recorded as present. `already_present` are deputies the record already lists as present: an
    assignment ended since then must not stop anybody from correcting a typo in the record."""
    assigned = set(assigned) | set(already_present)
    presence = Presence()
    for deputy in deputies:
        if deputy.pk not in assigned:
            presence.errors.append(
                _("%(name)s is not assigned to this site; add them as a visiting deputy.") % {"name": deputy.name}
            )
        presence.visiting[deputy.pk] = False
    for deputy in visiting_deputies:
        if deputy.pk in presence.visiting:
            continue
        if deputy.district != district:
            presence.errors.append(_("%(name)s is a deputy of another district.") % {"name": deputy.name})
        presence.visiting[deputy.pk] = deputy.pk not in assigned
    return presence


def kept_present(recorded: Mapping[int, bool], *, same_site: bool) -> set[int]:
    """The deputies a record lists as present (not visiting) who stay acceptable while it stays at its site."""
    return {pk for pk, visiting in recorded.items() if not visiting} if same_site else set()


def cleaned_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Typed fields as they are stored: the phone written one way, names and summaries without stray spaces."""
    cleaned = dict(fields)
    if "visitor_phone" in cleaned:
        cleaned["visitor_phone"] = normalise_phone(cleaned["visitor_phone"])
    for name in ("visitor_name", "summary"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    return cleaned


@dataclass(frozen=True)
class VisitChange:
    """What saving a changed visit has to do."""

    # name → [before, after] of every field that changed, as the audit log keeps it.
    changed: dict[str, list[Any]]

    @property
    def deputies_changed(self) -> bool:
        return "deputies" in self.changed

    @property
    def needs_saving(self) -> bool:
        return bool(self.changed)


def plan_visit_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> VisitChange:
    """Compare two snapshots of a visit (the audit log's view of it: personal data masked)."""
    changed = {name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]}
    if "summary" in changed:
        changed["summary"] = [(text or "")[:AUDIT_SUMMARY_CHARS] for text in changed["summary"]]
    return VisitChange(changed=changed)


@dataclass(frozen=True)
class SiteChoice:
    """Which site the visit form opens on (`site`, a pk or None) and whether it must ask instead (`ask`)."""

    site: int | None
    ask: bool = False


def choose_site(
    *,
    asked: int | None,
    own: int | None,
    last_used: int | None,
    running: Sequence[int],
    fallback: int | None,
) -> SiteChoice:
    """The site a new visit is most likely at, or none when guessing could misfile it.

    `asked` is a site picked on the page; `own` the room or point the staff member's membership names;
    `last_used` the site of the last visit they saved; `running` the sites with a shift running now; `fallback`
    the station. With several receptions running and nothing to tell them apart, the form asks: on the 20th
    every site opens at once and the first in the alphabet is as likely wrong as right.
    """
    if asked is not None:
        return SiteChoice(asked)
    if own is not None:
        return SiteChoice(own)
    open_now = list(dict.fromkeys(running))
    if last_used is not None and (not open_now or last_used in open_now):
        return SiteChoice(last_used)
    if len(open_now) == 1:
        return SiteChoice(open_now[0])
    if len(open_now) > 1:
        return SiteChoice(None, ask=True)
    return SiteChoice(fallback)
