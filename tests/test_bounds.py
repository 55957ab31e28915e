"""Every date the portal accepts has bounds (issue 14): the form says so next to the field, the service's
full_clean refuses, and the database itself refuses a row that could not be read back."""

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from stations.bounds import BoundedDateField, parse_date, validate_in_bounds
from stations.models import Visit
from tests.factories_visits import make_visit
from tests.test_visits_views import NEW_URL, _post_data


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "1900-01-01T09:00", "1999-12-31T23:59"])
def test_it_refuses_a_visit_dated_before_2000_next_to_the_field(alice_client, room, typed):
    response = alice_client.post(NEW_URL, _post_data(room, occurred_at=typed))
    assert response.status_code == 200
    assert "occurred_at" in response.context["form"].errors
    assert "2000" in response.context["form"].errors["occurred_at"][0]
    assert not Visit.objects.exists()


def test_the_database_refuses_a_visit_of_year_one(room, alice):
    ancient = dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_visit(room, alice, occurred_at=ancient)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_visit(room, alice, occurred_at=dt.datetime(9999, 12, 31, tzinfo=dt.UTC))


def test_the_model_validator_reads_dates_and_moments():
    validate_in_bounds(dt.date(2000, 1, 1))
    validate_in_bounds(dt.date(2099, 12, 31))
    validate_in_bounds(timezone.now())
    for bad in (dt.date(1999, 12, 31), dt.date(2100, 1, 1), dt.datetime(1, 1, 1, tzinfo=dt.UTC)):
        with pytest.raises(ValidationError):
            validate_in_bounds(bad)


def test_date_inputs_tell_the_browser_the_bounds():
    html = BoundedDateField(widget=forms.DateInput(attrs={"type": "date"})).widget.render("d", None)
    assert 'min="2000-01-01"' in html and 'max="2099-12-31"' in html


def test_parse_date_gives_none_for_nonsense():
    assert parse_date("2026-11-20") == dt.date(2026, 11, 20)
    assert parse_date("9999-12-31") is None
    assert parse_date("0001-01-01") is None
    assert parse_date("20261120x") is None
    assert parse_date(None) is None


def test_a_far_date_on_the_schedule_is_an_error_next_to_the_field(client, db):
    response = client.get(reverse("stations:schedule"), {"date": "9999-12-31"})
    assert response.status_code == 200
    assert "date" in response.context["form"].errors


@pytest.mark.parametrize(
    "query",
    [{"site": "a\x00b"}, {"q": "x" * 5000}, {"date": "2026-11-20\x07"}],
    ids=["nul", "overlong", "control character"],
)
def test_nonsense_in_the_query_string_is_a_400_page_in_chinese(client, db, query):
    response = client.get(reverse("stations:opinion_create"), query)
    assert response.status_code == 400
    assert "无法理解" in response.content.decode()


def test_a_nul_in_a_posted_form_is_a_400_and_nothing_is_saved(alice_client, room):
    response = alice_client.post(NEW_URL, _post_data(room, summary="路灯\x00不亮"))
    assert response.status_code == 400
    assert not Visit.objects.exists()
