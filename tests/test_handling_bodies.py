"""Handling bodies by district (issue 15): staff are offered their opinions' district's bodies and the shared
ones, the service refuses another district's body, and a district administrator manages their district's bodies
only. 南湖区 (conftest's district, 余新镇's 金星 room) and 秀洲区 (王店镇) each have a body; one body is shared."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from stations.audit import Actor
from stations.models import District, HandlingBody, Membership, Site, SiteKind, State
from stations.services import opinions as services
from tests.conftest import make_user, totp_device
from tests.factories_opinions import make_opinion

SYSTEM = Actor.system()


@pytest.fixture
def xiuzhou(db):
    return District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")


@pytest.fixture
def wangdian(xiuzhou):
    return Site.objects.create(
        district=xiuzhou, kind=SiteKind.STATION, name="王店镇代表联络站", slug="wangdian", town="王店镇", is_online=True
    )


@pytest.fixture
def bodies(district, xiuzhou):
    return {
        "nanhu": HandlingBody.objects.create(name="南湖区住房和城乡建设局", district=district),
        "xiuzhou": HandlingBody.objects.create(name="秀洲区住房和城乡建设局", district=xiuzhou),
        "shared": HandlingBody.objects.create(name="嘉兴市生态环境局"),
    }


@pytest.fixture
def nanhu_admin(district):
    user = make_user("nina", role=None, is_staff=True)
    Membership.objects.create(user=user, role="district_admin", district=district)
    totp_device(user)
    return user


def detail_url(opinion) -> str:
    return reverse("stations:staff_opinion_detail", kwargs={"pk": opinion.pk})


def refer_form_bodies(html: str) -> set[str]:
    select = re.search(r'<select name="refer-body".*?</select>', html, re.S)
    assert select, "no referral form on the page"
    return set(re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", select.group(0)))


# --- the referral ---------------------------------------------------------------------------------------------


def test_the_referral_form_offers_the_opinions_district_bodies_and_the_shared_ones(client, alice, room, bodies):
    opinion = make_opinion(room, State.ACCEPTED)
    client.force_login(alice)
    page = client.get(detail_url(opinion))
    offered = refer_form_bodies(page.text)
    assert {"南湖区住房和城乡建设局", "嘉兴市生态环境局"} <= offered
    assert "秀洲区住房和城乡建设局" not in offered


def test_a_referral_to_another_districts_body_is_refused_next_to_the_field(client, alice, room, bodies):
    opinion = make_opinion(room, State.ACCEPTED)
    client.force_login(alice)
    data = {"action": "refer", "refer-version": opinion.version, "refer-body": bodies["xiuzhou"].pk}
    response = client.post(detail_url(opinion), data)
    assert response.status_code == 400
    form = next(a["form"] for a in response.context["actions"] if a["action"] == "refer")
    assert form.errors["body"]  # Django's "选择一个有效的选项" next to the select
    opinion.refresh_from_db()
    assert (opinion.state, opinion.handling_body) == (State.ACCEPTED, None)
    assert not opinion.events.filter(action="refer").exists()


def test_the_service_refuses_another_districts_body_and_saves_nothing(room, bodies):
    opinion = make_opinion(room, State.ACCEPTED)
    with pytest.raises(services.OpinionError) as refused:
        services.opinion_refer(opinion=opinion, actor=SYSTEM, body=bodies["xiuzhou"])
    assert "其他区" in refused.value.message_dict["body"][0]
    opinion.refresh_from_db()
    assert (opinion.state, opinion.handling_body) == (State.ACCEPTED, None)
    assert not opinion.events.filter(action="refer").exists()


@pytest.mark.parametrize("which", ["nanhu", "shared"])
def test_the_service_refers_to_the_districts_own_or_a_shared_body(room, bodies, which):
    opinion = services.opinion_refer(opinion=make_opinion(room, State.ACCEPTED), actor=SYSTEM, body=bodies[which])
    assert (opinion.state, opinion.handling_body) == (State.REFERRED, bodies[which])


def test_a_reopened_opinion_too_goes_only_to_its_districts_bodies(room, bodies):
    opinion = make_opinion(room, State.CLOSED)
    with pytest.raises(services.OpinionError):
        services.opinion_reopen(opinion=opinion, actor=SYSTEM, body=bodies["xiuzhou"])
    assert services.opinion_reopen(opinion=opinion, actor=SYSTEM, body=bodies["shared"]).state == State.REFERRED


def test_the_opinions_list_filter_offers_the_staffs_district_bodies_only(client, alice, room, bodies):
    client.force_login(alice)
    page = client.get(reverse("stations:staff_opinion_list"))
    select = re.search(r'<select name="handling_body".*?</select>', page.text, re.S).group(0)
    assert "南湖区住房和城乡建设局" in select and "嘉兴市生态环境局" in select
    assert "秀洲区住房和城乡建设局" not in select


# --- the admin ------------------------------------------------------------------------------------------------


def test_a_district_administrator_lists_their_districts_bodies_and_the_shared_ones(client, nanhu_admin, bodies):
    client.force_login(nanhu_admin)
    page = client.get(reverse("admin:stations_handlingbody_changelist"))
    assert page.status_code == 200
    assert "南湖区住房和城乡建设局" in page.text and "嘉兴市生态环境局" in page.text
    assert "秀洲区住房和城乡建设局" not in page.text
    other = reverse("admin:stations_handlingbody_change", args=[bodies["xiuzhou"].pk])
    assert client.get(other).status_code == 302  # the admin's "does not exist" redirect


def test_a_district_administrator_changes_their_own_body_but_only_reads_a_shared_one(client, nanhu_admin, bodies):
    client.force_login(nanhu_admin)
    own = reverse("admin:stations_handlingbody_change", args=[bodies["nanhu"].pk])
    data = {"name": "南湖区建设局", "district": bodies["nanhu"].district_id, "email": "", "is_active": "on"}
    assert client.post(own, data).status_code == 302
    assert HandlingBody.objects.get(pk=bodies["nanhu"].pk).name == "南湖区建设局"

    shared = reverse("admin:stations_handlingbody_change", args=[bodies["shared"].pk])
    assert client.get(shared).status_code == 200  # read-only view
    assert client.post(shared, {"name": "改名", "email": "", "is_active": "on"}).status_code == 403
    assert HandlingBody.objects.get(pk=bodies["shared"].pk).name == "嘉兴市生态环境局"


def test_a_district_administrator_adds_bodies_to_their_own_district_only(client, nanhu_admin, district, xiuzhou):
    client.force_login(nanhu_admin)
    add = reverse("admin:stations_handlingbody_add")
    for refused in ({"district": xiuzhou.pk}, {"district": ""}):
        response = client.post(add, {"name": "区交通运输局", "email": "", "is_active": "on", **refused})
        assert response.status_code == 200 and response.context["adminform"].form.errors["district"]
    assert not HandlingBody.objects.filter(name="区交通运输局").exists()
    response = client.post(add, {"name": "区交通运输局", "email": "", "is_active": "on", "district": district.pk})
    assert response.status_code == 302
    assert HandlingBody.objects.get(name="区交通运输局").district == district


def test_the_portal_administrator_makes_shared_bodies(dana_client, bodies):
    add = reverse("admin:stations_handlingbody_add")
    response = dana_client.post(add, {"name": "嘉兴市交通运输局", "email": "", "is_active": "on", "district": ""})
    assert response.status_code == 302
    assert HandlingBody.objects.get(name="嘉兴市交通运输局").district is None


def test_station_staff_cannot_open_the_bodies_admin(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:stations_handlingbody_changelist")).status_code == 302  # the admin's sign-in


# --- the data migration -----------------------------------------------------------------------------------------


def test_existing_bodies_take_the_district_of_their_opinions_when_there_is_one(room, wangdian, district):
    used_here = HandlingBody.objects.create(name="余新镇人民政府")
    used_in_both = HandlingBody.objects.create(name="市水利局")
    unused = HandlingBody.objects.create(name="市档案馆")
    services.opinion_refer(opinion=make_opinion(room, State.ACCEPTED), actor=SYSTEM, body=used_here)
    for site in (room, wangdian):
        services.opinion_refer(opinion=make_opinion(site, State.ACCEPTED), actor=SYSTEM, body=used_in_both)

    migration = importlib.import_module("stations.migrations.0025_handling_body_district")
    migration.give_bodies_their_district(apps, SimpleNamespace(connection=connection))

    assert HandlingBody.objects.get(pk=used_here.pk).district == district
    assert HandlingBody.objects.get(pk=used_in_both.pk).district is None
    assert HandlingBody.objects.get(pk=unused.pk).district is None


def test_a_city_administrator_manages_the_bodies_of_every_district_of_the_city(client, fay, land):
    """fay administers 嘉兴市 (南湖区 and 秀洲区), not 杭州市's 西湖区."""
    nanhu = HandlingBody.objects.create(name="南湖区民政局", district=land["nanhu"].district)
    xiuzhou = HandlingBody.objects.create(name="秀洲区民政局", district=land["xiuzhou"])
    xihu = HandlingBody.objects.create(name="西湖区民政局", district=land["xihu"])
    client.force_login(fay)
    page = client.get(reverse("admin:stations_handlingbody_changelist"))
    assert "南湖区民政局" in page.text and "秀洲区民政局" in page.text and "西湖区民政局" not in page.text
    for body in (nanhu, xiuzhou):
        url = reverse("admin:stations_handlingbody_change", args=[body.pk])
        data = {"name": body.name + "（新）", "district": body.district_id, "email": "", "is_active": "on"}
        assert client.post(url, data).status_code == 302
    assert client.get(reverse("admin:stations_handlingbody_change", args=[xihu.pk])).status_code == 302
    assert HandlingBody.objects.get(pk=xihu.pk).name == "西湖区民政局"
