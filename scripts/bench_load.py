#!/usr/bin/env python
"""The load benchmark: gunicorn with 4 workers on a generated province, locust (headless) on each page in turn.

    . the DATABASE_URL of a province made by scripts/gen_province.py
    .venv/bin/python scripts/bench_load.py                 # 50 clients, 20 s per page and phase
    .venv/bin/python scripts/bench_load.py --seconds 10 --pages /healthz /sites/ /stats/

One command: it collects the static files, starts gunicorn on 127.0.0.1 (as the runtime role: the owner's URL
is taken out of its environment), signs in a station's staff and the province's administrator (passing the
second factor with the generated accounts' known TOTP key), and for each page, on a gunicorn started afresh
(requests a slow page left queued die with the old workers) and asked for once (`warm`), runs locust twice (scripts/locustfile.py explains
both): **paced**, 50 clients each thinking 1 to 5 s after every answer (`--think`), then **capacity**, 50
clients asking without a pause. It prints for each page its size, the capacity run's throughput and its ratio to `/healthz`'s
in the same run (and that run's p95, which Little's law makes 50 / throughput for any page), and the paced
run's p50 and p95: the time a visitor waits while 49 others use the portal. Only 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import hmac
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
# Seconds over which the paced clients arrive.
RAMP = 5


def totp(hex_key: str, *, step: int = 30, digits: int = 6, at: float | None = None) -> str:
    """RFC 6238, as django-otp's TOTPDevice computes it with its defaults (t0 0, drift 0)."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def pages() -> tuple[list[str], list[str], list[str]]:
    """Public pages, a station staff member's, a district administrator's: real slugs from the database."""
    import django

    django.setup()
    from stations.clock import local_today
    from stations.models import Deputy, Site

    station = Site.objects.filter(kind="station").order_by("pk").first()
    deputy = Deputy.objects.order_by("pk").first()
    if station is None or deputy is None:
        sys.exit("no province here: run scripts/gen_province.py first")
    today = local_today()
    twentieth = (
        today.replace(day=20) if today.day >= 20 else (today.replace(day=1) - dt.timedelta(days=1)).replace(day=20)
    )
    public = [
        "/healthz",
        "/",
        "/sites/",
        f"/sites/{station.slug}/",
        "/schedule/",
        f"/schedule/?date={twentieth.isoformat()}",
        "/deputies/",
        f"/deputies/{deputy.slug}/",
        "/opinions/new/",
        "/track/",
        f"/stats/?year={today.year}",
    ]
    staff = [
        "/staff/",
        "/staff/visits/",
        "/staff/visits/new/",
        "/staff/opinions/",
        "/staff/rosters/",
        f"/staff/stats/?year={today.year}",
        "/staff/pairings/",
    ]
    admin = [
        "/staff/visits/",
        "/staff/visits/new/",
        "/staff/opinions/",
        "/staff/rosters/",
        f"/staff/stats/?year={today.year}",
        "/staff/deputies/",
        "/staff/pairings/",
        "/staff/themes/",
        "/admin/stations/visit/",
    ]
    return public, staff, admin


