"""What every form of the portal shares: long text is counted, never cut."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page
from django.db.models import QuerySet


class PortalForm(forms.Form):
    """A form whose text fields carry no `maxlength` attribute.

    A browser silently cuts pasted or typed text at `maxlength`, so a voter's words could be lost without a word
    said. The limit moves to `data-maxlength`, which the character counter (static/js/forms.js) shows; the
    server still refuses text that is too long, with an error naming the field (see includes/_error_summary.html).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            limit = field.widget.attrs.pop("maxlength", None)
            if limit is not None:
                field.widget.attrs["data-maxlength"] = limit


def select_or_typed(
    target: Any, pairs: list[tuple[str, str | None, Any]], *, within: dict[str, str] | None = None
) -> None:
    """For each (choice field, typed field, rows): a select of the rows while they fit one (SELECT_LIMIT), the
    typed search instead beyond (a choice a link made still applies, carried in a hidden field). Reads each
    choice's options once, so that rendering the select reads them no more. `target` is a FilterSet (call it last
    in its __init__: it builds the form) or a plain form. A choice without a typed field (None) is only hidden
    beyond the limit: a link (a row of a table, say) makes it.

    `within` maps a choice to an earlier one whose rows bound it (the deputies of the sites): when the earlier
    went typed, so does the later one without reading its rows. Deciding by reading them meant sorting a whole
    province's 150,000 deputies by name to learn there were more than a hundred (0.4 s a page, issue 15); the
    deputies of more than SELECT_LIMIT sites are more than SELECT_LIMIT in any real network, and the typed search
    finds the same deputies."""
    from stations.paging import SELECT_LIMIT

    is_filterset = hasattr(target, "filters")
    fetched: dict[str, list] = {}
    typed_choices: set[str] = set()
    for choice, typed, rows in pairs:
        bound = (within or {}).get(choice)
        found = [] if bound in typed_choices else list(rows[: SELECT_LIMIT + 1])
        if bound in typed_choices or len(found) > SELECT_LIMIT:
            if is_filterset:
                target.filters[choice].extra["widget"] = forms.HiddenInput
            else:
                target.fields[choice].widget = forms.HiddenInput()
            typed_choices.add(choice)
        else:
            fetched[choice] = found
            if typed is not None:
                del (target.filters if is_filterset else target.fields)[typed]
    form = target.form if is_filterset else target
    for choice, found in fetched.items():
        field = form.fields[choice]
        # prepare_value: the option's value is what the field reads back (the pk, or `to_field_name`'s column).
        field.widget.choices = [
            ("", field.empty_label),
            *((field.prepare_value(row), field.label_from_instance(row)) for row in found),
        ]


# How many matches of a typed chooser's search a page lists (as links).
CHOOSER_PAGE_SIZE = 20


@dataclass(frozen=True)
class Chooser:
    """How a page offers a choice among rows that grow with the network (the stations of an administrator's
    reach, their districts): `options`, every row for a select while they fit one (SELECT_LIMIT); beyond, None,
    and a typed search (GET, no JavaScript) whose matches come a page at a time as links (`matches`)."""

    options: list[Any] | None
    text: str = ""
    matches: Page | None = None

    @property
    def typed(self) -> bool:
        return self.options is None


def choose_or_search(
    rows: QuerySet[Any],
    *,
    text: str,
    page: str | None,
    search: Callable[[QuerySet[Any], str], QuerySet[Any]],
    max_length: int = 80,
) -> Chooser:
    """The select's rows while they fit one (one query, at most SELECT_LIMIT + 1 rows read), else the page asked
    for of the rows `search` keeps for the typed text (none before anything is typed). The same decision as
    select_or_typed, for a choice made by following a link rather than by filtering a list."""
    from stations.paging import SELECT_LIMIT, bounded_page

    found = list(rows[: SELECT_LIMIT + 1])
    if len(found) <= SELECT_LIMIT:
        return Chooser(options=found)
    text = text.strip()[:max_length]
    if not text:
        return Chooser(options=None)
    return Chooser(options=None, text=text, matches=bounded_page(search(rows, text), CHOOSER_PAGE_SIZE, page))
