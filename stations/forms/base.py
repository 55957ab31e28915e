"""What every form of the portal shares: long text is counted, never cut."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Page
from django.db.models import Prefetch, QuerySet
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from stations.models import Assignment, Deputy, Site


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


# --- choosing among many: sites by search, options without a template each ------------------------------------

# How many matches a chooser lists on a page (sites by search, stations or districts by a typed name).
CHOOSER_PAGE_SIZE = 25


class _PlainOptions:
    """A choice widget that writes its <option> elements directly instead of through a template each: the same
    markup as Django's (value, `selected`, escaped label), at a fraction of the cost for a long list (1,500 deputies
    took ~150 ms to render one template per option)."""

    choices: Any

    def optgroups(self, name: str, value: Any, attrs: Any = None) -> list[Any]:
        return []  # never built: render() writes the options

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        chosen = {str(item) for item in (widget["value"] or ())}
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                ("" if key is None else key, mark_safe(" selected") if str(key) in chosen else "", label)  # noqa: S308
                for key, label in self.choices
            ),
        )
        return format_html('<select name="{}"{}>\n{}\n</select>', name, flatatt(widget["attrs"]), options)


class PlainSelect(_PlainOptions, forms.Select):
    pass


class PlainSelectMultiple(_PlainOptions, forms.SelectMultiple):
    pass


# Names typed in one box: separated by commas (either width), the enumeration comma, semicolons or spaces.
NAME_SEPARATORS = re.compile(r"[,，、;；\s]+")


def typed_names(text: str) -> list[str]:
    """The names in the order typed, each once."""
    return list(dict.fromkeys(name for name in NAME_SEPARATORS.split(text or "") if name))


class SiteSearchForm(forms.Form):
    """The search of the site chooser (a GET form): shown instead of a select when the user reaches more sites
    than a select holds."""

    q = forms.CharField(
        label=_("Name, town or code of the site"),
        max_length=80,
        required=False,
        widget=forms.TextInput({"type": "search"}),
    )


@dataclass
class SiteChooser:
    """What the chooser shows: the search as typed and the page of matching sites (links that open the form on
    a site with `?site=<pk>`)."""

    form: SiteSearchForm
    page: Page


def site_field_choices(
    field: forms.ModelChoiceField, *, sites: QuerySet[Site], options: list[Site] | None, plain: bool = False
) -> None:
    """The site field of a form whose user may reach more sites than a select holds. It validates a posted site
    against `sites` (one indexed look-up); it offers `options` (sites_for_select) as a select while they fit one
    (`plain`: written without a template per option), and is a hidden field when the site was chosen with the
    chooser (`options` None; templates/includes/_site_field.html shows the chosen site instead)."""
    field.queryset = sites
    if options is None:
        field.widget = forms.HiddenInput()
        return
    if plain:
        field.widget = PlainSelect(attrs=field.widget.attrs)
    field.widget.choices = [("", field.empty_label), *((row.pk, str(row)) for row in options)]


def site_chooser(*, sites: QuerySet[Site], data: Mapping[str, Any]) -> SiteChooser:
    """The page of sites matching the search in `data` (`q`, `page`): CHOOSER_PAGE_SIZE in network order, counted
    up to a bound, so that choosing among 10,000 sites costs what choosing among 30 does."""
    from stations.paging import bounded_page
    from stations.selectors.sites import site_search

    form = SiteSearchForm(data)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    return SiteChooser(form=form, page=bounded_page(site_search(sites, text), CHOOSER_PAGE_SIZE, data.get("page")))


def deputy_with_sites(deputy: Deputy) -> str:
    """A deputy told apart from namesakes by the sites they serve (prefetch `assignments__site`)."""
    sites = " / ".join(assignment.site.name for assignment in deputy.assignments.all()) or _("no site")
    if not deputy.is_active:
        sites = _("%(sites)s, no longer active") % {"sites": sites}
    return _("%(name)s (%(sites)s)") % {"name": deputy.name, "sites": sites}


def deputies_named(deputies: QuerySet[Deputy], names: list[str]) -> dict[str, list[Deputy]]:
    """The deputies bearing each typed name (exactly), the active first, with the sites that tell namesakes
    apart: one query and one prefetch whatever the district's size."""
    named: dict[str, list[Deputy]] = {}
    if not names:
        return named
    assignments = Prefetch("assignments", queryset=Assignment.objects.select_related("site").order_by("site__name"))
    for deputy in deputies.filter(name__in=names).prefetch_related(assignments).order_by("-is_active", "pk"):
        named.setdefault(deputy.name, []).append(deputy)
    return named


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
