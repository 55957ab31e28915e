"""The demo's other practices (issue 16), built after the demo year's activity, through the services:

- the seed's four annual themes ("三改一拆", small-town environment improvement, eliminating class-V water,
  moving small scattered firms into parks), chosen by the district for every station; the year's visits are
  tagged by their topic (and their opinions with them), the receptions that held a tagged visit likewise;
- 建设街道's pairing: 20 deputies serving there paired with 120 voters (a few of them households), their
  contacts through the year, and 35 things done for them;
- deputies' activities besides receptions: each station's quarterly study session (the seed's "充电宝"), with
  inspections and research for the district deputies of 余新镇 (顾海明, the demo deputy, among them).

Everything is drawn from a seeded generator, so every build gives the same records. The demo's voters are
illustrative: names from common surnames, phone numbers from the 1370000xxxx range nobody holds.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TextIO

from django.core.management.base import OutputWrapper

from stations.audit import Actor
from stations.clock import local_date
from stations.models import (
    ActivityKind,
    Category,
    ContactMethod,
    Deputy,
    District,
    DutyShift,
    Level,
    PairingKind,
    Site,
    SiteKind,
    Theme,
    Visit,
)
from stations.services import records as services

SEED_THEMES = ["“三改一拆”", "小城镇环境综合整治", "剿灭劣Ⅴ类水", "小散企业入园"]
# Which visit topics concern which theme (a visit of another topic carries none).
THEMES_BY_CATEGORY: dict[str, list[int]] = {
    Category.URBAN: [0, 1],
    Category.ENVIRONMENT: [1, 2],
    Category.AGRICULTURE: [2],
    Category.ECONOMY: [3],
    Category.SAFETY: [3],
}
PAIRING_STATION = "jianshe"
PAIRED_DEPUTIES = 20
VOTERS_PER_DEPUTY = 6
THINGS_DONE = 35
STUDY_MONTHS = (3, 6, 9, 12)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗沈钱"
GIVEN = ["秀英", "桂英", "建华", "国强", "玉兰", "志明", "美琴", "金根", "阿大", "海林", "凤珍", "永康"]
DEEDS = [
    ("协调修复小区路灯", "路灯已修复，居民夜间出行安全。"),
    ("帮助申请居家养老上门服务", "已纳入社区居家养老服务对象。"),
    ("反映楼道堆物消防隐患", "物业已清理，隐患消除。"),
    ("协助办理残疾人两项补贴", "补贴已按月发放。"),
    ("推动老旧小区加装扶手", "单元楼道扶手已安装。"),
    ("联系解决孩子入学咨询", "已向区教育局咨询并答复家长。"),
    ("协调疏通雨污管道", "管道已疏通，雨天不再积水。"),
]


def build_records(
    *, district: District, year: int, now: dt.datetime, actor: Actor, stdout: TextIO | OutputWrapper
) -> bool:
    """Build the demo's themes, pairing and activities for `year`; skip (False) when the themes are there."""
    if Theme.objects.filter(district=district, year=year).exists():
        stdout.write("Demo themes already present; left as they are.\n")
        return False
    rng = random.Random(f"liaison-demo-records-{district.slug}-{year}")
    today = local_date(now)
    themes = [
        services.theme_create(actor=actor, district=district, year=year, name=name, position=n)
        for n, name in enumerate(SEED_THEMES)
    ]
    tagged = _tag_visits(district=district, year=year, themes=themes, actor=actor)
    pairings, deeds = _pairing(district=district, year=year, today=today, actor=actor, rng=rng)
    activities = _activities(district=district, year=year, today=today, actor=actor, rng=rng)
    stdout.write(
        f"Themes of {year}: {len(themes)}, {tagged} visits tagged; {PAIRING_STATION}: {pairings} voters paired, "
        f"{deeds} things done; {activities} deputies' activities.\n"
    )
    return True


def _tag_visits(*, district: District, year: int, themes: list[Theme], actor: Actor) -> int:
    visits = (
        Visit.objects.filter(site__district=district, occurred_at__year=year, archived_at__isnull=True)
        .select_related("site__parent__parent", "shift__roster__site__parent__parent")
        .prefetch_related("opinions")
        .order_by("occurred_at", "pk")
    )
    shift_themes: dict[int, set[int]] = {}
    shifts: dict[int, DutyShift] = {}
    count = 0
    for visit in visits:
        chosen = [themes[n] for n in THEMES_BY_CATEGORY.get(visit.category, [])]
        if not chosen:
            continue
        services.themes_tag(actor=actor, record=visit, themes=chosen)
        for opinion in visit.opinions.all():
            services.themes_tag(actor=actor, record=opinion, themes=chosen)
        if visit.shift is not None:
            shift_themes.setdefault(visit.shift_id, set()).update(theme.pk for theme in chosen)  # type: ignore[arg-type]
            shifts[visit.shift.pk] = visit.shift
        count += 1
    by_pk = {theme.pk: theme for theme in themes}
    for pk, theme_ids in shift_themes.items():
        services.themes_tag(actor=actor, record=shifts[pk], themes=[by_pk[t] for t in sorted(theme_ids)])
    return count


