"""The demo's themes, 建设街道's pairing and deputies' activities (stations/demo/records.py), built through the
services on a small network shaped like 建设街道."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from stations.audit import Actor
from stations.demo import records as demo
from stations.models import (
    AuditEntry,
    DeputyActivity,
    Pairing,
    PairingContact,
    PairingDeed,
    Site,
    SiteKind,
    Theme,
    Visit,
)
from stations.selectors.records import pairing_figures
from stations.selectors.stats import Period
from tests.conftest import make_deputy
from tests.factories_stats import make_visit


@pytest.fixture
def jianshe(district):
    station = Site.objects.create(
        district=district, kind=SiteKind.STATION, name="建设街道代表联络站", slug="jianshe", town="建设街道"
    )
    for n in range(22):
        make_deputy(
            district, f"建设代表{n:02d}", level="district" if n < 10 else "town", sites=[station], slug=f"js-{n}"
        )
    return station


def test_the_demo_pairs_twenty_deputies_with_120_voters_and_does_35_things(district, jianshe, room):
    year = timezone.localdate().year - 1  # a whole year behind us, as the demo's year mostly is
    make_visit(room, dt.datetime(year, 3, 20, 10, tzinfo=dt.UTC), category="environment")
    out = io.StringIO()
    assert demo.build_records(district=district, year=year, now=timezone.now(), actor=Actor.system(), stdout=out)
    assert list(Theme.objects.filter(year=year).order_by("position").values_list("name", flat=True)) == demo.SEED_THEMES
    assert [t.name for t in Visit.objects.get().themes.all()] == ["小城镇环境综合整治", "剿灭劣Ⅴ类水"]
    figures = pairing_figures(sites=Site.objects.under_station(jianshe), period=Period.year(year))
    assert (figures[0].deputies_paired, figures[0].voters_paired, figures[0].deeds) == (20, 120, 35)
    # District deputies come first: all ten of them are paired.
    assert Pairing.objects.filter(deputy__mandates__level="district").values("deputy").distinct().count() == 10
    assert PairingContact.objects.exists()
    assert DeputyActivity.objects.filter(kind="study", site=jianshe).count() == 4 * 6
    # Every record came through its service: one audit entry each.
    assert AuditEntry.objects.filter(action="pairing.created").count() == Pairing.objects.count()
    assert AuditEntry.objects.filter(action="pairing.deed_recorded").count() == PairingDeed.objects.count()
    assert AuditEntry.objects.filter(action="activity.recorded").count() == DeputyActivity.objects.count()
    # A second build finds the year's themes and changes nothing.
    assert not demo.build_records(district=district, year=year, now=timezone.now(), actor=Actor.system(), stdout=out)
    assert Pairing.objects.count() == 120
