"""Fixtures shared by the whole suite."""

import os
from pathlib import Path

import django.test
import pytest

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a database file as production does, not in shared-cache memory.

    Threads (concurrency tests, live_server) each open their own connection. With the in-memory database
    SQLite's shared cache answers a second writer with "database table is locked" at once, ignoring the
    busy timeout; with a file, the IMMEDIATE transactions and the timeout from settings.py queue writers
    exactly as they do in production.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """Create and migrate the test database as the role that owns the tables; run every test as the portal's role.

    Replaces pytest-django's fixture of the same name. With two PostgreSQL roles (DATABASE_OWNER_URL set, as in
    CI) the runtime role may not create a table, and Django always creates the test database through "default".
    Here the "owner" alias creates and migrates it (migration 0011_audit_runtime_role grants the runtime role its rows), then
    "default" is pointed at the same database, still as the runtime role, as Django points a test mirror: the
    tests run with exactly the privileges the portal has in production. The flush after each transactional test
    runs as the owner too (stations/management/commands/flush.py). With one role or SQLite the "default" alias
    sets up, as pytest-django would. No test uses serialized_rollback, so nothing is serialised.
    """
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.test.utils import setup_databases, teardown_databases

    from stations.db_roles import owner_database

    creator = owner_database()
    keepdb = django_db_keepdb and not django_db_createdb
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=verbosity, interactive=False, keepdb=keepdb, aliases={creator}, serialized_aliases=set()
        )
        if creator != DEFAULT_DB_ALIAS:
            connections[DEFAULT_DB_ALIAS].close()
            connections[DEFAULT_DB_ALIAS].creation.set_as_test_mirror(connections[creator].settings_dict)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            connections.close_all()  # the database is dropped only when nobody, the runtime role included, is in it
            try:
                teardown_databases(config, verbosity=verbosity)
            except Exception as exc:  # noqa: BLE001
                # As pytest-django does: on PostgreSQL a browser's keep-alive connections can keep live_server's
                # threads, and their sessions, until the process ends; the next run drops the database first.
                request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production serves hashed files collected by `collectstatic`; tests find them in place instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings):
    """Argon2 (the production hasher) costs a tenth of a second a hash and most tests create several users.
    Autouse fixtures run before the user fixtures, so those users get a cheap hash; tests about hashing itself
    are marked `real_password_hashing` and keep the settings' hashers."""
    if "real_password_hashing" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_page_cache(request):
    """Tests that commit (transactional_db, live_server) start with an empty cache: the flush that empties the
    tables between them leaves the cache's table (no model) and Redis as they were, with pages of another test's
    data under tokens nobody bumped. Tests inside a transaction never read or store pages (stations.caching)."""
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- the network and its people -----------------------------------------------------------------------
# Two stations so that every scope test has an outsider: alice (staff) and bob (head) work at 余新镇;
# charlie (staff) at 凤桥镇; dana is a district administrator; erin is a deputy with a read-only account.

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def district(db):
    from stations.models import District

    return District.objects.create(name="南湖区", slug="nanhu", code="NH")


@pytest.fixture
def station(district):
    from stations.models import Site, SiteKind

    return Site.objects.create(
        district=district,
        kind=SiteKind.STATION,
        name="余新镇代表联络站",
        slug="yuxin",
        town="余新镇",
        address="余新镇人民政府一楼",
        is_online=True,
    )


@pytest.fixture
def room(station):
    from stations.models import Area, Site, SiteKind

    room = Site.objects.create(
        district=station.district,
        kind=SiteKind.ROOM,
        parent=station,
        name="金星村代表联络室",
        slug="yuxin-jinxing",
        town="余新镇",
        address="余新镇金星村村委会",
        is_online=True,
    )
    for village in ("金星村", "长秦村", "曹王村"):
        room.areas.add(Area.objects.create(district=station.district, town="余新镇", name=village))
    return room


@pytest.fixture
def point(room):
    from stations.models import Site, SiteKind

    return Site.objects.create(
        district=room.district,
        kind=SiteKind.POINT,
        parent=room,
        name="金星村企业代表联络点",
        slug="yuxin-jinxing-enterprise",
        town="余新镇",
        sector="enterprise",
    )


@pytest.fixture
def other_station(district):
    from stations.models import Site, SiteKind

    return Site.objects.create(
        district=district,
        kind=SiteKind.STATION,
        name="凤桥镇代表联络站",
        slug="fengqiao",
        town="凤桥镇",
        address="凤桥镇人民政府",
    )


@pytest.fixture
def other_room(other_station):
    from stations.models import Site, SiteKind

    return Site.objects.create(
        district=other_station.district,
        kind=SiteKind.ROOM,
        parent=other_station,
        name="凤桥村代表联络室",
        slug="fengqiao-village",
        town="凤桥镇",
    )


def make_deputy(district, name: str, *, level: str = "district", sites=(), **fields):
    """A deputy with one mandate, assigned to the given sites."""
    import datetime as dt

    from django.utils.text import slugify

    from stations.models import Assignment, Deputy, Mandate

    slug = fields.pop("slug", None) or slugify(f"deputy-{Deputy.objects.count() + 1}")
    deputy = Deputy.objects.create(district=district, name=name, slug=slug, gender=fields.pop("gender", "m"), **fields)
    Mandate.objects.create(deputy=deputy, level=level, term_start=dt.date(2022, 1, 1), term_end=dt.date(2027, 1, 1))
    for site in sites:
        Assignment.objects.create(deputy=deputy, site=site)
    return deputy


