"""The small world the permission matrix, the masking test and the XSS test run against.

Everything a URL can point at belongs to 余新镇's 金星 room (slug yuxin-jinxing): a visit and an archived
visit, an opinion, a published shift next year with two deputies on duty (and a second one for swaps), a
shift last week whose duty can be marked, the deputy gu-haiming (erin's own record), a tracking code and a
deputy photo under MEDIA_ROOT. charlie works at 凤桥镇, so for him every one of these objects is outside
his scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from stations.audit import Actor
from stations.models import Deputy, Duty, DutyShift, Opinion, Site, Visit
from stations.services import opinions as opinion_services
from stations.services import records as record_services
from tests.factories_rosters import at, make_shift

# Phone numbers that look real: an 11-digit mobile each, all different so a leak names its source.
VISITOR_PHONE = "13912345678"
ARCHIVED_VISITOR_PHONE = "13587654321"
OPINION_PHONE = "15867891234"
DEPUTY_PHONE = "13705731234"
# Free text holds numbers too: a clerk writes down a call-back number, a voter leaves one in the opinion.
SUMMARY_PHONE = "13611112222"
CONTENT_PHONE = "13622223333"

PAIRED_VOTER_PHONE = "13855556666"

# The first roster year that lies wholly in the future, so moves and assignments are never "in the past".
NEXT_YEAR = timezone.localdate().year + 1


@dataclass
class World:
    station: Site
    room: Site
    other_station: Site
    deputies: list[Deputy]
    users: dict[str, AbstractBaseUser | None]
    visit: Visit
    archived_visit: Visit
    opinion: Opinion
    shift: DutyShift
    other_shift: DutyShift
    past_shift: DutyShift
    duty: Duty
    other_duty: Duty
    past_duty: Duty
    photo: str
    extra: dict = field(default_factory=dict)

    @property
    def ids(self) -> dict[str, object]:
        """What the path builders of the matrix put into URLs."""
        return {
            "visit": self.visit.pk,
            "archived_visit": self.archived_visit.pk,
            "opinion": self.opinion.pk,
            "shift": self.shift.pk,
            "past_shift": self.past_shift.pk,
            "past_duty": self.past_duty.pk,
            "station": self.station.slug,
            "room": self.room.slug,
            "deputy": self.deputies[0].slug,  # erin's own
            "other_deputy": self.deputies[1].slug,
            "code": self.opinion.tracking_code,
            "photo": self.photo,
            "pairing": self.extra["pairing"].pk,
            # The pairing the matrix's POST creates (each case runs on a fresh database).
            "new_pairing": self.extra["pairing"].pk + 1,
            "this_year": timezone.localdate().year,
            "region": self.extra["county"].key,
            "city": self.extra["city"].key,
            "town": self.extra["town"].key,
            # The deputy pages' objects (ids and tokens) go into URLs as they are.
            **{key: value for key, value in self.extra.items() if isinstance(value, int | str)},
        }


def build_regions(district) -> dict:
    """浙江省 → 嘉兴市 → 南湖区 → 余新镇, the world's district's county and its station's town: its site pages
    show the region chain and `/regions/<code>/` has something to show."""
    from stations.models import District, Region

    province = Region.objects.create(name="浙江省", code="330000000000", level="province")
    city = Region.objects.create(name="嘉兴市", code="330400000000", level="city", parent=province)
    county = Region.objects.create(name="南湖区", code="330402000000", level="county", parent=city)
    # The world's station's town, as the network's services record it (stations/services/regions.py).
    town = Region.objects.create(name="余新镇", level="town", parent=county)
    District.objects.filter(pk=district.pk).update(region=county)
    district.region = county
    return {"province": province, "city": city, "county": county, "town": town}


def deputy_pages_objects(*, room, deputies, other_duty: Duty) -> dict[str, object]:
    """What the deputy's pages, the head's swap page and the voter's answer point at: erin's pending swap request
    (her May duty for another's April duty), a date she declared unavailable, her private calendar token, and
    a resolved opinion whose voter may answer."""
    from stations.models import CalendarFeed, HandlingBody, SwapRequest, Unavailability

    may_shift = make_shift(room, at(NEXT_YEAR, 5, 20), deputies=deputies[:1], published=True)
    swap = SwapRequest.objects.create(
        deputy=deputies[0], duty=may_shift.duties.get(), other_duty=other_duty, reason="外出学习"
    )
    unavailable = Unavailability.objects.create(deputy=deputies[0], date=dt.date(NEXT_YEAR, 6, 20))
    feed = CalendarFeed.objects.create(deputy=deputies[0])
    body = HandlingBody.objects.create(name="区交通运输局", email="jtj@example.cn")
    system = Actor.system()
    resolved = opinion_services.opinion_register(
        site=room, category="transport", content="公交站牌被撞倒了。", actor=system
    )
    resolved = opinion_services.opinion_accept(opinion=resolved, actor=system)
    resolved = opinion_services.opinion_refer(opinion=resolved, body=body, actor=system)
    resolved = opinion_services.opinion_reply(opinion=resolved, reply="已修复。", actor=system)
    resolved = opinion_services.opinion_resolve(opinion=resolved, actor=system)
    return {
        "swap": swap.pk,
        "unavailable": unavailable.pk,
        "feed": feed.token,
        "resolved_code": resolved.tracking_code,
        "may_duty": may_shift.duties.get().pk,
        "other_duty": other_duty.pk,
    }


def build_world(*, station, room, other_station, deputies, users) -> World:
    """The objects behind every URL of the portal, built in a few dozen queries."""
    alice = users["alice"]
    regions = build_regions(station.district)
    Deputy.objects.filter(pk=deputies[0].pk).update(phone=DEPUTY_PHONE)
    now = timezone.now()
    visit = Visit.objects.create(
        site=room,
        recorded_by=alice,
        occurred_at=now - dt.timedelta(hours=2),
        visitor_name="王小明",
        visitor_phone=VISITOR_PHONE,
        area_text="金星村三组",
        people=2,
        summary=f"村口路灯不亮，希望尽快修好。请回电{SUMMARY_PHONE}。",
    )
    archived_visit = Visit.objects.create(
        site=room,
        recorded_by=alice,
        occurred_at=now - dt.timedelta(days=3),
        visitor_name="李红",
        visitor_phone=ARCHIVED_VISITOR_PHONE,
        people=1,
        summary="河道保洁。",
        archived_at=now - dt.timedelta(days=1),
        archived_by=alice,
    )
    opinion = opinion_services.opinion_register(
        site=room,
        category="environment",
        content=f"村口河道有垃圾漂浮，希望尽快清理。联系电话{CONTENT_PHONE}",
        visit=visit,
        submitter_name="王小明",
        submitter_phone=OPINION_PHONE,
        submitter_email="wang@example.cn",
        consent=True,
        actor=Actor.system(),
    )
    shift = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=deputies[:2], published=True)
    other_shift = make_shift(room, at(NEXT_YEAR, 4, 20), deputies=deputies[2:], published=True)
    last_week = timezone.localtime(now - dt.timedelta(days=7))
    past_shift = make_shift(
        room, at(last_week.year, last_week.month, last_week.day), deputies=deputies[:1], published=True
    )
    # Issue 16: a theme of this year for the whole district, and gu-haiming paired with a voter of 金星.
    theme = record_services.theme_create(
        actor=Actor.system(), district=station.district, year=timezone.localdate().year, name="三改一拆"
    )
    pairing = record_services.pairing_create(
        actor=Actor.system(),
        site=room,
        deputy=deputies[0],
        voter_name="陈阿婆",
        voter_phone=PAIRED_VOTER_PHONE,
        consent_on=timezone.localdate() - dt.timedelta(days=30),
    )
    photo = "deputies/gu-haiming.png"
    path = Path(settings.MEDIA_ROOT) / photo
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    extra = deputy_pages_objects(room=room, deputies=deputies, other_duty=other_shift.duties.get())
    extra["duty"] = shift.duties.get(deputy=deputies[0]).pk
    return World(
        station=station,
        room=room,
        other_station=other_station,
        deputies=deputies,
        users=users,
        visit=visit,
        archived_visit=archived_visit,
        opinion=opinion,
        shift=shift,
        other_shift=other_shift,
        past_shift=past_shift,
        duty=shift.duties.get(deputy=deputies[0]),
        other_duty=other_shift.duties.get(),
        past_duty=past_shift.duties.get(),
        photo=photo,
        extra={**regions, "theme": theme, "pairing": pairing, **extra},
    )
