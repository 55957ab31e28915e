"""Hostile input never breaks a page (issue 14): every URL of the permission matrix, with every query parameter
it reads, gets nonsense and must answer without a server error.

Which parameters a page reads is not typed in here: a middleware wraps `request.GET` in a dictionary that records
every key the view, its forms and its filters look up, and the walk then sends each of those keys each hostile
value, one at a time and all at once (a range like `date_from`–`date_to` breaks only as a pair). A new parameter
is therefore walked as soon as a page reads it. Each GET row is walked as the first role of the matrix that gets
the page (an administrator's pages as the administrator), so that the view itself runs, not only the refusal.
Written forms are walked too: each field of each POST row of the matrix gets each hostile value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit

import pytest
from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse

from tests.test_permissions import GET, MATRIX, POST, ROLES, Row, World, build_world

HOSTILE = {
    "nul": "a\x00b",
    "100 KB": "x" * 100_000,
    "9999-12-31": "9999-12-31",
    "0001-01-01": "0001-01-01",
    "10^20": "1" + "0" * 20,
    "negative": "-1",
    "emoji": "😀🏠",
    "rtl marks": "\u202e\u200f١٢٣",
    "far datetime": "9999-12-31 23:59",
    "year one datetime": "0001-01-01 00:00",
}

_READ: set[str] = set()


class RecordingQueryDict(QueryDict):
    """A QueryDict that notes each key looked up (forms and filters read their fields with get/getlist)."""

    def __getitem__(self, key):
        _READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        _READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        _READ.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        _READ.add(key)
        return super().__contains__(key)


class RecordQueryKeys:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        return self.get_response(request)


@contextmanager
def recording(settings) -> Iterator[set[str]]:
    _READ.clear()
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "tests.test_hostile_input.RecordQueryKeys"]):
        yield _READ


def _first_role_served(entry: Row) -> str | None:
    for role in reversed(ROLES):  # dana first: the widest reach
        if entry.expected[role] == 200:
            return role
    return None


GET_ROWS = [pytest.param(r, id=r.id) for r in MATRIX if r.method == GET and _first_role_served(r)]
POST_ROWS = [pytest.param(r, id=r.id) for r in MATRIX if r.method == POST and r.data is not None]


@pytest.fixture
def world(station, room, point, other_station, other_room, deputies, alice, bob, charlie, dana, erin) -> World:
    users = {"anonymous": None, "erin": erin, "alice": alice, "bob": bob, "charlie": charlie, "dana": dana}
    return build_world(station=station, room=room, other_station=other_station, deputies=deputies, users=users)


def _with(path: str, params: dict[str, str]) -> str:
    parts = urlsplit(path)
    query = QueryDict(parts.query, mutable=True)
    for key, value in params.items():
        query[key] = value
    return f"{parts.path}?{urlencode(list(query.lists()), doseq=True)}"


@pytest.mark.parametrize("entry", GET_ROWS)
def test_no_query_parameter_breaks_a_page(entry: Row, world: World, client, settings):
    client.raise_request_exception = False  # a server error is an answer to count, not a test crash
    role = _first_role_served(entry)
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    path = entry.path(world)
    with recording(settings) as read:
        assert client.get(path).status_code == 200
        keys = sorted(read)
    failures = []
    for key in keys:
        for label, value in HOSTILE.items():
            response = client.get(_with(path, {key: value}))
            if response.status_code >= 500:
                failures.append(f"{key}={label}: {response.status_code}")
    for label, value in HOSTILE.items():
        response = client.get(_with(path, dict.fromkeys(keys, value)))
        if response.status_code >= 500:
            failures.append(f"all of {keys}={label}: {response.status_code}")
    assert not failures, f"GET {path} as {role} reads {keys}: " + "; ".join(failures)


@pytest.mark.parametrize("entry", POST_ROWS)
def test_no_posted_value_breaks_a_form(entry: Row, world: World, client):
    allowed = [role for role in reversed(ROLES) if entry.expected[role] not in (403, 404, 405)]
    role = allowed[0] if allowed else "dana"
    client.raise_request_exception = False
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    path = entry.path(world)
    data = entry.data(world)
    failures = []
    for key in data:
        for label, value in HOSTILE.items():
            response = client.post(path, {**data, key: value})
            if response.status_code >= 500:
                failures.append(f"{key}={label}: {response.status_code}")
    assert not failures, f"POST {path} as {role}: " + "; ".join(failures)


# Forms outside the matrix's POST rows: the sign-in form is posted by anybody.
SIGN_IN = {"username": "alice", "password": "wrong-password-1"}


def test_no_posted_value_breaks_the_sign_in_form(client, alice):
    client.raise_request_exception = False
    failures = []
    for key in SIGN_IN:
        for label, value in HOSTILE.items():
            response = client.post(reverse("login"), {**SIGN_IN, key: value})
            if response.status_code >= 500:
                failures.append(f"{key}={label}: {response.status_code}")
    assert not failures, "POST /accounts/login/: " + "; ".join(failures)


# The API (issue 17): its parameters are declared in its OpenAPI description, so the walk reads them from there
# (django-ninja reads the query string whole, so the recording above would not see them). Every answer, refusals
# included, must be JSON: another system reads it.
def _api_operations(client) -> list[tuple[str, str, list[dict]]]:
    spec = client.get(reverse("api:openapi-json")).json()
    return [
        (template, method, operation.get("parameters", []))
        for template, operations in spec["paths"].items()
        for method, operation in operations.items()
    ]


def test_no_api_parameter_breaks_the_api(world: World, client):
    client.raise_request_exception = False
    fill = {"site_id": world.room.slug, "person_id": world.deputies[0].slug, "request_id": world.opinion.tracking_code}
    failures = []
    operations = [op for op in _api_operations(client) if op[1] == "get"]
    assert len(operations) >= 13
    for template, _method, parameters in operations:
        if template.endswith("/docs"):
            continue
        path = template
        for name, value in fill.items():
            path = path.replace("{" + name + "}", str(value))
        queries = [p["name"] for p in parameters if p["in"] == "query"]
        for name in queries:
            for label, value in HOSTILE.items():
                response = client.get(_with(path, {name: value}))
                if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                    failures.append(f"GET {path} {name}={label}: {response.status_code} {response['Content-Type']}")
        for name in (p["name"] for p in parameters if p["in"] == "path"):
            for label, value in HOSTILE.items():
                if "\x00" in value or len(value) > 1000:
                    continue  # not a path a client can send (and the URL resolver refuses it as a 404 page)
                response = client.get(template.replace("{" + name + "}", value.replace("/", "")))
                if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                    failures.append(f"GET {template} {name}={label}: {response.status_code}")
    assert not failures, "; ".join(failures[:20])


def test_no_posted_value_breaks_filing_through_the_api(world: World, client):
    from stations.audit import Actor
    from stations.services.api_keys import api_key_issue

    client.raise_request_exception = False
    _key, secret = api_key_issue(name="hostile", actor=Actor.system())
    data = {"service_code": "transport", "description": "公交站牌被撞倒了。", "site": world.room.slug}
    fields = [*data, "first_name", "last_name", "phone", "email", "consent", "api_key"]
    failures = []
    for field in fields:
        for label, value in HOSTILE.items():
            response = client.post(reverse("api:request_create"), {**data, field: value}, HTTP_X_API_KEY=secret)
            if response.status_code >= 500 or not response["Content-Type"].startswith("application/json"):
                failures.append(f"{field}={label}: {response.status_code}")
    assert not failures, "; ".join(failures)
