"""The demo district's network: Nanhu District (南湖区, Jiaxing) shaped like the seed report's figures.

15 stations at the district's towns and streets, 63 rooms, 10 points, 13 online stations, the villages and
communities they serve, and a few hundred deputies of the four levels, every one assigned to a site. The
stations' towns and streets are the district's own; the seed's particular sites are here (the room shared
by 金星, 长秦 and 曹王 villages in 金星村 under 余新镇, headed by 顾海明; 新丰镇's sixth room at the 竹林
post house; 凤桥镇's enterprise and agriculture points; 建设街道's 辅成小学 and 旭辉广场 points). The other
villages and communities and every deputy are illustrative. Everything is drawn from a seeded random
generator, so every run builds the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from stations.audit import Actor
from stations.models import Area, AreaKind, Assignment, Deputy, District, Mandate, Region, RegionLevel, Site, SiteKind
from stations.services.regions import district_towns_ensure

SEED = 20170820  # The seed's "every month on the 20th", and the year it reports.
DISTRICT = {"name": "南湖区", "slug": "nanhu", "code": "NH"}

# Where Nanhu lies (issue 15): Zhejiang → Jiaxing → Nanhu, with Jiaxing's other counties and county-level cities
# beside it (national administrative division codes), so the region pages show the real shape: one district
# of seven runs its network on this portal.
PROVINCE = ("浙江省", "330000000000")
CITY = ("嘉兴市", "330400000000")
COUNTIES = [
    ("南湖区", "330402000000"),
    ("秀洲区", "330411000000"),
    ("嘉善县", "330421000000"),
    ("海盐县", "330424000000"),
    ("海宁市", "330481000000"),
    ("平湖市", "330482000000"),
    ("桐乡市", "330483000000"),
]

VILLAGE, COMMUNITY = AreaKind.VILLAGE, AreaKind.COMMUNITY

# (town or street, slug, kind of area it serves, online station?, year the station opened,
#  rooms: (name, slug suffix, areas served),
#  points: (name, slug suffix, sector, slug suffix of the room it sits in or None for the station))
STATIONS: list[tuple] = [
    (
        "解放街道", "jiefang", COMMUNITY, True, 2014,
        [
            ("月河社区代表联络室", "yuehe", ["月河社区"]),
            ("勤俭社区代表联络室", "qinjian", ["勤俭社区", "紫阳社区"]),
            ("荷花堤社区代表联络室", "hehuadi", ["荷花堤社区"]),
            ("天星湖社区代表联络室", "tianxinghu", ["天星湖社区", "秀水社区"]),
        ],
        [],
    ),
    (
        "建设街道", "jianshe", COMMUNITY, True, 2014,
        [
            ("梅湾社区代表联络室", "meiwan", ["梅湾社区"]),
            ("禾兴社区代表联络室", "hexing", ["禾兴社区", "东升社区"]),
            ("南溪社区代表联络室", "nanxi", ["南溪社区"]),
            ("广益社区代表联络室", "guangyi", ["广益社区"]),
        ],
        [
            ("辅成小学代表联络点", "fucheng-school", "school", None),
            ("旭辉广场代表联络点", "xuhui-plaza", "plaza", None),
        ],
    ),
    (
        "新兴街道", "xinxing", COMMUNITY, True, 2014,
        [
            ("穆湖社区代表联络室", "muhu", ["穆湖社区"]),
            ("花园社区代表联络室", "huayuan", ["花园社区"]),
            ("金都社区代表联络室", "jindu", ["金都社区", "香湖社区"]),
            ("新兴社区代表联络室", "community", ["新兴社区"]),
        ],
        [("新兴街道企业代表联络点", "enterprise", "enterprise", None)],
    ),
    (
        "新嘉街道", "xinjia", COMMUNITY, True, 2014,
        [
            ("百花社区代表联络室", "baihua", ["百花社区"]),
            ("槜李社区代表联络室", "zuili", ["槜李社区"]),
            ("湖滨社区代表联络室", "hubin", ["湖滨社区", "凌云社区"]),
            ("新嘉社区代表联络室", "community", ["新嘉社区"]),
        ],
        [],
    ),
    (
        "南湖街道", "nanhu-street", COMMUNITY, True, 2014,
        [
            ("长中社区代表联络室", "changzhong", ["长中社区"]),
            ("东湖社区代表联络室", "donghu", ["东湖社区"]),
            ("由拳社区代表联络室", "youquan", ["由拳社区", "南湖社区"]),
            ("城东社区代表联络室", "chengdong", ["城东社区"]),
        ],
        [],
    ),
    (
        "东栅街道", "dongzha", COMMUNITY, True, 2014,
        [
            ("东栅社区代表联络室", "community", ["东栅社区"]),
            ("步云社区代表联络室", "buyun", ["步云社区", "东港社区"]),
            ("锦华社区代表联络室", "jinhua", ["锦华社区"]),
        ],
        [],
    ),
    (
        "七星街道", "qixing", VILLAGE, True, 2014,
        [
            ("东进村代表联络室", "dongjin", ["东进村"]),
            ("湘城村代表联络室", "xiangcheng", ["湘城村"]),
            ("七星村代表联络室", "village", ["七星村", "大树村"]),
            ("群丰村代表联络室", "qunfeng", ["群丰村"]),
        ],
        [("湘家荡农业代表联络点", "xiangjiadang-agriculture", "agriculture", None)],
    ),
    (
        "城南街道", "chengnan", COMMUNITY, True, 2015,
        [
            ("紫金社区代表联络室", "zijin", ["紫金社区"]),
            ("景湖社区代表联络室", "jinghu", ["景湖社区"]),
            ("城南社区代表联络室", "community", ["城南社区", "烟雨社区"]),
            ("庄史社区代表联络室", "zhuangshi", ["庄史社区"]),
        ],
        [],
    ),
    (
        "长水街道", "changshui", COMMUNITY, True, 2015,
        [
            ("长水社区代表联络室", "community", ["长水社区"]),
            ("新城社区代表联络室", "xincheng", ["新城社区"]),
            ("星海社区代表联络室", "xinghai", ["星海社区", "秀园社区"]),
        ],
        [("长水社区服务中心代表联络点", "service-centre", "community", None)],
    ),
    (
        "嘉北街道", "jiabei", COMMUNITY, False, 2015,
        [
            ("嘉北社区代表联络室", "community", ["嘉北社区"]),
            ("凌公塘社区代表联络室", "linggongtang", ["凌公塘社区"]),
            ("洪殿社区代表联络室", "hongdian", ["洪殿社区", "禾源社区"]),
        ],
        [],
    ),
    (
        # The station the seed says was built in 2017.
        "塘汇街道", "tanghui", COMMUNITY, False, 2017,
        [
            ("塘汇社区代表联络室", "community", ["塘汇社区"]),
            ("新联社区代表联络室", "xinlian", ["新联社区"]),
            ("马家浜社区代表联络室", "majiabang", ["马家浜社区"]),
            ("红旗社区代表联络室", "hongqi", ["红旗社区", "古窑社区"]),
        ],
        [],
    ),
    (
        "余新镇", "yuxin", VILLAGE, True, 2014,
        [
            ("金星村代表联络室", "jinxing", ["金星村", "长秦村", "曹王村"]),
            ("余新村代表联络室", "village", ["余新村"]),
            ("余北村代表联络室", "yubei", ["余北村"]),
            ("清河村代表联络室", "qinghe", ["清河村", "西河村"]),
            ("鸣羊村代表联络室", "mingyang", ["鸣羊村"]),
            ("丁桥村代表联络室", "dingqiao", ["丁桥村"]),
        ],
        [("金星村企业代表联络点", "jinxing-enterprise", "enterprise", "jinxing")],
    ),
    (
        "凤桥镇", "fengqiao", VILLAGE, True, 2014,
        [
            ("凤桥村代表联络室", "village", ["凤桥村"]),
            ("三星村代表联络室", "sanxing", ["三星村"]),
            ("联丰村代表联络室", "lianfeng", ["联丰村"]),
            ("永红村代表联络室", "yonghong", ["永红村", "新民村"]),
            ("兴旺村代表联络室", "xingwang", ["兴旺村"]),
        ],
        [
            ("凤桥镇企业代表联络点", "enterprise", "enterprise", None),
            ("凤桥镇农业代表联络点", "agriculture", "agriculture", None),
        ],
    ),
    (
        "新丰镇", "xinfeng", VILLAGE, True, 2014,
        [
            ("新丰镇第一代表联络室", "room-1", ["新丰村"]),
            ("新丰镇第二代表联络室", "room-2", ["镇北村"]),
            ("新丰镇第三代表联络室", "room-3", ["净相村"]),
            ("新丰镇第四代表联络室", "room-4", ["丰北村"]),
            ("新丰镇第五代表联络室", "room-5", ["和丰村", "民主村"]),
            ("新丰镇第六代表联络室", "zhulin", ["竹林村"]),
        ],
        [("净相村农业代表联络点", "jingxiang-agriculture", "agriculture", "room-3")],
    ),
    (
        "大桥镇", "daqiao", VILLAGE, True, 2014,
        [
            ("胜丰村代表联络室", "shengfeng", ["胜丰村"]),
            ("江南村代表联络室", "jiangnan", ["江南村"]),
            ("云东村代表联络室", "yundong", ["云东村"]),
            ("亚中村代表联络室", "yazhong", ["亚中村", "明新村"]),
            ("大桥村代表联络室", "village", ["大桥村"]),
        ],
        [("大桥镇工业园区企业代表联络点", "industrial-park", "enterprise", None)],
    ),
]  # fmt: skip

AREA_KIND = {station[0]: str(station[2]) for station in STATIONS}

# Addresses the seed names; the rest are built from the town and the area.
SPECIAL_ADDRESSES = {
    "yuxin-jinxing": "余新镇金星村村委会",
    "xinfeng-zhulin": "新丰镇竹林村竹林驿站",
    "jianshe-fucheng-school": "建设街道辅成小学",
    "jianshe-xuhui-plaza": "建设街道旭辉广场",
}
SPECIAL_HEADS = {"yuxin-jinxing": "顾海明"}
ROOMS_BUILT_IN_2017 = 25  # The seed: "2017年，南湖区新建代表联络站1个，代表联络室25个，代表联络点10个"

# Common surnames (with pinyin for slugs), the Jiaxing area's frequent ones included.
SURNAMES = [
    ("沈", "shen"), ("王", "wang"), ("张", "zhang"), ("陈", "chen"), ("李", "li"), ("徐", "xu"), ("朱", "zhu"),
    ("周", "zhou"), ("吴", "wu"), ("钱", "qian"), ("陆", "lu"), ("顾", "gu"), ("金", "jin"), ("姚", "yao"),
    ("杨", "yang"), ("黄", "huang"), ("刘", "liu"), ("孙", "sun"), ("蒋", "jiang"), ("褚", "chu"),
    ("范", "fan"), ("俞", "yu"), ("邵", "shao"), ("潘", "pan"), ("戴", "dai"), ("费", "fei"), ("屠", "tu"),
    ("许", "xu"), ("冯", "feng"), ("胡", "hu"),
]  # fmt: skip
GIVEN_MALE = [
    ("建", "jian"), ("国", "guo"), ("伟", "wei"), ("强", "qiang"), ("军", "jun"), ("明", "ming"), ("华", "hua"),
    ("峰", "feng"), ("斌", "bin"), ("海", "hai"), ("忠", "zhong"), ("林", "lin"), ("平", "ping"), ("东", "dong"),
    ("杰", "jie"), ("荣", "rong"), ("志", "zhi"), ("新", "xin"), ("良", "liang"), ("春", "chun"), ("勇", "yong"),
]  # fmt: skip
GIVEN_FEMALE = [
    ("芳", "fang"), ("娟", "juan"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("燕", "yan"), ("霞", "xia"),
    ("萍", "ping"), ("红", "hong"), ("英", "ying"), ("梅", "mei"), ("琴", "qin"), ("玲", "ling"), ("婷", "ting"),
    ("慧", "hui"), ("洁", "jie"), ("雪", "xue"), ("勤", "qin"), ("美", "mei"), ("兰", "lan"), ("华", "hua"),
]  # fmt: skip

OCCUPATIONS = {
    "village": ["村党总支书记", "村委会主任", "村务监督委员会主任", "个体工商户", "乡村医生", "退休教师"],
    "community": ["社区党委书记", "社区居委会主任", "律师", "医生", "个体工商户", "退休干部"],
    "enterprise": ["企业董事长", "公司总经理", "民营企业负责人", "企业技术员"],
    "agriculture": ["家庭农场主", "农业合作社社长", "种粮大户", "水产养殖户"],
    "school": ["小学教师", "中学校长", "幼儿园园长"],
    "plaza": ["商户代表", "商场经理"],
}
TOPICS = [
    "小城镇环境综合整治", "“三改一拆”", "剿灭劣Ⅴ类水", "农村道路建设", "居家养老服务", "孩子入学",
    "社区绿化", "垃圾分类", "老旧小区改造", "“低小散”企业整治", "农村饮用水", "停车难",
]  # fmt: skip
TERMS = {
    # Terms started with the last elections; no end is recorded, so the demo stays current.
    "province": dt.date(2023, 1, 16),
    "city": dt.date(2022, 1, 10),
    "district": dt.date(2021, 12, 20),
    "town": dt.date(2021, 12, 10),
}
OPENING_STATION = "每月20日9:00–11:30代表集中接待选民，不见不散；工作日8:30–17:00可到站反映意见建议。"
OPENING_SITE = "每月20日9:00–11:30代表值班接待选民，不见不散。"


# --- the plan: plain data, no database ------------------------------------------------------------------


@dataclass
class SitePlan:
    kind: str
    name: str
    slug: str
    town: str
    parent_slug: str | None
    address: str
    phone: str
    head_name: str
    established: dt.date
    is_online: bool = False
    sector: str = "general"
    areas: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    opening_notes: str = OPENING_SITE


@dataclass
class DeputyPlan:
    name: str
    slug: str
    gender: str
    sector: str
    occupation: str
    biography: str
    phone: str
    mandates: list[tuple[str, str]]  # (level, electoral district)
    site_slugs: list[str]


@dataclass
class NetworkPlan:
    sites: list[SitePlan]
    deputies: list[DeputyPlan]

    def digest(self) -> str:
        """A fingerprint of the whole plan, to check that every run plans the same data."""
        return hashlib.sha256(repr((self.sites, self.deputies)).encode()).hexdigest()


class _Names:
    """Deputies' and heads' names: common surnames and given names, each full name used once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = {"顾海明"}
        self.slugs: set[str] = {"gu-haiming"}

    def draw(self, gender: str) -> tuple[str, str]:
        given_pool = GIVEN_FEMALE if gender == "f" else GIVEN_MALE
        while True:
            surname, surname_py = self.rng.choice(SURNAMES)
            parts = self.rng.sample(given_pool, self.rng.choice((1, 2, 2, 2)))
            name = surname + "".join(char for char, _ in parts)
            if name not in self.names:
                break
        self.names.add(name)
        base = f"{surname_py}-{''.join(py for _, py in parts)}"
        slug, n = base, 2
        while slug in self.slugs:
            slug, n = f"{base}-{n}", n + 1
        self.slugs.add(slug)
        return name, slug


