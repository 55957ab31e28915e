"""Services and figures of the seed's other practices (issue 16): annual themes, pairing, deputies' activities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from stations.audit import Actor
from stations.models import AuditEntry, DeputyActivity, Pairing, PairingContact, PairingDeed, Theme
from stations.selectors.records import pairing_figures, theme_breakdown
from stations.selectors.stats import Period, Scope, deputy_attendance
from stations.services import records as services
from stations.services.visits import visit_create
from tests.factories_stats import local, make_opinion, make_shift, make_visit

TODAY = timezone.localdate()
THIS_YEAR = TODAY.year


def theme(district, name: str, *, year: int = 2025, stations=()) -> Theme:
    return services.theme_create(actor=Actor.system(), district=district, year=year, name=name, stations=stations)


# --- themes -------------------------------------------------------------------------------------------------


def test_a_station_head_chooses_themes_for_their_own_station_only(district, station, other_station, bob, alice):
    own = services.theme_create(actor=Actor(bob), district=district, year=2025, name="美丽乡村", stations=[station])
    assert list(own.stations.all()) == [station]
    assert AuditEntry.objects.filter(action="theme.created", actor=bob, object_id=str(own.pk)).exists()
    with pytest.raises(PermissionDenied):
        services.theme_create(actor=Actor(bob), district=district, year=2025, name="全区主题")
    with pytest.raises(PermissionDenied):
        services.theme_create(actor=Actor(bob), district=district, year=2025, name="他站", stations=[other_station])
    with pytest.raises(PermissionDenied):
        services.theme_create(actor=Actor(alice), district=district, year=2025, name="联络员", stations=[station])


def test_a_theme_name_is_unique_in_its_year_and_the_year_in_bounds(district):
    theme(district, "三改一拆")
    with pytest.raises(ValidationError):
        theme(district, "三改一拆")
    theme(district, "三改一拆", year=2026)  # another year may choose it again
    with pytest.raises(ValidationError):
        theme(district, "太远", year=2100)
    assert Theme.objects.count() == 2


def test_a_record_takes_only_its_years_themes_of_its_station(district, station, room, other_station, alice):
    district_theme = theme(district, "三改一拆")
    other_stations = theme(district, "他站主题", stations=[other_station])
    last_year = theme(district, "去年主题", year=2024)
    visit = make_visit(room, local(2025, 3, 20, 10))
    services.themes_tag(actor=Actor(alice), record=visit, themes=[district_theme])
    assert list(visit.themes.all()) == [district_theme]
    entry = AuditEntry.objects.get(action="theme.tagged")
    assert entry.changes == {"themes": ["三改一拆"]}
    for wrong in (other_stations, last_year):
        with pytest.raises(ValidationError) as refused:
            services.themes_tag(actor=Actor(alice), record=visit, themes=[wrong])
        assert wrong.name in refused.value.message_dict["themes"][0]
    assert list(visit.themes.all()) == [district_theme]


def test_a_visit_logged_with_themes_passes_them_to_its_opinions(district, room, alice):
    water = theme(district, "剿灭劣Ⅴ类水", year=THIS_YEAR)
    visit = visit_create(
        site=room,
        actor=Actor(alice),
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
        summary="河道发黑发臭",
        opinions=[{"content": "请尽快治理村口河道。"}],
        themes=[water],
    )
    assert list(visit.themes.all()) == [water]
    assert [list(o.themes.all()) for o in visit.opinions.all()] == [[water]]
    assert AuditEntry.objects.get(action="visit.created").changes["themes"] == ["剿灭劣Ⅴ类水"]


def test_theme_breakdown_counts_each_theme_and_the_untagged_in_one_query(
    district, station, room, other_station, django_assert_max_num_queries
):
    demolition, water = theme(district, "三改一拆"), theme(district, "剿灭劣Ⅴ类水")
    shift = make_shift(room, local(2025, 3, 20))
    both = make_visit(room, local(2025, 3, 20, 10), people=5, shift=shift)
    only_water = make_visit(room, local(2025, 4, 20, 10), people=2)
    make_visit(room, local(2025, 5, 20, 10), people=7)  # untagged
    make_visit(room, local(2025, 6, 20, 10), people=9, archived=True)  # archived: not counted
    opinion = make_opinion(
        room, local(2025, 3, 20, 10), [("accepted", local(2025, 3, 21)), ("resolved", local(2025, 4, 1))], visit=both
    )
    for record, chosen in (
        (both, [demolition, water]),
        (only_water, [water]),
        (shift, [demolition]),
        (opinion, [water]),
    ):
        services.themes_tag(actor=Actor.system(), record=record, themes=chosen)
    for n in range(20):  # more records change nothing in the number of queries
        make_visit(room, local(2025, 7, 1 + n, 10))
    with django_assert_max_num_queries(1):
        rows = theme_breakdown(scope=Scope.for_district(district), period=Period.year(2025))
    by_label = {row.label: row for row in rows}
    assert [row.label for row in rows] == ["三改一拆", "剿灭劣Ⅴ类水", "未标注主题"]
    assert (by_label["三改一拆"].receptions, by_label["三改一拆"].visits, by_label["三改一拆"].voters) == (1, 1, 5)
    assert (by_label["剿灭劣Ⅴ类水"].visits, by_label["剿灭劣Ⅴ类水"].voters) == (2, 7)
    assert (by_label["剿灭劣Ⅴ类水"].opinions, by_label["剿灭劣Ⅴ类水"].resolved) == (1, 1)
    assert (by_label["未标注主题"].visits, by_label["未标注主题"].voters) == (21, 7 + 20)
    # A station's scope counts only its own records; a period only its months.
    march = theme_breakdown(scope=Scope.for_station(station), period=Period.months(2025, 3, 3))
    assert [(r.label, r.visits) for r in march] == [("三改一拆", 1), ("剿灭劣Ⅴ类水", 1), ("未标注主题", 0)]
    assert theme_breakdown(scope=Scope.for_station(other_station), period=Period.year(2025))[0].visits == 0


# --- pairing ------------------------------------------------------------------------------------------------


def pair(
    room, deputy, *, actor, name="陈阿婆", phone="138 0573 1234", consent=dt.date(2025, 1, 5), **fields
) -> Pairing:
    return services.pairing_create(
        actor=actor, site=room, deputy=deputy, voter_name=name, voter_phone=phone, consent_on=consent, **fields
    )


def test_a_pairing_needs_consent_before_it_starts_and_keeps_the_phone_out_of_the_log(room, deputies, alice):
    with pytest.raises(ValidationError) as refused:
        pair(room, deputies[0], actor=Actor(alice), started_on=dt.date(2025, 1, 1))
    assert "同意" in str(refused.value.message_dict)
    assert not Pairing.objects.exists()
    pairing = pair(room, deputies[0], actor=Actor(alice))
    assert pairing.voter_phone == "13805731234" and pairing.started_on == dt.date(2025, 1, 5)
    entry = AuditEntry.objects.get(action="pairing.created")
    assert "13805731234" not in str(entry.changes) and "陈阿婆" not in str(entry.changes)
    assert entry.changes["voter_phone"] == "138****1234"


def test_contacts_and_things_done_fall_within_the_pairing_and_not_in_the_future(room, deputies, alice):
    pairing = pair(room, deputies[0], actor=Actor(alice))
    with pytest.raises(ValidationError):
        services.pairing_contact_record(actor=Actor(alice), pairing=pairing, happened_on=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError):
        services.pairing_deed_record(
            actor=Actor(alice), pairing=pairing, happened_on=TODAY + dt.timedelta(days=1), what="修路灯", outcome="已修"
        )
    with pytest.raises(ValidationError):
        services.pairing_deed_record(
            actor=Actor(alice), pairing=pairing, happened_on=dt.date(2025, 2, 1), what="", outcome=""
        )
    services.pairing_contact_record(actor=Actor(alice), pairing=pairing, happened_on=dt.date(2025, 2, 1))
    services.pairing_deed_record(
        actor=Actor(alice), pairing=pairing, happened_on=dt.date(2025, 3, 1), what="修路灯", outcome="已修复"
    )
    assert (PairingContact.objects.count(), PairingDeed.objects.count()) == (1, 1)
    assert AuditEntry.objects.filter(action__startswith="pairing.").count() == 3


def test_pairing_figures_count_by_station_and_period(
    district, station, room, other_station, other_room, deputies, alice
):
    a = pair(room, deputies[0], actor=Actor.system(), phone="13800000001")
    pair(room, deputies[0], actor=Actor.system(), phone="13800000002", kind="household", household_size=4)
    pair(room, deputies[1], actor=Actor.system(), phone="13800000003")
    ended = pair(other_room, deputies[2], actor=Actor.system(), phone="13800000004", consent=dt.date(2024, 3, 1))
    services.pairing_end(actor=Actor.system(), pairing=ended, ended_on=dt.date(2024, 12, 31))
    services.pairing_contact_record(actor=Actor.system(), pairing=a, happened_on=dt.date(2025, 2, 1))
    services.pairing_contact_record(actor=Actor.system(), pairing=a, happened_on=dt.date(2025, 5, 1))
    services.pairing_deed_record(
        actor=Actor.system(), pairing=a, happened_on=dt.date(2025, 5, 2), what="修路", outcome="已修"
    )
    rows = pairing_figures(sites=district.sites.all(), period=Period.year(2025))
    figures = {
        row.label: (
            row.deputies_paired,
            row.voters_paired,
            row.households,
            row.household_people,
            row.contacts,
            row.deeds,
        )
        for row in rows
    }
    assert figures == {
        "全部联络站": (2, 3, 1, 4, 2, 1),
        "余新镇代表联络站": (2, 3, 1, 4, 2, 1),
        "凤桥镇代表联络站": (0, 0, 0, 0, 0, 0),
    }
    # In 2024 only the pairing that ended that year was in force.
    in_2024 = {
        row.label: row.voters_paired for row in pairing_figures(sites=district.sites.all(), period=Period.year(2024))
    }
    assert in_2024 == {"全部联络站": 1, "余新镇代表联络站": 0, "凤桥镇代表联络站": 1}
    spring = pairing_figures(sites=district.sites.all(), period=Period.months(2025, 1, 3))
    assert (spring[0].contacts, spring[0].deeds) == (1, 0)


# --- deputies' activities -----------------------------------------------------------------------------------


def test_activities_are_recorded_by_the_deputys_station_an_administrator_or_the_deputy(
    room, deputies, alice, charlie, dana, erin
):
    def record(actor, deputy, **fields):
        values = {"kind": "inspection", "held_on": dt.date(2025, 4, 15), "title": "视察河道整治", **fields}
        return services.activity_record(actor=Actor(actor), deputy=deputy, **values)

    record(alice, deputies[0])
    record(dana, deputies[1])
    record(erin, deputies[0])  # the deputy themself (their own pages reuse the service)
    for actor, deputy in ((charlie, deputies[0]), (erin, deputies[1])):
        with pytest.raises(PermissionDenied):
            record(actor, deputy)
    with pytest.raises(ValidationError) as refused:
        record(alice, deputies[0], kind="study")
    assert "site" in refused.value.message_dict
    with pytest.raises(ValidationError):
        record(alice, deputies[0], held_on=TODAY + dt.timedelta(days=1))
    assert DeputyActivity.objects.count() == 3
    assert AuditEntry.objects.filter(action="activity.recorded").count() == 3


def test_the_attendance_table_counts_activities_without_another_query(
    station, room, deputies, django_assert_max_num_queries
):
    for n in range(3):
        services.activity_record(
            actor=Actor.system(),
            deputy=deputies[0],
            kind="study",
            held_on=dt.date(2025, 3, 1 + n),
            title="学习",
            site=station,
        )
    services.activity_record(
        actor=Actor.system(), deputy=deputies[0], kind="research", held_on=dt.date(2024, 3, 1), title="去年"
    )
    with django_assert_max_num_queries(6):  # duties, presences, deputies (with their activities), mandates, …
        rows = deputy_attendance(year=2025, sort="-activities")
    counts = [(row.deputy.name, row.figures.activities) for row in rows]
    assert counts[0] == ("顾海明", 3)  # this year's only, sorted by the column
    assert {count for _name, count in counts[1:]} == {0}
