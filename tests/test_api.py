"""The public API, /api/v1/ (issue 17): answers validated against the OpenAPI description, Popolo's and Open311's
field names, no phone number or voter's data anywhere, pages, conditional GET, query counts, JSON errors, and filing
an opinion with an API key."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from stations import throttle
from stations.audit import Actor
from stations.models import ApiKey, AuditEntry, HandlingBody, Mandate, Opinion, Site, SiteKind, ThrottleHit
from stations.models.api import hash_api_key
from stations.phones import PHONE_IN_TEXT
from stations.services import opinions as opinion_services
from stations.services.api_keys import api_key_issue, api_key_revoke
from tests.conftest import make_deputy
from tests.factories_rosters import at, make_shift

API = "/api/v1"
NEXT_YEAR = timezone.localdate().year + 1

VOTER_PHONE = "13912345678"
CONTENT_PHONE = "13622223333"
REPLY_PHONE = "057382345678"
DEPUTY_PHONE = "13705731234"
SITE_PHONE = "0573-82221111"
VOTER_NAME = "王小明"
VOTER_EMAIL = "wang@example.cn"


# --- the world ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(station, room, point, other_station, other_room, deputies):
    """Sites (with a phone of their own), deputies (one with a phone), published and draft receptions, and
    opinions whose voter left a name, phone and e-mail and whose text and reply quote numbers."""
    Site.objects.filter(pk=room.pk).update(phone=SITE_PHONE, latitude="30.700000", longitude="120.800000")
    deputies[0].phone = DEPUTY_PHONE
    deputies[0].save()
    Mandate.objects.filter(deputy=deputies[0]).update(electoral_district="金星村选区")
    shift = make_shift(room, at(NEXT_YEAR, 3, 20), deputies=deputies[:2], published=True)
    draft = make_shift(other_room, at(NEXT_YEAR, 3, 20), deputies=deputies[2:], published=False)
    opinion = opinion_services.opinion_submit_online(
        site=room,
        category="transport",
        content=f"公交站牌被撞倒了，请回电{CONTENT_PHONE}。",
        submitter_name=VOTER_NAME,
        submitter_phone=VOTER_PHONE,
        submitter_email=VOTER_EMAIL,
        consent=True,
        actor=Actor.system(),
    )
    body = HandlingBody.objects.create(name="区交通运输局")
    opinion_services.opinion_accept(opinion=opinion, actor=Actor.system())
    opinion = opinion_services.opinion_refer(
        opinion=Opinion.objects.get(pk=opinion.pk), actor=Actor.system(), body=body, note=f"请联系{VOTER_PHONE}"
    )
    opinion = opinion_services.opinion_reply(opinion=opinion, actor=Actor.system(), reply=f"已修复，咨询{REPLY_PHONE}")
    return {"room": room, "station": station, "shift": shift, "draft": draft, "opinion": opinion, "deputies": deputies}


def get_json(client, path: str, **headers):
    response = client.get(path, **headers)
    assert response["Content-Type"].startswith("application/json"), f"{path}: {response['Content-Type']}"
    return response, json.loads(response.content)


# --- the OpenAPI description --------------------------------------------------------------------------------


@pytest.fixture
def spec(client, db):
    return json.loads(client.get(f"{API}/openapi.json").content)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _template_for(spec: dict, path: str) -> str:
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI description")


def assert_matches_spec(spec: dict, path: str, method: str, status: int, body) -> None:
    """The body validates against the schema the description gives for this operation and status."""
    template = _template_for(spec, urlsplit(path).path)
    registry = Registry().with_resource("urn:api", Resource.from_contents(spec, default_specification=DRAFT202012))
    ref = "urn:api#/" + _pointer("paths", template, method, "responses", str(status), "content", "application/json")
    schema = {"$ref": ref + "/schema"}
    Draft202012Validator(schema, registry=registry, format_checker=FormatChecker()).validate(body)


def test_the_openapi_description_is_a_valid_document(spec):
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {f"{API}/sites", f"{API}/popolo/persons", f"{API}/open311/requests.json"} <= paths


def public_get_paths(spec: dict, world) -> list[str]:
    """Every GET of the description, path parameters filled with the world's objects."""
    fill = {
        "site_id": world["room"].slug,
        "person_id": world["deputies"][0].slug,
        "request_id": world["opinion"].tracking_code,
    }
    paths = []
    for template, operations in spec["paths"].items():
        if "get" in operations:
            paths.append(re.sub(r"\{([^}]+)\}", lambda m: fill[m.group(1)], template))
    return paths


