"""Forms of the online station, the tracking page and the staff's handling steps."""

from __future__ import annotations

import datetime as dt
from typing import cast

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations.bounds import BoundedDateField, BoundedDateTimeField
from stations.clock import local_date, local_today
from stations.forms.base import PortalForm, select_or_typed
from stations.forms.visits import DATETIME_LOCAL
from stations.models import (
    Category,
    District,
    HandlingBody,
    Opinion,
    OpinionAction,
    Satisfaction,
    Site,
    State,
)
from stations.phones import normalise_phone
from stations.policy import visible_handling_bodies, visible_sites
from stations.validators import validate_phone

CONTENT_MAX = 2000


class OnlineSiteChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Site) -> str:
        return f"{obj.name}（{obj.town}）"


class OpinionSubmitForm(PortalForm):
    """The online station. Name, phone and e-mail are optional; giving any of them needs explicit consent."""

    site = OnlineSiteChoiceField(
        label=_("Liaison station or room"),
        queryset=Site.objects.none(),
        empty_label=_("Choose the station or room"),
    )
    category = forms.ChoiceField(label=_("Topic"), choices=Category.choices)
    content = forms.CharField(
        label=_("Your opinion or suggestion"),
        max_length=CONTENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Describe the problem and where it is. At most 2000 characters."),
    )
    # Consent comes before the personal fields it covers: a voter reads what they agree to before typing.
    consent = forms.BooleanField(
        label=_(
            "I agree that the name, phone number and e-mail I give are used only to handle this opinion and to contact me about it."
        ),
        required=False,
    )
    submitter_name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    # Room for a number as typed ("+86 139 0000 1111", full-width); stored normalised (stations.phones).
    submitter_phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=30,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("So that the station can call you back. Shown masked to everyone but the station's staff."),
    )
    submitter_email = forms.EmailField(
        label=_("Your e-mail (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send you an e-mail each time the handling of your opinion moves on."),
    )
    # Honeypot: hidden from people by CSS (and so from screen readers too); bots that fill every field fill it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, offered: list[Site] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(OnlineSiteChoiceField, self.fields["site"])
        # Any site that takes opinions online is accepted; the select offers only `offered`, the sites the picker
        # above the form narrowed to (a province has thousands: issue 15). Neither lists every site.
        field.queryset = Site.objects.accepting_online()
        if offered is not None:
            field.widget.choices = [
                ("", field.empty_label),
                *((site.pk, field.label_from_instance(site)) for site in offered),
            ]

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def clean_submitter_phone(self) -> str:
        return normalise_phone(self.cleaned_data["submitter_phone"])

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        personal = any(cleaned.get(name) for name in ("submitter_name", "submitter_phone", "submitter_email"))
        if personal and not cleaned.get("consent"):
            self.add_error(
                "consent",
                _("Tick this box to give your name, phone or e-mail, or leave those fields empty to stay anonymous."),
            )
        return cleaned

    def service_kwargs(self) -> dict:
        """What `opinion_submit_online` takes from the form (the web form and the API's Open311 POST alike)."""
        names = ("site", "category", "content", "submitter_name", "submitter_phone", "submitter_email", "consent")
        return {name: self.cleaned_data[name] for name in names}


