"""Scale-out shape: two gunicorn processes on one database behave as one portal.

Two real `gunicorn` servers (separate processes, two ports) run on the test database — the SQLite file, or
PostgreSQL as the runtime role when DATABASE_URL names it (CI) — with the cache from settings (the database
cache, or Redis with CACHE_URL). What is shared is shown through HTTP, as a browser would see it: a session
started on one is valid on the other; a change made on one is on the other's cached pages at its next
request; failed sign-ins on both count towards one lockout; opinions posted to both count towards one rate
limit.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from stations.models import Attendance, Duty
from tests.conftest import PASSWORD, make_user
from tests.factories_rosters import make_shift, running_now

pytestmark = [pytest.mark.usefixtures("transactional_db"), pytest.mark.real_password_hashing]

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path) -> Iterator[str]:
    """A redis-server of the test's own (no persistence), as the cache: skipped without Debian's redis-server
    locally, a failure under CI=true (.ci/run installs it)."""
    if REDIS_SERVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but redis-server is missing: the Redis cache cannot be tested")
        pytest.skip("redis-server is not installed (apt-get install redis-server; CI installs it)")
    port = _free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def cache_url(request) -> str:
    """The cache the servers use: the one in settings (the database cache, or CACHE_URL's), or with the
    parameter "redis" a redis-server of the test's own."""
    if getattr(request, "param", None) == "redis":
        return request.getfixturevalue("redis_url")
    return os.environ.get("CACHE_URL", "")


@pytest.fixture
def two_portals(tmp_path, cache_url) -> Iterator[tuple[int, int]]:
    """Two gunicorn processes, one worker each, on the test database and the cache named by `cache_url`."""
    env = {
        **{key: value for key, value in os.environ.items() if key not in ("DATABASE_OWNER_URL",)},
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "scale-out-test-" + "x" * 40,  # both sign and read the same sessions
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        **({"CACHE_URL": cache_url} if cache_url else {}),
    }
    ports = (_free_port(), _free_port())
    servers = [
        subprocess.Popen(
            [str(GUNICORN), "liaison.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"gunicorn-{port}.log", "w"),  # noqa: SIM115  (closed with the process)
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    if Browser().get(port, reverse("stations:healthz"))[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {(tmp_path / f'gunicorn-{port}.log').read_text()}")
                time.sleep(0.2)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


class Browser:
    """Cookies kept like a browser's (cookies are per host, not per port: both servers get them)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, data: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        conn.close()
        return response.status, response.headers, text

    def get(self, port: int, path: str):
        return self.request(port, "GET", path)

    def post_form(self, port: int, path: str, data: dict, *, form_page: str | None = None):
        """Post like a browser that has just loaded the form page from the same server (CSRF token)."""
        _status, _headers, page = self.get(port, form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request(port, "POST", path, {**data, "csrfmiddlewaretoken": token})


def test_two_gunicorn_processes_on_one_database_behave_as_one_portal(room, deputies, station, two_portals):
    a, b = two_portals
    running, page = _world(room, deputies, station)

    visitor = Browser()
    status, _headers, text = visitor.get(b, page)
    assert status == 200 and "黄美勤" in text
    assert visitor.get(b, page)[1]["X-Cache"] == "hit"
    assert visitor.get(a, page)[1]["X-Cache"] == "hit"  # one cache: B's page is A's too

    # Signed in on A, the session works on B; a change through A's staff page is on B's cached page at once.
    _change_on_a_shows_on_b(a, b, running, deputies, visitor, page)

    # Failed sign-ins on both servers count towards one lockout (five for one user name from one address).
    intruder = Browser()
    statuses = [
        intruder.post_form((a, b)[n % 2], reverse("login"), {"username": "bob", "password": "wrong-password-123"})[0]
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks, wherever it happened
    status, _headers, text = intruder.post_form(b, reverse("login"), {"username": "bob", "password": PASSWORD})
    assert status == 429  # the right password too, on either server
    assert intruder.post_form(a, reverse("login"), {"username": "bob", "password": PASSWORD})[0] == 429

    # Opinions posted to both servers count towards one rate limit (five in ten minutes from one address). A bot's
    # posts (the hidden field filled) count like real ones; a form with a typing mistake would give its slot back.
    bot = Browser()
    form = reverse("stations:opinion_create")
    statuses = [
        bot.post_form((a, b)[n % 2], form, {"content": "x", "website": "http://spam.example"})[0] for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]


def test_the_portal_under_test_uses_a_shared_cache():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in ("django.core.cache.backends.db.DatabaseCache", "django.core.cache.backends.redis.RedisCache")


def _change_on_a_shows_on_b(a: int, b: int, running, deputies, visitor: Browser, page: str) -> None:
    bob = Browser()
    status, _headers, _ = bob.post_form(a, reverse("login"), {"username": "bob", "password": PASSWORD})
    assert status == 302, "sign-in on A"
    status, _headers, text = bob.get(b, reverse("stations:staff_home"))
    assert status == 200 and "bob" in text

    duty = Duty.objects.get(shift=running, deputy=deputies[1])
    prefix = f"duty-{duty.pk}"
    status, _headers, _ = bob.post_form(
        a,
        reverse("stations:staff_duty_attendance", args=[duty.pk]),
        {f"{prefix}-attendance": Attendance.ABSENT, f"{prefix}-absence_reason": "illness"},
        form_page=reverse("stations:staff_shift", args=[running.pk]),
    )
    assert status == 302, "attendance marked on A"
    status, headers, text = visitor.get(b, page)
    assert headers["X-Cache"] == "miss"
    start = text.index('class="table table-sm align-middle roster-table"')
    roster = text[start : text.index("</table>", start)]
    assert "顾海明" in roster
    assert "黄美勤" not in roster  # absent: the roster shows who came
    assert visitor.get(a, page)[1]["X-Cache"] == "hit"  # B's new page is A's too


def _world(room, deputies, station):
    running = make_shift(room, *running_now(), deputies=deputies[:2], published=True)
    make_user("bob", role="station_head", station=station)
    return running, reverse("stations:site_detail", args=[room.slug])


@pytest.mark.parametrize("cache_url", ["redis"], indirect=True)
def test_with_redis_as_the_cache_two_processes_share_pages_and_invalidation(room, deputies, station, two_portals):
    a, b = two_portals
    running, page = _world(room, deputies, station)
    visitor = Browser()
    assert visitor.get(b, page)[1]["X-Cache"] == "miss"
    assert visitor.get(a, page)[1]["X-Cache"] == "hit"
    _change_on_a_shows_on_b(a, b, running, deputies, visitor, page)
