"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live_server.

Playwright cannot download its own browsers on these machines, so it launches /usr/bin/chromium. When that
is missing the tests are skipped with a reason locally, and fail under CI=true, where a browser must be.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import CHROMIUM

_axe = Axe()


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: the browser tests cannot run")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (make test installs it with apt-get as root)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def phone_context_args():
    """A phone-sized viewport, as most voters and many staff use the portal."""
    return {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def assert_accessible(page) -> None:
    """Run axe-core on the page and fail on any serious or critical violation, naming each one."""
    results = _axe.run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    detail = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad)
    assert not bad, f"axe-core found serious or critical violations on {page.url}:\n{detail}"


def sign_in(page, base_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the real form; a district administrator with a device also types the app's code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import PASSWORD, totp_code

    page.goto(base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is not None and "/accounts/two-factor/" in page.url:
        page.get_by_label("身份验证器应用显示的 6 位动态码").fill(totp_code(device))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
