"""The shapes of the API's answers. Field names follow the standards where one exists: Popolo
(https://www.popoloproject.com/specs/: person, organization, membership, post) and Open311 GeoReport v2
(https://wiki.open311.org/GeoReport_v2/: service, service request). Additions of the portal's own are named so
and described in the OpenAPI description. Nothing here carries a phone number or a voter's personal data."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

# --- shared ---------------------------------------------------------------------------------------------------


class ErrorItem(Schema):
    code: int = Field(description="The HTTP status.")
    description: str = Field(description="What is wrong, in the portal's language.")


class Error(Schema):
    code: int = Field(description="The HTTP status.")
    description: str = Field(description="The first (usually the only) problem.")
    errors: list[ErrorItem] = Field(description="Every problem found.")


# The refusals each kind of operation can answer, for the OpenAPI description (stations.api.errors writes them).
ERRORS: dict[int, type] = {400: Error, 404: Error}
OPEN311_ERRORS: dict[int, object] = {400: list[ErrorItem], 404: list[ErrorItem], 429: list[ErrorItem]}


class PageInfo(Schema):
    count: int = Field(
        description="Items in the whole list when count_exact is true; otherwise the list holds more than this (lists "
        "are counted up to 10,000 items, or to the page asked for when it is further)."
    )
    count_exact: bool = Field(description="Whether count is the whole list's size or only a lower bound.")
    page: int
    page_size: int
    next: str | None = Field(description="The next page's address, or null on the last page.")
    previous: str | None


# --- the network ----------------------------------------------------------------------------------------------


class AreaOut(Schema):
    name: str
    kind: str = Field(description="village, community or electoral (electoral district).")
    town: str


class SiteOut(Schema):
    id: str = Field(description="The site's stable identifier (its slug, as in /sites/<slug>/).")
    name: str
    kind: str = Field(description="station, room or point.")
    parent_id: str | None = Field(description="The station (or room) above it; null for a station.")
    station_id: str = Field(description="The station the site belongs to (itself for a station).")
    town: str = Field(description="The town or street (镇/街道).")
    address: str
    latitude: float | None
    longitude: float | None
    sector: str
    established: dt.date | None
    online: bool = Field(description="Takes opinions on the web (an online station or a room or point under one).")
    areas_served: list[AreaOut]
    url: str = Field(description="The site's public page.")


class SitePage(PageInfo):
    results: list[SiteOut]


# --- reception days and duties --------------------------------------------------------------------------------


class DutyOut(Schema):
    person_id: str = Field(description="The deputy (a Popolo person id).")
    name: str


class ShiftOut(Schema):
    id: int
    site_id: str
    site_name: str
    start: dt.datetime
    end: dt.datetime
    moved_from: dt.datetime | None = Field(description="Where the reception was first planned, when it was moved.")
    deputies: list[DutyOut] = Field(description="The deputies on duty.")


class ShiftPage(PageInfo):
    results: list[ShiftOut]


# --- Popolo ---------------------------------------------------------------------------------------------------


class PopoloLink(Schema):
    url: str
    note: str


class PopoloMembership(Schema):
    id: str
    person_id: str
    organization_id: str
    post_id: str | None
    role: str
    label: str
    start_date: dt.date | None
    end_date: dt.date | None


class PopoloPerson(Schema):
    id: str
    name: str
    gender: str = Field(description="female or male.")
    image: str | None = Field(description="The deputy's photo, when there is one.")
    biography: str
    memberships: list[PopoloMembership] = Field(
        description="Mandates (a seat in a people's congress) and site assignments (进站)."
    )
    links: list[PopoloLink]


class PersonPage(PageInfo):
    results: list[PopoloPerson]


class PopoloOrganization(Schema):
    id: str
    name: str
    classification: str = Field(
        description="legislature (a people's congress of one level) or liaison station, liaison room, liaison point."
    )
    parent_id: str | None


class OrganizationPage(PageInfo):
    results: list[PopoloOrganization]


class MembershipPage(PageInfo):
    results: list[PopoloMembership]


class PopoloPost(Schema):
    id: str
    label: str = Field(description="The seat: the congress and the electoral district (选区) it represents.")
    role: str
    organization_id: str


class PostPage(PageInfo):
    results: list[PopoloPost]


# --- figures --------------------------------------------------------------------------------------------------


class Definition(Schema):
    key: str
    term: str
    definition: str


class PeriodOut(Schema):
    first: dt.date
    last: dt.date
    label: str


class StationFigures(Schema):
    id: str
    name: str
    figures: dict[str, float | int | None]


class DistrictFigures(Schema):
    id: str
    name: str
    figures: dict[str, float | int | None] = Field(description="Keyed by the definitions' keys; rates are 0–1.")
    stations: list[StationFigures]


class FiguresOut(PageInfo):
    period: PeriodOut
    definitions: list[Definition]
    districts: list[DistrictFigures]


# --- Open311 GeoReport v2 -------------------------------------------------------------------------------------


class Service(Schema):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class TimelineStep(Schema):
    """The public timeline (an addition to GeoReport): each step as the voter's tracking page shows it."""

    state: str
    state_label: str
    at: dt.datetime
    agency_responsible: str | None


class ServiceRequest(Schema):
    service_request_id: str = Field(description="The opinion's reference (NH-2027-00042).")
    status: str = Field(description="open or closed.")
    status_notes: str | None = Field(description="The public reply, only when looked up by tracking code.")
    service_name: str
    service_code: str
    description: str | None = Field(description="Always null: the text of an opinion is never published.")
    agency_responsible: str | None = Field(description="The handling body (承办单位).")
    service_notice: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None = Field(description="The reply deadline, while with the handling body.")
    address: str
    address_id: str = Field(description="The site (its id in /sites/).")
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    state: str = Field(description="The portal's own state (registered, accepted, referred, replied…).")
    state_label: str
    timeline: list[TimelineStep]


class ServiceRequestCreated(Schema):
    service_request_id: str
    service_notice: str
    token: str | None
    account_id: str | None
    tracking_code: str = Field(
        description="The code the voter follows the opinion with at /track/<code>/ (an addition to GeoReport); "
        "tell it to the caller."
    )


class Index(Schema):
    name: str
    version: str
    openapi: str
    docs: str
    endpoints: dict[str, str]
