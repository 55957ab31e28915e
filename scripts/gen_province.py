#!/usr/bin/env python
"""Generate a province on PostgreSQL for the load benchmark and the figures at scale (issue 15).

At `--scale 1`: 100 districts of 100 sites each (10 stations, 60 rooms, 30 points), 150,000 deputies (15 per
site, one mandate and one assignment each), this year's published rosters (a reception on the 20th of every
month at every site, two deputies on duty, attendance marked for the shifts already held), 2,000,000 visits
(60 % at a reception, the rest walk-ins, calls and deputies' visits) and 1,000,000 opinions (5 in 6 raised at a
visit, the rest sent online) in every state of their handling, plus the benchmark's accounts. `--scale 0.1`
is a tenth of everything (10 districts).

A bulk generator, not the portal's door: it inserts rows directly (STYLE.md lets benchmarks do that and say so),
by PostgreSQL's COPY for every table that grows with the province and by `bulk_create` for the small ones and on
SQLite (`Loader`). Each opinion comes with the handling steps (OpinionEvent) the services write on the way to its
state (registered → accepted → referred → replied → resolved or explained → closed, or not accepted), dated in
order after its registration, so the figures read from real-looking timelines; each district refers its opinions
to its own handling bodies or the province's shared ones, never another district's (as opinion_refer requires).
No audit entries and no history rows. The database keeps its CHECK constraints and foreign keys on; the rows pass
the models' `full_clean()` (tests/test_gen_province.py runs it on a sample of every model at a tiny scale).

    su postgres -c "createdb -O liaison_owner liaison_bench_province"
    export DATABASE_URL=postgres://liaison:liaison@127.0.0.1:5432/liaison_bench_province
    export DATABASE_OWNER_URL=postgres://liaison_owner:liaison_owner@127.0.0.1:5432/liaison_bench_province
    .venv/bin/python scripts/gen_province.py --scale 0.1

It migrates the database (as the owner), refuses a database that already holds districts, inserts as the
runtime role, then runs ANALYZE as the owner and `after_load()`. Prints rows/s per table and the total time:
about 1 minute at `--scale 0.1` and 10 minutes at `--scale 1` on the 2-core machine (README "The full-size
province"); run the full size in the background (`nohup nice -n 5 … > gen.log 2>&1 &`).

Accounts (password `bench-password` for all, printed at the end): `bench-staff-<n>` station staff at the
first station of district n, `bench-admin-<n>` district administrators with a confirmed TOTP device whose
key is `BENCH_TOTP_KEY` (so that the load benchmark can compute the second factor; never a real key).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import decimal
import io
import itertools
import operator
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

BATCH = 5000
COPY_CHUNK = 20000
PASSWORD = "bench-password"
# The benchmark admins' TOTP key (hex, 20 bytes): public on purpose, for a generated database only.
BENCH_TOTP_KEY = "3132333435363738393031323334353637383930"
ADMIN_ACCOUNTS = 8  # one per concurrent admin client: a TOTP code is accepted once per device and step

# One district at scale 1: 10 stations with 6 rooms each, a point under each of 3 rooms per station.
STATIONS_PER_DISTRICT = 10
ROOMS_PER_STATION = 6
POINTS_PER_STATION = 3
DEPUTIES_PER_SITE = 15
DUTIES_PER_SHIFT = 2
VISITS_PER_SITE = 200  # 2,000,000 over 10,000 sites
OPINIONS_PER_SITE = 100  # 1,000,000
# Each district's own handling bodies (its bureaus), and the province's shared by every district (migration 0025).
DISTRICT_BUREAUS = ("住房和城乡建设局", "交通运输局", "生态环境局", "农业农村局")
PROVINCE_BUREAUS = ("交通运输厅", "水利厅", "自然资源厅", "卫生健康委员会", "教育厅")
SHARED_REFERRALS = 0.15  # the share of referrals that go to a shared (province) body

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅海燕晓东云飞春雷文斌新民"


@dataclass
class Report:
    """Rows inserted and seconds spent per table, printed as rows/s."""

    out: Callable[[str], None] = print
    started: float = field(default_factory=time.perf_counter)
    lines: list[tuple[str, int, float]] = field(default_factory=list)

    def timed(self, table: str, insert: Callable[[], int]) -> int:
        start = time.perf_counter()
        rows = insert()
        self.add(table, rows, time.perf_counter() - start)
        return rows

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.lines.append((table, rows, seconds))
        self.out(f"{table:<16} {rows:>10,} rows {seconds:8.1f} s {rows / max(seconds, 1e-6):>10,.0f} rows/s")

    def total(self) -> None:
        rows = sum(n for _t, n, _s in self.lines)
        seconds = time.perf_counter() - self.started
        self.out(f"{'total':<16} {rows:>10,} rows {seconds:8.1f} s {rows / max(seconds, 1e-6):>10,.0f} rows/s")


def batched(items: Iterator[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Loader:
    """Inserts a model's rows the fastest way the database offers, with the same rows either way.

    On PostgreSQL a `COPY … FROM STDIN` in text format, in chunks of `COPY_CHUNK` rows (psycopg2's
    `copy_expert`, the driver the portal runs on; psycopg 3's `cursor.copy()` if the portal moves to it);
    elsewhere (SQLite, the tests) `bulk_create` in batches. The primary keys are given here, so that both paths
    hand back objects that know their ids (COPY returns none): on PostgreSQL drawn from the table's own sequence
    (`nextval`, a chunk at a time, which the runtime role may do; setting a sequence it may not), so that later
    inserts by the portal never collide with them; on SQLite counted on from the table's largest id, which its
    AUTOINCREMENT then follows. Each value is what Django would have sent (`pre_save` and `get_db_prep_save`: the
    defaults, `auto_now_add`, choices and files as the ORM writes them); the CHECK constraints, unique keys and
    foreign keys stay on and are checked row by row, as for any insert.
    """

    def __init__(self, *, batch: int = BATCH) -> None:
        from django.db import connection

        self.connection = connection
        self.copy = connection.vendor == "postgresql"
        self.batch = batch

    def _ids(self, model: type[Any]) -> Iterator[int]:
        """Fresh primary keys for the model's rows."""
        if not self.copy:
            from django.db.models import Max

            yield from itertools.count((model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1)
        table, column = model._meta.db_table, model._meta.pk.column
        with self.connection.cursor() as cursor:
            while True:  # the ids a chunk needs, in one round trip; the few left over at the end stay unused
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, column, COPY_CHUNK],
                )
                yield from (row[0] for row in cursor.fetchall())

    def _give_ids(self, model: type[Any], objs: Iterator[Any]) -> Iterator[Any]:
        ids = self._ids(model)
        for obj in objs:
            if obj.pk is None:
                obj.pk = next(ids)
            yield obj

    def insert(self, model: type[Any], objs: Iterator[Any] | list[Any]) -> int:
        """Insert the objects (their pk set on them, as bulk_create does on PostgreSQL); return how many."""
        from django.db import transaction

        rows = self._give_ids(model, iter(objs))
        if not self.copy:
            return sum(len(model.objects.bulk_create(batch)) for batch in batched(rows, self.batch))
        connection = self.connection
        quote = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        values = [self._value_of(f) for f in fields]
        statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        made = 0
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            for chunk in batched(rows, COPY_CHUNK):
                text = "".join("\t".join([copy_text(value(obj)) for value in values]) + "\n" for obj in chunk)
                if hasattr(raw, "copy_expert"):  # psycopg2
                    raw.copy_expert(statement, io.StringIO(text))
                else:  # psycopg 3
                    with raw.copy(statement) as copy:
                        copy.write(text)
                made += len(chunk)
        return made

    def _value_of(self, field: Any) -> Callable[[Any], object]:
        """How to read a field's value for COPY. Plain columns (text, numbers, booleans, foreign keys' ids, dates
        and times without auto_now) are their attribute, which is what the ORM would send for these rows (aware
        datetimes, str choices): most of the load's time went to Django's per-value preparation. Anything else
        (files, auto_now_add, decimals…) goes through `pre_save` and `get_db_prep_save` as in an ORM insert."""
        from django.db import models

        plain = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if (isinstance(field, plain) or isinstance(field, models.DateField) and not auto) and not isinstance(
            field, models.FileField
        ):
            return operator.attrgetter(field.attname)
        connection = self.connection
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: object) -> str:
    """One value in COPY's text format: NULL as \\N, booleans as t/f, dates and times in ISO form (with their
    offset), text with backslash, tab and line breaks escaped."""
    if type(value) is str:
        return value.translate(COPY_ESCAPES)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    raise TypeError(f"no COPY text for {type(value).__name__}")


