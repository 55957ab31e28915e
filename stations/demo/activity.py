"""A year of activity for the demo district: rosters, attendance, visits and opinions with their handling.

The seed (a 2017 report on Nanhu District) gives January–August figures: 383 voters received (person-times),
243 opinions received, 154 problems accepted and pushed to resolution, and 140+ reception events in the
year. The generator aims at those numbers as *targets*: it shapes raw records (visits with numbers of people,
opinions with timelines) so that the statistics selectors, which know nothing of these targets, compute
them from the records like from any other data. The pages never hold the numbers.

Everything is drawn from a seeded random generator, so two builds of the same network are identical (except
the opinions' tracking codes, which stay unguessable because voters use them as keys). The demo year is the
latest year whose August is already over in Beijing time, so January–August is complete whenever it runs.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import timezone

from stations.clock import LOCAL_TZ, local_date, local_time
from stations.models import (
    AbsenceReason,
    Assignment,
    Attendance,
    Category,
    Channel,
    District,
    Duty,
    DutyShift,
    HandlingBody,
    Membership,
    Opinion,
    OpinionAction,
    OpinionEvent,
    Role,
    Roster,
    Satisfaction,
    Site,
    SiteKind,
    Source,
    State,
    Visit,
    VisitDeputy,
)
from stations.models.rosters import DEFAULT_END, DEFAULT_RECEPTION_DAY, DEFAULT_START
from stations.selectors.stats import Period, Scope, headline
from stations.services.opinions import TRANSITIONS, new_tracking_code

# The seed's January–August figures and its count of reception events for the year.
TARGET_VOTERS = 383
TARGET_OPINIONS = 243
TARGET_RESOLVED = 154
TARGET_EVENTS_AT_LEAST = 141  # "140余次"
TARGET_MONTHS = (1, 8)

DEPUTIES_PER_SHIFT = 2
ONLINE_OPINIONS = 18  # of the 243, sent through the online stations rather than raised at a visit
NOT_ACCEPTED = 12
REOPENED_STILL_OPEN = 3  # closed unsatisfied, reopened, back with the handling body
REOPENED_RESOLVED_AGAIN = 2
DEADLINE_DAYS = 30

HANDLING_BODIES = {
    "区住建局": (Category.URBAN,),
    "区综合执法局": (Category.URBAN, Category.SAFETY),
    "区交通运输局": (Category.TRANSPORT,),
    "区农业农村局": (Category.AGRICULTURE,),
    "区生态环境分局": (Category.ENVIRONMENT,),
    "区水利局": (Category.ENVIRONMENT, Category.AGRICULTURE),
    "区教育局": (Category.EDUCATION,),
    "区卫生健康局": (Category.HEALTH,),
    "区人力社保局": (Category.SOCIAL,),
    "区民政局": (Category.SOCIAL, Category.OTHER),
    "区市场监管局": (Category.ECONOMY,),
    "区应急管理局": (Category.SAFETY, Category.ECONOMY),
}
CATEGORY_WEIGHTS = {
    Category.URBAN: 18,
    Category.TRANSPORT: 16,
    Category.ENVIRONMENT: 14,
    Category.AGRICULTURE: 12,
    Category.SOCIAL: 10,
    Category.EDUCATION: 8,
    Category.HEALTH: 7,
    Category.ECONOMY: 6,
    Category.SAFETY: 5,
    Category.OTHER: 4,
}
TOPICS: dict[str, list[str]] = {
    Category.URBAN: [
        "老旧小区加装电梯进展缓慢",
        "小区停车位不足，车辆乱停",
        "村内路灯损坏多时未修",
        "农房改造审批手续繁琐",
    ],
    Category.TRANSPORT: ["村口公交站点距离太远", "乡村道路破损坑洼", "学校门口上下学时段拥堵", "桥梁护栏老化存在隐患"],
    Category.ENVIRONMENT: [
        "河道有垃圾漂浮、水体发黑",
        "养殖场异味影响居民",
        "垃圾分类收运不及时",
        "工地夜间施工噪声扰民",
    ],
    Category.AGRICULTURE: ["农田灌溉渠道淤塞", "土地流转租金发放不及时", "农产品销售渠道少", "高标准农田建设进度"],
    Category.SOCIAL: ["居家养老服务点不足", "灵活就业人员参保咨询", "低保申请材料复杂", "残疾人补贴发放问题"],
    Category.EDUCATION: ["孩子入学难、学位紧张", "校车接送线路调整", "幼儿园收费标准咨询", "课后托管服务需求"],
    Category.HEALTH: ["村卫生室配药品种少", "家庭医生签约服务", "社区医院就诊排队时间长", "慢性病长处方办理"],
    Category.ECONOMY: ["小微企业融资难", "“低小散”企业搬迁安置", "个体工商户经营场所问题", "营商环境相关建议"],
    Category.SAFETY: ["电动自行车充电安全隐患", "沿河护栏缺失", "出租房消防通道堵塞", "路口缺少交通信号灯"],
    Category.OTHER: ["社区绿化和电子阅览室建设", "文化礼堂活动安排", "邻里纠纷调解", "政策咨询"],
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜钟陆汪金顾钱"
)
GIVEN_NAMES = [
    "建国",
    "丽华",
    "秀英",
    "志强",
    "海燕",
    "国平",
    "晓明",
    "桂芳",
    "伟",
    "敏",
    "军",
    "静",
    "红梅",
    "磊",
    "勇",
    "娟",
    "建华",
    "霞",
    "平",
    "刚",
    "玉兰",
    "文斌",
    "春燕",
    "德明",
]


def demo_year(now: dt.datetime | None = None) -> int:
    """The latest year whose August is over in Beijing time."""
    local_now = local_time(now or timezone.now())
    return local_now.year if local_now.month > 8 else local_now.year - 1


def _at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ)


@dataclass
class _Plan:
    """An opinion before it is saved: where it came from and the path it took."""

    site_id: int
    registered_at: dt.datetime
    category: str
    visit_index: int | None
    source: str = Source.RECEPTION
    path: list[tuple[str, dt.datetime]] = field(default_factory=list)
    body_id: int | None = None
    deadline: dt.date | None = None
    satisfaction: str = ""


class _Builder:
    def __init__(self, *, district: District, now: dt.datetime, stdout: TextIO | OutputWrapper) -> None:
        self.district = district
        self.now = now
        self.year = demo_year(now)
        self.stdout = stdout
        self.rng = random.Random(f"liaison-demo-activity-{district.slug}-{self.year}")
        self.reopened_open = 0

    # --- reference data -------------------------------------------------------------------------------------

    def load(self) -> None:
        self.sites = list(Site.objects.filter(district=self.district, is_active=True).order_by("pk"))
        parents = {site.pk: site.parent_id for site in self.sites}
        self.station_of: dict[int, int] = {}
        for site in self.sites:
            station = site.pk
            while (parent := parents.get(station)) is not None:
                station = parent
            self.station_of[site.pk] = station
        self.site_deputies: dict[int, list[int]] = defaultdict(list)
        for site_id, deputy_id in (
            Assignment.objects.filter(site__in=self.sites, deputy__is_active=True)
            .order_by("site_id", "deputy_id")
            .values_list("site_id", "deputy_id")
        ):
            self.site_deputies[site_id].append(deputy_id)
        self.site_areas: dict[int, list[int]] = defaultdict(list)
        for site_id, area_id in Site.areas.through.objects.filter(site__in=self.sites).values_list(
            "site_id", "area_id"
        ):
            self.site_areas[site_id].append(area_id)
        self.recorders = self._recorders()

    def _recorders(self) -> dict[int | None, int]:
        """Who wrote each station's record book: its staff when the demo has accounts, else a system user."""
        recorders: dict[int | None, int] = {}
        for station_id, user_id in Membership.objects.filter(
            station__district=self.district, role__in=[Role.STAFF, Role.STATION_HEAD]
        ).values_list("station_id", "user_id"):
            recorders.setdefault(station_id, user_id)
        admin = Membership.objects.filter(role=Role.DISTRICT_ADMIN).values_list("user_id", flat=True).first()
        if admin is None:
            user, created = get_user_model().objects.get_or_create(
                username="demo-records", defaults={"is_active": False, "first_name": "演示数据"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            admin = user.pk
        recorders[None] = admin
        return recorders

    def recorder_for(self, site: Site) -> int:
        return self.recorders.get(self.station_of[site.pk], self.recorders[None])

    def handling_bodies(self) -> dict[str, list[int]]:
        HandlingBody.objects.bulk_create([HandlingBody(name=name) for name in HANDLING_BODIES], ignore_conflicts=True)
        ids = dict(HandlingBody.objects.filter(name__in=HANDLING_BODIES).values_list("name", "pk"))
        by_category: dict[str, list[int]] = defaultdict(list)
        for name, categories in HANDLING_BODIES.items():
            for category in categories:
                by_category[category].append(ids[name])
        return by_category

    # --- rosters and attendance -----------------------------------------------------------------------------

    def rosters(self) -> dict[tuple[int, int], DutyShift]:
        """A published roster for every site that has none this year: the 20th of each month, 09:00–11:30,
        two deputies rotating through the site's deputies, no deputy at two places at once."""
        have = set(Roster.objects.filter(site__in=self.sites, year=self.year).values_list("site_id", flat=True))
        published = _at(dt.date(self.year - 1, 12, 15), 10)
        rosters = Roster.objects.bulk_create(
            [Roster(site=site, year=self.year, published_at=published) for site in self.sites if site.pk not in have]
        )
        shifts = DutyShift.objects.bulk_create(
            [
                DutyShift(
                    roster=roster,
                    start=dt.datetime.combine(
                        dt.date(self.year, month, DEFAULT_RECEPTION_DAY), DEFAULT_START, LOCAL_TZ
                    ),
                    end=dt.datetime.combine(dt.date(self.year, month, DEFAULT_RECEPTION_DAY), DEFAULT_END, LOCAL_TZ),
                )
                for roster in rosters
                for month in range(1, 13)
            ]
        )
        booked: dict[int, set[int]] = defaultdict(set)  # month → deputies already on duty somewhere
        duties = []
        for shift in shifts:
            month = local_time(shift.start).month
            pool = self.site_deputies.get(shift.roster.site_id, [])
            on_shift: list[int] = []
            offset = ((month - 1) * DEPUTIES_PER_SHIFT) % len(pool) if pool else 0
            for deputy_id in pool[offset:] + pool[:offset]:
                if len(on_shift) == DEPUTIES_PER_SHIFT:
                    break
                if deputy_id not in booked[month]:
                    on_shift.append(deputy_id)
                    booked[month].add(deputy_id)
            for deputy_id in on_shift:
                duties.append(self._attendance(shift, deputy_id, pool, on_shift, booked[month]))
        Duty.objects.bulk_create(duties)
        self.shift_count = len(shifts)
        present: dict[int, list[int]] = defaultdict(list)
        for duty in duties:
            if duty.attendance == Attendance.PRESENT:
                present[duty.shift_id].append(duty.deputy_id)
            elif duty.attendance == Attendance.SUBSTITUTED:
                present[duty.shift_id].append(duty.substitute_id)
        self.present_at = present
        return {
            (shift.roster.site_id, local_time(shift.start).month): shift
            for shift in DutyShift.objects.filter(roster__site__in=self.sites, roster__year=self.year).select_related(
                "roster"
            )
        }

    def _attendance(self, shift: DutyShift, deputy_id: int, pool: list[int], on_shift: list[int], booked: set[int]):
        duty = Duty(shift=shift, deputy_id=deputy_id)
        if shift.end >= self.now:
            return duty
        draw = self.rng.random()
        if draw < 0.88:
            duty.attendance = Attendance.PRESENT
        elif draw < 0.96:
            duty.attendance = Attendance.ABSENT
            duty.absence_reason = self.rng.choice(
                [AbsenceReason.LEAVE, AbsenceReason.ILLNESS, AbsenceReason.OTHER_DUTY, AbsenceReason.OTHER_DUTY]
            )
        else:
            free = [d for d in pool if d not in on_shift and d not in booked]
            if free:
                duty.attendance = Attendance.SUBSTITUTED
                duty.substitute_id = free[0]
                booked.add(free[0])
                duty.note = "临时调换值班"
            else:
                duty.attendance = Attendance.ABSENT
                duty.absence_reason = AbsenceReason.OTHER_DUTY
        return duty

    # --- visits ---------------------------------------------------------------------------------------------

    def _site_weights(self) -> list[float]:
        weights: dict[str, float] = {SiteKind.STATION: 4.0, SiteKind.ROOM: 1.0, SiteKind.POINT: 0.5}
        return [weights[site.kind] for site in self.sites]

    def _category(self) -> str:
        return self.rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]

    def _people(self) -> int:
        draw = self.rng.random()
        if draw < 0.72:
            return 1
        if draw < 0.86:
            return 2
        if draw < 0.93:
            return 3
        return self.rng.randint(5, 15)  # a group: a village delegation, residents of one building

    def plan_visits(self, months: list[int], shifts: dict[tuple[int, int], DutyShift], per_month: int) -> list[Visit]:
        weights = self._site_weights()
        visits = []
        for month in months:
            count = per_month + self.rng.randint(-4, 4)
            for site in self.rng.choices(self.sites, weights=weights, k=count):
                visit = self._visit(site, month, shifts.get((site.pk, month)))
                if visit is not None and visit.occurred_at < self.now:
                    visits.append(visit)
        visits.sort(key=lambda v: v.occurred_at)
        return visits

    def _visit(self, site: Site, month: int, shift: DutyShift | None) -> Visit | None:
        category = self._category()
        if shift is not None and shift.end < self.now and self.rng.random() < 0.85:
            occurred = shift.start + dt.timedelta(minutes=self.rng.randint(0, 140))
            channel = Channel.RECEPTION_DAY
        else:
            shift = None
            day = self.rng.choice([d for d in range(1, 29) if d != DEFAULT_RECEPTION_DAY])
            occurred = _at(dt.date(self.year, month, day), self.rng.randint(8, 16), self.rng.choice([0, 15, 30, 45]))
            channel = self.rng.choices([Channel.WALK_IN, Channel.PHONE, Channel.DEPUTY_VISIT], weights=[6, 3, 2])[0]
        areas = self.site_areas.get(site.pk)
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
        return Visit(
            site=site,
            occurred_at=occurred,
            shift=shift,
            visitor_name=name,
            # 138-0000-xxxx: a well-formed mobile number in a block kept for the demo; nobody's real phone.
            visitor_phone=f"1380000{self.rng.randint(0, 9999):04d}" if self.rng.random() < 0.6 else "",
            area_id=self.rng.choice(areas) if areas else None,
            people=self._people(),
            channel=channel,
            category=category,
            summary=f"来访群众反映：{self.rng.choice(TOPICS[category])}。",
            recorded_by_id=self.recorder_for(site),
        )

    def fit_people(self, visits: list[Visit], target: int) -> None:
        """Nudge numbers of people, one at a time, until the visits add up to the target."""
        if not visits:
            raise ValueError("no visits to carry the target number of voters")
        total = sum(v.people for v in visits)
        if total < len(visits) or target < len(visits):
            raise ValueError("fewer voters than visits")
        while total != target:
            if total < target:
                candidates = [v for v in visits if 1 < v.people < 30] or visits
                self.rng.choice(candidates).people += 1
                total += 1
            else:
                self.rng.choice([v for v in visits if v.people > 1]).people -= 1
                total -= 1

    def visit_deputies(self, visits: list[Visit]) -> list[VisitDeputy]:
        rows: list[VisitDeputy] = []
        for visit in visits:
            if visit.shift_id is not None:
                deputy_ids = self.present_at.get(visit.shift_id, [])
            elif visit.channel == Channel.DEPUTY_VISIT and self.site_deputies.get(visit.site_id):
                deputy_ids = [self.rng.choice(self.site_deputies[visit.site_id])]
            else:
                deputy_ids = []
            rows.extend(VisitDeputy(visit=visit, deputy_id=deputy_id) for deputy_id in dict.fromkeys(deputy_ids))
        return rows

    # --- opinions -------------------------------------------------------------------------------------------

    def plan_opinions(self, visits: list[Visit], months: list[int], *, from_visits: int, online: int) -> list[_Plan]:
        counts = [1 if self.rng.random() < 0.85 else 0 for _ in visits]
        while sum(counts) < from_visits:
            index = self.rng.randrange(len(visits))
            if counts[index] < 3:
                counts[index] += 1
        while sum(counts) > from_visits:
            index = self.rng.choice([i for i, n in enumerate(counts) if n])
            counts[index] -= 1
        plans = []
        for index, (visit, n) in enumerate(zip(visits, counts, strict=True)):
            for k in range(n):
                category = visit.category if k == 0 else self._category()
                registered = visit.occurred_at + dt.timedelta(minutes=5 + 10 * k + self.rng.randint(0, 20))
                plans.append(_Plan(visit.site_id, registered, category, index))
        online_sites = (
            [s for s in self.sites if s.kind == SiteKind.STATION and s.is_online]
            or [s for s in self.sites if s.kind == SiteKind.STATION]
            or self.sites
        )
        for _ in range(online):
            month = self.rng.choice(months)
            registered = _at(
                dt.date(self.year, month, self.rng.randint(1, 28)), self.rng.randint(7, 22), self.rng.randint(0, 59)
            )
            plans.append(
                _Plan(self.rng.choice(online_sites).pk, registered, self._category(), None, source=Source.ONLINE)
            )
        return sorted(plans, key=lambda p: p.registered_at)

    def shape_outcomes(self, plans: list[_Plan], *, until: dt.datetime, resolved: int | None) -> None:
        """Decide where each opinion got to by `until`. With `resolved` given, exactly that many end resolved
        (resolved, explained or closed after either) and every step happens before `until`."""
        rng = self.rng
        room = {id(p): (until - p.registered_at).total_seconds() / 86400 for p in plans}
        order = list(plans)
        rng.shuffle(order)
        if resolved is not None:
            not_accepted = order[: min(NOT_ACCEPTED, len(order) // 10)]
        else:
            not_accepted = [p for p in order if rng.random() < 0.05]
        rejected = set(map(id, not_accepted))
        rest = [p for p in order if id(p) not in rejected]
        for plan in not_accepted:
            plan.path = [(State.NOT_ACCEPTED, plan.registered_at + dt.timedelta(hours=rng.uniform(2, 40)))]
            self._fit(plan, until)
        # The longest-waiting first: they had time to get through the whole procedure.
        rest.sort(key=lambda p: -room[id(p)])
        if resolved is None:
            resolved = sum(1 for p in rest if room[id(p)] > 45 and rng.random() < 0.85)
        if sum(1 for p in rest if room[id(p)] > 40) < resolved:
            raise ValueError("not enough opinions registered early enough to be resolved by the target date")
        eligible = [p for p in rest if room[id(p)] > 40]
        done = set(map(id, rng.sample(eligible, resolved)))
        long_ago = [p for p in eligible if id(p) in done and room[id(p)] > 80]
        again = {id(p) for p in long_ago[:REOPENED_RESOLVED_AGAIN]}
        for plan in rest:
            if id(plan) in done:
                self._resolve(plan, reopened=id(plan) in again)
            else:
                self._in_progress(plan, room[id(plan)])
            self._fit(plan, until)

    def _handling(self, plan: _Plan, start: dt.datetime) -> tuple[dt.datetime, list[tuple[str, dt.datetime]]]:
        accepted = start + dt.timedelta(days=self.rng.uniform(0.2, 1.5))
        referred = accepted + dt.timedelta(days=self.rng.uniform(0.5, 3))
        late = self.rng.random() < 0.15
        replied = referred + dt.timedelta(days=self.rng.uniform(31, 40) if late else self.rng.uniform(4, 26))
        return replied, [(State.ACCEPTED, accepted), (State.REFERRED, referred), (State.REPLIED, replied)]

    def _resolve(self, plan: _Plan, *, reopened: bool) -> None:
        rng = self.rng
        replied, path = self._handling(plan, plan.registered_at)
        answer = State.RESOLVED if rng.random() < 0.75 else State.EXPLAINED
        path.append((answer, replied + dt.timedelta(hours=rng.uniform(1, 30))))
        if reopened:
            closed = path[-1][1] + dt.timedelta(days=rng.uniform(2, 6))
            reopened_at = closed + dt.timedelta(days=rng.uniform(1, 3))
            replied_again = reopened_at + dt.timedelta(days=rng.uniform(5, 15))
            path += [
                (State.CLOSED, closed),
                (State.REFERRED, reopened_at),
                (State.REPLIED, replied_again),
                (State.RESOLVED, replied_again + dt.timedelta(hours=rng.uniform(2, 24))),
            ]
            answer = State.RESOLVED
        draw = rng.random()
        if draw < 0.6:
            path.append((State.CLOSED, path[-1][1] + dt.timedelta(days=rng.uniform(2, 9))))
            plan.satisfaction = rng.choices(
                [Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED], weights=[72, 24, 4]
            )[0]
        plan.path = path

    def _in_progress(self, plan: _Plan, room: float) -> None:
        rng = self.rng
        if room < 1:
            plan.path = []
            return
        if room < 4:
            plan.path = [(State.ACCEPTED, plan.registered_at + dt.timedelta(hours=rng.uniform(3, 20)))]
            return
        replied, path = self._handling(plan, plan.registered_at)
        if room > 60 and self.reopened_open < REOPENED_STILL_OPEN:
            # Explained, closed with an unsatisfied vote, reopened: back with the handling body.
            self.reopened_open += 1
            explained = replied + dt.timedelta(hours=rng.uniform(2, 20))
            closed = explained + dt.timedelta(days=rng.uniform(2, 6))
            path += [
                (State.EXPLAINED, explained),
                (State.CLOSED, closed),
                (State.REFERRED, closed + dt.timedelta(days=rng.uniform(1, 3))),
            ]
            plan.satisfaction = Satisfaction.UNSATISFIED
        elif rng.random() < 0.45 or room < 12:
            path = path[:2]  # referred, waiting for the handling body's reply
        plan.path = path

    def _fit(self, plan: _Plan, until: dt.datetime) -> None:
        """Squeeze the path so that its last step happens before `until`; set the fields it implies."""
        if plan.path:
            last = plan.path[-1][1]
            if last >= until:
                span = (last - plan.registered_at).total_seconds()
                scale = (until - plan.registered_at).total_seconds() * 0.95 / span
                plan.path = [
                    (state, plan.registered_at + (when - plan.registered_at) * scale) for state, when in plan.path
                ]
        referred = [when for state, when in plan.path if state == State.REFERRED]
        if referred:
            plan.body_id = self.rng.choice(self.bodies[plan.category])
            plan.deadline = local_date(referred[0]) + dt.timedelta(days=DEADLINE_DAYS)

    def save_opinions(self, plans: list[_Plan], visits: list[Visit]) -> int:
        bodies: dict[int | None, str] = dict(
            HandlingBody.objects.filter(pk__in={p.body_id for p in plans if p.body_id}).values_list("pk", "name")
        )
        numbers: dict[int, int] = defaultdict(int)
        opinions = []
        for plan in plans:
            year = local_time(plan.registered_at).year
            numbers[year] += 1
            state: str = State.REGISTERED
            replied_at, closed_at = None, None
            for to_state, when in plan.path:
                if to_state == State.REPLIED:
                    replied_at = when
                elif to_state == State.CLOSED:
                    closed_at = when
                elif to_state == State.REFERRED and state == State.CLOSED:
                    replied_at = closed_at = None  # reopened: the earlier answer no longer stands
                state = to_state
            visit = visits[plan.visit_index] if plan.visit_index is not None else None
            topic = self.rng.choice(TOPICS[plan.category])
            body = bodies.get(plan.body_id, "")
            supervised = state == State.REFERRED and self.rng.random() < 0.2
            opinions.append(
                Opinion(
                    reference=f"{self.district.code}-{year}-{numbers[year]:05d}",
                    tracking_code=new_tracking_code(),
                    site_id=plan.site_id,
                    visit=visit,
                    source=plan.source,
                    category=plan.category,
                    content=f"{topic}，希望有关部门尽快研究解决。",
                    submitter_name=visit.visitor_name if visit else self.rng.choice(SURNAMES) + "先生",
                    submitter_phone=visit.visitor_phone if visit else f"1380000{self.rng.randint(0, 9999):04d}",
                    consent_at=plan.registered_at if plan.source == Source.ONLINE else None,
                    state=state,
                    handling_body_id=plan.body_id,
                    deadline=plan.deadline,
                    reply=self._reply(state, body) if replied_at else "",
                    satisfaction=plan.satisfaction if state == State.CLOSED else "",
                    registered_at=plan.registered_at,
                    replied_at=replied_at,
                    closed_at=closed_at,
                    supervised=supervised,
                    next_review=(local_date(self.now) + dt.timedelta(days=14)) if supervised else None,
                    version=len(plan.path),
                )
            )
        Opinion.objects.bulk_create(opinions)
        events = []
        for opinion, plan in zip(opinions, plans, strict=True):
            previous = ""
            for to_state, when in [(State.REGISTERED, plan.registered_at), *plan.path]:
                events.append(
                    OpinionEvent(
                        opinion=opinion,
                        from_state=previous,
                        to_state=to_state,
                        action=_action_for(previous, to_state),
                        at=when,
                        handling_body_id=plan.body_id if to_state == State.REFERRED else None,
                        note=_EVENT_NOTES.get((previous, to_state), ""),
                    )
                )
                previous = to_state
        OpinionEvent.objects.bulk_create(events)
        return len(opinions)

    def _reply(self, state: str, body: str) -> str:
        if state == State.EXPLAINED:
            return f"经{body}研究，该事项暂不具备实施条件，已向群众当面解释说明，并将在今后工作中统筹考虑。"
        return f"经{body}调查核实，已落实整改措施，问题已处理完毕。"

    # --- the whole build ------------------------------------------------------------------------------------

    def build(self) -> None:
        self.bodies = self.handling_bodies()
        shifts = self.rosters()
        first, last = TARGET_MONTHS
        target_months = list(range(first, last + 1))
        later_months = [m for m in range(last + 1, 13) if _at(dt.date(self.year, m, 1), 0) < self.now]
        per_month = 25
        target_visits = self.plan_visits(target_months, shifts, per_month)
        self.fit_people(target_visits, TARGET_VOTERS)
        later_visits = self.plan_visits(later_months, shifts, per_month)
        Visit.objects.bulk_create(target_visits + later_visits)
        VisitDeputy.objects.bulk_create(self.visit_deputies(target_visits + later_visits))

        target_plans = self.plan_opinions(
            target_visits, target_months, from_visits=TARGET_OPINIONS - ONLINE_OPINIONS, online=ONLINE_OPINIONS
        )
        # Handling goes on until today: the January–August opinions are counted in the state they are in now.
        until = self.now - dt.timedelta(hours=1)
        self.shape_outcomes(target_plans, until=until, resolved=TARGET_RESOLVED)
        later_plans = []
        if later_visits:
            later_plans = self.plan_opinions(
                later_visits, later_months, from_visits=int(len(later_visits) * 1.1), online=len(later_months) * 2
            )
            later_plans = [p for p in later_plans if p.registered_at < self.now]
            self.shape_outcomes(later_plans, until=until, resolved=None)
        for plan in later_plans:
            if plan.visit_index is not None:
                plan.visit_index += len(target_visits)
        opinions = self.save_opinions(target_plans + later_plans, target_visits + later_visits)
        self.stdout.write(
            f"Demo activity {self.year}: {self.shift_count} duty shifts, "
            f"{len(target_visits) + len(later_visits)} visits, {opinions} opinions.\n"
        )


_EVENT_NOTES = {
    ("registered", "accepted"): "经审核予以受理。",
    ("registered", "not_accepted"): "不属于受理范围，已告知反映人向有关部门反映。",
    ("accepted", "referred"): "交承办单位办理。",
    ("closed", "referred"): "反映人对办理结果不满意，重新交办。",
}


def activity_exists(district: District) -> bool:
    return (
        Visit.objects.filter(site__district=district).exists()
        or Opinion.objects.filter(site__district=district).exists()
    )


def build_activity(*, district: District, stdout: TextIO | OutputWrapper, now: dt.datetime | None = None) -> bool:
    """Create the demo year's rosters, attendance, visits and opinions; skip when the district has activity.

    Returns whether anything was built.
    """
    if activity_exists(district):
        stdout.write("Demo activity already present; left as it is.\n")
        return False
    builder = _Builder(district=district, now=now or timezone.now(), stdout=stdout)
    with transaction.atomic():
        builder.load()
        if not builder.sites:
            stdout.write("No sites: no demo activity.\n")
            return False
        builder.build()
    # Reported from the statistics themselves, the way the pages compute them.
    first, last = TARGET_MONTHS
    figures = headline(scope=Scope.for_district(district), period=Period.months(builder.year, first, last))
    held = headline(scope=Scope.for_district(district), period=Period.year(builder.year)).events_held
    stdout.write(
        f"Figures for months {first}–{last} of {builder.year}: {figures.voters} voters received, "
        f"{figures.opinions} opinions, {figures.resolved} resolved; {held} reception events held in the year.\n"
    )
    return True


def _action_for(from_state: str, to_state: str) -> str:
    """The workflow action that moves an opinion from one state to the next, so the demo's timeline names
    each step ("Accept", "Refer", ...) as the real workflow would, not "Register" for all of them."""
    if not from_state:
        return OpinionAction.REGISTER
    for action, transition in TRANSITIONS.items():
        if from_state in transition.sources and transition.target == to_state:
            return action
    return OpinionAction.REGISTER
