"""The docs page in a real browser: Swagger UI at ``/docs``, Debian's Chromium under Playwright.

One ``graphmatch serve --demo`` process (API keys on) serves the page. The test opens ``/docs``
and ``/docs/``, sees every operation of the server's ``/openapi.json`` rendered (the
suggestions operation by its summary), authorizes with an API key and then with a Bearer key
from the page's "Authorize" dialog and runs the suggestions operation with each, checking the
header the page sent and the answer it shows. Every request the page makes must go to the
server itself (Swagger UI's files come from the flask-swagger-ui package, served by the API),
and the strict Content-Security-Policy must hold with no console error. A screenshot goes to
``test-artifacts/docs-swagger-ui.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support import browser as support
from tests.support.browser import READ_KEY, TIMEOUT_MS, DemoServer

SUGGESTIONS = "/v1/people/{person_id}/suggestions"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    demo = DemoServer(people=300)
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from support.chromium()


def authorize(page: Any, scheme: str, value: str) -> None:
    """Open "Authorize", log every scheme out, enter value for scheme alone, close the dialog."""
    page.click(".scheme-container button.authorize")
    page.wait_for_selector(".auth-container")
    for logout in page.locator(".auth-container button:text-is('Logout')").all():
        logout.click()
    box = page.locator(".auth-container").filter(
        has=page.locator("h4 code", has_text=re.compile(f"^{scheme}$"))
    )
    box.locator("input").first.fill(value)
    box.locator("button[type=submit]:text-is('Authorize')").click()
    box.locator("button:text-is('Logout')").wait_for()  # authorized
    page.click(".auth-btn-wrapper button.btn-done")


def run_suggestions(page: Any) -> Any:
    """Run the open suggestions operation from the page; return the answer it got."""
    op = page.locator("#operations-discovery-suggestions")
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/suggestions")) as got:
        op.locator("button.execute").click()
    op.locator(".live-responses-table tr.response .response-col_status").first.wait_for()
    return got.value


def test_the_docs_page_is_swagger_ui_on_this_servers_document(
    server: DemoServer, browser: Any
) -> None:
    doc = server.call("GET", "/openapi.json")
    summary = doc["paths"][SUGGESTIONS]["get"]["summary"]
    operations = sum(len(METHODS & set(item)) for item in doc["paths"].values())
    event = server.call("GET", "/v1/events")["events"][0]["id"]
    pair = server.call("GET", f"/v1/events/{event}/top-pairs?limit=1")["pairs"][0]
    person = pair["a"]
    expected = server.call("GET", f"/v1/people/{person}/suggestions")["suggestions"]
    assert expected  # the run below has something to show

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    for path in ("/docs/", "/docs"):
        page.goto(server.base + path)
        page.wait_for_selector(".opblock")
        shown = page.locator(".opblock-summary-description").all_text_contents()
        assert summary in shown
        assert page.locator(".opblock").count() == operations
        assert doc["info"]["title"] in page.locator(".info .title").inner_text()

    # -- try the suggestions operation: an API key, then a Bearer key --------------------------
    op = page.locator("#operations-discovery-suggestions")
    op.locator(".opblock-summary").click()
    op.locator("button.try-out__btn").click()
    op.locator('tr[data-param-name="person_id"] input').fill(person)

    authorize(page, "apiKey", READ_KEY)
    answer = run_suggestions(page)
    sent = answer.request
    assert answer.status == 200
    assert sent.headers.get("x-api-key") == READ_KEY
    assert "authorization" not in sent.headers
    shown_answer = op.locator(".live-responses-table tr.response")
    assert shown_answer.locator(".response-col_status").first.inner_text() == "200"
    body = shown_answer.locator(".response-col_description").first.inner_text()
    assert f'"id": "{expected[0]["id"]}"' in body
    support.shot(page, "docs-swagger-ui")

    authorize(page, "bearer", READ_KEY)
    answer = run_suggestions(page)
    sent = answer.request
    assert answer.status == 200
    assert sent.headers.get("authorization") == f"Bearer {READ_KEY}"
    assert "x-api-key" not in sent.headers
    assert shown_answer.locator(".response-col_status").first.inner_text() == "200"

    # -- everything came from this server; the keys were kept nowhere -------------------------
    off = server.off_server(requests)
    assert requests and not off, f"requests off the server: {off}"
    paths = {urlsplit(r.url).path for r in requests}
    assert {
        "/docs",
        "/docs/",
        "/openapi.json",
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
        "/static/docs/docs.js",
    } <= paths
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert not errors, errors
    context.close()


def test_the_docs_page_keeps_a_strict_policy(server: DemoServer) -> None:
    import urllib.request

    with urllib.request.urlopen(server.base + "/docs", timeout=20) as response:
        policy = response.headers["Content-Security-Policy"]
        html = response.read().decode()
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in html  # start-up is a file: inline scripts would be refused
    assert "http://" not in html and "https://" not in html
