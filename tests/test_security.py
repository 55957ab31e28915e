"""Headers, deploy settings, CSRF, XSS, SQL-looking input, refusals and logs that keep phone numbers out."""

import logging
import os
import re
import subprocess
import sys

import django.test
import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from stations.models import AuditAction, AuditEntry
from tests.factories_security import make_opinion, make_visit

XSS = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"

# --- every URL the resolver knows, with sample arguments ------------------------------------------------

SAMPLES_BY_NAME = {
    "app_label": "stations",
    "url": "no-such-page/",
    "uidb64": "MQ",
    "token": "set-password",
    "path": "no-such-file.jpg",
}
SAMPLES_BY_CONVERTER = {
    "int": "1",
    "slug": "yuxin",
    "path": "1",
    "str": "1",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _concrete(route: str) -> str:
    route = re.sub(
        r"<(?:(\w+):)?(\w+)>",
        lambda m: SAMPLES_BY_NAME.get(m.group(2), SAMPLES_BY_CONVERTER.get(m.group(1) or "str", "1")),
        route,
    )
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES_BY_NAME.get(m.group(1), "1"), route)
    return "/" + route.replace("^", "").replace("$", "")


def all_urls() -> list[tuple[str, str]]:
    """(name, path) for every pattern of the root URLconf, admin included."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
                route = prefix + str(pattern.pattern)
                found.append((name or route, _concrete(route)))

    walk(get_resolver().url_patterns, "", None)
    return found


def assert_security_headers(response, url: str) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    if "default-src 'self'" not in csp:
        problems.append(f"{url}: no default-src 'self' in CSP {csp!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{url}: CSP allows inline or eval")
    if "frame-ancestors 'none'" not in csp:
        problems.append(f"{url}: CSP allows framing")
    expected = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
    for header, value in expected.items():
        if response.headers.get(header) != value:
            problems.append(f"{url}: {header} is {response.headers.get(header)!r}")
    if response.status_code >= 500:
        problems.append(f"{url}: status {response.status_code}")
    return problems


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def inline_code_problems(response, url: str) -> list[str]:
    if response.status_code != 200 or "text/html" not in response.headers.get("Content-Type", ""):
        return []
    html = response.content.decode()
    problems = []
    for name, pattern in (("inline script", INLINE_SCRIPT), ("on* handler", INLINE_HANDLER)):
        if pattern.search(html):
            problems.append(f"{url}: {name}: {pattern.search(html).group(0)[:80]}")
    # The portal's own pages also carry no style attribute (the admin's templates are Django's own).
    if not url.startswith("/admin/") and INLINE_STYLE.search(html):
        problems.append(f"{url}: style attribute: {INLINE_STYLE.search(html).group(0)[:80]}")
    return problems


@pytest.fixture
def populated(station, room, alice, deputies, dana):
    make_visit(room, alice)
    make_opinion(room)
    AuditEntry.objects.create(action=AuditAction.LOGIN, actor_name="alice", summary="signed in")


def test_the_url_walk_finds_the_portal_and_the_admin():
    names = {name for name, _ in all_urls()}
    assert {"stations:home", "stations:audit_log", "stations:voter_lookup", "admin:index", "login"} <= names


@pytest.mark.parametrize("who", ["anonymous", "district_admin"])
def test_every_page_carries_the_security_headers_and_no_inline_code(who, populated, client, admin_client):
    browser = admin_client if who == "district_admin" else client
    problems, shown = [], set()
    for name, url in all_urls():
        response = browser.get(url)
        problems += assert_security_headers(response, url)
        problems += inline_code_problems(response, url)
        if response.status_code == 200:
            shown.add(name)
    assert not problems, "\n".join(problems)
    # The walk really rendered pages (not only redirects to the sign-in page).
    if who == "district_admin":
        assert {"admin:index", "admin:stations_auditentry_changelist", "stations:audit_log"} <= shown
    else:
        assert {"stations:home", "login"} <= shown


def test_hsts_is_sent_over_https_with_production_values(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


PRODUCTION = {
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-" + "x7Qp" * 10,
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_COOKIES": "true",
    "ALLOWED_HOSTS": "liaison.example.gov.cn",
}


def test_deploy_check_passes_with_production_values():
    # The test suite's own DJANGO_ALLOW_ASYNC_UNSAFE (for Playwright) is no production setting.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"} | PRODUCTION
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cookies_are_secure_and_http_only_in_production():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT)"
    )
    env = {**os.environ, **PRODUCTION, "DJANGO_SETTINGS_MODULE": "liaison.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True", "True", "True"], out.stderr


# --- CSRF ---------------------------------------------------------------------------------------------------


def test_the_login_form_is_refused_without_a_csrf_token(alice):
    strict = django.test.Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery-9"})
    assert response.status_code == 403
    assert "_auth_user_id" not in strict.session
    assert "表单已失效" in response.text
    assert AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED, changes__path="/accounts/login/").exists()


def test_the_language_switch_is_refused_without_a_csrf_token(db):
    strict = django.test.Client(enforce_csrf_checks=True)
    response = strict.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert "django_language" not in response.cookies


def test_the_login_form_works_with_its_csrf_token(alice):
    strict = django.test.Client(enforce_csrf_checks=True)
    strict.get(reverse("login"))
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery-9", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# --- XSS ----------------------------------------------------------------------------------------------------


def test_a_script_in_a_visit_summary_and_an_opinion_is_shown_as_text(dana_client, room, alice):
    make_visit(room, alice, summary=f"路灯坏了{XSS}")
    make_opinion(room, content=f"建议{XSS}")
    response = dana_client.post(reverse("stations:voter_lookup"), {"phone": "13812345678"})
    assert response.status_code == 200
    assert XSS not in response.text
    assert response.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2


def test_a_script_in_an_audit_summary_is_shown_as_text(dana_client, admin_client, db):
    AuditEntry.objects.create(action=AuditAction.VISIT_UPDATED, actor_name=XSS, summary=XSS, changes={"note": XSS})
    for response in (
        dana_client.get(reverse("stations:audit_log")),
        admin_client.get(reverse("admin:stations_auditentry_changelist")),
    ):
        assert response.status_code == 200
        assert XSS not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# --- SQL-looking input ----------------------------------------------------------------------------------------


def test_sql_looking_search_input_returns_a_normal_page(dana_client, admin_client, room, alice):
    make_visit(room, alice)
    AuditEntry.objects.create(action=AuditAction.LOGIN, actor_name="alice")

    changelist = reverse("admin:stations_auditentry_changelist")
    assert ">alice<" in admin_client.get(changelist, {"q": "alice"}).text
    admin_search = admin_client.get(changelist, {"q": SQL})
    assert admin_search.status_code == 200
    assert ">alice<" not in admin_search.text

    viewer = dana_client.get(reverse("stations:audit_log"), {"actor": SQL})
    assert viewer.status_code == 200
    assert "没有符合条件的记录" in viewer.text

    lookup = dana_client.post(reverse("stations:voter_lookup"), {"phone": SQL})
    assert lookup.status_code == 200
    assert "王小明" not in lookup.text
    assert "请输入大陆手机号码" in lookup.text  # the phone field's own error message


# --- refusals -------------------------------------------------------------------------------------------------


def test_a_refused_page_is_a_chinese_403_in_the_portal_look_and_is_recorded(client, erin):
    client.force_login(erin)
    response = client.get(reverse("stations:audit_log"))
    assert response.status_code == 403
    assert "拒绝访问" in response.text
    assert '<html lang="zh-hans" class="no-js">' in response.text
    entry = AuditEntry.objects.get(action=AuditAction.ACCESS_DENIED)
    assert entry.actor == erin
    assert entry.changes["path"] == reverse("stations:audit_log")


# --- logs -----------------------------------------------------------------------------------------------------


def test_phone_numbers_never_reach_the_logs(caplog):
    logger = logging.getLogger("stations.anything")
    with caplog.at_level(logging.INFO):
        logger.info("visitor %s called from %s", "王小明", "13812345678")
        logger.warning("number in the message itself: 139 1234 5678 and +8615912345678")
        logger.info("an order number 2013812345678901 stays")
    text = caplog.text
    assert not re.search(r"(?<!\d)(?:\+?86)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)", text)
    assert "王小明 called from 138****5678" in text
    assert "139****5678" in text
    assert "159****5678" in text
    assert "2013812345678901" in text


def test_the_log_formatter_masks_tracebacks(caplog):
    from stations.log_masking import MaskingFormatter

    logger = logging.getLogger("stations.anything")
    with caplog.at_level(logging.ERROR):
        try:
            raise ValueError("bad phone 13812345678")
        except ValueError:
            logger.exception("saving failed")
    formatted = MaskingFormatter("%(message)s").format(caplog.records[0])
    assert "13812345678" not in formatted
    assert "138****5678" in formatted


def test_landline_numbers_never_reach_the_logs_either(caplog):
    logger = logging.getLogger("stations.anything")
    with caplog.at_level(logging.INFO):
        logger.info("the voter called back from %s", "0573-82345678")
        logger.info("and gave the office number 0573 8234567 too")
        logger.info("request 20261130 took 1234567 microseconds")
    text = caplog.text
    assert "82345678" not in text and "8234567 " not in text
    assert "057*****5678" in text
    assert "057****4567" in text
    assert "request 20261130 took 1234567 microseconds" in text