class OnlineSitePicker(PortalForm):
    """The step before the opinion form, working without JavaScript: narrow the sites that take opinions online
    by district and by a name (of a village, community, station or room) until they fit the form's select."""

    q = forms.CharField(
        label=_("Village, community or station name"),
        max_length=50,
        required=False,
        error_messages={"max_length": _("Type at most %(limit_value)d characters.")},
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    district = forms.ChoiceField(label=_("District"), required=False)

    def __init__(self, *args, districts: list[District], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if len(districts) > 1:
            choice = cast(forms.ChoiceField, self.fields["district"])
            choice.choices = [("", _("Every district")), *((district.slug, district.name) for district in districts)]
        else:
            del self.fields["district"]


class TrackForm(PortalForm):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        help_text=_("The code you were given when you submitted your opinion, for example 7KQ2M-XH4PB-9TRWD."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


# --- the staff's handling steps --------------------------------------------------------------------------
# One small form per action. Each carries the opinion's `version` as the page showed it, so that a step
# taken on a page that has gone stale is refused instead of applied on top of somebody else's.


class ActionForm(PortalForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    note: forms.CharField | None = forms.CharField(
        label=_("Note (shown to the voter)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # The step's own date: a referral done on paper last Tuesday is entered as last Tuesday.
    happened_at = BoundedDateTimeField(
        label=_("Date it happened"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Leave empty for now. A step taken earlier is entered with the date it happened."),
    )

    def __init__(self, *args, opinion: Opinion | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.opinion = opinion

    def service_kwargs(self) -> dict:
        return {"note": self.cleaned_data["note"]}

    def step_kwargs(self) -> dict:
        """What the handling service is given: the action's own fields and the step's date."""
        return {**self.service_kwargs(), "happened_at": self.cleaned_data.get("happened_at")}

    def step_day(self) -> dt.date:
        """The local day the step happened (today unless a date is given)."""
        happened_at = self.cleaned_data.get("happened_at")
        return local_date(happened_at) if happened_at else local_today()


class InternalNoteForm(ActionForm):
    note = forms.CharField(
        label=_("Note (staff only)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NotAcceptForm(ActionForm):
    note = None
    reason = forms.CharField(
        label=_("Reason (shown to the voter)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_kwargs(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class ReferForm(ActionForm):
    body = forms.ModelChoiceField(label=_("Handling body"), queryset=HandlingBody.objects.active())
    deadline = BoundedDateField(
        label=_("Reply deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for 30 days after the date of the referral."),
    )
    field_order = ["body", "deadline", "note"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.opinion is not None:
            # The bodies of the opinion's district and the shared ones (a province holds every district's).
            body = cast(forms.ModelChoiceField, self.fields["body"])
            body.queryset = HandlingBody.objects.active().for_district(self.opinion.site.district_id)

    def clean(self) -> dict:
        super().clean()
        deadline = self.cleaned_data.get("deadline")
        if deadline is not None and "happened_at" not in self.errors and deadline < self.step_day():
            self.add_error("deadline", _("The reply deadline cannot be before the date of the referral."))
        return self.cleaned_data

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "body": self.cleaned_data["body"],
            "deadline": self.cleaned_data["deadline"],
        }


class ReplyForm(ActionForm):
    note = None
    reply = forms.CharField(
        label=_("The handling body's reply (shown to the voter)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def service_kwargs(self) -> dict:
        return {"reply": self.cleaned_data["reply"]}


class ExplainForm(ActionForm):
    note = None
    explanation = forms.CharField(
        label=_("Why it cannot be resolved now (shown to the voter)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def service_kwargs(self) -> dict:
        return {"explanation": self.cleaned_data["explanation"]}


class CloseForm(ActionForm):
    satisfaction = forms.ChoiceField(
        label=_("The voter's satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    field_order = ["satisfaction", "note"]

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "satisfaction": self.cleaned_data["satisfaction"]}


class SuperviseForm(InternalNoteForm):
    next_review = BoundedDateField(
        label=_("Next review"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    field_order = ["next_review", "note"]

    def clean(self) -> dict:
        super().clean()
        next_review = self.cleaned_data.get("next_review")
        if next_review is not None and "happened_at" not in self.errors and next_review < self.step_day():
            self.add_error("next_review", _("The next review date cannot be before the day supervision is set."))
        return self.cleaned_data

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "next_review": self.cleaned_data["next_review"]}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    OpinionAction.ACCEPT: ActionForm,
    OpinionAction.NOT_ACCEPT: NotAcceptForm,
    OpinionAction.REFER: ReferForm,
    OpinionAction.REPLY: ReplyForm,
    OpinionAction.RESOLVE: ActionForm,
    OpinionAction.EXPLAIN: ExplainForm,
    OpinionAction.CLOSE: CloseForm,
    OpinionAction.REOPEN: ReferForm,
    OpinionAction.SUPERVISE: SuperviseForm,
    OpinionAction.END_SUPERVISION: InternalNoteForm,
    OpinionAction.REPORT: InternalNoteForm,
    OpinionAction.WITHDRAW_REPORT: InternalNoteForm,
}


# --- the staff list's filters ----------------------------------------------------------------------------


def _scoped_sites(request):
    if request is None:
        return Site.objects.none()
    return visible_sites(request.user).in_network_order()


def _scoped_bodies(request):
    if request is None:
        return HandlingBody.objects.none()
    return visible_handling_bodies(request.user).order_by("name", "pk")


class OnlyWhenTickedFilter(django_filters.BooleanFilter):
    """A checkbox: ticked narrows the list, unticked leaves it whole (never "only those without")."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", forms.CheckboxInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return super().filter(qs, True) if value else qs


class OpinionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Reference or text"), method="filter_search")
    state = django_filters.ChoiceFilter(label=_("State"), choices=State.choices, empty_label=_("All states"))
    # django-filter documents a callable taking the request as the queryset; the stubs know only a QuerySet.
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=_scoped_sites, empty_label=_("All sites"))  # type: ignore[arg-type]
    category = django_filters.ChoiceFilter(label=_("Topic"), choices=Category.choices, empty_label=_("All topics"))
    handling_body = django_filters.ModelChoiceFilter(
        label=_("Handling body"), queryset=HandlingBody.objects.all(), empty_label=_("All bodies")
    )
    # Typed instead of the selects when these would not fit one (see select_or_typed).
    place = django_filters.CharFilter(
        label=_("Site or town"),
        method="filter_place",
        max_length=80,
        help_text=_("A name or part of it; a station covers its rooms and points."),
    )
    body_name = django_filters.CharFilter(label=_("Handling body's name"), method="filter_body_name", max_length=100)
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput)
    supervised = OnlyWhenTickedFilter(label=_("Under continued supervision only"))
    important = OnlyWhenTickedFilter(label=_("Important situation reports only"))

    class Meta:
        model = Opinion
        fields = ["q", "state", "site", "category", "handling_body", "overdue", "supervised", "important"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        sites = _scoped_sites(self.request)
        # The bodies of the districts the user sees opinions of, and the shared ones (not the whole province's).
        bodies = _scoped_bodies(self.request)
        cast(django_filters.ModelChoiceFilter, self.filters["site"]).queryset = sites
        cast(django_filters.ModelChoiceFilter, self.filters["handling_body"]).queryset = bodies
        select_or_typed(self, [("site", "place", sites), ("handling_body", "body_name", bodies)])

    def filter_place(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(site__name__icontains=value) | Q(site__town__icontains=value) | Q(site__station__name__icontains=value)
        )

    def filter_body_name(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(handling_body__name__icontains=value) if value else queryset

    def filter_search(self, queryset, name, value):
        """The reference, or words of the opinion itself (staff remember what was raised, not its number)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(content__icontains=value))

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue() if value else queryset
