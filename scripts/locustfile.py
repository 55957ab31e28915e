"""One page under load, for scripts/bench_load.py (which runs this file once per page and prints the table).

Every simulated client asks for the same page again and again with no pause (a closed loop), so the
requests per second measure what the portal can serve of that page. The page and the session come from the
environment, set by bench_load.py:

    BENCH_PATH            the path to ask for, e.g. /sites/ or /schedule/?date=2026-11-20
    BENCH_COOKIE          optional: "sessionid=…" of a signed-in session (staff, or an administrator who has
                          passed the second factor); the clients share it
    BENCH_MAX_REQUESTS    stop after this many requests in all (locust's -t bounds the time)

Only 127.0.0.1: the benchmark refuses any other host.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from locust import HttpUser, constant, events, task
from locust.env import Environment

PATH = os.environ.get("BENCH_PATH", "/healthz")
COOKIE = os.environ.get("BENCH_COOKIE", "")
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "100000"))


@events.init.add_listener
def only_this_machine(environment: Environment, **_kwargs: object) -> None:
    host = urlparse(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"the load benchmark runs only against 127.0.0.1, not {host!r}")


class PageUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        if COOKIE:
            name, _, value = COOKIE.partition("=")
            self.client.cookies.set(name, value, domain="127.0.0.1")

    @task
    def page(self) -> None:
        with self.client.get(PATH, name=PATH, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
        if self.environment.runner is not None and self.environment.stats.total.num_requests >= MAX_REQUESTS:
            self.environment.runner.quit()
