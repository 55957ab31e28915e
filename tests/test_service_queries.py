"""What one record costs the database when it comes in through the services: the importer and the demo send
every row through them, so a query added per write multiplies by a district-year. The bounds hold what was
measured when the bounds checks stopped asking the database once per constraint (49 → 31 for a visit with an
opinion, 132 → 72 for four handling steps).

Since issue 15 each write also recomputes the summary cells of the district-month it touched
(stations/services/figures.py), for the families of figures it changed only: a fixed number of queries
(`recompute(families)`) per write outside an import, none per row inside one (the import recomputes each
district-month once at its end). The bounds add it, and it is bounded on its own below."""

import datetime as dt

import pytest

from stations.audit import Actor
from stations.clock import LOCAL_TZ
from stations.models import HandlingBody
from stations.services import opinions
from stations.services.visits import visit_create

# Grouped queries over the district-month for each family of figures (stations.selectors.cells.cell_values).
FAMILY_QUERIES = {"shifts": 1, "duties": 1, "visits": 3, "opinions": 3}


def recompute(*families: str) -> int:
    """The district-month's row made and locked, the families' grouped queries, its cells of those families read,
    the cells that differ deleted, changed and created (one query each), the row stamped."""
    return 2 + sum(FAMILY_QUERIES[family] for family in families) + 1 + 3 + 1


RECOMPUTE = recompute(*FAMILY_QUERIES)  # 15


def _at(day: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, 9, 30, tzinfo=LOCAL_TZ)


def test_a_visit_with_an_opinion_and_its_four_steps_stay_within_their_query_bounds(
    room, bob, deputies, django_assert_max_num_queries
):
    body = HandlingBody.objects.create(name="区交通运输局")
    actor = Actor(bob)
    with django_assert_max_num_queries(35 + recompute("visits", "opinions")):
        visit = visit_create(
            site=room,
            actor=actor,
            occurred_at=_at(20),
            summary="村道坑洼",
            people=1,
            village="金星村",
            deputies=deputies[:1],
            opinions=[{"category": "transport", "content": "修路"}],
        )
    opinion = visit.opinions.get()
    with django_assert_max_num_queries(80 + 4 * recompute("opinions")):
        opinion = opinions.opinion_accept(opinion=opinion, actor=actor, happened_at=_at(21))
        opinion = opinions.opinion_refer(opinion=opinion, actor=actor, body=body, happened_at=_at(22))
        opinion = opinions.opinion_reply(opinion=opinion, actor=actor, reply="已修复", happened_at=_at(25))
        opinion = opinions.opinion_resolve(opinion=opinion, actor=actor, happened_at=_at(26))
    assert opinion.state == "resolved"


def test_recomputing_a_district_months_figures_costs_a_fixed_number_of_queries(
    room, bob, district, django_assert_max_num_queries
):
    from stations.services.figures import figures_recompute

    for day in range(1, 20):
        visit_create(site=room, actor=Actor(bob), occurred_at=_at(day), summary="来访", people=day)
    with django_assert_max_num_queries(RECOMPUTE):
        figures_recompute(keys={(district.pk, dt.date(2026, 3, 1))})


@pytest.mark.parametrize(
    "families", [("opinions",), ("visits",), ("visits", "shifts"), ("duties",), ("duties", "shifts")], ids=str
)
def test_recomputing_some_families_runs_only_their_queries(
    room, bob, district, deputies, families, django_assert_max_num_queries
):
    from stations.services.figures import figures_recompute

    for day in range(1, 10):
        visit_create(
            site=room,
            actor=Actor(bob),
            occurred_at=_at(day),
            summary="来访",
            people=day,
            opinions=[{"content": "修路"}],
        )
    with django_assert_max_num_queries(recompute(*families)):
        figures_recompute(keys={(district.pk, dt.date(2026, 3, 1))}, families=families)