def test_every_answer_matches_the_openapi_description(client, world, spec):
    for path in public_get_paths(spec, world):
        if path.endswith(("/docs", "/openapi.json")):
            continue
        response, body = get_json(client, path)
        assert response.status_code == 200, path
        assert_matches_spec(spec, path, "get", 200, body)


def test_a_filed_opinion_matches_the_openapi_description(client, world, spec):
    _key, secret = api_key_issue(name="12345 热线", actor=Actor.system())
    response = client.post(
        f"{API}/open311/requests.json",
        {"service_code": "urban", "description": "路灯不亮。", "site": world["room"].slug},
        HTTP_X_API_KEY=secret,
    )
    assert response.status_code == 201
    assert_matches_spec(spec, f"{API}/open311/requests.json", "post", 201, response.json())


# --- no phone number, no voter's data ------------------------------------------------------------------------


def test_no_answer_holds_a_phone_number_or_a_voters_data(client, world, spec):
    walked = 0
    for path in public_get_paths(spec, world):
        for query in ("", "?page_size=1", "?page_size=1&page=2"):
            response = client.get(path + query)
            if response.status_code != 200:
                continue
            text = response.content.decode()
            walked += 1
            found = PHONE_IN_TEXT.findall(text)
            assert not found, f"{path}{query} shows {found}"
            for secret in (VOTER_NAME, VOTER_EMAIL, "wang@", CONTENT_PHONE[-4:] + "。"):
                assert secret not in text, f"{path}{query} shows {secret!r}"
    assert walked >= 20


def test_the_opinions_text_is_never_published(client, world):
    _response, body = get_json(client, f"{API}/open311/requests.json")
    assert body[0]["description"] is None
    assert "公交站牌" not in json.dumps(body, ensure_ascii=False)


# --- Popolo ----------------------------------------------------------------------------------------------------
# The field names of Popolo's JSON schemas (popoloproject.com/schemas/*.json).
POPOLO = {
    "person": {
        "id", "name", "other_names", "identifiers", "family_name", "given_name", "additional_name",
        "honorific_prefix", "honorific_suffix", "patronymic_name", "sort_name", "email", "gender", "birth_date",
        "death_date", "image", "summary", "biography", "national_identity", "contact_details", "links",
        "memberships", "sources", "created_at", "updated_at",
    },
    "organization": {
        "id", "name", "other_names", "identifiers", "classification", "parent_id", "parent", "area_id", "area",
        "abstract", "description", "founding_date", "dissolution_date", "image", "contact_details", "links",
        "memberships", "posts", "sources", "created_at", "updated_at",
    },
    "membership": {
        "id", "label", "role", "member", "person_id", "person", "organization_id", "organization", "post_id",
        "post", "on_behalf_of_id", "on_behalf_of", "area_id", "area", "start_date", "end_date", "contact_details",
        "links", "sources", "created_at", "updated_at",
    },
    "post": {
        "id", "label", "other_label", "role", "organization_id", "organization", "area_id", "area", "start_date",
        "end_date", "contact_details", "links", "memberships", "sources", "created_at", "updated_at",
    },
    "link": {"url", "note"},
}  # fmt: skip