def _established(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def plan() -> NetworkPlan:
    """The whole demo network as plain data. Same seed, same plan: nothing here depends on the clock,
    the database or hash order."""
    rng = random.Random(SEED)
    names = _Names(rng)
    sites: list[SitePlan] = []
    phone_numbers = iter(range(1, 1000))

    def site_phone() -> str:
        return f"0573-8000{next(phone_numbers):04d}"

    # The rooms of the station built in 2017 came with it; the rest of 2017's rooms went to older stations.
    older_rooms = [(station[1], room[1]) for station in STATIONS if station[4] < 2017 for room in station[5]]
    newer_count = sum(len(station[5]) for station in STATIONS if station[4] == 2017)
    rooms_2017 = set(rng.sample(older_rooms, ROOMS_BUILT_IN_2017 - newer_count))
    for town, slug, area_kind, online, year, rooms, points in STATIONS:
        office = "办事处" if town.endswith("街道") else "人民政府"
        sites.append(
            SitePlan(
                kind=SiteKind.STATION,
                name=f"{town}代表联络站",
                slug=slug,
                town=town,
                parent_slug=None,
                address=f"{town}{office}",
                phone=site_phone(),
                head_name=names.draw(rng.choice("mmf"))[0],
                established=_established(rng, year),
                is_online=online,
                opening_notes=OPENING_STATION,
            )
        )
        for room_name, suffix, areas in rooms:
            room_slug = f"{slug}-{suffix}"
            committee = "村委会" if area_kind == VILLAGE else "居民委员会"
            built = 2017 if year == 2017 or (slug, suffix) in rooms_2017 else rng.randint(year, 2016)
            sites.append(
                SitePlan(
                    kind=SiteKind.ROOM,
                    name=room_name,
                    slug=room_slug,
                    town=town,
                    parent_slug=slug,
                    address=SPECIAL_ADDRESSES.get(room_slug, f"{town}{areas[0]}{committee}"),
                    phone=site_phone(),
                    head_name=SPECIAL_HEADS.get(room_slug) or names.draw(rng.choice("mmf"))[0],
                    established=_established(rng, built),
                    areas=[(area, area_kind) for area in areas],
                )
            )
        for point_name, suffix, sector, room_suffix in points:
            point_slug = f"{slug}-{suffix}"
            sites.append(
                SitePlan(
                    kind=SiteKind.POINT,
                    name=point_name,
                    slug=point_slug,
                    town=town,
                    parent_slug=f"{slug}-{room_suffix}" if room_suffix else slug,
                    address=SPECIAL_ADDRESSES.get(point_slug, f"{town}{point_name.removesuffix('代表联络点')}"),
                    phone=site_phone(),
                    head_name=names.draw(rng.choice("mmf"))[0],
                    established=_established(rng, 2017),
                    sector=sector,
                )
            )
    return NetworkPlan(sites=sites, deputies=_plan_deputies(rng, names, sites))


def _plan_deputies(rng: random.Random, names: _Names, sites: list[SitePlan]) -> list[DeputyPlan]:
    deputies: list[DeputyPlan] = []
    phones = iter(range(1, 10000))
    stations = [site for site in sites if site.kind == SiteKind.STATION]
    provincial_stations = {site.slug for site in rng.sample(stations, 8)}
    rooms_of = {
        station.slug: [s.slug for s in sites if s.parent_slug == station.slug and s.kind == "room"]
        for station in stations
    }
    electoral_counter: dict[str, int] = {}

    def electoral_district(level: str, town: str) -> str:
        if level == "province":
            return "嘉兴市"
        if level == "city":
            return "南湖区"
        electoral_counter[town] = electoral_counter.get(town, 0) + 1
        return f"{town}第{(electoral_counter[town] - 1) % 12 + 1}选区"

    def add(
        site: SitePlan,
        level: str,
        *,
        sector: str,
        name_slug: tuple[str, str] | None = None,
        gender=None,
        occupation=None,
    ) -> None:
        gender = gender or ("f" if rng.random() < 0.35 else "m")
        name, slug = name_slug or names.draw(gender)
        occupation = occupation or rng.choice(OCCUPATIONS[sector if sector != "general" else AREA_KIND[site.town]])
        mandates = [(level, electoral_district(level, site.town))]
        # Some deputies sit in two congresses: a town deputy also in the district's, a district one in the city's.
        if level == "town" and rng.random() < 0.15:
            mandates.append(("district", electoral_district("district", site.town)))
        elif level == "district" and rng.random() < 0.10:
            mandates.append(("city", "南湖区"))
        site_slugs = [site.slug]
        # Deputies of the province and the city serve their station and also receive at one of its rooms.
        if level in ("province", "city") and site.kind == SiteKind.STATION and rooms_of[site.slug]:
            site_slugs.append(rng.choice(rooms_of[site.slug]))
        topics = rng.sample(TOPICS, 2)
        deputies.append(
            DeputyPlan(
                name=name,
                slug=slug,
                gender=gender,
                sector=sector,
                occupation=occupation,
                biography=f"现任{occupation}，在{site.name}联系选民。长期关注{topics[0]}、{topics[1]}等问题，"
                "在接待日认真听取选民意见建议并跟踪办理。",
                phone=f"1390000{next(phones):04d}",
                mandates=mandates,
                site_slugs=site_slugs,
            )
        )

    for site in sites:
        if site.kind == SiteKind.STATION:
            add(site, "province" if site.slug in provincial_stations else "city", sector="general")
            add(site, "city", sector="general")
            for _ in range(3):
                add(site, "district", sector=rng.choice(["general", "general", "enterprise", "agriculture"]))
        elif site.kind == SiteKind.ROOM:
            if site.slug == "yuxin-jinxing":
                # The seed's head of the 金星 room, 村党总支书记, receives voters there as a town deputy.
                add(
                    site,
                    "town",
                    sector="general",
                    name_slug=("顾海明", "gu-haiming"),
                    gender="m",
                    occupation="村党总支书记",
                )
            for _ in range(rng.choice((3, 3, 4))):
                add(site, "town" if rng.random() < 0.7 else "district", sector="general")
        else:
            for _ in range(2):
                add(site, rng.choice(("district", "town")), sector=site.sector)
    return deputies


# --- building it ----------------------------------------------------------------------------------------


def build_regions() -> Region:
    """The province, the city and its counties (kept if already there); returns Nanhu's county."""
    province, _ = Region.objects.get_or_create(
        code=PROVINCE[1], defaults={"name": PROVINCE[0], "level": RegionLevel.PROVINCE}
    )
    city, _ = Region.objects.get_or_create(
        code=CITY[1], defaults={"name": CITY[0], "level": RegionLevel.CITY, "parent": province}
    )
    counties = {
        name: Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": RegionLevel.COUNTY, "parent": city}
        )[0]
        for name, code in COUNTIES
    }
    return counties[DISTRICT["name"]]