def _paired_deputies(station: Site) -> list[Deputy]:
    """20 deputies serving at the station, district deputies first (the seed pairs district deputies; the demo
    network has fewer of them at 建设街道, so deputies of other levels serving there make up the number)."""
    serving = (
        Deputy.objects.filter(assignments__site__in=Site.objects.under_station(station), is_active=True)
        .distinct()
        .prefetch_related("mandates")
        .order_by("name", "pk")
    )
    ranked = sorted(serving, key=lambda deputy: (Level.DISTRICT not in deputy.levels, deputy.name, deputy.pk))
    return ranked[:PAIRED_DEPUTIES]


def _pairing(*, district: District, year: int, today: dt.date, actor: Actor, rng: random.Random) -> tuple[int, int]:
    station = Site.objects.filter(district=district, slug=PAIRING_STATION, kind=SiteKind.STATION).first()
    if station is None:
        return 0, 0
    sites = list(Site.objects.under_station(station).filter(is_active=True).order_by("pk"))
    areas = list(station.areas.values_list("name", flat=True)) or [station.town]
    last_day = min(today, dt.date(year, 12, 31))
    pairings = []
    serial = 0
    for deputy in _paired_deputies(station):
        deputy_sites = [site for site in sites if deputy.assignments.filter(site=site).exists()] or [station]
        for _n in range(VOTERS_PER_DEPUTY):
            serial += 1
            consent = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(0, 45))
            household = serial % 8 == 0
            pairing = services.pairing_create(
                actor=actor,
                site=deputy_sites[0],
                deputy=deputy,
                kind=PairingKind.HOUSEHOLD if household else PairingKind.VOTER,
                voter_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                voter_phone=f"1370000{serial:04d}",
                village=rng.choice(areas),
                household_size=rng.randint(2, 5) if household else None,
                consent_on=consent,
                consent_note="签署结对联系同意书",
            )
            pairings.append(pairing)
            day = consent
            for _contact in range(rng.randint(1, 3)):
                day = day + dt.timedelta(days=rng.randint(20, 90))
                if day > last_day:
                    break
                services.pairing_contact_record(
                    actor=actor,
                    pairing=pairing,
                    happened_on=day,
                    method=rng.choice([ContactMethod.HOME_VISIT, ContactMethod.PHONE, ContactMethod.AT_STATION]),
                    notes="了解近况，听取意见。",
                )
    deeds = 0
    for pairing in rng.sample(pairings, THINGS_DONE):
        span = max((last_day - pairing.started_on).days, 0)
        what, outcome = rng.choice(DEEDS)
        services.pairing_deed_record(
            actor=actor,
            pairing=pairing,
            happened_on=pairing.started_on + dt.timedelta(days=rng.randint(0, span)),
            what=what,
            outcome=outcome,
        )
        deeds += 1
    return len(pairings), deeds


def _activities(*, district: District, year: int, today: dt.date, actor: Actor, rng: random.Random) -> int:
    count = 0
    stations = Site.objects.filter(district=district, kind=SiteKind.STATION, is_active=True).order_by("pk")
    for station in stations:
        deputies = list(
            Deputy.objects.filter(assignments__site__in=Site.objects.under_station(station), is_active=True)
            .distinct()
            .order_by("pk")
        )
        for month in STUDY_MONTHS:
            day = dt.date(year, month, 10)
            if day > today or not deputies:
                continue
            for deputy in rng.sample(deputies, min(6, len(deputies))):
                services.activity_record(
                    actor=actor,
                    deputy=deputy,
                    kind=ActivityKind.STUDY,
                    held_on=day,
                    title="代表学习交流“充电宝”活动",
                    site=station,
                    hours=None,
                )
                count += 1
    yuxin = Site.objects.filter(district=district, slug="yuxin").first()
    if yuxin is not None:
        district_deputies = (
            Deputy.objects.filter(
                assignments__site__in=Site.objects.under_station(yuxin), mandates__level=Level.DISTRICT
            )
            .distinct()
            .order_by("pk")
        )
        plans = [
            (ActivityKind.INSPECTION, 4, "视察剿灭劣Ⅴ类水工作", "余新镇河道"),
            (ActivityKind.RESEARCH, 7, "小城镇环境综合整治专题调研", "余新镇集镇"),
            (ActivityKind.VOTER_MEETING, 10, "走访联系选民", "金星村"),
        ]
        for deputy in district_deputies:
            for kind, month, title, place in plans:
                day = dt.date(year, month, 15)
                if day > today:
                    continue
                services.activity_record(actor=actor, deputy=deputy, kind=kind, held_on=day, title=title, place=place)
                count += 1
    return count