def test_popolo_answers_use_popolos_field_names(client, world):
    _r, persons = get_json(client, f"{API}/popolo/persons")
    _r, organizations = get_json(client, f"{API}/popolo/organizations")
    _r, memberships = get_json(client, f"{API}/popolo/memberships")
    _r, posts = get_json(client, f"{API}/popolo/posts")
    for person in persons["results"]:
        assert set(person) <= POPOLO["person"], set(person) - POPOLO["person"]
        for membership in person["memberships"]:
            assert set(membership) <= POPOLO["membership"]
        for link in person["links"]:
            assert set(link) <= POPOLO["link"]
    for organization in organizations["results"]:
        assert set(organization) <= POPOLO["organization"], set(organization) - POPOLO["organization"]
    for membership in memberships["results"]:
        assert set(membership) <= POPOLO["membership"]
    assert posts["results"], "the mandate with an electoral district is a post"
    for post in posts["results"]:
        assert set(post) <= POPOLO["post"]


def test_popolo_ids_link_people_organizations_posts_and_memberships(client, world):
    gu = world["deputies"][0]
    _r, person = get_json(client, f"{API}/popolo/persons/{gu.slug}")
    assert person["name"] == "顾海明" and person["gender"] == "male"
    organization_ids = {o["id"] for o in get_json(client, f"{API}/popolo/organizations?page_size=100")[1]["results"]}
    post_ids = {p["id"] for p in get_json(client, f"{API}/popolo/posts")[1]["results"]}
    kinds = {m["role"] for m in person["memberships"]}
    assert kinds == {"deputy", "assigned deputy"}
    for membership in person["memberships"]:
        assert membership["person_id"] == gu.slug
        assert membership["organization_id"] in organization_ids
        assert membership["post_id"] is None or membership["post_id"] in post_ids
    mandate = next(m for m in person["memberships"] if m["role"] == "deputy")
    assert mandate["organization_id"] == "congress:town"
    assert mandate["start_date"] == "2022-01-01" and mandate["end_date"] == "2027-01-01"
    room = next(
        o
        for o in get_json(client, f"{API}/popolo/organizations?page_size=100")[1]["results"]
        if o["id"] == "site:yuxin-jinxing"
    )
    assert room["parent_id"] == "site:yuxin" and room["classification"] == "liaison room"
    all_memberships = get_json(client, f"{API}/popolo/memberships?page_size=100")[1]
    assert {m["id"] for m in person["memberships"]} <= {m["id"] for m in all_memberships["results"]}


# --- Open311 ---------------------------------------------------------------------------------------------------
# GeoReport v2's fields (wiki.open311.org/GeoReport_v2): a service, a service request, the answer to a POST.
OPEN311_SERVICE = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
OPEN311_REQUEST = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
    "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip
OPEN311_CREATED = {"service_request_id", "token", "service_notice", "account_id"}
# The portal's additions, described in the OpenAPI description.
REQUEST_ADDITIONS = {"state", "state_label", "timeline"}


def test_open311_answers_use_georeports_field_names(client, world):
    _r, services = get_json(client, f"{API}/open311/services.json")
    assert services and all(set(service) == OPEN311_SERVICE for service in services)
    assert {s["service_code"] for s in services} >= {"transport", "urban", "other"}
    _r, requests = get_json(client, f"{API}/open311/requests.json")
    assert requests and all(set(request) == OPEN311_REQUEST | REQUEST_ADDITIONS for request in requests)


def test_a_request_shows_its_public_state_and_timeline(client, world):
    opinion = world["opinion"]
    _r, [request] = get_json(client, f"{API}/open311/requests.json")
    assert request["service_request_id"] == opinion.reference
    assert request["status"] == "open" and request["state"] == "replied"
    assert request["agency_responsible"] == "区交通运输局"
    assert request["address_id"] == "yuxin-jinxing" and request["lat"] == 30.7
    assert [step["state"] for step in request["timeline"]] == ["registered", "accepted", "referred", "replied"]
    assert request["status_notes"] is None  # the reply only to whoever holds the tracking code


