"""Roster admin: the "generate a year" page and actions, publishing, and conflicts refused in the duty inline."""

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from stations.admin.rosters import generate_next_year_for_sites
from stations.models import AuditEntry, Duty, DutyShift, Roster, Site
from tests.conftest import make_deputy
from tests.factories_rosters import at, make_shift

YEAR = 2027


@pytest.fixture
def admin_client(client, dana):
    client.force_login(dana)
    return client


def test_district_admin_opens_the_roster_admin(admin_client, room, deputies):
    for name in ("roster", "dutyshift", "receptionrule", "unavailability"):
        assert admin_client.get(reverse(f"admin:stations_{name}_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:stations_roster_changelist")).text
    assert reverse("admin:stations_roster_generate") in page


def test_generate_page_generates_a_station_with_its_rooms_and_points(admin_client, station, room, point, deputies):
    url = reverse("admin:stations_roster_generate")
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, {"year": YEAR, "site": station.pk, "include_children": "on"})

    assert response.status_code == 302
    assert set(Roster.objects.values_list("site__slug", flat=True)) == {station.slug, room.slug, point.slug}
    assert DutyShift.objects.count() == 36
    assert AuditEntry.objects.filter(object_type="roster").count() == 3


def test_generate_page_for_a_whole_district(admin_client, station, room, other_station, deputies):
    admin_client.post(reverse("admin:stations_roster_generate"), {"year": YEAR, "district": station.district.pk})
    assert Roster.objects.count() == 3


def test_generate_page_refuses_an_empty_choice(admin_client, station):
    response = admin_client.post(reverse("admin:stations_roster_generate"), {"year": YEAR})
    assert response.status_code == 200
    assert "二选一" in response.text
    assert not Roster.objects.exists()


