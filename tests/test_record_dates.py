"""The record's dates are the truth: an opinion is received at its visit's time, a handling step is dated when
it happened, and the figures count by those dates, whenever the record was typed in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from stations.audit import Actor
from stations.clock import LOCAL_TZ, local_date
from stations.models import AuditEntry, Category, OpinionAction, Satisfaction, State
from stations.selectors.stats import Period, Scope, headline
from stations.services import opinions as services
from stations.services.visits import visit_create, visit_update
from tests.conftest import make_deputy
from tests.factories_opinions import make_body
from tests.factories_stats import make_shift

pytestmark = pytest.mark.django_db


def _visit(site, actor, occurred_at, *, opinions=2, **fields):
    return visit_create(
        site=site,
        actor=Actor(user=actor),
        occurred_at=occurred_at,
        summary="村口道路破损，希望尽快修复。",
        category=Category.TRANSPORT,
        opinions=[{"content": f"意见{n}：道路坑洼需要修补。"} for n in range(opinions)],
        **fields,
    )


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_a_visit_at_2359_on_the_last_day_of_a_month_typed_later_counts_in_its_own_month_with_its_opinions(station, bob):
    # 23:59 on 31 August, Beijing time, typed in months later (now) by the station head.
    visit = _visit(station, bob, dt.datetime(2025, 8, 31, 23, 59, tzinfo=LOCAL_TZ))

    opinions = list(visit.opinions.all())
    assert [o.registered_at for o in opinions] == [visit.occurred_at] * 2
    assert all(o.entered_at > visit.occurred_at + dt.timedelta(days=30) for o in opinions)
    scope = Scope.for_station(station)
    august = headline(scope=scope, period=Period.months(2025, 8, 8))
    september = headline(scope=scope, period=Period.months(2025, 9, 9))
    assert (august.visits, august.opinions) == (1, 2)
    assert (september.visits, september.opinions) == (0, 0)
    assert all(o.reference.startswith(f"{station.district.code}-2025-") for o in opinions)


def test_the_registered_step_is_dated_when_received_and_keeps_when_it_was_typed(station, bob):
    visit = _visit(station, bob, _ago(40), opinions=1)

    event = visit.opinions.get().events.get()
    assert event.at == visit.occurred_at
    assert event.entered_separately and event.entered_late


def test_moving_a_visit_moves_its_opinions_and_their_registered_step(station, alice):
    visit = _visit(station, alice, _ago(3))
    earlier = visit.occurred_at - dt.timedelta(days=1)

    visit_update(visit=visit, actor=Actor(user=alice), deputies=[], occurred_at=earlier)

    for opinion in visit.opinions.all():
        assert opinion.registered_at == earlier
        assert opinion.events.get(action=OpinionAction.REGISTER).at == earlier


def test_a_visit_cannot_move_after_a_step_its_opinions_already_took(station, alice):
    visit = _visit(station, alice, _ago(3), opinions=1)
    services.opinion_accept(opinion=visit.opinions.get(), actor=Actor(user=alice), happened_at=_ago(2))

    with pytest.raises(ValidationError) as refused:
        visit_update(visit=visit, actor=Actor(user=alice), deputies=[], occurred_at=_ago(1))

    assert "occurred_at" in refused.value.message_dict
    assert visit.opinions.get().registered_at == visit.occurred_at


def test_a_visit_cannot_be_before_the_site_was_set_up(station, alice):
    station.established = local_date(_ago(10))
    station.save()

    with pytest.raises(ValidationError) as refused:
        _visit(station, alice, _ago(12))

    assert "occurred_at" in refused.value.message_dict
    assert not station.visits.exists()


# --- handling steps -------------------------------------------------------------------------------------------


def test_backfilled_steps_keep_their_dates_and_the_on_time_figures_follow_them(station, bob):
    visit = _visit(station, bob, _ago(60), opinions=2)
    on_time, late = visit.opinions.order_by("pk")
    head, body = Actor(user=bob), make_body()
    on_time, late = (
        services.opinion_refer(
            opinion=services.opinion_accept(opinion=opinion, actor=head, happened_at=_ago(59)),
            actor=head,
            body=body,
            happened_at=_ago(58),
        )
        for opinion in (on_time, late)
    )
    replied = services.opinion_reply(opinion=on_time, actor=head, reply="已修复。", happened_at=_ago(50))

    # The deadline counts from the referral's own date: for `late` it passed before the referral was typed.
    assert replied.deadline == local_date(_ago(58)) + dt.timedelta(days=30)
    assert replied.replied_at == replied.events.get(action=OpinionAction.REPLY).at
    assert local_date(replied.replied_at) == local_date(_ago(50))
    figures = headline(
        scope=Scope.for_station(station), period=Period.between(local_date(_ago(61)), local_date(timezone.now()))
    )
    assert (figures.on_time, figures.due, figures.overdue) == (1, 2, 1)
    assert figures.median_days is not None and 9 < figures.median_days < 11


def test_a_step_cannot_be_dated_in_the_future(station, alice):
    opinion = _visit(station, alice, _ago(1), opinions=1).opinions.get()

    with pytest.raises(services.OpinionError) as refused:
        services.opinion_accept(
            opinion=opinion, actor=Actor(user=alice), happened_at=timezone.now() + dt.timedelta(hours=2)
        )

    assert "happened_at" in refused.value.message_dict
    opinion.refresh_from_db()
    assert opinion.state == State.REGISTERED and opinion.events.count() == 1


def test_a_step_cannot_be_dated_before_the_step_before_it_nor_before_the_opinion_was_received(station, alice):
    opinion = _visit(station, alice, _ago(10), opinions=1).opinions.get()
    staff = Actor(user=alice)
    with pytest.raises(services.OpinionError) as before_received:
        services.opinion_accept(opinion=opinion, actor=staff, happened_at=_ago(11))
    # The message names when the opinion was received.
    received = opinion.registered_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    assert received in before_received.value.message_dict["happened_at"][0]
    opinion = services.opinion_accept(opinion=opinion, actor=staff, happened_at=_ago(5))

    with pytest.raises(services.OpinionError) as refused:
        services.opinion_refer(opinion=opinion, actor=staff, body=make_body(), happened_at=_ago(6))

    assert "happened_at" in refused.value.message_dict
    opinion.refresh_from_db()
    assert opinion.state == State.ACCEPTED


def test_a_deadline_cannot_be_before_the_referral_date(station, alice):
    opinion = _visit(station, alice, _ago(10), opinions=1).opinions.get()
    opinion = services.opinion_accept(opinion=opinion, actor=Actor(user=alice), happened_at=_ago(9))

    with pytest.raises(services.OpinionError) as refused:
        services.opinion_refer(
            opinion=opinion,
            actor=Actor(user=alice),
            body=make_body(),
            happened_at=_ago(8),
            deadline=local_date(_ago(9)),
        )

    assert "deadline" in refused.value.message_dict
    # A deadline already passed, but after the referral, is the record's truth.
    referred = services.opinion_refer(
        opinion=opinion, actor=Actor(user=alice), body=make_body(), happened_at=_ago(8), deadline=local_date(_ago(2))
    )
    assert referred.is_overdue


# --- late entries -----------------------------------------------------------------------------------------------


def test_late_visits_are_refused_to_staff_with_an_error_on_the_date(station, alice, settings):
    with pytest.raises(ValidationError) as refused:
        _visit(station, alice, _ago(32))

    assert str(settings.LATE_ENTRY_DAYS) in " ".join(refused.value.message_dict["occurred_at"])
    assert not station.visits.exists()


def test_late_visits_are_allowed_to_the_head_and_administrators_marked_and_audited(station, bob, dana):
    for user in (bob, dana):
        visit = _visit(station, user, _ago(45), opinions=1)

        assert visit.entered_late
        entry = AuditEntry.objects.filter(action="visit.created", object_id=str(visit.pk)).get()
        assert entry.changes["entered_late"] is True
        registered = AuditEntry.objects.filter(action="opinion.registered", object_id=str(visit.opinions.get().pk))
        assert registered.get().changes["entered_late"] is True


def test_a_visit_within_the_limit_is_not_late(station, alice):
    visit = _visit(station, alice, _ago(30))

    assert not visit.entered_late
    assert not AuditEntry.objects.get(action="visit.created").changes.get("entered_late")


def test_late_steps_are_refused_to_staff_allowed_to_the_head_marked_and_audited(station, alice, bob):
    opinion = _visit(station, bob, _ago(50), opinions=1).opinions.get()

    with pytest.raises(services.OpinionError) as refused:
        services.opinion_accept(opinion=opinion, actor=Actor(user=alice), happened_at=_ago(40))
    assert "happened_at" in refused.value.message_dict

    accepted = services.opinion_accept(opinion=opinion, actor=Actor(user=bob), happened_at=_ago(40))
    event = accepted.events.get(action=OpinionAction.ACCEPT)
    assert event.entered_late and event.entered_separately
    entry = AuditEntry.objects.get(action="opinion.accepted")
    assert entry.changes["entered_late"] is True and entry.changes["happened_at"]
    # The staff can take today's step on the same opinion.
    services.opinion_refer(opinion=accepted, actor=Actor(user=alice), body=make_body())


def test_late_entry_limit_comes_from_the_settings(station, alice, settings):
    settings.LATE_ENTRY_DAYS = 5
    with pytest.raises(ValidationError):
        _visit(station, alice, _ago(6))


# --- the staff pages ------------------------------------------------------------------------------------------


def test_staff_enter_a_step_with_the_date_it_happened_and_the_timeline_shows_both_dates(station, alice, alice_client):
    opinion = _visit(station, alice, _ago(10), opinions=1).opinions.get()
    happened = (_ago(3)).astimezone(LOCAL_TZ).replace(second=0, microsecond=0)
    url = reverse("stations:staff_opinion_detail", args=[opinion.pk])

    response = alice_client.post(
        url,
        {
            "action": "accept",
            "accept-version": opinion.version,
            "accept-happened_at": happened.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    event = opinion.events.get(action=OpinionAction.ACCEPT)
    assert event.at == happened
    page = alice_client.get(url).content.decode()
    assert happened.strftime("%Y-%m-%d %H:%M") in page
    assert event.entered_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") in page


def test_a_future_step_date_is_an_error_next_to_the_field_and_nothing_changes(station, alice, alice_client):
    opinion = _visit(station, alice, _ago(2), opinions=1).opinions.get()
    tomorrow = (timezone.now() + dt.timedelta(days=1)).astimezone(LOCAL_TZ)

    response = alice_client.post(
        reverse("stations:staff_opinion_detail", args=[opinion.pk]),
        {
            "action": "accept",
            "accept-version": opinion.version,
            "accept-happened_at": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 400
    assert "id_accept-happened_at" in response.content.decode()
    assert "invalid-feedback" in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.state == State.REGISTERED


# --- figures ----------------------------------------------------------------------------------------------------


def test_a_shift_held_by_substitutes_counts_as_held(station, district, deputies):
    substitute = make_deputy(district, "张志强", sites=[station], slug="zhang-zhiqiang")
    start = dt.datetime(2025, 3, 20, 9, tzinfo=LOCAL_TZ)
    make_shift(
        station,
        start,
        [(deputies[0], "substituted", None, deputies[2]), (deputies[1], "substituted", None, substitute)],
    )
    make_shift(station, start + dt.timedelta(days=30), [(deputies[0], "absent", "leave")])

    figures = headline(scope=Scope.for_station(station), period=Period.year(2025))

    assert figures.shifts_held == 1


def test_resolved_splits_into_resolved_and_explained_beside_still_open(station, bob):
    visit = _visit(station, bob, _ago(20), opinions=4)
    head, body = Actor(user=bob), make_body()
    solved, explained, closed_explained, waiting = visit.opinions.order_by("pk")
    for opinion, answer in ((solved, "resolve"), (explained, "explain"), (closed_explained, "explain")):
        opinion = services.opinion_accept(opinion=opinion, actor=head)
        opinion = services.opinion_refer(opinion=opinion, actor=head, body=body)
        opinion = services.opinion_reply(opinion=opinion, actor=head, reply="答复。")
        if answer == "resolve":
            services.opinion_resolve(opinion=opinion, actor=head)
        else:
            opinion = services.opinion_explain(opinion=opinion, actor=head, explanation="暂不具备条件。")
            if opinion.pk == closed_explained.pk:
                services.opinion_close(opinion=opinion, actor=head, satisfaction=Satisfaction.BASICALLY)
    services.opinion_accept(opinion=waiting, actor=head)

    figures = headline(scope=Scope.for_station(station), period=Period.year(local_date(visit.occurred_at).year))

    assert (figures.resolved, figures.resolved_solved, figures.resolved_explained) == (3, 1, 2)
    assert figures.still_open == 1
    assert figures.opinions == figures.not_accepted + figures.resolved + figures.still_open


def test_an_opinion_registered_at_a_visit_without_a_date_is_received_at_the_visits_time(station, bob):
    visit = _visit(station, bob, _ago(40), opinions=0)

    opinion = services.opinion_register(
        site=station, category=Category.TRANSPORT, content="路灯不亮", source="reception", visit=visit, actor=Actor(bob)
    )

    assert opinion.registered_at == visit.occurred_at
    assert opinion.entered_at > visit.occurred_at


def test_the_record_book_flags_late_entries_and_filters_them(station, bob, dana_client):
    _visit(station, bob, _ago(45), opinions=0, visitor_name="补录者")
    _visit(station, bob, _ago(2), opinions=0, visitor_name="当月者")
    book = reverse("stations:visit_list")

    page = dana_client.get(book).content.decode()
    late_only = dana_client.get(book, {"late": "on"}).content.decode()

    items = page.split('class="card mb-2 visit-item"')[1:]
    assert [("补*" in item, "逾期补录" in item) for item in items] == [(False, False), (True, True)]
    assert "补*" in late_only and "当*" not in late_only
    assert "当*" in page


def test_the_admin_shows_when_steps_happened_and_when_they_were_typed(station, bob, admin_client):
    visit = _visit(station, bob, _ago(45), opinions=1)
    opinion = visit.opinions.get()

    page = admin_client.get(reverse("admin:stations_opinion_change", args=[opinion.pk])).content.decode()
    visit_page = admin_client.get(reverse("admin:stations_visit_change", args=[visit.pk])).content.decode()

    assert "录入时间" in page and "逾期补录" in page
    for moment in (opinion.registered_at, opinion.entered_at):  # both dates, as the admin prints them
        day = local_date(moment)
        assert f"{day.year}年{day.month}月{day.day}日" in page
    assert "逾期补录" in visit_page