def test_a_request_is_found_by_tracking_code_with_its_reply_or_by_reference(client, world):
    opinion = world["opinion"]
    code = opinion.tracking_code.lower().replace("-", " ")
    _r, [by_code] = get_json(client, f"{API}/open311/requests/{code}.json")
    assert by_code["service_request_id"] == opinion.reference
    assert by_code["status_notes"].startswith("已修复") and REPLY_PHONE not in by_code["status_notes"]
    response = client.get(f"{API}/open311/requests/{code}.json")
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    _r, [by_reference] = get_json(client, f"{API}/open311/requests/{opinion.reference}.json")
    assert by_reference["status_notes"] is None
    response, body = get_json(client, f"{API}/open311/requests/AAAAA-BBBBB-CCCCC.json")
    assert response.status_code == 404 and body[0]["code"] == 404


def test_request_filters(client, world):
    assert get_json(client, f"{API}/open311/requests.json?status=closed")[1] == []
    assert len(get_json(client, f"{API}/open311/requests.json?status=open")[1]) == 1
    assert get_json(client, f"{API}/open311/requests.json?service_code=urban")[1] == []
    assert len(get_json(client, f"{API}/open311/requests.json?start_date=2000-01-01")[1]) == 1
    reference = world["opinion"].reference
    assert len(get_json(client, f"{API}/open311/requests.json?service_request_id={reference},NH-2000-00001")[1]) == 1


# --- sites and reception days ----------------------------------------------------------------------------------


def test_sites_come_as_a_tree_in_the_networks_order(client, world):
    _r, body = get_json(client, f"{API}/sites")
    ids = [site["id"] for site in body["results"]]
    assert ids.index("yuxin") < ids.index("yuxin-jinxing") < ids.index("yuxin-jinxing-enterprise")
    room = next(site for site in body["results"] if site["id"] == "yuxin-jinxing")
    assert room["parent_id"] == "yuxin" and room["station_id"] == "yuxin" and room["online"] is True
    assert {area["name"] for area in room["areas_served"]} == {"金星村", "长秦村", "曹王村"}
    assert urlsplit(room["url"]).path == reverse("stations:site_detail", kwargs={"slug": "yuxin-jinxing"})
    fengqiao = get_json(client, f"{API}/sites/fengqiao")[1]
    assert fengqiao["online"] is False and fengqiao["parent_id"] is None
    assert [s["id"] for s in get_json(client, f"{API}/sites?q=长秦")[1]["results"]] == ["yuxin-jinxing"]
    assert {s["id"] for s in get_json(client, f"{API}/sites?online=false")[1]["results"]} == {
        "fengqiao",
        "fengqiao-village",
    }


def test_only_published_receptions_are_listed(client, world):
    _r, body = get_json(client, f"{API}/shifts")
    assert [shift["id"] for shift in body["results"]] == [world["shift"].pk]
    shift = body["results"][0]
    assert shift["site_id"] == "yuxin-jinxing"
    assert [d["person_id"] for d in shift["deputies"]] == sorted(
        [d.slug for d in world["deputies"][:2]],
        key=lambda slug: {"gu-haiming": "顾海明", "huang-meiqin": "黄美勤"}[slug],
    )
    assert get_json(client, f"{API}/shifts?deputy=li-jianguo")[1]["count"] == 0  # on the draft roster only
    assert get_json(client, f"{API}/shifts?deputy=gu-haiming&station=yuxin")[1]["count"] == 1


def test_figures_come_with_their_definitions(client, world):
    _r, body = get_json(client, f"{API}/figures?year={timezone.localdate().year}")
    keys = {definition["key"] for definition in body["definitions"]}
    district = body["districts"][0]
    assert district["name"] == "南湖区"
    assert district["figures"]["opinions"] == 1
    assert set(district["figures"]) - {"referred", "not_accepted"} <= keys
    assert [station["id"] for station in district["stations"]] == ["fengqiao", "yuxin"] or len(
        district["stations"]
    ) == 2
    response, body = get_json(client, f"{API}/figures?year=1900")
    assert response.status_code == 400 and body["errors"][0]["description"].startswith("year")


# --- pages, conditional GET, query counts -----------------------------------------------------------------------


