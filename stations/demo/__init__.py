"""The demo: Nanhu District's network, its people and demo accounts, loaded by `manage.py load_demo`.

Safe to run on every start (`make run` does): it builds the demo into an empty database once, says so and
changes nothing when the demo is already there, and refuses to touch a database that holds anything else.

Activity data (rosters, visits, opinions) is built by `stations/demo/activity.py` when that module exists:
`build_activity(*, district, stdout)` is called once, in the same transaction, right after the network.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.db import transaction

from stations.demo.network import DISTRICT, build_network
from stations.models import Area, Deputy, District, Membership, Region, Role, Site
from stations.services.figures import figures_deferred

ACTIVITY_MODULE = "stations.demo.activity"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str  # Fixed and printed on purpose: these accounts exist only in the demo database.
    role: Role
    display_name: str
    station_slug: str | None = None
    deputy_slug: str | None = None
    region_code: str | None = None
    superuser: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("demo-admin", "Nanhu-Admin-2017!", Role.DISTRICT_ADMIN, "区人大工委管理员", superuser=True),
    DemoAccount("demo-yuxin-head", "Yuxin-Head-2017!", Role.STATION_HEAD, "余新镇站长", station_slug="yuxin"),
    DemoAccount("demo-yuxin-staff", "Yuxin-Staff-2017!", Role.STAFF, "余新镇联络员", station_slug="yuxin"),
    DemoAccount("demo-fengqiao-staff", "Fengqiao-Staff-2017!", Role.STAFF, "凤桥镇联络员", station_slug="fengqiao"),
    DemoAccount("demo-deputy", "Deputy-Gu-2017!", Role.DEPUTY, "顾海明", deputy_slug="gu-haiming"),
    # A city's administrator (issue 15): everything below 嘉兴市, which in the demo is Nanhu's network.
    DemoAccount(
        "demo-jiaxing-admin",
        "Jiaxing-Admin-2017!",
        Role.CITY_ADMIN,
        "嘉兴市人大常委会管理员",
        region_code="330400000000",
    ),
]
DEMO_USERNAMES = [account.username for account in DEMO_ACCOUNTS]


class ForeignDataError(Exception):
    """The database holds data the demo did not create; the demo will not touch it."""


def demo_is_loaded() -> bool:
    """The demo district exists together with every demo account."""
    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES, membership__isnull=False)
    return District.objects.filter(**DISTRICT).exists() and users.count() == len(DEMO_ACCOUNTS)


def foreign_data() -> list[str]:
    """What, in a database without the demo, would stop the demo from loading (empty when nothing)."""
    found = []
    user_model = get_user_model()
    for label, model in (
        ("districts", District),
        ("sites", Site),
        ("areas", Area),
        ("deputies", Deputy),
        ("memberships", Membership),
        ("users", user_model),
    ):
        count = model._default_manager.count()
        if count:
            found.append(f"{count} {label}")
    return found


def activity_builder() -> Callable[..., None] | None:
    """`build_activity` from stations/demo/activity.py, when that module exists."""
    if importlib.util.find_spec(ACTIVITY_MODULE) is None:
        return None
    return importlib.import_module(ACTIVITY_MODULE).build_activity


def create_accounts() -> None:
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user = user_model.objects.create_user(
            username=account.username,
            password=account.password,
            first_name=account.display_name,
            is_staff=account.superuser,
            is_superuser=account.superuser,
        )
        membership = Membership(
            user=user,
            role=account.role,
            station=Site.objects.get(slug=account.station_slug) if account.station_slug else None,
            deputy=Deputy.objects.get(slug=account.deputy_slug) if account.deputy_slug else None,
            region=Region.objects.get(code=account.region_code) if account.region_code else None,
        )
        membership.full_clean()
        membership.save()


def load_demo(*, stdout: TextIO | OutputWrapper) -> bool:
    """Load the demo into an empty database. Returns False, touching nothing, when it is already loaded;
    raises ForeignDataError, touching nothing, when the database holds anything else."""
    if demo_is_loaded():
        return False
    found = foreign_data()
    if found:
        raise ForeignDataError(", ".join(found))
    # The demo writes through the services; its district-months' figure cells are recomputed once, at the end.
    with transaction.atomic(), figures_deferred():
        district = build_network()
        create_accounts()
        build_activity = activity_builder()
        if build_activity is not None:
            build_activity(district=district, stdout=stdout)
    return True
