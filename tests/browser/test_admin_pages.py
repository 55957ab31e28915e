"""The admin pages the portal defines itself (templates/admin/...) pass axe like the rest of the portal."""

import pytest
from django.urls import reverse
from django.utils import timezone

from stations.models import Roster
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_roster_list_and_the_generate_a_year_form_pass_axe_with_and_without_errors(
    live_server, page, dana, station, room, deputies
):
    year = timezone.localdate().year + 1
    sign_in(page, live_server.url, "dana")
    page.goto(live_server.url + reverse("admin:stations_roster_changelist"))
    assert_accessible(page)
    generate = reverse("admin:stations_roster_generate")
    assert page.locator(f'a[href="{generate}"]').count() == 1
    page.goto(live_server.url + generate)
    assert_accessible(page)

    page.get_by_role("button", name="生成").click()  # neither a site nor a district: an error
    page.wait_for_load_state()
    assert page.locator(".errornote").is_visible()
    assert_accessible(page)

    page.locator("#id_year").fill(str(year))
    page.locator("#id_site").select_option(label=station.name)
    page.get_by_role("button", name="生成").click()
    page.wait_for_load_state()
    assert Roster.objects.filter(year=year).count() == 2
    assert_accessible(page)