class Session:
    """A signed-in browser session against the benchmark's gunicorn, with urllib only."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body)
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        request.add_header("Referer", self.base + path)
        try:
            response = self.opener.open(request, timeout=120)
        except urllib.error.HTTPError as error:  # redirects (NoRedirect) and errors
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")

    def csrf_post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        status, _location, html = self.request(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or match is None:
            sys.exit(f"cannot open {path}: {status}")
        status, location, _html = self.request(path, {**data, "csrfmiddlewaretoken": match.group(1)})
        return status, location

    def sign_in(self, username: str, password: str, totp_key: str | None = None) -> str:
        status, location = self.csrf_post("/accounts/login/", {"username": username, "password": password})
        if status != 302:
            sys.exit(f"{username} could not sign in ({status})")
        if totp_key is not None:
            status, location = self.csrf_post("/accounts/two-factor/", {"token": totp(totp_key)})
            if status != 302:
                sys.exit(f"{username} could not pass the second factor ({status})")
        status, location, _html = self.request("/staff/")
        if status != 200:
            sys.exit(f"{username} cannot open /staff/ ({status} {location})")
        return f"sessionid={self.cookies['sessionid']}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def run_locust(
    path: str, cookie: str, args: argparse.Namespace, base: str, out: Path, *, think: list[float]
) -> dict[str, float]:
    prefix = out / f"page{len(list(out.iterdir()))}"
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_COOKIE": cookie,
        "BENCH_THINK": ",".join(f"{seconds:g}" for seconds in think),
        "BENCH_MAX_REQUESTS": str(args.max_requests),
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "scripts" / "locustfile.py"),
        "--headless",
        "-u",
        str(args.users),
        # Paced clients arrive over RAMP seconds, as people do, not in one instant; both phases count only what
        # follows the last client's start (--reset-stats).
        "-r",
        str(args.spawn_rate or (max(1, args.users // RAMP) if think else args.users)),
        "--reset-stats",
        "-t",
        f"{args.seconds + (RAMP if think else 1)}s",
        "--host",
        base,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "30",
    ]
    subprocess.run(command, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")

    def number(column: str) -> float:
        # "N/A" when no request finished within the time: the page is slower than the run.
        try:
            return float(row[column])
        except ValueError:
            return float("nan")

    return {
        "requests": number("Request Count"),
        "failures": number("Failure Count"),
        "rps": number("Requests/s"),
        "p50": number("50%"),
        "p95": number("95%"),
        "size": number("Average Content Size"),
    }


def warm(base: str, path: str, cookie: str, workers: int) -> None:
    """A few requests at once before the clients come, as earlier visitors' would have been, so that every worker
    has loaded its templates, opened its database connection and (a cached page, a staff page's figures) found
    the cache filled: the runs measure the page in steady state, not its first miss."""
    url = base + urllib.parse.quote(path, safe="/?=&%")  # locust sends `?q=王` percent-encoded, urllib does not
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})

    def one(_n: int) -> None:
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                response.read()
        except urllib.error.HTTPError as error:
            sys.exit(f"{path}: {error.code} before the run")

    one(0)  # the first alone: a miss fills the cache once, not once per worker
    with ThreadPoolExecutor(max_workers=workers * 2) as pool:
        list(pool.map(one, range(workers * 4)))


def wait_until_up(base: str, gunicorn: subprocess.Popen[bytes]) -> None:
    for _ in range(120):
        if gunicorn.poll() is not None:
            sys.exit("gunicorn stopped; see its log above")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit("gunicorn did not answer /healthz")


class Server:
    """gunicorn on 127.0.0.1, started afresh for each page: the requests a slow page leaves queued (its clients
    gone) die with the old workers instead of being served during the next page's run."""

    def __init__(self, args: argparse.Namespace, base: str) -> None:
        self.args, self.base = args, base
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_OWNER_URL"}
        self.env.setdefault("DEBUG", "false")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "liaison.wsgi:application",
                "--bind",
                f"{HOST}:{self.args.port}",
                "--workers",
                str(self.args.workers),
                "--timeout",
                str(self.args.timeout),
                "--graceful-timeout",
                "1",
                "--log-level",
                "error",
            ],
            cwd=ROOT,
            env=self.env,
        )
        wait_until_up(self.base, self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=0, help="clients started a second (default: all at once)")
    parser.add_argument("--seconds", type=int, default=20, help="time per page and phase")
    parser.add_argument(
        "--think", type=float, nargs=2, default=[1.0, 5.0], metavar=("LOW", "HIGH"), help="a paced client's pause, s"
    )
    parser.add_argument("--max-requests", type=int, default=30000, help="requests per page and phase at most")
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout")
    parser.add_argument("--pages", nargs="*", help="only these paths (of those the full run measures)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("warning: DATABASE_URL is not PostgreSQL; issue 15's figures are for PostgreSQL", file=sys.stderr)
    from scripts.gen_province import BENCH_TOTP_KEY, PASSWORD

    public, staff, admin = pages()
    if args.pages:
        public = ["/healthz", *[p for p in args.pages if not p.startswith(("/staff/", "/admin/")) and p != "/healthz"]]
        # Each staff page as whoever may open it in the full run (the attendance table is administrators' only).
        staff, admin = [p for p in args.pages if p in staff], [p for p in args.pages if p in admin]
    subprocess.run([str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    base = f"http://{HOST}:{args.port}"
    server = Server(args, base)
    out = Path(tempfile.mkdtemp(prefix="bench_load_"))
    results: list[tuple[str, str, dict[str, float], dict[str, float]]] = []
    try:
        server.start()
        staff_cookie = Session(base).sign_in("bench-staff-1", PASSWORD)
        admin_cookie = Session(base).sign_in("bench-admin-1", PASSWORD, BENCH_TOTP_KEY)
        plan = [("public", p, "") for p in public]
        plan += [("staff", p, staff_cookie) for p in staff]
        plan += [("admin", p, admin_cookie) for p in admin]
        for who, path, cookie in plan:
            server.stop()
            server.start()
            warm(base, path, cookie, args.workers)
            paced = run_locust(path, cookie, args, base, out, think=args.think)
            capacity = run_locust(path, cookie, args, base, out, think=[])
            results.append((who, path, capacity, paced))
            print(
                f"  {who:<6} {path:<40} capacity {capacity['rps']:7.1f} req/s (p95 {capacity['p95']:6.0f} ms)  "
                f"paced {paced['rps']:5.1f} req/s p50 {paced['p50']:5.0f} ms p95 {paced['p95']:5.0f} ms  "
                f"{capacity['failures'] + paced['failures']:.0f} failed",
                flush=True,
            )
    finally:
        server.stop()
        shutil.rmtree(out, ignore_errors=True)
    healthz = next(r["rps"] for who, p, r, _paced in results if p == "/healthz") or 1.0
    print(
        f"\n{args.users} clients, gunicorn {args.workers} workers, {args.seconds} s or {args.max_requests} requests "
        f"per page and phase; paced: each client thinks {args.think[0]:g} to {args.think[1]:g} s after an answer\n"
    )
    print(
        "| who | page | KB | capacity req/s | vs `/healthz` | p95 ms at capacity | paced req/s | paced p50 ms "
        "| paced p95 ms | failed/requests |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for who, path, r, q in results:
        print(
            f"| {who} | `{path}` | {r['size'] / 1024:.0f} | {r['rps']:.1f} | {100 * r['rps'] / healthz:.0f} % | "
            f"{r['p95']:.0f} | {q['rps']:.1f} | {q['p50']:.0f} | {q['p95']:.0f} | "
            f"{r['failures'] + q['failures']:.0f}/{r['requests'] + q['requests']:.0f} |"
        )


if __name__ == "__main__":
    main()
