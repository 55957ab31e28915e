"""Another system's developer reads the API on its interactive page: Swagger UI, served by the portal itself (the
intranet has no internet), lists the operations and runs one against the live portal."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_page_lists_the_operations_and_tries_one(live_server, page, room):
    requested_hosts = set()
    problems = []
    page.on("request", lambda request: requested_hosts.add(urlsplit(request.url).netloc))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    page.goto(live_server.url + "/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    text = page.locator("#swagger-ui").inner_text()
    for path in ("/api/v1/sites", "/api/v1/popolo/persons", "/api/v1/open311/requests.json"):
        assert path in text
    assert_accessible(page)

    operation = page.locator("#operations-network-site_list")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    body = operation.locator(".live-responses-table .microlight").first
    body.wait_for()
    assert "金星村代表联络室" in body.inner_text()
    assert_accessible(page)

    assert requested_hosts == {urlsplit(live_server.url).netloc}, f"requests left the portal: {requested_hosts}"
    assert not [p for p in problems if "Content Security Policy" in p], problems
