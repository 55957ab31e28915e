"""Open311's requests feed takes its ETag from the pages' generation tokens (stations/caching.py FEEDS, `OPINIONS`
and `NETWORK`), as the other API feeds do: a 304 reads no row, and the ETag changes when what the feed shows
changes (an opinion registered, a state step, a reply published, a handling body or a site renamed), not when
nothing it shows changed. 余新镇 with its 金星 room (conftest).

These tests commit (transactional_db), as production does: tokens are renewed when a change commits."""

from __future__ import annotations

import django.test
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stations.audit import Actor
from stations.clock import local_today
from stations.models import State
from stations.services import opinions as services
from tests.factories_opinions import make_body, make_opinion
from tests.test_api_etags import move_site

pytestmark = pytest.mark.usefixtures("transactional_db")

SYSTEM = Actor.system()
REQUESTS = reverse("api:request_list")
SERVICES = reverse("api:service_list")


def etag(path: str = REQUESTS) -> str:
    response = django.test.Client().get(path)
    assert response.status_code == 200, path
    return response["ETag"]


@pytest.fixture
def opinions(room):
    return [make_opinion(room, state) for state in (State.REGISTERED, State.ACCEPTED, State.REFERRED)]


@pytest.mark.parametrize("path", [REQUESTS, f"{REQUESTS}?status=open&page_size=2", SERVICES])
def test_a_304_reads_no_row(path, opinions, django_assert_max_num_queries):
    client = django.test.Client()
    first = client.get(path)
    assert first.status_code == 200 and first.json()
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(1):
        again = client.get(path, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    assert all("portal_cache" in query["sql"] for query in queries), [query["sql"] for query in queries]
    assert etag(path) == first["ETag"]  # the same tokens, the same ETag for any client


def test_nothing_changed_nothing_new(opinions):
    before = etag()
    assert etag() == before
    # A flag step (supervision) shows nowhere in the feed: its ETag stays, a 304 still answers.
    services.opinion_set_supervision(opinion=opinions[1], actor=SYSTEM, next_review=local_today())
    assert etag() == before


def test_a_new_opinion_changes_the_etag(room, opinions):
    before = etag()
    make_opinion(room)
    after = etag()
    assert after != before
    assert len(django.test.Client().get(REQUESTS).json()) == 4


def test_each_state_step_changes_the_etag(opinions):
    registered, accepted, referred = opinions
    steps = [
        lambda: services.opinion_accept(opinion=registered, actor=SYSTEM),
        lambda: services.opinion_refer(opinion=accepted, actor=SYSTEM, body=make_body()),
        lambda: services.opinion_reply(opinion=referred, actor=SYSTEM, reply="已安排清理。"),
    ]
    seen = {etag()}
    for step in steps:
        step()
        seen.add(etag())
    assert len(seen) == 1 + len(steps)
    answer = {row["service_request_id"]: row for row in django.test.Client().get(REQUESTS).json()}
    assert answer[referred.reference]["state"] == State.REPLIED


def test_a_site_renamed_or_moved_changes_the_etag(station, room, opinions):
    before = etag()
    move_site(room, parent=station, address="余新镇金星村新址")
    assert etag() != before
    rows = django.test.Client().get(REQUESTS).json()
    assert {row["address"] for row in rows} == {"余新镇金星村新址"}


def test_a_handling_body_renamed_in_the_admin_changes_the_etag(opinions, admin_client):
    body = make_body()
    before = etag()
    change = reverse("admin:stations_handlingbody_change", args=[body.pk])
    response = admin_client.post(change, {"name": "区建设局（新）", "district": "", "active": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert etag() != before
    rows = django.test.Client().get(REQUESTS).json()
    assert "区建设局（新）" in {row["agency_responsible"] for row in rows}


def test_an_opinion_step_leaves_the_other_feeds_alone(room, opinions):
    shifts = reverse("api:shift_list")
    before = etag(shifts)
    services.opinion_accept(opinion=opinions[0], actor=SYSTEM)
    assert etag(shifts) == before