class Step:
    """An opinion's handling step with OpinionEvent's columns as attributes, which is all COPY reads (`Loader`):
    making 3.8 model instances per opinion cost more than loading them. `event()` makes the model instance
    (for bulk_create on SQLite, and for checking that the columns are the model's)."""

    COLUMNS = (
        "opinion_id",
        "action",
        "from_state",
        "to_state",
        "actor_id",
        "at",
        "entered_at",
        "entered_late",
        "note",
        "public",
        "handling_body_id",
        "satisfaction",
    )
    __slots__ = ("id", "opinion", *COLUMNS)

    def __init__(self, opinion: Any, **values: Any) -> None:
        self.id: int | None = None
        self.opinion = opinion
        self.opinion_id: int | None = None
        # Entered as it happened (no late entry), shown to the voter: every step here changes the state.
        self.entered_late = False
        self.public = True
        for name, value in values.items():
            setattr(self, name, value)
        self.entered_at = values["at"]

    @property
    def pk(self) -> int | None:
        return self.id

    @pk.setter
    def pk(self, value: int) -> None:
        self.id = value

    def event(self) -> Any:
        from stations.models import OpinionEvent

        return OpinionEvent(id=self.id, **{name: getattr(self, name) for name in self.COLUMNS})


def handling_path(state: str, rng: random.Random) -> list[str]:
    """The steps (OpinionAction values) the services take from registration to `state`: the transitions of
    stations.services.opinions.TRANSITIONS; a closed opinion was resolved or explained (4 in 5 resolved) first."""
    from stations.models import OpinionAction as A
    from stations.models import State as S

    answer = A.RESOLVE if state == S.RESOLVED else A.EXPLAIN if state == S.EXPLAINED else None
    if state == S.CLOSED:
        answer = A.RESOLVE if rng.random() < 0.8 else A.EXPLAIN
    paths = {
        S.REGISTERED: [A.REGISTER],
        S.ACCEPTED: [A.REGISTER, A.ACCEPT],
        S.NOT_ACCEPTED: [A.REGISTER, A.NOT_ACCEPT],
        S.REFERRED: [A.REGISTER, A.ACCEPT, A.REFER],
        S.REPLIED: [A.REGISTER, A.ACCEPT, A.REFER, A.REPLY],
    }
    if state in paths:
        return list(paths[state])
    path = [A.REGISTER, A.ACCEPT, A.REFER, A.REPLY, answer]
    return path + [A.CLOSE] if state == S.CLOSED else path


