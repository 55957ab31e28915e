"""Voters' e-mail addresses and tracking codes leave no trace in the server's logs.

The mail backend used until SMTP is configured logs masked recipients and subjects only (stations.mail); every
log record is masked as it is made (stations.log_masking); `make run`'s access log masks /track/ paths
(liaison/gunicorn_logging.py), checked here on a real gunicorn started as the Makefile starts it.
"""

import http.client
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from stations.audit import Actor
from stations.models import Category
from stations.services import opinions as services

VOTER_EMAIL = "voter.wang@example.cn"


@pytest.fixture
def voters_opinion(room):
    return services.opinion_submit_online(
        site=room,
        category=Category.ENVIRONMENT,
        content="河道有垃圾",
        submitter_email=VOTER_EMAIL,
        consent=True,
        actor=Actor(user=None, address="10.0.0.9"),
    )


def test_it_makes_the_log_only_backend_the_default():
    """Without EMAIL_BACKEND in the environment (the tests' own settings swap in Django's outbox)."""
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    env = {key: value for key, value in os.environ.items() if key != "EMAIL_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "stations.mail.LogOnlyEmailBackend"


def test_it_sends_a_voters_notice_without_writing_their_address_or_code_to_the_log(
    settings, caplog, capsys, voters_opinion, alice, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "stations.mail.LogOnlyEmailBackend"
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_accept(opinion=voters_opinion, actor=Actor(user=alice))
    captured = capsys.readouterr()
    written = caplog.text + captured.out + captured.err
    assert "e-mail not sent" in caplog.text and "v***@example.cn" in caplog.text  # the notice was "sent"
    assert VOTER_EMAIL not in written
    assert voters_opinion.tracking_code not in written


def test_it_keeps_the_address_and_code_out_of_the_log_when_the_mail_server_fails(
    settings, caplog, voters_opinion, alice, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens: refused
    with django_capture_on_commit_callbacks(execute=True):
        services.opinion_accept(opinion=voters_opinion, actor=Actor(user=alice))
    assert "could not send notice" in caplog.text  # the subject names the tracking code
    assert VOTER_EMAIL not in caplog.text
    assert voters_opinion.tracking_code not in caplog.text


def test_it_keeps_a_looked_up_code_out_of_the_not_found_log(client, caplog, db):
    code = "ABCDE-FGHJK-MNPQR"
    request_log = logging.getLogger("django.request")  # does not propagate to the root logger (LOGGING)
    request_log.addHandler(caplog.handler)
    try:
        response = client.get(reverse("stations:track_detail", kwargs={"code": code}))
    finally:
        request_log.removeHandler(caplog.handler)
    assert response.status_code == 404
    assert "Not Found: /track/*****-*****-*****/" in caplog.text
    assert code not in caplog.text


# --- make run's access log -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _make_run_access_log_options() -> list[str]:
    """The access-log options of `make run`, read from the Makefile so that the test runs what it runs."""
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    log_format = re.search(r"^ACCESS_LOG_FORMAT := '(.*)'$", makefile, re.M).group(1)
    logger_class = re.search(r"^ACCESS_LOGGER := (\S+)$", makefile, re.M).group(1)
    assert "--access-logformat $(ACCESS_LOG_FORMAT) --logger-class $(ACCESS_LOGGER)" in makefile
    return ["--access-logfile", "-", "--access-logformat", log_format, "--logger-class", logger_class]


def _database_url() -> str:
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    user, password = quote(database["USER"], safe=""), quote(database["PASSWORD"], safe="")
    return (
        f"postgres://{user}:{password}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def _get(port: int, path: str) -> int:
    """The status of a GET, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.django_db(transaction=True)
def test_it_leaves_tracking_codes_out_of_make_runs_access_log(voters_opinion):
    code = voters_opinion.tracking_code
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_OWNER_URL", "EMAIL_BACKEND")}
    env.update(
        DATABASE_URL=_database_url(),
        DEBUG="false",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",  # nothing collected here
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "liaison.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    server = subprocess.Popen(  # noqa: S603
        command + _make_run_access_log_options(),
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(port, reverse("stations:healthz"))
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        statuses = [
            _get(port, reverse("stations:track_detail", kwargs={"code": code})),
            _get(port, reverse("stations:track_detail", kwargs={"code": code.replace("-", "").lower()})),
            _get(port, reverse("stations:track") + f"?code={code}"),
        ]
    finally:
        server.terminate()
        access_log, error_log = server.communicate(timeout=30)
    assert statuses == [200, 302, 302]
    track_lines = [line for line in access_log.splitlines() if "/track/" in line]
    assert len(track_lines) == 3, access_log + error_log
    assert '"GET /track/*****-*****-*****/ HTTP/1.1" 200' in access_log
    assert code not in access_log + error_log
    assert code.replace("-", "").lower() not in access_log + error_log