@pytest.fixture
def deputies(room, district):
    """Three deputies serving the 金星 room, of three levels."""
    return [
        make_deputy(district, "顾海明", level="town", sites=[room], slug="gu-haiming"),
        make_deputy(district, "黄美勤", level="district", sites=[room], slug="huang-meiqin", gender="f"),
        make_deputy(district, "李建国", level="city", sites=[room], slug="li-jianguo"),
    ]


def make_user(username: str, *, role: str | None, station=None, deputy=None, **fields):
    from django.contrib.auth import get_user_model

    from stations.models import Membership

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        Membership.objects.create(user=user, role=role, station=station, deputy=deputy)
    return user


@pytest.fixture
def alice(station):
    return make_user("alice", role="staff", station=station, first_name="爱丽丝")


@pytest.fixture
def bob(station):
    return make_user("bob", role="station_head", station=station)


@pytest.fixture
def charlie(other_station):
    return make_user("charlie", role="staff", station=other_station)


@pytest.fixture
def dana(db):
    user = make_user("dana", role="district_admin", is_staff=True)
    totp_device(user)  # see "signing in: the second factor" below
    return user


@pytest.fixture
def erin(deputies):
    return make_user("erin", role="deputy", deputy=deputies[0])


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


# --- signing in: the second factor -----------------------------------------------------------------------
# District administrators must pass TOTP before staff and admin pages (issue 8). In tests, `force_login`
# stands for a complete sign-in: for a user with a confirmed TOTP device the session also counts as having
# passed the second factor. dana has a device, so `client.force_login(dana)` reaches staff pages; the
# two-factor flow itself is tested with real codes in tests/test_accounts.py.


def totp_device(user, *, confirmed: bool = True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=confirmed)


def totp_code(device) -> str:
    """The code an authenticator app shows now for the device."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


class Client(django.test.Client):
    def force_login(self, user, backend=None):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def admin_client(db, admin_user):
    totp_device(admin_user)
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


# --- regions (issue 15) -------------------------------------------------------------------------------------------
# 浙江省 with 嘉兴市 (南湖区 with 余新镇 and 凤桥镇 above, and 秀洲区 with 王店镇) and 杭州市 (西湖区 with 西溪街道).
# fay administers 嘉兴市, gus 浙江省, hal 杭州市. In March 2025: 3 + 4 voters in 南湖区, 5 in 秀洲区, 7 in 西湖区,
# one opinion in each district.


def region_station(district, slug: str, name: str):
    from stations.models import Site, SiteKind

    return Site.objects.create(district=district, kind=SiteKind.STATION, name=name, slug=slug, town=name[:3])


@pytest.fixture
def land(district, station_pair):
    from stations.models import District, Region
    from tests.factories_stats import local, make_opinion, make_shift, make_visit

    province = Region.objects.create(name="浙江省", code="330000000000", level="province")
    jiaxing = Region.objects.create(name="嘉兴市", code="330400000000", level="city", parent=province)
    hangzhou = Region.objects.create(name="杭州市", code="330100000000", level="city", parent=province)
    nanhu = Region.objects.create(name="南湖区", code="330402000000", level="county", parent=jiaxing)
    xiuzhou_region = Region.objects.create(name="秀洲区", code="330411000000", level="county", parent=jiaxing)
    xihu_region = Region.objects.create(name="西湖区", code="330106000000", level="county", parent=hangzhou)
    District.objects.filter(pk=district.pk).update(region=nanhu)
    xiuzhou = District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ", region=xiuzhou_region)
    xihu = District.objects.create(name="西湖区", slug="xihu", code="XH", region=xihu_region)
    wangdian = region_station(xiuzhou, "wangdian", "王店镇代表联络站")
    xixi = region_station(xihu, "xixi", "西溪街道代表联络站")
    yuxin, fengqiao = station_pair
    # 2025: 3 + 4 voters in 南湖区, 5 in 秀洲区, 7 in 西湖区; one opinion in each district.
    for site, people in ((yuxin, 3), (fengqiao, 4), (wangdian, 5), (xixi, 7)):
        shift = make_shift(site, local(2025, 3, 20))
        visit = make_visit(site, local(2025, 3, 20, 10), shift=shift, people=people)
        if site is not fengqiao:
            make_opinion(site, local(2025, 3, 20, 10), visit=visit)
    return {
        "province": province,
        "jiaxing": jiaxing,
        "hangzhou": hangzhou,
        "nanhu": nanhu,
        "xiuzhou": xiuzhou,
        "xihu": xihu,
        "wangdian": wangdian,
        "xixi": xixi,
    }


@pytest.fixture
def station_pair(station, other_station):
    return station, other_station


def regional_admin(name: str, role: str, region):
    from stations.models import Membership

    user = make_user(name, role=None, is_staff=True)
    Membership.objects.create(user=user, role=role, region=region)
    totp_device(user)
    return user


@pytest.fixture
def fay(land):
    return regional_admin("fay", "city_admin", land["jiaxing"])


@pytest.fixture
def gus(land):
    return regional_admin("gus", "province_admin", land["province"])


@pytest.fixture
def hal(land):
    return regional_admin("hal", "city_admin", land["hangzhou"])


def analyze_as_owner() -> None:
    """ANALYZE as the tables' owner (the runtime role may not), as autovacuum would after a bulk load: for tests
    that commit many rows (django_db(transaction=True, databases="__all__")) and must be planned as a real
    database would be, not as tables PostgreSQL believes empty."""
    from django.db import connections

    from stations.db_roles import owner_database

    owner = connections[owner_database()]
    if owner.vendor == "postgresql":
        with owner.cursor() as cursor:
            cursor.execute("ANALYZE")
