"""One page under load, for scripts/bench_load.py (which runs this file twice per page and prints the table).

Two ways a client asks, chosen by bench_load.py through BENCH_PACE:

- **capacity** (BENCH_PACE=0): every simulated client asks for the same page again and again with no pause (a
  closed loop), so the requests per second measure what the portal can serve of that page, and the ratio to
  /healthz's in the same run says how much of the machine the page costs. Latency in this mode is not the
  page's: with N clients always waiting, Little's law makes the mean N / throughput for any page, /healthz too.
- **paced** (BENCH_THINK="1,5"): every client, once answered, thinks for a random 1 to 5 seconds before asking
  again (locust's between(1, 5), the think time of locust's own documentation), as people reading a page do:
  50 such clients ask about 16 times a second. p50 and p95 are then the time a visitor waits while 49 others
  use the portal at the same moment. BENCH_THINK="1,1" paces each client to about one request a second.

The clients are locust's FastHttpUser (geventhttpclient): the load generator shares the 2 cores with gunicorn
and PostgreSQL, and the requests-based HttpUser spent about as much CPU per request as a cached page costs.

    BENCH_PATH            the path to ask for, e.g. /sites/ or /schedule/?date=2026-11-20
    BENCH_COOKIE          optional: "sessionid=…" of a signed-in session (staff, or an administrator who has
                          passed the second factor); the clients share it
    BENCH_THINK           "low,high": seconds a client waits after each answer; empty (the default): no pause
    BENCH_MAX_REQUESTS    stop after this many requests in all (locust's -t bounds the time)

Only 127.0.0.1: the benchmark refuses any other host.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

PATH = os.environ.get("BENCH_PATH", "/healthz")
COOKIE = os.environ.get("BENCH_COOKIE", "")
THINK = [float(part) for part in os.environ.get("BENCH_THINK", "").split(",") if part.strip()]
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "100000"))


@events.init.add_listener
def only_this_machine(environment: Environment, **_kwargs: object) -> None:
    host = urlparse(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"the load benchmark runs only against 127.0.0.1, not {host!r}")


class PageUser(FastHttpUser):
    wait_time = between(THINK[0], THINK[-1]) if THINK else constant(0)

    def on_start(self) -> None:
        self.headers = {"Cookie": COOKIE} if COOKIE else {}

    @task
    def page(self) -> None:
        with self.client.get(
            PATH, name=PATH, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
        if self.environment.runner is not None and self.environment.stats.total.num_requests >= MAX_REQUESTS:
            self.environment.runner.quit()
