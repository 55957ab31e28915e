"""`manage.py load_demo`: the Nanhu demo district, idempotent, refusing foreign databases."""

import io
import os
import re
import subprocess
import sys

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from stations import demo
from stations.models import Deputy, District, Level, Site
from stations.policy import visible_sites
from tests import demo_activity_probe


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    models = [*apps.get_app_config("stations").get_models(), get_user_model()]
    return {model._meta.label: model._default_manager.count() for model in models}


@pytest.fixture
def no_activity(monkeypatch):
    """Run the network's part of the demo alone, whether or not the activity module has landed."""
    monkeypatch.setattr(demo, "ACTIVITY_MODULE", "stations.demo.no_such_module")


@pytest.fixture
def probe_activity(monkeypatch):
    monkeypatch.setattr(demo, "ACTIVITY_MODULE", "tests.demo_activity_probe")
    monkeypatch.setattr(demo_activity_probe, "calls", [])
    monkeypatch.setattr(demo_activity_probe, "fail", False)
    return demo_activity_probe


def test_demo_home_page_shows_the_seed_figures_computed_from_the_data(client, db, no_activity):
    _load()
    html = client.get(reverse("stations:home")).text
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    assert figures == {"代表联络站": "15", "代表联络室": "63", "代表联络点": "10", "网上代表联络站": "13"}


def test_second_run_changes_nothing_and_says_so(db, no_activity, django_assert_max_num_queries):
    first = _load()
    before = _row_counts()
    with django_assert_max_num_queries(8):  # a handful of checks: what keeps `make run` quick
        second = _load()
    assert _row_counts() == before
    assert "already loaded" in second and "already loaded" not in first
    for account in demo.DEMO_ACCOUNTS:
        assert account.username in first and account.password in first
        assert account.username in second and account.password in second


def test_demo_accounts_sign_in_with_their_roles(client, db, no_activity):
    _load()
    users = get_user_model().objects
    for account in demo.DEMO_ACCOUNTS:
        assert len(account.password) >= 12
        # Through the real sign-in form: the lockout backend needs the request.
        response = client.post(reverse("login"), {"username": account.username, "password": account.password})
        assert response.status_code == 302, account.username
        client.logout()
        assert users.get(username=account.username).membership.role == account.role
    admin = users.get(username="demo-admin")
    assert admin.is_staff and admin.is_superuser
    jinxing = Site.objects.get(slug="yuxin-jinxing")
    assert jinxing in visible_sites(users.get(username="demo-yuxin-head"))
    assert jinxing in visible_sites(users.get(username="demo-yuxin-staff"))
    assert jinxing not in visible_sites(users.get(username="demo-fengqiao-staff"))
    assert jinxing in users.get(username="demo-deputy").membership.deputy.sites.all()


def test_demo_has_the_seeds_sites_and_every_deputy_assigned(db, no_activity):
    _load()
    jinxing = Site.objects.get(slug="yuxin-jinxing")
    assert jinxing.parent.town == "余新镇" and jinxing.head_name == "顾海明"
    assert sorted(area.name for area in jinxing.areas.all()) == sorted(["金星村", "长秦村", "曹王村"])
    assert list(Site.objects.search("长秦")) == [jinxing]
    specialised = {(site.town, site.sector) for site in Site.objects.filter(kind="point")}
    assert {("凤桥镇", "enterprise"), ("凤桥镇", "agriculture"), ("建设街道", "school"), ("建设街道", "plaza")} <= (
        specialised
    )
    assert Site.objects.filter(town="新丰镇", address__contains="竹林驿站").exists()
    for site in Site.objects.all():
        site.full_clean()  # every hierarchy rule holds

    deputies = Deputy.objects.active()
    assert 200 <= deputies.count() <= 500
    assert not Deputy.objects.unassigned().exists()
    assert {level for deputy in deputies.prefetch_related("mandates") for level in deputy.levels} == set(Level)
    assert any(len(deputy.levels) == 2 for deputy in deputies.prefetch_related("mandates"))
    assert all(site.assignments.count() >= site.deputies_per_shift for site in Site.objects.all())


def test_demo_plan_is_the_same_in_every_process():
    code = "import django; django.setup(); from stations.demo.network import plan; print(plan().digest())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 64


def test_refuses_a_database_with_another_district(db, no_activity):
    District.objects.create(name="秀洲区", slug="xiuzhou", code="XZ")
    before = _row_counts()
    with pytest.raises(CommandError, match="not the demo's") as refused:
        _load()
    assert refused.value.returncode != 0
    assert _row_counts() == before


def test_refuses_a_database_with_users_it_did_not_create(db, no_activity):
    get_user_model().objects.create_user("realadmin", password="a-long-real-password")
    before = _row_counts()
    with pytest.raises(CommandError, match="1 users"):
        _load()
    assert _row_counts() == before


def test_refuses_a_real_nanhu_database_without_the_demo_accounts(db, no_activity):
    District.objects.create(name="南湖区", slug="nanhu", code="NH")
    with pytest.raises(CommandError):
        _load()


def test_activity_hook_is_called_once_with_the_district(db, probe_activity):
    output = _load()
    assert len(probe_activity.calls) == 1
    assert probe_activity.calls[0]["district"] == District.objects.get(slug="nanhu")
    assert "probe activity built" in output
    _load()
    assert len(probe_activity.calls) == 1


def test_a_failing_activity_builder_leaves_nothing_behind(db, probe_activity):
    probe_activity.fail = True
    with pytest.raises(RuntimeError):
        _load()
    assert not District.objects.exists() and not get_user_model().objects.exists()


def test_activity_builder_is_absent_until_its_module_exists(no_activity):
    assert demo.activity_builder() is None
