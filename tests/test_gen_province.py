"""The province generator (scripts/gen_province.py) at a tiny scale: its rows are rows the models accept."""

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F

from stations.clock import LOCAL_TZ
from stations.models import (
    Assignment,
    Deputy,
    District,
    Duty,
    DutyShift,
    HandlingBody,
    Mandate,
    Membership,
    Opinion,
    OpinionEvent,
    Region,
    Roster,
    Site,
    SiteKind,
    State,
    Visit,
    VisitDeputy,
)
from stations.selectors.regions import children_with_counts
from stations.selectors.stats import Period, Scope, headline
from stations.services.opinions import normalise_tracking_code

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gen_province.py"
User = get_user_model()
NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=LOCAL_TZ)
# Committed rows (the fixture below) and the owner's connection for ANALYZE.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_province", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_province", module)  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def province(transactional_db):
    """The generator as main() runs it: the rows (committed), ANALYZE as the owner, then the figures' cells.
    Inside a test's transaction the cells' set-based rebuild was planned over tables PostgreSQL believed empty
    (nested loops: minutes in CI); committed and ANALYZEd, it is planned as on a real province."""
    generator = load_generator()
    # Chunks as small as to split the tiny province's opinions (and their steps) as the full size splits them.
    generator.COPY_CHUNK = 300
    lines: list[str] = []
    generator.generate(scale=0.0005, districts=2, now=NOW, out=lines.append)
    generator.analyze()
    generator.after_load(out=lines.append)
    return generator, lines


def sample(model, n: int = 25):
    return list(model.objects.order_by("?")[:n])


def test_every_generated_model_passes_full_clean(province):
    for model in (District, Site, Deputy, Mandate, Assignment, Roster, DutyShift, Duty, Visit, VisitDeputy):
        rows = sample(model)
        assert rows, model
        for row in rows:
            row.full_clean()
    for opinion in sample(Opinion, 60):
        opinion.full_clean()
    for event in sample(OpinionEvent, 60):
        event.full_clean()
    for body in sample(HandlingBody):
        body.full_clean()
    for membership in Membership.objects.all():
        membership.full_clean()


def test_the_province_has_the_issue_shape_per_district(province):
    _generator, lines = province
    assert District.objects.count() == 2
    district = District.objects.first()
    sites = Site.objects.filter(district=district)
    assert sites.count() == 100
    assert sites.filter(kind=SiteKind.STATION).count() == 10
    assert Deputy.objects.filter(district=district).count() == 1500
    # Every site has this year's published roster with a reception on the 20th of each month.
    assert Roster.objects.filter(year=2026, published_at__isnull=False).count() == 200
    assert DutyShift.objects.count() == 200 * 12
    # Shifts still to come are not marked; the ones held are.
    assert not Duty.objects.filter(shift__start__gt=NOW).exclude(attendance="unmarked").exists()
    assert not Duty.objects.filter(shift__end__lte=NOW, attendance="unmarked").exists()
    assert not Visit.objects.filter(occurred_at__gt=NOW).exists()
    assert Visit.objects.count() == 200 * 10
    assert Opinion.objects.count() == 200 * 5
    assert Opinion.objects.filter(visit__isnull=False).count() > Opinion.objects.filter(visit__isnull=True).count()
    assert set(Opinion.objects.values_list("state", flat=True)) >= {State.REGISTERED, State.CLOSED}
    # References numbered per district and year as opinion_register numbers them, so the next one follows on.
    references = sorted(Opinion.objects.filter(site__district=district).values_list("reference", flat=True))
    assert references[:2] == [f"{district.code}-2026-00001", f"{district.code}-2026-00002"]
    assert references[-1] == f"{district.code}-2026-{len(references):05d}"
    # A voter's tracking code as the portal gives it: the tracking page finds it as typed.
    opinion = Opinion.objects.order_by("?").first()
    assert normalise_tracking_code(opinion.tracking_code.lower().replace("-", " ")) == opinion.tracking_code
    # The generator reports each table it fills with its rate, then the total.
    reported = {line.split()[0]: line for line in lines}
    assert list(reported)[-2:] == ["total", "figure"]  # then after_load's rebuild of the figure cells
    for table in ("site", "deputy", "duty", "visit", "opinion", "opinionevent", "total"):
        assert "rows/s" in reported[table]


