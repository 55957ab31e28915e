"""Pages that may show personal data tell browsers and proxies to keep nothing (stations.middleware.NoStoreMiddleware).

Every staff, admin and accounts URL of the permission matrix as a district administrator, and a sample as a
visitor who is sent to sign in: whatever the answer (page, redirect, download), `Cache-Control: no-store`.
"""

import pytest
from django.urls import reverse

from tests.test_permissions import MATRIX, POST, url_routes, world  # noqa: F401  (world: the matrix's fixture)

PRIVATE = [
    pytest.param(entry, id=entry.id)
    for entry in MATRIX
    if url_routes()[entry.name].startswith(("staff/", "admin/", "accounts/"))
]


def test_it_covers_staff_admin_and_accounts_pages():
    names = {param.values[0].name for param in PRIVATE}
    assert {"stations:staff_home", "stations:voter_lookup", "admin:index", "login", "stations:otp_verify"} <= names


@pytest.mark.parametrize("entry", PRIVATE)
def test_it_tells_browsers_to_store_no_staff_admin_or_accounts_page(entry, world, client):  # noqa: F811
    client.force_login(world.users["dana"])
    path = entry.path(world)
    data = entry.data(world) if entry.data else {}
    response = client.post(path, data) if entry.method == POST else client.get(path, data)
    assert "no-store" in response.get("Cache-Control", ""), f"{entry.method} {path}: {response.status_code}"


def test_it_tells_browsers_to_store_no_redirect_to_the_sign_in_page(client, db):
    for name in ("stations:staff_home", "stations:voter_lookup", "admin:index", "login"):
        response = client.get(reverse(name))
        assert "no-store" in response.get("Cache-Control", ""), f"{name}: {response.status_code}"


def test_it_leaves_public_pages_to_the_browsers_cache(client, station):
    for path in (reverse("stations:home"), reverse("stations:site_list")):
        assert "no-store" not in client.get(path).get("Cache-Control", "")
