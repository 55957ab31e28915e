"""The elder-friendly display (适老化): a switch on every page, remembered in a cookie, without JavaScript."""

import pytest
from django.urls import reverse

PUBLIC_PAGES = ["stations:home", "stations:site_list", "stations:schedule", "stations:deputy_list", "stations:track"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_offers_the_switch(client, name, db):
    html = client.get(reverse(name)).content.decode()
    assert 'action="/display/"' in html and "大字号、高对比度" in html
    assert '<html lang="zh-hans" class="no-js">' in html


def test_switching_sets_a_lasting_cookie_and_returns_to_the_page(client, room):
    page = reverse("stations:site_detail", args=[room.slug])
    response = client.post(reverse("stations:display_switch"), {"mode": "elder", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    cookie = response.cookies["display"]
    assert cookie.value == "elder" and int(cookie["max-age"]) >= 300 * 24 * 3600 and cookie["samesite"] == "Lax"

    html = client.get(page).content.decode()
    assert 'class="no-js elder"' in html and "标准字号" in html and 'aria-pressed="true"' in html

    client.post(reverse("stations:display_switch"), {"mode": "standard", "next": page})
    assert 'class="no-js"' in client.get(page).content.decode()


def test_the_switch_never_sends_the_reader_to_another_site_and_ignores_unknown_modes(client, db):
    response = client.post(reverse("stations:display_switch"), {"mode": "neon", "next": "https://evil.example/"})
    assert response["Location"] == reverse("stations:home")
    assert response.cookies["display"].value == "standard"


def test_an_unknown_cookie_value_shows_the_standard_display(client, db):
    client.cookies["display"] = "<script>"
    html = client.get(reverse("stations:home")).content.decode()
    assert 'class="no-js"' in html and "<script>" not in html.split("<body")[0].split("<html")[1][:80]