def test_every_station_has_its_town_region_under_its_county(province):
    for district in District.objects.select_related("region"):
        county = district.region
        stations = Site.objects.filter(district=district, kind=SiteKind.STATION)
        towns = Region.objects.filter(parent=county, level="town")
        assert sorted(towns.values_list("name", flat=True)) == sorted(stations.values_list("town", flat=True))
        assert all(code.startswith(county.code[:6]) for code in towns.values_list("code", flat=True))
        # The county's page counts each town's station, rooms and points (10 stations, 60 rooms, 30 points).
        counts = {(c.stations, c.rooms, c.points) for c in children_with_counts(county)}
        assert counts == {(1, 6, 3)}
    for town in Region.objects.filter(level="town"):
        town.full_clean()


def test_the_generated_year_has_figures_and_the_bench_accounts_sign_in(province):
    generator, _lines = province
    figures = headline(scope=Scope.for_district(District.objects.first()), period=Period.year(2026), today=NOW.date())
    assert figures.visits > 0 and figures.opinions > 0 and figures.present > 0 and figures.events_held > 0
    staff = User.objects.get(username="bench-staff-1")
    assert staff.check_password(generator.PASSWORD) and staff.membership.role == "staff"
    admin = User.objects.get(username="bench-admin-1")
    assert admin.check_password(generator.PASSWORD) and admin.membership.role == "province_admin"
    assert admin.totpdevice_set.get().key == generator.BENCH_TOTP_KEY


def test_the_generator_refuses_a_database_that_holds_districts(province):
    generator, _lines = province
    with pytest.raises(SystemExit):
        generator.generate(scale=0.0005, districts=1, now=NOW, out=lambda line: None)


def test_the_portal_inserts_after_the_generator_without_colliding(province):
    # The generator gives the ids itself (COPY returns none): the portal's next rows must still get fresh ones.
    before = set(Visit.objects.values_list("pk", flat=True))
    site = Site.objects.first()
    visit = Visit.objects.create(
        site=site, occurred_at=NOW, summary="来访登记", recorded_by=User.objects.get(username="bench-staff-1")
    )
    assert visit.pk not in before
    deputy = Deputy.objects.create(district=site.district, name="新代表", slug="new-deputy", gender="f")
    assert deputy.pk > max(Deputy.objects.exclude(pk=deputy.pk).values_list("pk", flat=True))


def test_copy_text_escapes_what_copy_would_misread():
    generator = load_generator()
    assert generator.copy_text("a\tb\nc\\d\r") == "a\\tb\\nc\\\\d\\r"
    assert generator.copy_text(None) == "\\N"
    assert generator.copy_text(True) == "t" and generator.copy_text(False) == "f"
    assert generator.copy_text(12) == "12"
    assert generator.copy_text(dt.datetime(2026, 1, 20, 9, tzinfo=LOCAL_TZ)) == "2026-01-20T09:00:00+08:00"
    assert generator.copy_text(dt.date(2026, 1, 20)) == "2026-01-20"
    with pytest.raises(TypeError):
        generator.copy_text(object())


def test_every_page_bench_pages_measures_answers_small_on_the_generated_province(province, client):
    spec = importlib.util.spec_from_file_location("bench_pages", SCRIPT.parent / "bench_pages.py")
    bench_pages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_pages)
    pages = bench_pages.pages()
    assert len(pages) > 30
    for label, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (label, path, response.status_code)
        assert len(response.content) < bench_pages.LIMIT_BYTES, (label, len(response.content))


