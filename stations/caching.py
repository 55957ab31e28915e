"""Public pages and feeds served from Django's cache, invalidated exactly when what they show changes.

**Scopes and generations.** Every cached page names the *scopes* it shows (`site:<slug>`, `deputy:<slug>`,
`town:<station slug>`, the whole `network`, the `deputies` list, the district-wide `schedule`, the public
`stats`), and its cache entry and ETag are built from the current *generation token* of each scope. A write
says which scopes it changed (`invalidate`, called by the services and the admin); once its transaction
commits, those tokens are deleted, so every page that shows the change gets a new ETag and is rendered again,
while every other page stays cached. Who shows what is decided here, in one place: the page side in `PAGES`,
the change side in the `*_scopes` functions below.

Why this is safe across processes and races:
- Tokens live in the shared cache (the database cache, or Redis), so a change made through one gunicorn
  process is seen by every other at its next request.
- A bump *deletes* tokens (a delete cannot be lost to a concurrent write); the next reader adds a fresh random
  token. An evicted token is likewise replaced by a fresh one: a missing token never brings an old page back.
- Readers fetch the tokens before the view reads any data; a writer's tokens go only after its commit
  (`transaction.on_commit`). A page rendered while a change commits is stored under the old tokens and is
  therefore never served again.
- Time moves pages too (the next reception, "upcoming" duties, today's date): a `clock` token changes at the
  next moment a reception starts or ends, and at local midnight.

Who never gets a cached page: signed-in users (their header shows their own links), a request with messages
waiting, anything but GET/HEAD, and a request inside an open transaction (only the test suite runs requests
so: a page rendered there could show rows nobody else can see yet). Language and the URL are part of the key;
the only per-visitor piece of a public page, the CSRF token of its forms (the language switch, the opinion
form), is put back per request.

`etag_for` / `conditional_response` are the reusable pieces of the conditional GET (ETag / Last-Modified and
304), for any view or API that can name its scopes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import BaseCache, caches
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from stations.clock import LOCAL_TZ
from stations.display import display_mode

if TYPE_CHECKING:
    from stations.models import Deputy, DutyShift, Roster, Site, Theme

logger = logging.getLogger(__name__)

# --- scopes -------------------------------------------------------------------------------------------------

NETWORK = "network"  # the tree of sites, the network's size, every list or chooser of sites and towns
DEPUTIES = "deputies"  # the list of deputies
SCHEDULE = "schedule"  # the district-wide schedule: any site's published receptions, the next reception day
STATS = "stats"  # the public figures
CLOCK = "clock"  # changes when time alone changes a page (see `_clock_token`)
OPINIONS = "opinions"  # opinions' public state (the Open311 feed): one registered, a state step, a body renamed
REGIONS = "regions"  # the regions' names and tree: the breadcrumbs of every site page
# What the figures show besides the records' counts (names of sites, regions and bodies, deputies' levels, themes, a
# site moved): renewed with STATS by every change but the summary cells' own (see `figures_changed`).
FIGURE_LABELS = "figurelabels"


def site_scope(slug: str) -> str:
    return f"site:{slug}"


def deputy_scope(slug: str) -> str:
    return f"deputy:{slug}"


def town_scope(station_slug: str) -> str:
    return f"town:{station_slug}"


def site_record_scope(slug: str) -> str:
    """A site's own record (name, place, areas, the sites above it), without its receptions: the API's site."""
    return f"siterecord:{slug}"


def district_figures_scope(district_id: int) -> str:
    """A district's summary cells (stations.models.FigureCell): renewed only by `figures_changed`."""
    return f"figures:{district_id}"


def station_sites_scope(station_slug: str) -> str:
    """The sites of a station (itself, its rooms and points) as records: the API's sites of a station."""
    return f"stationsites:{station_slug}"


# Entries live at most this long (a day), also when nothing changes: the cache table stays small.
PAGE_TIMEOUT = 24 * 3600
# Tokens too expire (a week), so that scopes nobody asks for again (a mistyped slug) do not pile up; an expired
# token is replaced by a fresh one, which only renders its pages once more.
TOKEN_TIMEOUT = 7 * 24 * 3600
_GENERATION_PREFIX = "gen:"
_PAGE_PREFIX = "page:"
_DATA_PREFIX = "data:"


def _cache() -> BaseCache:
    return caches["default"]