def test_generate_page_is_closed_to_non_staff(client, bob):
    client.force_login(bob)
    response = client.get(reverse("admin:stations_roster_generate"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_publish_and_generate_next_year_actions(admin_client, room, deputies):
    call_command("generate_rosters", year=YEAR, site=room.slug)
    roster = Roster.objects.get(site=room, year=YEAR)
    changelist = reverse("admin:stations_roster_changelist")

    admin_client.post(changelist, {"action": "publish", "_selected_action": [roster.pk]})
    roster.refresh_from_db()
    assert roster.is_published

    admin_client.post(changelist, {"action": "generate_next_year", "_selected_action": [roster.pk]})
    assert DutyShift.objects.filter(roster__site=room, roster__year=YEAR + 1).count() == 12


def test_generate_next_year_action_for_sites(station, room, deputies, dana):
    request = RequestFactory().post("/")
    request.user = dana
    request.session = {}
    request._messages = FallbackStorage(request)
    generate_next_year_for_sites(None, request, Site.objects.filter(pk=station.pk))
    next_year = timezone.localdate().year + 1
    assert set(Roster.objects.filter(year=next_year).values_list("site__slug", flat=True)) == {station.slug, room.slug}


def test_site_admin_gets_the_action_when_registered():
    from stations.admin.rosters import attach_site_actions

    if not admin.site.is_registered(Site):
        admin.site.register(Site)
        try:
            attach_site_actions()
            assert generate_next_year_for_sites in admin.site.get_model_admin(Site).actions
        finally:
            admin.site.unregister(Site)
    else:
        assert generate_next_year_for_sites in admin.site.get_model_admin(Site).actions


def inline_post(shift, rows):
    """The DutyShift change form's POST with the given duty rows (existing duties first)."""
    local_start, local_end = timezone.localtime(shift.start), timezone.localtime(shift.end)
    existing = list(shift.duties.order_by("pk"))
    data = {
        "roster": shift.roster_id,
        "start_0": f"{local_start:%Y-%m-%d}",
        "start_1": f"{local_start:%H:%M:%S}",
        "end_0": f"{local_end:%Y-%m-%d}",
        "end_1": f"{local_end:%H:%M:%S}",
        "change_note": "",
        "duties-TOTAL_FORMS": len(rows),
        "duties-INITIAL_FORMS": len(existing),
        "duties-MIN_NUM_FORMS": 0,
        "duties-MAX_NUM_FORMS": 1000,
    }
    for index, deputy in enumerate(rows):
        prefix = f"duties-{index}"
        data[f"{prefix}-deputy"] = deputy.pk
        data[f"{prefix}-attendance"] = "unmarked"
        data[f"{prefix}-shift"] = shift.pk
        if index < len(existing):
            data[f"{prefix}-id"] = existing[index].pk
    return data


def test_admin_refuses_a_conflicting_duty(admin_client, room, other_room, deputies):
    make_shift(other_room, at(YEAR, 5, 20, 10), at(YEAR, 5, 20, 12), deputies=[deputies[0]])
    shift = make_shift(room, at(YEAR, 5, 20, 9), at(YEAR, 5, 20, 11, 30), deputies=[deputies[1]])

    response = admin_client.post(
        reverse("admin:stations_dutyshift_change", args=[shift.pk]), inline_post(shift, [deputies[1], deputies[0]])
    )

    assert response.status_code == 200
    assert "顾海明已安排于" in response.text and other_room.name in response.text
    assert not Duty.objects.filter(shift=shift, deputy=deputies[0]).exists()


def test_admin_time_change_that_creates_a_conflict_is_refused(admin_client, room, other_room, deputies):
    make_shift(other_room, at(YEAR, 5, 21, 9), deputies=[deputies[0]])
    shift = make_shift(room, at(YEAR, 5, 20, 9), deputies=[deputies[0]])
    data = inline_post(shift, [deputies[0]])
    data["start_0"] = data["end_0"] = f"{YEAR}-05-21"

    response = admin_client.post(reverse("admin:stations_dutyshift_change", args=[shift.pk]), data)

    assert response.status_code == 200
    shift.refresh_from_db()
    assert timezone.localtime(shift.start).day == 20


def test_admin_time_change_keeps_the_original_and_raises_the_sequence(admin_client, room, deputies):
    shift = make_shift(room, at(YEAR, 5, 20, 9), deputies=[deputies[0]])
    data = inline_post(shift, [deputies[0]])
    data["start_0"] = data["end_0"] = f"{YEAR}-05-22"

    response = admin_client.post(reverse("admin:stations_dutyshift_change", args=[shift.pk]), data)

    assert response.status_code == 302
    shift.refresh_from_db()
    assert shift.original_start == at(YEAR, 5, 20, 9) and shift.was_moved
    assert shift.sequence == 1 and shift.manually_changed


# --- the management command ---------------------------------------------------------------------------


def test_command_generates_every_site_and_is_idempotent(station, room, point, other_station, deputies, capsys):
    call_command("generate_rosters", year=YEAR)
    assert DutyShift.objects.count() == 48
    first = capsys.readouterr().out
    assert "48 receptions" in first

    call_command("generate_rosters", year=YEAR)
    assert DutyShift.objects.count() == 48
    assert "0 receptions and 0 duties added" in capsys.readouterr().out


def test_command_for_one_site_and_publish(station, room, point, other_station, deputies):
    call_command("generate_rosters", year=YEAR, site=station.slug, publish=True)
    assert set(Roster.objects.values_list("site__slug", flat=True)) == {station.slug, room.slug, point.slug}
    assert Roster.objects.filter(published_at__isnull=False).count() == 3


def test_command_refuses_an_unknown_site(db):
    with pytest.raises(CommandError):
        call_command("generate_rosters", year=YEAR, site="nowhere")


def test_command_short_of_deputies_is_reported(station, capsys):
    make_deputy(station.district, "唯一代表", sites=[])
    call_command("generate_rosters", year=YEAR, site=station.slug)
    assert "short of deputies" in capsys.readouterr().out
