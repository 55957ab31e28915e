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
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import timezone

from stations.audit import Actor
from stations.clock import LOCAL_TZ, local_date, local_time
from stations.demo.people import build_deputy_requests
from stations.demo.records import build_records
from stations.models import (
    AbsenceReason,
    Area,
    Assignment,
    Attendance,
    Category,
    Channel,
    Deputy,
    District,
    Duty,
    DutyShift,
    HandlingBody,
    Membership,
    Opinion,
    OpinionAction,
    Role,
    Roster,
    Satisfaction,
    Site,
    SiteKind,
    Source,
    State,
    Visit,
)
from stations.models.rosters import DEFAULT_RECEPTION_DAY
from stations.selectors.stats import Period, Scope, headline
from stations.services.figures import figures_deferred
from stations.services.opinions import (
    TRANSITIONS,
    opinion_accept,
    opinion_close,
    opinion_explain,
    opinion_not_accept,
    opinion_refer,
    opinion_register,
    opinion_reopen,
    opinion_reply,
    opinion_resolve,
    opinion_set_supervision,
    opinion_submit_online,
)
from stations.services.rosters import duty_mark_attendance, roster_generate, roster_publish
from stations.services.visits import visit_create

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

    def _recorders(self) -> dict[int | None, User]:
        """Who enters each station's record book: its head when the demo has accounts, else a district
        administrator. The year is typed in now, so most of it is a late entry, which the station's staff may
        not make (settings.LATE_ENTRY_DAYS)."""
        recorders: dict[int | None, User] = {}
        for membership in Membership.objects.filter(
            station__district=self.district, role=Role.STATION_HEAD
        ).select_related("user", "user__membership"):
            recorders.setdefault(membership.station_id, membership.user)
        admin = Membership.objects.filter(role=Role.DISTRICT_ADMIN).select_related("user", "user__membership").first()
        recorders[None] = admin.user if admin is not None else self._records_account()
        return recorders

    def _records_account(self) -> User:
        """An account that cannot sign in, standing for the district's office that typed the record books up."""
        user, created = get_user_model().objects.get_or_create(
            username="demo-records", defaults={"is_active": False, "first_name": "演示数据"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            membership = Membership(user=user, role=Role.DISTRICT_ADMIN)
            membership.full_clean()
            membership.save()
        return get_user_model().objects.select_related("membership").get(pk=user.pk)

    def recorder_for(self, site_id: int) -> Actor:
        return Actor(self.recorders.get(self.station_of[site_id], self.recorders[None]))

    def handling_bodies(self) -> dict[str, list[int]]:
        # The demo's bodies are Nanhu's own (a province's other districts have theirs).
        ids = {
            name: HandlingBody.objects.get_or_create(name=name, defaults={"district": self.district})[0].pk
            for name in HANDLING_BODIES
        }
        by_category: dict[str, list[int]] = defaultdict(list)
        for name, categories in HANDLING_BODIES.items():
            for category in categories:
                by_category[category].append(ids[name])
        return by_category

    # --- rosters and attendance -----------------------------------------------------------------------------

    def rosters(self) -> None:
        """Every site's roster for the year, generated and published by the roster services (the 20th of each
        month, 09:00–11:30, each site's deputies spread fairly), and the attendance of every reception held,
        marked through the attendance service."""
        system = Actor.system()
        for site in self.sites:
            roster_generate(site=site, year=self.year, actor=system)
        rosters = Roster.objects.filter(site__in=self.sites, year=self.year).select_related("site")
        for roster in rosters:
            roster_publish(roster=roster, actor=system)
        shifts = list(
            DutyShift.objects.filter(roster__in=rosters, cancelled=False)
            .select_related("roster__site")
            .prefetch_related("duties")
            .order_by("start", "roster__site_id")
        )
        self.shift_count = len(shifts)
        # Deputies busy at each moment anywhere in the district: a substitute must be free.
        busy: dict[dt.datetime, set[int]] = defaultdict(set)
        for shift in shifts:
            busy[shift.start].update(duty.deputy_id for duty in shift.duties.all())
        deputies = {deputy.pk: deputy for deputy in Deputy.objects.filter(district=self.district)}
        for shift in shifts:
            if shift.end >= self.now:
                continue
            pool = self.site_deputies.get(shift.roster.site_id, [])
            for duty in sorted(shift.duties.all(), key=lambda d: d.deputy_id):
                self._mark(duty, pool, busy[shift.start], deputies)

    def _mark(self, duty: Duty, pool: list[int], busy: set[int], deputies: dict[int, Deputy]) -> None:
        draw = self.rng.random()
        actor = self.recorder_for(duty.shift.roster.site_id)
        if draw < 0.88:
            duty_mark_attendance(duty=duty, attendance=Attendance.PRESENT, actor=actor)
            return
        free = [d for d in pool if d not in busy]
        if draw < 0.96 or not free:
            reason = self.rng.choice(
                [AbsenceReason.LEAVE, AbsenceReason.ILLNESS, AbsenceReason.OTHER_DUTY, AbsenceReason.OTHER_DUTY]
            )
            duty_mark_attendance(duty=duty, attendance=Attendance.ABSENT, absence_reason=reason, actor=actor)
            return
        busy.add(free[0])
        duty_mark_attendance(
            duty=duty,
            attendance=Attendance.SUBSTITUTED,
            substitute=deputies[free[0]],
            note="临时调换值班",
            actor=actor,
        )

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
                # Received when the voter raised it: at the visit.
                plans.append(_Plan(visit.site_id, visit.occurred_at, category, index))
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

    def enter(self, plans: list[_Plan], visits: list[Visit]) -> int:
        """Type the year in through the record book's and the online station's services, oldest first (so that
        references number in the order opinions were received), then take each opinion's handling steps with
        the dates they happened."""
        raised: dict[int, list[_Plan]] = defaultdict(list)
        online: list[_Plan] = []
        for plan in plans:
            if plan.visit_index is None:
                online.append(plan)
            else:
                raised[plan.visit_index].append(plan)
        timeline: list[tuple[dt.datetime, int, int]] = [
            *((visit.occurred_at, 0, index) for index, visit in enumerate(visits)),
            *((plan.registered_at, 1, index) for index, plan in enumerate(online)),
        ]
        areas = dict(Area.objects.filter(pk__in={v.area_id for v in visits if v.area_id}).values_list("pk", "name"))
        sites = {site.pk: site for site in self.sites}
        entered: list[tuple[_Plan, Opinion]] = []
        for _when, kind, index in sorted(timeline):
            if kind == 0:
                entered.extend(self._enter_visit(visits[index], raised[index], areas, sites))
            else:
                plan = online[index]
                entered.append((plan, self._enter_online(plan, sites[plan.site_id])))
        bodies = HandlingBody.objects.in_bulk({plan.body_id for plan in plans if plan.body_id})
        for plan, opinion in entered:
            self._handle(opinion, plan, bodies)
        return len(entered)

    def _content(self, plan: _Plan) -> str:
        return f"{self.rng.choice(TOPICS[plan.category])}，希望有关部门尽快研究解决。"

    def _enter_visit(
        self, visit: Visit, plans: list[_Plan], areas: dict[int, str], sites: dict[int, Site]
    ) -> list[tuple[_Plan, Opinion]]:
        deputies = None  # at a reception: the deputies on duty, as the record book's form ticks them
        if visit.shift is None:
            pool = self.site_deputies.get(visit.site_id, [])
            deputies = []
            if visit.channel == Channel.DEPUTY_VISIT and pool:
                deputies = [self.deputies[self.rng.choice(pool)]]
        saved = visit_create(
            site=sites[visit.site_id],
            actor=self.recorder_for(visit.site_id),
            occurred_at=visit.occurred_at,
            summary=visit.summary,
            people=visit.people,
            channel=visit.channel,
            category=visit.category,
            visitor_name=visit.visitor_name,
            visitor_phone=visit.visitor_phone,
            village=areas.get(visit.area_id, "") if visit.area_id else "",
            deputies=deputies,
            opinions=[{"category": plan.category, "content": self._content(plan)} for plan in plans],
        )
        return list(zip(plans, saved.opinions.order_by("pk"), strict=True))

    def _enter_online(self, plan: _Plan, site: Site) -> Opinion:
        details: dict[str, Any] = {
            "site": site,
            "category": plan.category,
            "content": self._content(plan),
            "submitter_name": self.rng.choice(SURNAMES) + "先生",
            "submitter_phone": f"1380000{self.rng.randint(0, 9999):04d}",
            "consent": True,
            "actor": Actor.system(),
            "received_at": plan.registered_at,
        }
        if site.accepts_online:
            return opinion_submit_online(**details)
        # A network without online stations (some tests): the same opinion, registered as one sent online.
        return opinion_register(source=Source.ONLINE, **details)

    def _handle(self, opinion: Opinion, plan: _Plan, bodies: dict[int, HandlingBody]) -> None:
        """Each step of the plan through its service, dated when it happened."""
        actor = self.recorder_for(plan.site_id)
        body = bodies.get(plan.body_id) if plan.body_id else None
        state: str = State.REGISTERED
        path = plan.path
        for step, (to_state, when) in enumerate(path):
            later = [s for s, _at in path[step + 1 :]]
            common: dict[str, Any] = {"opinion": opinion, "actor": actor, "happened_at": when}
            if to_state == State.ACCEPTED:
                opinion = opinion_accept(**common, note=_EVENT_NOTES[(state, to_state)])
            elif to_state == State.NOT_ACCEPTED:
                opinion = opinion_not_accept(**common, reason=_EVENT_NOTES[(state, to_state)])
            elif to_state == State.REFERRED:
                assert body is not None
                refer = opinion_reopen if state == State.CLOSED else opinion_refer
                opinion = refer(**common, body=body, note=_EVENT_NOTES[(state, to_state)])
            elif to_state == State.REPLIED:
                answer = next((s for s in later if s in (State.RESOLVED, State.EXPLAINED)), State.RESOLVED)
                opinion = opinion_reply(**common, reply=self._reply(answer, body.name if body else ""))
            elif to_state == State.RESOLVED:
                opinion = opinion_resolve(**common)
            elif to_state == State.EXPLAINED:
                opinion = opinion_explain(**common, explanation="已向反映人当面解释说明，将在今后工作中统筹考虑。")
            elif to_state == State.CLOSED:
                reopened = bool(later) and later[0] == State.REFERRED
                satisfaction = Satisfaction.UNSATISFIED if reopened else (plan.satisfaction or Satisfaction.SATISFIED)
                opinion = opinion_close(**common, satisfaction=satisfaction)
            state = to_state
        if state == State.REFERRED and self.rng.random() < 0.2:
            # Put under continued supervision today, reviewed in a fortnight.
            opinion_set_supervision(
                opinion=opinion, actor=actor, next_review=local_date(self.now) + dt.timedelta(days=14)
            )

    def _reply(self, state: str, body: str) -> str:
        if state == State.EXPLAINED:
            return f"经{body}研究，该事项暂不具备实施条件，已向群众当面解释说明，并将在今后工作中统筹考虑。"
        return f"经{body}调查核实，已落实整改措施，问题已处理完毕。"

    # --- the whole build ------------------------------------------------------------------------------------

    def build(self) -> None:
        self.bodies = self.handling_bodies()
        self.rosters()
        shifts = {
            (shift.roster.site_id, local_time(shift.start).month): shift
            for shift in DutyShift.objects.filter(roster__site__in=self.sites, roster__year=self.year).select_related(
                "roster"
            )
        }
        self.deputies = Deputy.objects.in_bulk({pk for pool in self.site_deputies.values() for pk in pool})
        first, last = TARGET_MONTHS
        target_months = list(range(first, last + 1))
        later_months = [m for m in range(last + 1, 13) if _at(dt.date(self.year, m, 1), 0) < self.now]
        per_month = 25
        target_visits = self.plan_visits(target_months, shifts, per_month)
        self.fit_people(target_visits, TARGET_VOTERS)
        later_visits = self.plan_visits(later_months, shifts, per_month)

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
        opinions = self.enter(target_plans + later_plans, target_visits + later_visits)
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
    # Every service below recomputes the figure cells it touches; the year's district-months are recomputed once,
    # at the end, instead of after each of its hundreds of writes.
    with figures_deferred():
        with transaction.atomic():
            builder.load()
            if not builder.sites:
                stdout.write("No sites: no demo activity.\n")
                return False
            builder.build()
            # Issue 16: the year's themes, 建设街道's pairing and deputies' activities, through their services.
            build_records(
                district=district,
                year=builder.year,
                now=builder.now,
                actor=Actor(builder.recorders[None]),
                stdout=stdout,
            )
        # The demo deputy's own requests need his account (created before the activity by load_demo).
        build_deputy_requests(now=builder.now, stdout=stdout)
    # Reported from the statistics themselves, the way the pages compute them.
    first, last = TARGET_MONTHS
    # Live over the records: inside load_demo the figure cells are recomputed only when the whole demo is in.
    figures = headline(scope=Scope.for_district(district), period=Period.months(builder.year, first, last), live=True)
    held = headline(scope=Scope.for_district(district), period=Period.year(builder.year), live=True).events_held
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