# What a release renders with: the portal's code, templates, translations and front-end sources, and the locked
# versions of its packages. Part of every page's key and ETag, so that after an upgrade nobody is served a page
# (or told "not modified" about a copy) rendered by the code before it, while every node of one release, whose
# files are the same, agrees on the keys (a hash of the contents, not of file times).
_RELEASE_SOURCES = ("stations", "templates", "locale", "static", "liaison")
_RELEASE_FILES = ("requirements.lock", "package-lock.json")
_RELEASE_SUFFIXES = {".py", ".html", ".txt", ".po", ".js", ".css", ".json", ".svg"}


@cache
def release() -> str:
    digest = hashlib.sha256()
    base = settings.BASE_DIR
    paths = [base / name for name in _RELEASE_FILES]
    for name in _RELEASE_SOURCES:
        paths.extend(path for path in (base / name).rglob("*") if path.suffix in _RELEASE_SUFFIXES)
    for path in sorted(paths):
        if path.is_file():
            digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class _EntryMemo:
    """The page entries this process served last, in memory, in front of the shared cache.

    A hit read the tokens and then the page from the shared cache: two round trips to the database cache (or
    Redis) for every public page. The tokens must still be read from the shared cache each time (another process
    may have changed them); the page need not: an entry is used only when its ETag equals the one just made from
    the current tokens, exactly as an entry read from the shared cache is, so a memo can be old but never
    served stale. Bounded (least recently used out first), one per process, guarded for threaded servers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, etag: str) -> dict[str, Any] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry.get("etag") != etag:
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_memo = _EntryMemo(getattr(settings, "PAGE_MEMO_ENTRIES", 256))
_data_memo = _EntryMemo(64)
T = TypeVar("T")


# --- generations ----------------------------------------------------------------------------------------------


def _generation_key(scope: str) -> str:
    # A slug comes from the URL or a cookie: however long or odd, the key stays short and plain.
    if len(scope) > 100 or not scope.isprintable() or " " in scope:
        scope = "sha256:" + hashlib.sha256(scope.encode()).hexdigest()
    return _GENERATION_PREFIX + scope


def _new_token() -> str:
    # The time it was made (for Last-Modified) and a random part (two processes never make the same token).
    return f"{time.time():.6f}|{secrets.token_hex(6)}"


def _stamp(token: str) -> float:
    return float(token.split("|", 1)[0])


def generations(scopes: Iterable[str]) -> dict[str, str]:
    """The current token of each scope (the clock's included when asked for), making the missing ones."""
    cache = _cache()
    wanted = list(dict.fromkeys(scopes))
    keys = {_generation_key(scope): scope for scope in wanted}
    found = cache.get_many(list(keys))
    clock_key = _generation_key(CLOCK)
    if clock_key in found and _clock_until(found[clock_key]) <= time.time():
        del found[clock_key]  # the cache may keep a key up to a second past its timeout
    missing = [key for key in keys if key not in found]
    for key in missing:
        if key == clock_key:
            token, until = _clock_token()
            cache.set(key, token, timeout=max(1, int(until - time.time())))
        else:
            # `add`: when two readers find a token missing, both end up with the same winner.
            cache.add(key, _new_token(), timeout=TOKEN_TIMEOUT)
    if missing:
        found.update(cache.get_many(missing))
    # A cache that stores nothing (a dummy, or one that is failing) gives fresh tokens: nothing is served from it.
    return {scope: found.get(key) or _new_token() for key, scope in keys.items()}


def remembered(name: str, *, scopes: Iterable[str], compute: Callable[[], T]) -> T:
    """`compute()`'s value, kept in the shared cache (and this process's memory) under the scopes' current tokens,
    the clock's, the release and the language: computed again once one of them changes, the same as a cached
    page. For what is the same for every user who may see it (the staff pages' figures of a scope). Inside an
    open transaction (the test suite) it is computed and neither stored nor read, as pages are. The value may be
    shared with other requests of this process: copy it before changing it."""
    if connection.in_atomic_block:
        return compute()
    try:
        tokens = generations([*scopes, CLOCK])
        etag = etag_for(tokens, name, translation.get_language() or "", release())
        key = _DATA_PREFIX + hashlib.sha256(name.encode()).hexdigest()
        entry = _current_entry(_data_memo, key, etag)
        if entry is None:
            entry = {"etag": etag, "value": compute()}
            _cache().set(key, entry, timeout=_entry_timeout(tokens))
            _data_memo.put(key, entry)
    except Exception:  # noqa: BLE001  (the cache is an optimisation: when it fails, the value is computed)
        logger.warning("cache unavailable; %s computed afresh", name.split("\n", 1)[0], exc_info=True)
        return compute()
    return entry["value"]


def _current_entry(memo: _EntryMemo, key: str, etag: str) -> dict[str, Any] | None:
    """The entry stored under `key` if it was made under `etag` (the current tokens): from this process's memory,
    else from the shared cache (then remembered here too); None when there is none or it is out of date."""
    entry = memo.get(key, etag)
    if entry is None:
        found = _cache().get(key)
        if isinstance(found, dict) and found.get("etag") == etag:
            memo.put(key, found)
            entry = found
    return entry


def _entry_timeout(tokens: Mapping[str, str]) -> int:
    """How long an entry made under these tokens is kept: a day at most, and never past the clock's next turn."""
    return max(1, min(PAGE_TIMEOUT, int(_clock_until(tokens[CLOCK]) - time.time())))


def _clock_until(token: str) -> float:
    return float(token.split("|", 1)[1])


def _clock_token() -> tuple[str, float]:
    """A token valid until the next moment a reception starts or ends, or local midnight, whichever is first.

    Public pages show "the next reception", coming duties and past ones differently, and today's date; each of
    those changes only at such a moment. Three indexed look-ups, once per moment for every process together.
    """
    from stations.models import DutyShift

    now = timezone.now()
    tomorrow = dt.datetime.combine(now.astimezone(LOCAL_TZ).date() + dt.timedelta(days=1), dt.time(), LOCAL_TZ)
    moments = [tomorrow]
    next_start = DutyShift.objects.filter(start__gt=now).order_by("start").values_list("start", flat=True).first()
    # A reception lasts hours: the ones ending next started within the last week (the start index is used).
    next_end = (
        DutyShift.objects.filter(start__gte=now - dt.timedelta(days=7), end__gt=now)
        .order_by("end")
        .values_list("end", flat=True)
        .first()
    )
    moments += [moment for moment in (next_start, next_end) if moment is not None]
    until = min(moments).timestamp()
    return f"{now.timestamp():.6f}|{until:.6f}", until


def invalidate(scopes: Iterable[str]) -> None:
    """Every page showing one of `scopes` is rendered afresh once the current transaction commits (at once
    outside a transaction; never if it rolls back, so a dry-run import changes nothing). A change of the public
    figures that is not a change of the summary cells (those go through `figures_changed`) may change what any
    district's figures name: it renews FIGURE_LABELS too."""
    wanted = set(scopes)
    if STATS in wanted:
        wanted.add(FIGURE_LABELS)
    _invalidate_on_commit(wanted)


def figures_changed(district_ids: Iterable[int]) -> None:
    """The summary cells of these districts changed (stations.services.figures, the one place they are written):
    the public figures and these districts' staff tables are renewed, every other district's staff tables kept.
    On a reception day a province writes a cell every few seconds; the staff figures of a station were computed
    afresh after each (0.9 s at full size), now only after a change in its own district."""
    _invalidate_on_commit({STATS, *(district_figures_scope(district) for district in district_ids)})


def _invalidate_on_commit(scopes: set[str]) -> None:
    keys = sorted({_generation_key(scope) for scope in scopes})
    if keys:
        transaction.on_commit(partial(_bump, keys), robust=True)


def _bump(keys: list[str]) -> None:
    _cache().delete_many(keys)


# --- what a change shows up on ----------------------------------------------------------------------------------


def _sites_scopes(site_ids: Iterable[int]) -> set[str]:
    """The pages of these sites and their towns' schedules (a town's schedule is its station's: `Site.station`)."""
    from stations.models import Site

    rows = Site.objects.filter(pk__in=set(site_ids)).values_list("slug", "station__slug")
    scopes: set[str] = set()
    for slug, station_slug in rows:
        scopes |= {site_scope(slug), town_scope(station_slug or slug)}
    return scopes


def _deputies_scopes(deputy_ids: Iterable[int]) -> set[str]:
    from stations.models import Deputy

    return {deputy_scope(slug) for slug in Deputy.objects.filter(pk__in=set(deputy_ids)).values_list("slug", flat=True)}


def shifts_scopes(shifts: Iterable[DutyShift], *, deputies: Iterable[Deputy] = ()) -> set[str]:
    """A change to published receptions: their sites' pages, calendars and posters, their towns' schedules, the
    district-wide schedule, and the pages and calendars of every deputy on them (and of `deputies`, who may
    just have left them). Receptions of a roster not yet published show nowhere public."""
    from stations.models import Duty, DutyShift

    ids = [shift.pk for shift in shifts]
    published = DutyShift.objects.filter(pk__in=ids, roster__published_at__isnull=False)
    site_ids = set(published.values_list("roster__site_id", flat=True))
    if not site_ids:
        return set()
    people = {deputy.pk for deputy in deputies}
    for deputy_id, substitute_id in Duty.objects.filter(shift__in=published).values_list("deputy_id", "substitute_id"):
        people |= {deputy_id, *([substitute_id] if substitute_id else [])}
    return {SCHEDULE, *_sites_scopes(site_ids), *_deputies_scopes(people)}


def roster_scopes(roster: Roster) -> set[str]:
    """A whole roster published, or changed once published."""
    if roster.published_at is None:
        return set()
    return shifts_scopes(roster.shifts.all())


def site_scopes(site: Site) -> set[str]:
    """A site's own details (name, address, areas, kind, being active…): the lists and trees of sites, the
    schedules (they name sites), the figures by station, the site's page and those of the sites above and below
    it (breadcrumbs, lists of rooms, the poster's phone), and the pages of the deputies met there."""
    from stations.models import Deputy, Site

    # The site's whole station (the station, its rooms and points): one indexed equality on `Site.station`, where
    # the parent/grandparent OR scanned every site of a province. A room's sibling rooms come along: a station
    # holds a handful of sites, and renewing their pages too costs less than telling them apart.
    station_id = site.station_id or site.pk
    family = dict(Site.objects.filter(station_id=station_id).order_by().values_list("pk", "slug"))
    site_ids = {site.pk, *family}
    # What only this edit renews (not a roster's): the sites' own records and their station's list of sites, as
    # the API's site feeds show them (`FEEDS`).
    records = {site_record_scope(slug) for slug in {site.slug, *family.values()}}
    records.add(station_sites_scope(family.get(station_id, site.slug)))
    # Three indexed look-ups rather than one OR across three joins (which the planner cannot use an index for).
    people = {
        *Deputy.objects.filter(assignments__site__in=site_ids).values_list("pk", flat=True),
        *Deputy.objects.filter(duties__shift__roster__site=site).values_list("pk", flat=True),
        *Deputy.objects.filter(substitutions__shift__roster__site=site).values_list("pk", flat=True),
    }
    return {NETWORK, DEPUTIES, SCHEDULE, STATS, *records, *_sites_scopes(site_ids), *_deputies_scopes(people)}


def deputy_scopes(deputy: Deputy) -> set[str]:
    """A deputy's name, photo, levels or being active: the list of deputies, their own page and calendar, and
    every site page, schedule and calendar naming them (where assigned, or on a published roster)."""
    from stations.models import Site

    # Three look-ups rather than one OR across three joins; each names the roster once (one join: published).
    published = {"rosters__published_at__isnull": False}
    sites = {
        *Site.objects.filter(assignments__deputy=deputy).values_list("pk", flat=True),
        *Site.objects.filter(rosters__shifts__duties__deputy=deputy, **published).values_list("pk", flat=True),
        *Site.objects.filter(rosters__shifts__duties__substitute=deputy, **published).values_list("pk", flat=True),
    }
    # STATS: the figures by deputies' level count each duty under its deputy's mandates.
    return {DEPUTIES, SCHEDULE, STATS, deputy_scope(deputy.slug), *_sites_scopes(sites)}


def assignment_scopes(*, deputy: Deputy, site: Site) -> set[str]:
    """A deputy assigned to a site, or no longer: the site's page and poster, the deputy's page, the list."""
    return {DEPUTIES, site_scope(site.slug), deputy_scope(deputy.slug)}


def theme_scopes(theme: Theme) -> set[str]:
    """A year's activity theme: the public figures (by theme) and the pages of the sites whose station works on
    it (a site page lists its station's themes) — the chosen stations with their rooms and points, or every site
    of the district for a district-wide theme."""
    from stations.models import Site

    sites = Site.objects.filter(district_id=theme.district_id)
    chosen = list(theme.stations.values_list("pk", flat=True)) if theme.pk else []
    if chosen:
        sites = sites.filter(station_id__in=chosen)
    return {STATS, *_sites_scopes(sites.values_list("pk", flat=True))}


def scopes_for(obj: Model) -> set[str]:
    """What a record changed in the admin shows up on (the admin saves models itself; see admin_site)."""
    from stations import models as m
    from stations.models import Site

    if isinstance(obj, m.Site):
        return site_scopes(obj)
    if isinstance(obj, m.Area):
        return set().union(*(site_scopes(site) for site in Site.objects.filter(areas=obj)))
    if isinstance(obj, m.Deputy):
        return deputy_scopes(obj)
    if isinstance(obj, m.Mandate):
        return deputy_scopes(obj.deputy)
    if isinstance(obj, m.Assignment):
        return assignment_scopes(deputy=obj.deputy, site=obj.site)
    if isinstance(obj, m.Roster):
        return roster_scopes(obj)
    if isinstance(obj, m.DutyShift):
        return shifts_scopes([obj]) | {STATS}
    if isinstance(obj, m.Duty):
        return shifts_scopes([obj.shift], deputies=[obj.deputy, *([obj.substitute] if obj.substitute else [])]) | {
            STATS
        }
    if isinstance(obj, m.ReceptionRule):
        return {site_scope(obj.site.slug)}
    if isinstance(obj, m.District | m.Region):
        # Regions name the breadcrumbs of site pages and the figures' pages, and hold the region pages.
        return {NETWORK, DEPUTIES, SCHEDULE, STATS, REGIONS}
    if isinstance(obj, m.Theme):
        return theme_scopes(obj)
    if isinstance(obj, m.Opinion | m.OpinionEvent):
        return {STATS, OPINIONS}
    if isinstance(obj, m.HandlingBody):
        return {OPINIONS}  # the Open311 feed names each opinion's body ("agency_responsible")
    if isinstance(obj, m.Visit | m.VisitDeputy):
        return {STATS}
    return set()


def current_scopes(obj: Model) -> set[str]:
    """`scopes_for` the record as the database holds it now (before a change: its old slug, its old deputies)."""
    if obj.pk is None:
        return set()
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return scopes_for(stored) if stored is not None else set()


# --- the pages ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageKey:
    """What a public page shows (its scopes) and what, besides its URL and language, selects its content."""

    scopes: tuple[str, ...]
    variant: str = ""
    html: bool = True


def _fixed(*scopes: str, html: bool = True) -> Callable[[HttpRequest, Mapping[str, Any]], PageKey]:
    return lambda request, kwargs: PageKey(scopes, html=html)


def _schedule_key(request: HttpRequest, kwargs: Mapping[str, Any]) -> PageKey:
    """Mirrors stations.views.schedule: the town schedule (from `?town=` or the remembered town) or a day's,
    a site's or a deputy's receptions (`?date=`, `?site=`, `?deputy=`, narrowed by `?district=`/`?town=`, all in
    the URL and so in the key)."""
    from stations.views.schedule import DAY_FILTERS, TOWN_COOKIE

    query = request.GET
    if any(key in query for key in DAY_FILTERS):
        scopes = [NETWORK]  # the filter form lists the district's sites
        site, deputy = query.get("site", ""), query.get("deputy", "")
        if query.get("date") or not (site or deputy):
            scopes.append(SCHEDULE)  # a day of the district, or the next reception day
        scopes += [site_scope(site)] if site else []
        scopes += [deputy_scope(deputy)] if deputy else []
        return PageKey(tuple(scopes))
    town = query.get("town", "") if "town" in query else request.COOKIES.get(TOWN_COOKIE, "")
    # A remembered town that no longer exists is forgotten by the view (its cookie deleted): such an answer is
    # never stored (see `_storable`), so a stored town page always shows that town.
    scopes = [NETWORK, town_scope(town)] if town else [NETWORK, SCHEDULE]
    return PageKey(tuple(scopes), variant=f"town={town}")


def _site_key(request: HttpRequest, kwargs: Mapping[str, Any]) -> PageKey:
    # REGIONS: its breadcrumbs name the regions above it (a renamed city shows at once).
    return PageKey((site_scope(kwargs["slug"]), REGIONS))


def _site_feed_key(request: HttpRequest, kwargs: Mapping[str, Any]) -> PageKey:
    return PageKey((site_scope(kwargs["slug"]),), html=False)


def _deputy_key(request: HttpRequest, kwargs: Mapping[str, Any]) -> PageKey:
    return PageKey((deputy_scope(kwargs["slug"]),))


def _deputy_feed_key(request: HttpRequest, kwargs: Mapping[str, Any]) -> PageKey:
    return PageKey((deputy_scope(kwargs["slug"]),), html=False)


# URL name → what the page shows. A public URL missing here is simply not cached (tests/test_caching.py lists
# every public URL of the permission matrix as cached or deliberately not).
PAGES: dict[str, Callable[[HttpRequest, Mapping[str, Any]], PageKey]] = {
    "stations:home": _fixed(NETWORK, SCHEDULE),
    "stations:site_list": _fixed(NETWORK),
    "stations:site_detail": _site_key,
    "stations:site_calendar": _site_feed_key,
    "stations:site_poster": _site_key,
    "stations:deputy_list": _fixed(DEPUTIES, NETWORK),
    "stations:deputy_detail": _deputy_key,
    "stations:deputy_calendar": _deputy_feed_key,
    "stations:schedule": _schedule_key,
    "stations:public_stats": _fixed(STATS),
    # A region's children with their counts of districts, stations and sites, and its stations (issue 15).
    "stations:region_detail": _fixed(NETWORK),
    # The opinion form's GET: its site picker lists sites taking opinions online, by district and name (`?q=`,
    # `?district=`, `?site=`: in the URL, so in the key). Its CSRF token is put back per visitor (`_replay`); the
    # POST, never cached, is answered by the view as before (rate limit, errors next to the fields).
    "stations:opinion_create": _fixed(NETWORK),
    # The tracking form: nothing on it but the form (its CSRF token put back per visitor, like the opinion
    # form's); a code looked up redirects, a bad one is a 400: neither is stored.
    "stations:track": _fixed(),
}


# --- the API's feeds (stations/api/): ETags from the same tokens, so that a 304 reads no row -------------------------


def _one(request: HttpRequest, name: str) -> str | None:
    """A query parameter given once (None when absent); given several times, "" (the feed's broad scope then)."""
    values = request.GET.getlist(name)
    if not values:
        return None
    return values[0] if len(values) == 1 else ""


def _api_sites(request: HttpRequest, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    # `?station=` narrows to one station's family, whose every edit renews that station's token (`site_scopes`).
    station = _one(request, "station")
    return (station_sites_scope(station),) if station else (NETWORK,)


def _api_shifts(request: HttpRequest, kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """A change to published receptions renews the tokens of their sites and towns (`shifts_scopes`), and so does
    a change to a deputy or site named on them (`deputy_scopes`, `site_scopes`): a feed narrowed to a site or a
    station answers from those alone. Narrowed to a deputy only, the district-wide schedule's token: the answer
    also names the deputies on duty beside them, whose edits renew their own pages and sites, not this deputy's."""
    site, station, deputy = _one(request, "site"), _one(request, "station"), _one(request, "deputy")
    narrowed = [*([site_scope(site)] if site else []), *([town_scope(station)] if station else [])]
    if "" in (site, station, deputy) or not narrowed:
        return (SCHEDULE,)
    return (*narrowed, *([deputy_scope(deputy)] if deputy else []))


def _api_fixed(*scopes: str) -> Callable[[HttpRequest, Mapping[str, Any]], tuple[str, ...]]:
    return lambda request, kwargs: scopes


# API URL name → the scopes its answers show. An API answer not listed (the index, the OpenAPI description, one
# Open311 request, looked up under a rate limit and never cached) keeps the ETag of its body
# (stations/api/conditional.py).
FEEDS: dict[str, Callable[[HttpRequest, Mapping[str, Any]], tuple[str, ...]]] = {
    "api:site_list": _api_sites,
    "api:site_detail": lambda request, kwargs: (site_record_scope(kwargs["site_id"]),),
    "api:shift_list": _api_shifts,
    "api:figures": _api_fixed(STATS),
    "api:person_list": _api_fixed(DEPUTIES),
    "api:person_detail": lambda request, kwargs: (deputy_scope(kwargs["person_id"]),),
    "api:organization_list": _api_fixed(NETWORK),
    # Mandates (a deputy's) and assignments (a deputy's to a site): both renew the list of deputies.
    "api:membership_list": _api_fixed(DEPUTIES, NETWORK),
    "api:post_list": _api_fixed(DEPUTIES),
    # Open311: opinions' public state (registered, a state step, a handling body renamed: `OPINIONS`) at their sites
    # (a site renamed or moved renews `NETWORK`); the services are the categories, fixed but for the language.
    "api:request_list": _api_fixed(OPINIONS, NETWORK),
    "api:service_list": _api_fixed(),
}
# Bumped when what the API answers changes shape: a client's copy from before a release is then not "current".
FEEDS_VERSION = "api-1"


def feed_validators(request: HttpRequest) -> tuple[str, int | None] | None:
    """The ETag and Last-Modified of an API answer from its scopes' tokens, read before the view runs (no row is
    read); None for an answer that names no scopes, and inside a transaction (the tests': tokens are renewed
    only on commit, so the answer's own body gives the ETag there)."""
    match = request.resolver_match
    feed = FEEDS.get(match.view_name) if match is not None else None
    if feed is None or request.method not in ("GET", "HEAD") or connection.in_atomic_block:
        return None
    try:
        tokens = generations([*feed(request, match.kwargs if match is not None else {}), CLOCK])
    except Exception:  # noqa: BLE001  (the cache is an optimisation: without it, the body's ETag)
        logger.warning("cache unavailable; API ETag from the body", exc_info=True)
        return None
    # The absolute URL: the answers' links name the host they were asked on.
    etag = etag_for(tokens, request.build_absolute_uri(), _presentation(request), FEEDS_VERSION, release())
    return etag, last_modified_for(tokens)


def _presentation(request: HttpRequest) -> str:
    """Besides the URL, what changes every page's HTML for a visitor: the language and the display mode (the
    elder-friendly switch, stations/display.py)."""
    return f"{translation.get_language() or ''}|{display_mode(request)}"


def etag_for(tokens: Mapping[str, str], *parts: str) -> str:
    """A weak ETag from the scopes' tokens and whatever else selects the content (URL, language…)."""
    digest = hashlib.sha256("\n".join([*parts, *(f"{k}={v}" for k, v in sorted(tokens.items()))]).encode())
    return f'W/"{digest.hexdigest()[:32]}"'


def last_modified_for(tokens: Mapping[str, str]) -> int | None:
    """When the newest token was made, in whole seconds; None within the current second (a change later in that
    second would carry the same Last-Modified, and If-Modified-Since would wrongly answer 304)."""
    newest = int(max(_stamp(token) for token in tokens.values()))
    return None if newest >= int(time.time()) else newest


def conditional_response(
    request: HttpRequest, *, scopes: Iterable[str], parts: Iterable[str] = ()
) -> tuple[HttpResponseBase | None, str, int | None]:
    """For any view that can name its scopes: (a 304 when the client's copy is current, else None; the ETag;
    the Last-Modified time) — computed from the tokens alone, without rendering. Set both on the 200 answer
    with `set_validators`."""
    tokens = generations([*scopes, CLOCK])
    etag = etag_for(tokens, request.get_full_path(), _presentation(request), *parts, release())
    last_modified = last_modified_for(tokens)
    return get_conditional_response(request, etag=etag, last_modified=last_modified), etag, last_modified


def set_validators(response: HttpResponseBase, *, etag: str, last_modified: int | None) -> None:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)


# --- the middleware -------------------------------------------------------------------------------------------

_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_PLACEHOLDER = b"\x00csrf\x00"
# Headers the view set that a stored answer repeats; the outer middleware adds the rest each time.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")


def _cacheable(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    # Only the test suite serves requests inside an open transaction; what it renders there may not be
    # committed, so it is neither stored nor served from the cache.
    if connection.in_atomic_block:
        return False
    if request.user.is_authenticated:
        return False
    return len(messages.get_messages(request)) == 0


def _storable(response: HttpResponseBase) -> bool:
    if response.status_code != 200 or response.streaming or response.has_header("Cache-Control"):
        return False
    # A view that forgets a cookie (a remembered town that no longer exists) answers for that visitor only.
    return not any(morsel.value == "" for morsel in response.cookies.values())


def _visitor_etag(request: HttpRequest, etag: str) -> str:
    """A page's ETag as told to a visitor who sent a CSRF cookie: mixed with (a hash of) that cookie.

    A page's HTML holds a CSRF token made from the visitor's CSRF secret (the opinion form, the language switch).
    Were the ETag the page's alone, a visitor whose secret changed since (signing in or out rotates it) would be
    answered 304 and post the form kept by their browser, with a token of the old secret: refused. With the
    cookie in the ETag their next request is a 200 with a token of the current secret (from the cache all the
    same: only the ETag differs, not the stored page). A request without the cookie gets the page's own ETag."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if not cookie:
        return etag
    return etag_for({}, etag, "csrf=" + hashlib.sha256(cookie.encode()).hexdigest()[:16])


class PublicPageCacheMiddleware:
    """Serve the pages of `PAGES` from the cache, with ETag / Last-Modified and 304s. Last in MIDDLEWARE: it
    needs the session, the user, the language and the CSRF cookie, and every other middleware still wraps its
    answers (security headers, the CSP, cookies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        page = PAGES.get(match.view_name) if match is not None else None
        if page is None or not _cacheable(request):
            return None
        key = page(request, view_kwargs)
        language = _presentation(request)
        path = request.get_full_path()
        try:
            tokens = generations([*key.scopes, CLOCK])
            etag = etag_for(tokens, path, language, key.variant, release())
            # What the visitor is told: their copy's token must match their CSRF cookie (see `_visitor_etag`).
            visitor_etag = _visitor_etag(request, etag) if key.html else etag
            last_modified = last_modified_for(tokens)
            not_modified = get_conditional_response(request, etag=visitor_etag, last_modified=last_modified)
            if not_modified is not None:
                self._finish(not_modified, key, visitor_etag, last_modified, "hit")
                return not_modified
            entry_key = _PAGE_PREFIX + hashlib.sha256(f"{language}\n{key.variant}\n{path}".encode()).hexdigest()
            entry = _current_entry(_memo, entry_key, etag)
        except Exception:  # noqa: BLE001  (the cache is an optimisation: when it fails, pages are rendered)
            logger.warning("page cache unavailable; serving %s uncached", request.path, exc_info=True)
            return None
        if entry is not None:
            hit = self._replay(request, entry)
            self._finish(hit, key, visitor_etag, last_modified, "hit")
            return hit

        response = view_func(request, *view_args, **view_kwargs)
        if _storable(response):
            assert isinstance(response, HttpResponse)  # not streaming
            self._store(entry_key, response, etag, tokens)
            self._finish(response, key, visitor_etag, last_modified, "miss")
        return response

    @staticmethod
    def _store(entry_key: str, response: HttpResponse, etag: str, tokens: Mapping[str, str]) -> None:
        # Plain types only: an entry written by one release must read back under the next.
        entry = {
            "etag": etag,
            "content": _CSRF_INPUT.sub(rb"\1" + _CSRF_PLACEHOLDER + rb"\2", response.content),
            "headers": {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)},
            "cookies": [(morsel.key, morsel.value, dict(morsel)) for morsel in response.cookies.values()],
        }
        try:
            _cache().set(entry_key, entry, timeout=_entry_timeout(tokens))
        except Exception:  # noqa: BLE001
            logger.warning("page cache unavailable; answer not stored", exc_info=True)
        else:
            _memo.put(entry_key, entry)

    @staticmethod
    def _replay(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
        content: bytes = entry["content"]
        if _CSRF_PLACEHOLDER in content:
            # The language switch posts a form: this visitor's own token, as the view would have rendered it.
            content = content.replace(_CSRF_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content, headers=entry["headers"])
        for name, value, attributes in entry["cookies"]:
            response.cookies[name] = value
            response.cookies[name].update({key: val for key, val in attributes.items() if val})
        return response

    @staticmethod
    def _finish(response: HttpResponseBase, key: PageKey, etag: str, last_modified: int | None, how: str) -> None:
        set_validators(response, etag=etag, last_modified=last_modified)
        # Browsers and proxies may keep the page but must ask each time (a 304 costs almost nothing), so nobody
        # sees a stale duty; HTML carries the visitor's CSRF token and is for them only.
        patch_cache_control(response, no_cache=True, **({"private": True} if key.html else {}))
        patch_vary_headers(response, ["Cookie"])  # the language, the display mode and the remembered town are cookies
        response["X-Cache"] = how