@transaction.atomic
def build_network(*, network: NetworkPlan | None = None) -> District:
    """Write the planned district in bulk. The caller has checked that the database holds none of it."""
    network = network or plan()
    district = District.objects.create(**DISTRICT, region=build_regions())

    sites_by_slug: dict[str, Site] = {}
    for kind in (SiteKind.STATION, SiteKind.ROOM, SiteKind.POINT):  # parents first: children need their pks
        batch = []
        for item in network.sites:
            if item.kind != kind:
                continue
            site = Site(
                district=district,
                kind=item.kind,
                parent=sites_by_slug.get(item.parent_slug) if item.parent_slug else None,
                name=item.name,
                slug=item.slug,
                town=item.town,
                address=item.address,
                phone=item.phone,
                opening_notes=item.opening_notes,
                sector=item.sector,
                head_name=item.head_name,
                established=item.established,
                is_online=item.is_online,
            )
            # The hierarchy rules; uniqueness is left to the database, which refuses the whole load.
            site.full_clean(validate_unique=False, validate_constraints=False)
            batch.append(site)
        for site in bulk_create_with_history(batch, Site):
            sites_by_slug[site.slug] = site

    area_rows: dict[tuple[str, str], Area] = {}
    links: list[tuple[str, tuple[str, str]]] = []
    for item in network.sites:
        for name, area_kind in item.areas:
            area_rows.setdefault((item.town, name), Area(district=district, town=item.town, name=name, kind=area_kind))
            links.append((item.slug, (item.town, name)))
    Area.objects.bulk_create(area_rows.values())
    Site.areas.through.objects.bulk_create(
        Site.areas.through(site_id=sites_by_slug[slug].pk, area_id=area_rows[key].pk) for slug, key in links
    )
    # Its towns and streets as regions under 南湖区 (issue 15), through the service that keeps them in step with
    # the network: the county's page lists them with their sites, each town's page its sites and schedule.
    district_towns_ensure(district=district, actor=Actor.system())

    deputies = []
    for deputy_plan in network.deputies:
        deputy = Deputy(
            district=district,
            name=deputy_plan.name,
            slug=deputy_plan.slug,
            gender=deputy_plan.gender,
            sector=deputy_plan.sector,
            occupation=deputy_plan.occupation,
            biography=deputy_plan.biography,
            phone=deputy_plan.phone,
        )
        deputy.full_clean(validate_unique=False, validate_constraints=False)
        deputies.append(deputy)
    deputies = bulk_create_with_history(deputies, Deputy)
    Mandate.objects.bulk_create(
        Mandate(deputy=deputy, level=level, electoral_district=electoral, term_start=TERMS[level])
        for deputy, item in zip(deputies, network.deputies, strict=True)
        for level, electoral in item.mandates
    )
    established = {site_plan.slug: site_plan.established for site_plan in network.sites}
    Assignment.objects.bulk_create(
        Assignment(deputy=deputy, site=sites_by_slug[slug], since=max(established[slug], TERMS["town"]))
        for deputy, item in zip(deputies, network.deputies, strict=True)
        for slug in item.site_slugs
    )
    return district