def test_each_district_refers_its_opinions_to_its_own_or_shared_bodies(province):
    districts = list(District.objects.all())
    for district in districts:
        own = HandlingBody.objects.filter(district=district)
        assert own.count() >= 3
    shared = HandlingBody.objects.filter(district__isnull=True)
    assert shared.count() >= 3
    referred = Opinion.objects.filter(handling_body__isnull=False)
    assert referred.exists()
    # The rule opinion_refer keeps (stations/services/opinions.py `_check_body`): never another district's body.
    assert (
        not referred.exclude(handling_body__district__isnull=True)
        .exclude(handling_body__district=F("site__district"))
        .exists()
    )
    assert referred.filter(handling_body__district__isnull=True).exists()
    assert referred.filter(handling_body__district__isnull=False).exists()
    # The steps name the body the opinion was referred to.
    for event in OpinionEvent.objects.filter(action="refer").select_related("opinion")[:50]:
        assert event.handling_body_id == event.opinion.handling_body_id


# The steps the services take to each state (stations/services/opinions.py TRANSITIONS).
PATHS = {
    State.REGISTERED: ["register"],
    State.ACCEPTED: ["register", "accept"],
    State.NOT_ACCEPTED: ["register", "not_accept"],
    State.REFERRED: ["register", "accept", "refer"],
    State.REPLIED: ["register", "accept", "refer", "reply"],
    State.RESOLVED: ["register", "accept", "refer", "reply", "resolve"],
    State.EXPLAINED: ["register", "accept", "refer", "reply", "explain"],
}


def test_every_opinion_has_the_handling_steps_of_its_state_in_order(province):
    timelines: dict[int, list[OpinionEvent]] = {}
    for event in OpinionEvent.objects.order_by("opinion_id", "at", "pk"):
        timelines.setdefault(event.opinion_id, []).append(event)
    opinions = list(Opinion.objects.all())
    assert len(timelines) == len(opinions)
    closed = set()
    for opinion in opinions:
        steps = timelines[opinion.pk]
        actions = [step.action for step in steps]
        if opinion.state == State.CLOSED:
            assert actions[:4] == ["register", "accept", "refer", "reply"] and actions[-1] == "close"
            assert actions[4] in ("resolve", "explain") and len(actions) == 6
            closed.add(actions[4])
            assert steps[-1].satisfaction == opinion.satisfaction and steps[-1].at == opinion.closed_at
        else:
            assert actions == PATHS[opinion.state], opinion.state
        # Each step starts where the one before ended, at the registration and then later, never in the future.
        assert steps[0].at == opinion.registered_at and steps[0].from_state == ""
        assert all(a.to_state == b.from_state for a, b in zip(steps, steps[1:], strict=False))
        assert steps[-1].to_state == opinion.state
        assert all(a.at < b.at for a, b in zip(steps, steps[1:], strict=False))
        assert steps[-1].at <= NOW
        assert opinion.version == len(steps) - 1
        if opinion.replied_at is not None:
            assert next(step.at for step in steps if step.action == "reply") == opinion.replied_at
    assert closed == {"resolve", "explain"}


def test_a_closed_opinion_counts_under_its_recorded_answer_and_the_figures_check_clean(province):
    from io import StringIO

    from django.core.management import call_command

    from stations.selectors.stats import with_last_answer

    closed = with_last_answer(Opinion.objects.filter(state=State.CLOSED))
    assert closed.exists() and not closed.filter(_last_answer__isnull=True).exists()
    out = StringIO()
    call_command("check_figures", stdout=out, stderr=out)  # raises CommandError on any difference
    assert "The cells match the records (2026)" in out.getvalue()


def test_a_step_carries_every_column_of_a_handling_step():
    # COPY writes every concrete column of OpinionEvent by its attribute name: a column the model gains must be
    # given by the generator's steps too.
    generator = load_generator()
    columns = {field.attname for field in OpinionEvent._meta.concrete_fields} - {"id"}
    assert set(generator.Step.COLUMNS) == columns