def test_pages_are_bounded_stable_and_linked(client, world, district):
    for number in range(12):
        make_deputy(district, f"代表{number:02d}", sites=[world["room"]])
    seen = []
    path = f"{API}/popolo/persons?page_size=4"
    while path:
        _r, body = get_json(client, path)
        assert len(body["results"]) <= 4
        seen += [person["id"] for person in body["results"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == body["count"] == 15
    response, body = get_json(client, f"{API}/popolo/persons?page_size=101")
    assert response.status_code == 400 and "page_size" in body["description"]
    response, _body = get_json(client, f"{API}/popolo/persons?page=99")
    assert response.status_code == 404
    response = client.get(f"{API}/open311/requests.json?page_size=1")
    assert response["X-Total-Count"] == "1" and "Link" not in response


def test_long_lists_are_counted_only_so_far_and_still_page_to_their_end(client, world, district, settings):
    """Past API_COUNT_LIMIT a list says it holds more than it counted (count_exact false, no X-Total-Count) and
    its next pages still come, down to the last one, which ends the list."""
    settings.API_COUNT_LIMIT = 5
    for number in range(12):
        make_deputy(district, f"代表{number:02d}", sites=[world["room"]])
    _r, body = get_json(client, f"{API}/popolo/persons?page_size=4")
    assert body["count"] == 5 and body["count_exact"] is False and body["next"]
    seen, path = [], f"{API}/popolo/persons?page_size=4"
    while path:
        _r, body = get_json(client, path)
        seen += [person["id"] for person in body["results"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == 15 and body["count"] == 15 and body["count_exact"] is True
    # Memberships: mandates first, then assignments; the counting stops inside either list.
    seen, path = [], f"{API}/popolo/memberships?page_size=4"
    while path:
        _r, body = get_json(client, path)
        seen += [membership["id"] for membership in body["results"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == body["count"] and body["count_exact"] is True and len(seen) > 5
    # Organizations: the congresses (one per level) come ahead of the sites, which alone are counted only so far.
    settings.API_COUNT_LIMIT = 2
    _r, body = get_json(client, f"{API}/popolo/organizations?page_size=2")
    congresses = sum(1 for organization in body["results"] if organization["classification"] == "legislature")
    assert congresses == 2 and body["count_exact"] is False
    counted = body["count"]
    seen, path = [], f"{API}/popolo/organizations?page_size=2"
    while path:
        _r, body = get_json(client, path)
        seen += [organization["id"] for organization in body["results"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == body["count"] > counted and body["count_exact"] is True
    assert counted == sum(1 for organization_id in seen if "congress" in organization_id) + 2
    for number in range(6):
        opinion_services.opinion_register(
            site=world["room"], category="urban", content=f"第{number}条意见。", actor=Actor.system()
        )
    response = client.get(f"{API}/open311/requests.json?page_size=2")
    assert "X-Total-Count" not in response and 'rel="next"' in response["Link"]


def test_an_unchanged_answer_is_a_304(client, world):
    response = client.get(f"{API}/sites")
    assert response.status_code == 200 and response["ETag"]
    assert client.get(f"{API}/sites", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    Site.objects.filter(slug="yuxin").update(address="余新镇新址")
    assert client.get(f"{API}/sites", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_requests_carry_last_modified_and_answer_if_modified_since(client, world):
    response = client.get(f"{API}/open311/requests.json")
    last_modified = response["Last-Modified"]
    assert client.get(f"{API}/open311/requests.json", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    # HTTP dates count whole seconds: the next step is entered a few seconds later.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        opinion_services.opinion_resolve(opinion=Opinion.objects.get(pk=world["opinion"].pk), actor=Actor.system())
    assert client.get(f"{API}/open311/requests.json", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 200


@pytest.fixture
def big_network(world, district):
    """Enough of everything that an N+1 would show: 30 rooms with areas, 40 deputies with two mandates and an
    assignment each, 40 published receptions, 40 opinions with their steps."""
    from stations.models import Area

    station = world["station"]
    rooms = []
    for number in range(30):
        room = Site.objects.create(
            district=district,
            kind=SiteKind.ROOM,
            parent=station,
            name=f"第{number}村联络室",
            slug=f"room-{number}",
            town="余新镇",
            is_online=True,
        )
        room.areas.add(Area.objects.create(district=district, town="余新镇", name=f"第{number}村"))
        rooms.append(room)
    for number in range(40):
        deputy = make_deputy(district, f"批量代表{number:02d}", sites=[rooms[number % 30]], level="town")
        Mandate.objects.create(
            deputy=deputy, level="district", term_start=dt.date(2021, 1, 1), electoral_district=f"第{number}选区"
        )
        make_shift(
            rooms[number % 30], at(NEXT_YEAR, 1 + number % 12, 20, 9 + number // 12), deputies=[deputy], published=True
        )
        opinion_services.opinion_register(
            site=rooms[number % 30], category="urban", content="路灯。", actor=Actor.system()
        )
    return rooms


LIST_BOUNDS = {
    "/sites?page_size=100": 4,
    "/shifts?page_size=100": 4,
    "/popolo/persons?page_size=100": 4,
    "/popolo/organizations?page_size=100": 3,
    "/popolo/memberships?page_size=100": 5,
    "/popolo/posts?page_size=100": 3,
    "/open311/requests.json?page_size=100": 3,
}


@pytest.mark.parametrize(("path", "bound"), LIST_BOUNDS.items())
def test_a_list_costs_a_fixed_number_of_queries(path, bound, client, big_network, django_assert_max_num_queries):
    with django_assert_max_num_queries(bound):
        response = client.get(API + path)
    assert response.status_code == 200
    body = response.json()
    assert len(body if isinstance(body, list) else body["results"]) >= 30


def test_the_figures_cost_a_fixed_number_of_queries(client, big_network, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert client.get(f"{API}/figures").status_code == 200


def test_the_figures_come_a_page_of_districts_at_a_time(client, world, django_assert_max_num_queries):
    """A province's hundred districts are not one answer: a page of them (in name order), the next page linked,
    one district by its id, and the same queries for a page whatever the number of districts."""
    from stations.models import District

    for number in range(7):
        other = District.objects.create(name=f"测试区{number}", slug=f"test-{number}", code=f"T{number}")
        Site.objects.create(district=other, kind=SiteKind.STATION, name=f"站{number}", slug=f"t-{number}", town="镇")
    year = timezone.localdate().year
    with django_assert_max_num_queries(20):
        _r, body = get_json(client, f"{API}/figures?year={year}&page_size=3")
    assert body["count"] == 8 and len(body["districts"]) == 3 and body["next"]
    seen, path = [], f"{API}/figures?year={year}&page_size=3"
    while path:
        _r, body = get_json(client, path)
        seen += [district["id"] for district in body["districts"]]
        path = body["next"]
    assert len(seen) == len(set(seen)) == 8
    _r, body = get_json(client, f"{API}/figures?year={year}&district=test-4")
    assert [district["name"] for district in body["districts"]] == ["测试区4"]
    assert body["districts"][0]["stations"][0]["id"] == "t-4"
    response, _body = get_json(client, f"{API}/figures?district=nowhere")
    assert response.status_code == 404
    response, body = get_json(client, f"{API}/figures?page_size=21")
    assert response.status_code == 400 and "page_size" in body["description"]


# --- errors: JSON, never HTML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/sites?page=abc", 400),
        ("get", "/sites?q=a%00b", 400),  # refused by RejectMalformedInputMiddleware, before the API
        ("get", "/sites?q=" + "x" * 1001, 400),
        ("get", "/shifts?date_from=9999-12-31", 400),
        ("get", "/shifts?date_from=2030-01-02&date_to=2030-01-01", 400),
        ("get", "/open311/requests.json?start_date=0001-01-01", 400),
        ("get", "/open311/requests.json?status=pending", 400),
        ("get", "/sites/nowhere", 404),
        ("get", "/popolo/persons/nobody", 404),
        ("get", "/no/such/endpoint", 404),
        ("post", "/sites", 405),
        ("delete", "/open311/requests.json", 405),
        ("post", "/open311/requests.json", 401),
    ],
)
def test_bad_requests_answer_json_errors(method, path, status, client, world, spec):
    response = getattr(client, method)(API + path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    problems = body if isinstance(body, list) else body["errors"]
    assert problems and all(problem["code"] == status and problem["description"] for problem in problems)
    declared = spec["paths"].get(urlsplit(API + path).path, {}).get(method, {}).get("responses", {})
    if str(status) in declared:  # the refusals an operation documents are described as they are
        assert_matches_spec(spec, API + path, method, status, body)


def test_a_server_error_under_the_api_is_json(client, world, monkeypatch):
    from stations.api import network

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(network, "site_out", broken)
    client.raise_request_exception = False
    response = client.get(f"{API}/sites")
    assert response.status_code == 500 and response.json()["code"] == 500


# --- filing an opinion with an API key ------------------------------------------------------------------------------


def file(client, secret: str | None, **fields):
    data = {"service_code": "transport", "description": "村口公交站牌被撞倒了。", "site": "yuxin-jinxing", **fields}
    headers = {"HTTP_X_API_KEY": secret} if secret else {}
    return client.post(f"{API}/open311/requests.json", data, **headers)


def test_a_key_files_an_opinion_like_the_web_form_and_the_audit_log_names_the_key(client, world):
    _key, secret = api_key_issue(name="12345 热线", actor=Actor.system())
    response = file(
        client, secret, first_name="小明", last_name="王", phone="139 1234 5678", email=VOTER_EMAIL, consent="true"
    )
    assert response.status_code == 201
    [created] = response.json()
    opinion = Opinion.objects.get(reference=created["service_request_id"])
    assert created["tracking_code"] == opinion.tracking_code
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", opinion.tracking_code)
    assert opinion.source == "online" and opinion.category == "transport" and opinion.site.slug == "yuxin-jinxing"
    assert opinion.submitter_name == "王小明" and opinion.submitter_phone == VOTER_PHONE and opinion.consent_at
    entry = AuditEntry.objects.get(action="opinion.registered", object_id=str(opinion.pk))
    assert entry.actor is None and entry.actor_name == "api:12345 热线"
    # The voter follows it on the tracking page with that code.
    assert client.get(reverse("stations:track_detail", kwargs={"code": opinion.tracking_code})).status_code == 200


def test_the_key_may_come_in_georeports_api_key_field(client, world):
    _key, secret = api_key_issue(name="市民热线", actor=Actor.system())
    assert file(client, None, api_key=secret).status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"phone": "13912345678"}, "consent"),  # personal data without the caller's consent
        ({"service_code": "parking"}, "service_code"),
        ({"description": ""}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"phone": "12345", "consent": "true"}, "phone"),
        ({"site": "fengqiao"}, "site"),  # not an online station
        ({"site": "nowhere"}, "site"),
        ({"email": "not-an-address", "consent": "true"}, "email"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(fields, field, client, world):
    _key, secret = api_key_issue(name="热线", actor=Actor.system())
    before = Opinion.objects.count()
    response = file(client, secret, **fields)
    assert response.status_code == 400, response.content
    descriptions = [problem["description"] for problem in response.json()]
    assert any(text.startswith(f"{field}:") for text in descriptions), descriptions
    assert Opinion.objects.count() == before
    assert not ThrottleHit.objects.filter(scope=throttle.API_SUBMIT_SCOPE).exists()  # a refusal does not count


def test_without_a_valid_key_nothing_is_filed(client, world):
    key, secret = api_key_issue(name="热线", actor=Actor.system())
    before = Opinion.objects.count()
    assert file(client, None).status_code == 401
    assert file(client, "lsk_" + "x" * 43).status_code == 401
    assert file(client, secret[:-1]).status_code == 401
    client.force_login(_staff_user())
    assert file(client, None).status_code == 401  # a session is not a key
    api_key_revoke(key=key, actor=Actor.system())
    response = file(client, secret)
    assert response.status_code == 401 and response["WWW-Authenticate"]
    assert Opinion.objects.count() == before


def _staff_user():
    from tests.conftest import make_user

    return make_user("staffer", role="district_admin")


def test_each_key_is_rate_limited_on_its_own(client, world):
    key, secret = api_key_issue(name="热线甲", actor=Actor.system())
    _other, other_secret = api_key_issue(name="热线乙", actor=Actor.system())
    limit = throttle.API_SUBMIT_LIMITS[0]
    now = timezone.now()
    ThrottleHit.objects.bulk_create(
        ThrottleHit(scope=throttle.API_SUBMIT_SCOPE, key=f"api-key:{key.pk}", at=now - dt.timedelta(seconds=n))
        for n in range(limit.count)
    )
    response = file(client, secret)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()[0]["code"] == 429
    assert file(client, other_secret).status_code == 201


def test_keys_are_stored_hashed_and_shown_once(client, world):
    key, secret = api_key_issue(name="热线", actor=Actor.system())
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.key_hash == hash_api_key(secret) and secret not in json.dumps(
        list(ApiKey.objects.values()), default=str
    )
    assert secret.startswith(stored.prefix)
    assert AuditEntry.objects.filter(action="api_key.issued", object_id=str(key.pk)).exists()


def test_an_administrator_issues_and_revokes_a_key_in_the_admin(dana_client, world):
    response = dana_client.post(reverse("admin:stations_apikey_add"), {"name": "12345 热线"}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(name="12345 热线")
    shown = re.search(r"<code>(lsk_[\w-]+)</code>", response.content.decode())
    assert shown and hash_api_key(shown.group(1)) == key.key_hash
    # Shown once: the key's page does not show it again.
    page = dana_client.get(reverse("admin:stations_apikey_change", args=[key.pk])).content.decode()
    assert shown.group(1) not in page
    dana_client.post(
        reverse("admin:stations_apikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_key.revoked", actor_name="dana").exists()


def test_staff_cannot_see_the_keys_in_the_admin(client, world, bob):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=bob.pk).update(is_staff=True)
    client.force_login(bob)
    assert client.get(reverse("admin:stations_apikey_changelist")).status_code == 403


# --- the interactive page ---------------------------------------------------------------------------------------


def test_the_docs_page_loads_nothing_from_elsewhere(client, db):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
    for ref in references:
        if ref.startswith("/static/"):
            assert finders.find(ref.removeprefix("/static/")), f"{ref} is not a local static file"
    assert '<html lang="zh-hans">' in html


def test_parameter_errors_are_in_chinese_and_name_the_parameter(client, world):
    for path, expected in (
        ("/sites?page=abc", "page: 请填写整数。"),
        ("/sites?page_size=500", "page_size: 不能大于 100。"),
        ("/sites?online=perhaps", "online: 请填写 true 或 false。"),
        ("/shifts?date_from=20th", "date_from: 请按 YYYY-MM-DD 格式填写日期。"),
    ):
        response, body = get_json(client, API + path)
        assert response.status_code == 400 and body["description"] == expected, body


@pytest.mark.parametrize(("path", "size"), [("/popolo/organizations", 3), ("/popolo/memberships", 2)])
def test_lists_made_of_two_kinds_page_across_the_seam(path, size, client, world):
    """Organizations are congresses then sites, memberships mandates then assignments: every page boundary, the
    one between the two kinds included, loses and repeats nothing."""
    seen, url = [], f"{API}{path}?page_size={size}&date_from=2000-01-01"
    while url:
        _r, body = get_json(client, url)
        seen += [item["id"] for item in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == body["count"] > size
    _r, whole = get_json(client, f"{API}{path}?page_size=100&date_from=2000-01-01")
    assert [item["id"] for item in whole["results"]] == seen