# How long after the previous step each step usually comes (hours, low and high): accepted within two days,
# referred within three more, the body's reply within its month, the answer noted soon after, closed within a week.
STEP_DELAYS = {
    "accept": (1, 48),
    "not_accept": (1, 48),
    "refer": (1, 72),
    "reply": (48, 28 * 24),
    "resolve": (1, 72),
    "explain": (1, 72),
    "close": (24, 7 * 24),
}


def step_moments(registered: dt.datetime, steps: int, *, now: dt.datetime, rng: random.Random) -> list[dt.datetime]:
    """When each of an opinion's steps happened: the registration, then each step after the one before, in order;
    squeezed into the time between the registration and an hour ago when they would reach past it (an opinion
    registered yesterday and already referred took its steps within the day)."""
    order = ["register", "accept", "refer", "reply", "resolve", "close"][:steps]
    delays = [rng.uniform(*STEP_DELAYS[name]) * 3600 for name in order[1:]]
    room = (now - dt.timedelta(hours=1) - registered).total_seconds()
    total = sum(delays)
    if total > room:
        delays = [delay * max(room, 0.0) / total for delay in delays]
    moments = [registered]
    for delay in delays:
        # At least a second apart: a timeline's order is the order of its steps.
        moments.append(moments[-1] + dt.timedelta(seconds=max(delay, 1.0)))
    return moments


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def generate(
    *,
    scale: float,
    year: int | None = None,
    seed: int = 2026,
    districts: int | None = None,
    now: dt.datetime | None = None,
    out: Callable[[str], None] = print,
) -> Report:
    """Insert the province. `districts` overrides the scaled number of districts (the sites per district stay
    100, so a district's figures look the same at every scale)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from stations.clock import LOCAL_TZ, local_date
    from stations.models import (
        AbsenceReason,
        Assignment,
        Attendance,
        Category,
        Channel,
        Deputy,
        District,
        Duty,
        DutyShift,
        HandlingBody,
        Level,
        Mandate,
        Membership,
        Opinion,
        OpinionAction,
        OpinionEvent,
        Region,
        RegionLevel,
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
    from stations.services.opinions import TRANSITIONS, normalise_tracking_code

    step_states = {action: transition.target for action, transition in TRANSITIONS.items()}
    step_states[OpinionAction.REGISTER] = State.REGISTERED
    # The notes a step carries where its service asks for one (the reason, the reply, the explanation).
    step_notes = {
        OpinionAction.NOT_ACCEPT: "不属于本级人大职责范围，已告知选民向有关部门反映。",
        OpinionAction.REPLY: "已列入明年计划。",
        OpinionAction.EXPLAIN: "已向选民解释说明政策规定。",
    }

    now = now or timezone.now()
    local_now = now.astimezone(LOCAL_TZ)
    year = year or local_now.year
    rng = random.Random(seed)
    report = Report(out=out)
    loader = Loader()
    n_districts = districts if districts is not None else max(1, round(100 * scale))
    if District.objects.exists():
        raise SystemExit("the database already holds districts: give the generator an empty one")

    # --- the network ---------------------------------------------------------------------------------------
    # Regions: one province (a code no real province has), a city for every ten districts, and each district's
    # county-level region under its city, as a province's portal holds them.
    province = Region.objects.create(name="基准省", code="990000000000", level=RegionLevel.PROVINCE)
    cities = Region.objects.bulk_create(
        Region(name=f"第{c + 1:02d}市", code=f"99{c + 1:02d}00000000", level=RegionLevel.CITY, parent=province)
        for c in range((n_districts + 9) // 10)
    )
    counties = Region.objects.bulk_create(
        Region(
            name=f"第{n + 1:03d}区",
            code=f"99{n // 10 + 1:02d}{n % 10 + 1:02d}000000",
            level=RegionLevel.COUNTY,
            parent=cities[n // 10],
        )
        for n in range(n_districts)
    )
    district_rows = [
        District(name=f"第{n + 1:03d}区", slug=f"d{n + 1:03d}", code=f"D{n + 1:03d}", region=counties[n])
        for n in range(n_districts)
    ]
    report.timed("district", lambda: len(District.objects.bulk_create(district_rows)))

    stations: list[Site] = []
    rooms: list[Site] = []
    points: list[Site] = []

    def insert_sites() -> int:
        for district in district_rows:
            for k in range(STATIONS_PER_DISTRICT):
                town = f"{district.name}第{k + 1}镇"
                stations.append(
                    Site(
                        district=district,
                        kind=SiteKind.STATION,
                        name=f"{town}代表联络站",
                        slug=f"{district.slug}-s{k + 1}",
                        town=town,
                        address=f"{town}人民路{k + 1}号",
                        phone=f"0573-8{rng.randint(1000000, 9999999)}",
                        is_online=True,
                    )
                )
        Site.objects.bulk_create(stations, batch_size=BATCH)
        for station in stations:
            for j in range(ROOMS_PER_STATION):
                rooms.append(
                    Site(
                        district=station.district,
                        kind=SiteKind.ROOM,
                        parent=station,
                        name=f"{station.town}第{j + 1}村代表联络室",
                        slug=f"{station.slug}-r{j + 1}",
                        town=station.town,
                    )
                )
        Site.objects.bulk_create(rooms, batch_size=BATCH)
        for s, station in enumerate(stations):
            for j in range(POINTS_PER_STATION):
                room = rooms[s * ROOMS_PER_STATION + j]
                points.append(
                    Site(
                        district=station.district,
                        kind=SiteKind.POINT,
                        parent=room,
                        name=f"{room.name[:-5]}企业联络点",
                        slug=f"{room.slug}-p1",
                        town=station.town,
                        sector="enterprise",
                    )
                )
        Site.objects.bulk_create(points, batch_size=BATCH)
        return len(stations) + len(rooms) + len(points)

    report.timed("site", insert_sites)
    sites = [*stations, *rooms, *points]

    def insert_towns() -> int:
        # One town or street region per station, under its district's county, with a town-level code (the
        # county's six digits, the town's three): what the network's services keep for an interactive portal
        # (stations/services/regions.py), written here in bulk as the rest of the province.
        towns = [
            Region(
                name=station.town,
                code=f"{county.code[:6]}{k + 1:03d}000",
                level=RegionLevel.TOWN,
                parent=county,
            )
            for n, county in enumerate(counties)
            for k, station in enumerate(stations[n * STATIONS_PER_DISTRICT : (n + 1) * STATIONS_PER_DISTRICT])
        ]
        return len(Region.objects.bulk_create(towns, batch_size=BATCH))

    report.timed("region (towns)", insert_towns)

    site_deputies: dict[int, list[Deputy]] = {}

    def insert_deputies() -> int:
        rows = []
        for site in sites:
            for k in range(DEPUTIES_PER_SITE):
                rows.append(
                    Deputy(
                        district=site.district,
                        name=person_name(rng),
                        slug=f"{site.slug}-d{k + 1}",
                        gender=rng.choice("fm"),
                        occupation="",
                    )
                )
        loader.insert(Deputy, rows)
        for index, site in enumerate(sites):
            site_deputies[site.pk] = rows[index * DEPUTIES_PER_SITE : (index + 1) * DEPUTIES_PER_SITE]
        return len(rows)

    report.timed("deputy", insert_deputies)
    levels = [Level.TOWN, Level.TOWN, Level.DISTRICT, Level.CITY, Level.PROVINCE]
    term_start = dt.date(year - 3, 1, 1)

    def insert_mandates() -> int:
        return loader.insert(
            Mandate,
            (
                Mandate(deputy=d, level=levels[n % len(levels)], term_start=term_start)
                for n, d in enumerate(d for ds in site_deputies.values() for d in ds)
            ),
        )

    report.timed("mandate", insert_mandates)

    def insert_assignments() -> int:
        return loader.insert(
            Assignment,
            (
                Assignment(deputy=d, site_id=pk, since=term_start)
                for pk, deputies in site_deputies.items()
                for d in deputies
            ),
        )

    report.timed("assignment", insert_assignments)

    # --- this year's rosters ------------------------------------------------------------------------------
    published = dt.datetime(year - 1, 12, 1, 10, tzinfo=LOCAL_TZ)
    rosters = [Roster(site=site, year=year, published_at=published) for site in sites]
    report.timed("roster", lambda: loader.insert(Roster, rosters))
    shifts: list[DutyShift] = [
        DutyShift(
            roster=roster,
            start=dt.datetime(year, month, 20, 9, tzinfo=LOCAL_TZ),
            end=dt.datetime(year, month, 20, 11, 30, tzinfo=LOCAL_TZ),
        )
        for roster in rosters
        for month in range(1, 13)
    ]
    report.timed("dutyshift", lambda: loader.insert(DutyShift, shifts))
    site_of_roster = {roster.pk: roster.site_id for roster in rosters}
    past_shifts: dict[int, list[DutyShift]] = {}
    for shift in shifts:
        if shift.end <= now:
            past_shifts.setdefault(site_of_roster[shift.roster_id], []).append(shift)
    attendance = [Attendance.PRESENT] * 8 + [Attendance.ABSENT, Attendance.SUBSTITUTED]
    reasons = list(AbsenceReason.values)

    def duty_rows() -> Iterator[Duty]:
        for shift in shifts:
            pool = site_deputies[site_of_roster[shift.roster_id]]
            month = shift.start.astimezone(LOCAL_TZ).month
            for k in range(DUTIES_PER_SHIFT):
                state = rng.choice(attendance) if shift.end <= now else Attendance.UNMARKED
                yield Duty(
                    shift=shift,
                    deputy=pool[(month * DUTIES_PER_SHIFT + k) % len(pool)],
                    attendance=state,
                    absence_reason=rng.choice(reasons) if state == Attendance.ABSENT else "",
                    substitute=pool[(month * DUTIES_PER_SHIFT + 5) % len(pool)]
                    if state == Attendance.SUBSTITUTED
                    else None,
                )

    report.timed("duty", lambda: loader.insert(Duty, duty_rows()))

    # --- accounts -----------------------------------------------------------------------------------------
    User = get_user_model()

    def insert_accounts() -> int:
        made = 0
        hashed = make_password(PASSWORD)  # hashed once: a hash costs a third of a second by design
        with transaction.atomic():
            for n in range(len(district_rows)):
                station = stations[n * STATIONS_PER_DISTRICT]
                user = User.objects.create(username=f"bench-staff-{n + 1}", password=hashed)
                Membership.objects.create(user=user, role=Role.STAFF, station=station)
                made += 1
            for n in range(ADMIN_ACCOUNTS):
                user = User.objects.create(username=f"bench-admin-{n + 1}", password=hashed, is_staff=True)
                # The province's administrator: every district below it (policy.admin_districts).
                Membership.objects.create(user=user, role=Role.PROVINCE_ADMIN, region=province)
                TOTPDevice.objects.create(user=user, name="benchmark", key=BENCH_TOTP_KEY, confirmed=True)
                made += 1
        return made

    report.timed("user", insert_accounts)
    recorder = User.objects.get(username="bench-staff-1")
    # Each district's staff account (at its first station) takes the handling steps of its district's opinions.
    staff_ids = dict(User.objects.filter(username__startswith="bench-staff-").values_list("username", "pk"))
    handler_of_district = {d.pk: staff_ids[f"bench-staff-{n + 1}"] for n, d in enumerate(district_rows)}

    # --- the record book ----------------------------------------------------------------------------------
    # Below one district (scale < 0.01, the tests) the records per site shrink instead.
    per_site = min(1.0, 100 * scale)
    visits_per_site = max(1, round(VISITS_PER_SITE * per_site))
    year_start = dt.datetime(year, 1, 1, tzinfo=LOCAL_TZ)
    year_end = min(dt.datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ), now - dt.timedelta(hours=1))
    span = (year_end - year_start).total_seconds()
    categories = list(Category.values)
    other_channels = [Channel.WALK_IN, Channel.WALK_IN, Channel.PHONE, Channel.DEPUTY_VISIT]
    weights = [4.0 if s.kind == SiteKind.STATION else 1.0 for s in sites]
    total_visits = visits_per_site * len(sites)
    opinion_sources: list[tuple[int, int, dt.datetime]] = []  # (visit, site, when) of visits that raise one
    total_opinions = OPINIONS_PER_SITE * total_visits // VISITS_PER_SITE
    from_visits = total_opinions * 5 // 6

    def visit_rows() -> Iterator[Visit]:
        for site in rng.choices(sites, weights=weights, k=total_visits):
            held = past_shifts.get(site.pk)
            if held and rng.random() < 0.6:
                shift: DutyShift | None = rng.choice(held)
                when = shift.start + dt.timedelta(minutes=rng.randint(0, 149))
                channel = Channel.RECEPTION_DAY
            else:
                shift = None
                when = year_start + dt.timedelta(seconds=rng.uniform(0, span))
                channel = rng.choice(other_channels)
            yield Visit(
                site=site,
                occurred_at=when,
                shift=shift,
                visitor_name=person_name(rng),
                visitor_phone=f"13{rng.randint(100000000, 999999999)}",
                area_text=f"{site.town}第{rng.randint(1, 6)}村",
                people=rng.choice([1, 1, 1, 1, 2, 3, 12]),
                channel=channel,
                category=rng.choice(categories),
                summary="反映村道路灯损坏、夜间出行不便，希望尽快维修。",
                recorded_by=recorder,
            )

    # The deputy present at each reception-day visit, kept as ids (a million model objects would not fit).
    present: list[tuple[int, int]] = []

    def noted(visits: Iterator[Visit]) -> Iterator[Visit]:
        """The visits as they are inserted (their ids given), noting who was present and which raise an opinion."""
        for visit in visits:
            yield visit
            if visit.shift is not None:
                present.append((visit.pk, site_deputies[visit.site_id][0].pk))
            if len(opinion_sources) < from_visits and rng.random() < from_visits / total_visits * 1.05:
                opinion_sources.append((visit.pk, visit.site_id, visit.occurred_at))

    report.timed("visit", lambda: loader.insert(Visit, noted(visit_rows())))
    report.timed(
        "visitdeputy",
        lambda: loader.insert(VisitDeputy, (VisitDeputy(visit_id=v, deputy_id=d) for v, d in present)),
    )

    # Handling bodies as migration 0025 holds them: each district's own bureaus and town governments, and a few of
    # the province's shared by every district. An opinion is referred only to its district's or a shared one
    # (opinion_refer refuses another district's; these rows bypass it, so the choice below keeps the rule).
    district_bodies: dict[int, list[HandlingBody]] = {
        d.pk: [HandlingBody(name=f"{d.name}{bureau}", district=d) for bureau in DISTRICT_BUREAUS] for d in district_rows
    }
    shared_bodies = [HandlingBody(name=f"{province.name}{bureau}") for bureau in PROVINCE_BUREAUS]
    report.timed(
        "handlingbody",
        lambda: len(
            HandlingBody.objects.bulk_create([*shared_bodies, *(b for bs in district_bodies.values() for b in bs)])
        ),
    )
    station_ids = [s.pk for s in stations]
    code_of_site = {s.pk: s.district.code for s in sites}
    district_of_site = {s.pk: s.district_id for s in sites}
    # Opinions registered in the last 50 days have not got far yet: the handling body has a month to reply.
    recent = now - dt.timedelta(days=50)
    late_states = [State.REFERRED, State.REPLIED, State.RESOLVED, State.EXPLAINED, State.CLOSED, State.CLOSED]
    early_states = [State.REGISTERED, State.ACCEPTED, State.NOT_ACCEPTED, State.REFERRED]
    satisfaction = [Satisfaction.SATISFIED] * 3 + [Satisfaction.BASICALLY, Satisfaction.UNSATISFIED]

    numbered: collections.Counter[str] = collections.Counter()
    # The handling steps (OpinionEvent) the services write on the way to each opinion's state, made beside it.
    steps: list[Step] = []

    def opinion_rows() -> Iterator[Opinion]:
        for n in range(total_opinions):
            if n < len(opinion_sources):
                visit_id, site_id, registered = opinion_sources[n]
                visit: int | None = visit_id
                source = Source.RECEPTION
            else:
                visit, site_id, source = None, rng.choice(station_ids), Source.ONLINE
                registered = year_start + dt.timedelta(seconds=rng.uniform(0, span))
            if registered > recent:
                state = rng.choice(early_states)
            else:
                state = rng.choice(late_states + [State.NOT_ACCEPTED, State.ACCEPTED])
            path = handling_path(state, rng)
            moments = step_moments(registered, len(path), now=now, rng=rng)
            at = dict(zip(path, moments, strict=True))
            referred = OpinionAction.REFER in at
            body = None
            if referred:
                own = district_bodies[district_of_site[site_id]]
                body = rng.choice(shared_bodies) if rng.random() < SHARED_REFERRALS else rng.choice(own)
            replied_at = at.get(OpinionAction.REPLY)
            closed_at = at.get(OpinionAction.CLOSE)
            code = code_of_site[site_id]
            numbered[code] += 1
            opinion = Opinion(
                # As opinion_register numbers them: the district's code, the year, the district's count (5 digits).
                reference=f"{code}-{year}-{numbered[code]:05d}",
                # The shape new_tracking_code() gives (three groups of five), so that /track/ and the API find it.
                tracking_code=normalise_tracking_code(f"BENCH{n + 1:010d}"),
                site_id=site_id,
                visit_id=visit,
                source=source,
                category=rng.choice(categories),
                content="建议在村口增设公交站台，方便老人出行。",
                state=state,
                handling_body=body,
                # As opinion_refer sets it: 30 days from the referral's local date.
                deadline=local_date(at[OpinionAction.REFER]) + dt.timedelta(days=30) if referred else None,
                reply=step_notes[OpinionAction.REPLY] if replied_at else "",
                registered_at=registered,
                entered_at=registered,
                replied_at=replied_at,
                closed_at=closed_at,
                satisfaction=rng.choice(satisfaction) if closed_at else "",
                version=len(path) - 1,  # each step after the registration bumps it
            )
            # The district's staff take the steps; an opinion sent online is registered by nobody (the voter).
            # Entered as they happened (no late entries).
            handler = handler_of_district[district_of_site[site_id]]
            actor = handler if source == Source.RECEPTION else None
            before = ""
            for action in path:
                after = step_states[action]
                steps.append(
                    Step(
                        opinion,
                        action=action,
                        from_state=before,
                        to_state=after,
                        actor_id=actor if action == OpinionAction.REGISTER else handler,
                        at=at[action],
                        note=step_notes.get(action, ""),
                        handling_body_id=body.pk
                        if body and action in (OpinionAction.REFER, OpinionAction.REPLY)
                        else None,
                        satisfaction=opinion.satisfaction if action == OpinionAction.CLOSE else "",
                    )
                )
                before = after
            # Yielded after its steps are made: the chunk that takes it then holds them all.
            yield opinion

    # Opinions a chunk at a time, each chunk's steps right after it (their opinions are in by then), so that the
    # steps of a million opinions are never held at once.
    def insert_opinions() -> tuple[int, int, float, float]:
        opinions = events = 0
        opinion_seconds = event_seconds = 0.0
        rows = opinion_rows()
        while True:
            start = time.perf_counter()  # the opinions' time includes making them and their steps' objects
            chunk = list(itertools.islice(rows, COPY_CHUNK))
            if not chunk:
                break
            opinions += loader.insert(Opinion, chunk)
            middle = time.perf_counter()
            # The opinions know their ids once inserted (the loader gives them): their steps take them now.
            for step in steps:
                step.opinion_id = step.opinion.pk
            events += loader.insert(OpinionEvent, steps if loader.copy else [step.event() for step in steps])
            steps.clear()
            opinion_seconds += middle - start
            event_seconds += time.perf_counter() - middle
        return opinions, events, opinion_seconds, event_seconds

    opinions, events, opinion_seconds, event_seconds = insert_opinions()
    report.add("opinion", opinions, opinion_seconds)
    report.add("opinionevent", events, event_seconds)
    report.total()
    return report


def analyze() -> None:
    """ANALYZE as the tables' owner (the runtime role may not), so that the planner knows the new sizes."""
    from django.db import connections

    from stations.db_roles import owner_database

    connection = connections[owner_database()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def after_load(out: Callable[[str], None] = print) -> None:
    """What runs once the rows are in and ANALYZEd: the rows bypassed the services, which keep the figures'
    summary cells (stations/services/figures.py), so every cell is recomputed at once. After ANALYZE, so that
    the recompute's grouped queries are planned for the tables' real sizes."""
    from stations.services.figures import figures_rebuild

    start = time.perf_counter()
    figures_rebuild()
    out(f"figure cells (rebuild_figures) {time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the province (0.1: 10 districts)")
    parser.add_argument("--districts", type=int, help="number of districts (default: 100 × scale)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the figures of issue 15 are for PostgreSQL", file=sys.stderr)
    call_command("migrate", verbosity=0)
    generate(scale=args.scale, districts=args.districts, seed=args.seed)
    start = time.perf_counter()
    analyze()
    print(f"ANALYZE {time.perf_counter() - start:.1f} s")
    after_load()
    print(f"accounts: bench-staff-1 … (station staff), bench-admin-1 … (district administrators); password {PASSWORD}")


if __name__ == "__main__":
    main()
