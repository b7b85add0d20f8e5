"""The explorer in a real browser: Debian's Chromium driven by Playwright, on the demo network.

One ``graphmatch serve --demo`` process (2,000 people, its conference checked in, API keys on)
serves the page. The test walks the story a newcomer walks: enter a key, find a person by name
with the keyboard, open a suggestion, see the picture of the friends they share, open the event
room and one of the organiser's pairs, then turn a suggestion down ("Not interested": refused
with the read key, done with the write key). At each step what the page shows is compared with a
direct API call; a person blocked by the viewer must appear nowhere; every request the page
makes must go to the server itself. A screenshot of each view goes to ``test-artifacts/``.

Chromium and the demo server come from ``tests/support/browser.py``: Debian's ``chromium``;
Playwright's own browser download is never used. Without Chromium or Playwright the test skips
with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.support import browser as support
from tests.support.browser import READ_KEY, ROOT, TIMEOUT_MS, WRITE_KEY, DemoServer


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    demo = DemoServer()
    try:
        yield demo
    finally:
        demo.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from support.chromium()


def q(path: str) -> str:
    """Quote one path segment."""
    return quote(path, safe="")


def ids_of(page: Any, selector: str, attr: str = "data-id") -> list[str]:
    """Return the attribute of every element matching selector, in document order."""
    found: list[str] = page.eval_on_selector_all(
        selector, f"els => els.map(e => e.getAttribute({attr!r}))"
    )
    return found


def every_person_shown(page: Any) -> set[str]:
    """Return every person id the page shows anywhere (buttons, list items, SVG nodes)."""
    shown: set[str] = set()
    for attr in ("data-id", "data-a", "data-b"):
        shown |= set(ids_of(page, f"#main [{attr}]:not(.event)", attr))
    texts: list[str] = page.eval_on_selector_all("#main .id", "els => els.map(e => e.textContent)")
    shown |= {t.removeprefix("#") for t in texts}
    return shown


def settle(page: Any) -> None:
    """Wait until the page has no action in flight and check it shows no error."""
    page.wait_for_selector('body[data-busy="0"]', state="attached", timeout=TIMEOUT_MS)
    error = page.locator("#error")
    assert error.is_hidden(), f"the page shows an error: {error.text_content()!r}"


def shot(page: Any, name: str) -> None:
    """Write a full-page screenshot under test-artifacts/."""
    support.shot(page, f"explorer-{name}")


def test_the_story_in_a_browser_matches_the_api(server: DemoServer, browser: Any) -> None:
    event = server.call("GET", "/v1/events")["events"][0]
    eid = event["id"]
    assert event["attendees"] > 10
    best = server.call("GET", f"/v1/events/{q(eid)}/top-pairs?limit=1")["pairs"][0]
    me, stranger = best["a"], best["b"]
    assert best["mutual_count"] >= 25  # the README's story: a stranger who knows 25+ friends
    my_name: str = server.call("GET", f"/v1/people/{q(me)}")["attributes"]["name"]

    # Someone the page would show (an attendee ranked for me) is blocked by me: they must
    # vanish everywhere (suggestions, the room, the attendee list, the pairs, the pictures).
    ranked = server.call("GET", f"/v1/events/{q(eid)}/introductions/{q(me)}?limit=10")
    blocked = next(s["id"] for s in ranked["suggestions"] if s["id"] != stranger)
    everyone = server.call("GET", f"/v1/events/{q(eid)}/attendees?limit=1000")["attendees"]
    assert blocked in {a["id"] for a in everyone}
    server.call("PUT", f"/v1/people/{q(me)}/blocks/{q(blocked)}", key=WRITE_KEY)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_default_timeout(TIMEOUT_MS)

    # -- without a key the API answers 401 and the page says so; with one it works ------------
    page.goto(server.base + "/")
    page.wait_for_selector('body[data-busy="0"]', state="attached")
    assert "API key" in page.locator("#error").text_content()
    errors.clear()  # the browser logs the refused fetch; that one was expected
    page.click("#key-box summary")
    page.fill("#key-input", READ_KEY)
    page.press("#key-input", "Enter")
    settle(page)
    stored = page.evaluate(
        "() => [sessionStorage.getItem('graphmatch.key'), localStorage.length, document.cookie]"
    )
    assert stored == [READ_KEY, 0, ""]  # kept for the tab only
    assert ids_of(page, "#events .event") == [
        e["id"] for e in server.call("GET", "/v1/events")["events"]
    ]

    # -- 1. find a person by name, keyboard only --------------------------------------------
    page.focus("#search-q")
    prefix = my_name.split(" ")[-1][:4]
    page.keyboard.type(prefix)
    page.keyboard.press("Enter")
    settle(page)
    expected = server.call("GET", f"/v1/people?q={q(prefix)}&limit=20")["people"]
    assert ids_of(page, "#search-results .person") == [p["id"] for p in expected]
    shot(page, "1-search")
    target = page.locator(f'#search-results .person[data-id="{me}"]')
    if target.count() == 0:  # not on the first page: search by id instead
        page.fill("#search-q", me)
        page.press("#search-q", "Enter")
        settle(page)
    page.locator(f'#search-results .person[data-id="{me}"]').focus()
    page.keyboard.press("Enter")
    settle(page)
    assert page.locator("#me-id").text_content() == f"#{me}"

    # -- 2. suggestions: exactly the API's, blocked person gone ---------------------------------
    # The picker offers what GET /v1/scores says this server answers: without a model, every
    # formula score and not `learned` (which would be a 422 here).
    listed = server.call("GET", "/v1/scores")
    offered = ids_of(page, "#score option", "value")
    assert offered == [s["name"] for s in listed["scores"] if s["available"]]
    assert "learned" not in offered and "cn_ra" in offered
    page.select_option("#score", "common_neighbors")
    page.click("#score-form button[type=submit]")
    settle(page)
    api_suggestions = server.call(
        "GET", f"/v1/people/{q(me)}/suggestions?score=common_neighbors&limit=10&explain=5"
    )["suggestions"]
    assert ids_of(page, "#suggestions .suggestion") == [s["id"] for s in api_suggestions]
    assert blocked not in ids_of(page, "#suggestions .suggestion")
    shot(page, "2-suggestions")

    # -- 3. the picture: the two people and exactly the mutual friends the API names ----------
    page.click(f'#suggestions .suggestion[data-id="{stranger}"]')
    settle(page)
    mutual = server.call("GET", f"/v1/people/{q(me)}/mutual/{q(stranger)}")
    assert mutual["count"] >= 25 and mutual["people"]
    assert ids_of(page, "#mutual-graph g.node.mutual") == mutual["people"]  # strongest first
    assert ids_of(page, "#mutual-graph g.node.you") == [me]
    assert ids_of(page, "#mutual-graph g.node.them") == [stranger]
    assert ids_of(page, "#mutual-list li") == mutual["people"]
    assert f"knows {mutual['count']} of your friends" in page.locator("#graph-caption").inner_text()
    edges = page.locator("#mutual-graph line.edge").count()
    assert edges == 2 * len(mutual["people"])
    box = page.locator("#mutual-graph").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200  # really drawn
    page.locator("#view-graph").scroll_into_view_if_needed()
    shot(page, "3-graph")

    # -- 4. the event room: who is here for me, and the organiser's pairs -----------------------
    page.click(f'#events .event[data-id="{eid}"]')
    settle(page)
    here = server.call("GET", f"/v1/events/{q(eid)}/introductions/{q(me)}?limit=10&explain=3")
    assert ids_of(page, "#here .suggestion") == [s["id"] for s in here["suggestions"]]
    pairs = server.call(
        "GET", f"/v1/events/{q(eid)}/top-pairs?limit=10&explain=100&viewer={q(me)}"
    )["pairs"]
    assert list(
        zip(
            ids_of(page, "#pairs .pair", "data-a"),
            ids_of(page, "#pairs .pair", "data-b"),
            strict=True,
        )
    ) == [(p["a"], p["b"]) for p in pairs]
    attendees = server.call("GET", f"/v1/events/{q(eid)}/attendees?limit=50&viewer={q(me)}")
    assert ids_of(page, "#attendees .person") == [a["id"] for a in attendees["attendees"]]
    page.locator("#view-event").scroll_into_view_if_needed()
    shot(page, "4-event")

    page.click("#pairs .pair >> nth=0")
    settle(page)
    assert ids_of(page, "#mutual-graph g.node.mutual") == pairs[0]["mutual"]
    assert ids_of(page, "#mutual-graph g.node.you") == [pairs[0]["a"]]

    # -- 5. "Not interested": refused with the read key, done with the write key ---------------
    page.locator("#view-suggestions").scroll_into_view_if_needed()
    gone = next(p for p in ids_of(page, "#suggestions .suggestion") if p != stranger)
    dismiss = f'#suggestions button.dismiss[data-id="{gone}"]'
    page.focus(dismiss)  # keyboard only: focus the button, press Enter
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-busy="0"]', state="attached")
    assert "may not do that" in page.locator("#error").text_content()
    assert gone in ids_of(page, "#suggestions .suggestion")
    errors.clear()  # the browser logs the refused PUT; that one was expected
    if not page.locator("#key-input").is_visible():
        page.click("#key-box summary")
    page.fill("#key-input", WRITE_KEY)
    page.press("#key-input", "Enter")
    settle(page)
    page.focus(dismiss)
    page.keyboard.press("Enter")
    settle(page)
    after = server.call(
        "GET", f"/v1/people/{q(me)}/suggestions?score=common_neighbors&limit=10&explain=5"
    )["suggestions"]
    assert gone not in [s["id"] for s in after]
    assert ids_of(page, "#suggestions .suggestion") == [s["id"] for s in after]
    assert gone in server.call("GET", f"/v1/people/{q(me)}/dismissals?limit=100")["dismissed"]
    assert "will not be suggested" in page.locator("#suggestions-status").inner_text()
    assert page.evaluate("() => document.activeElement.className") == "dismiss"  # focus kept
    shot(page, "5-dismissed")

    # -- nobody blocked anywhere; nothing off the server; no script errors ---------------------
    assert blocked not in every_person_shown(page)
    host = urlsplit(server.base).netloc
    assert requests, "the page made no requests at all"
    off = [r.url for r in requests if urlsplit(r.url).netloc != host]
    assert not off, f"requests off the server: {off}"
    paths = {urlsplit(r.url).path for r in requests}
    assert {"/", "/explorer/explorer.js", "/explorer/explorer.css", "/v1/events"} <= paths
    assert "/v1/scores" in paths  # the picker asks which scores answer here (public)
    api_calls = [
        r
        for r in requests
        if urlsplit(r.url).path.startswith("/v1/") and urlsplit(r.url).path != "/v1/scores"
    ]
    keys = [r.headers.get("x-api-key") for r in api_calls[1:]]
    switch = keys.index(WRITE_KEY)  # the read key until the write key was entered
    assert set(keys[:switch]) == {READ_KEY} and set(keys[switch:]) == {WRITE_KEY}
    puts = [(r.method, urlsplit(r.url).path) for r in api_calls if r.method == "PUT"]
    assert puts == [("PUT", f"/v1/people/{q(me)}/dismissals/{q(gone)}")] * 2
    assert not errors, errors

    # -- a phone-sized screen: one column, the picture still fits its width ------------------
    phone = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    small = phone.new_page()
    small.set_default_timeout(TIMEOUT_MS)
    small.goto(server.base + "/")
    small.wait_for_selector('body[data-busy="0"]', state="attached")
    small.evaluate("k => sessionStorage.setItem('graphmatch.key', k)", READ_KEY)
    small.reload()
    settle(small)
    small.fill("#search-q", me)
    small.press("#search-q", "Enter")
    settle(small)
    small.click(f'#search-results .person[data-id="{me}"]')
    settle(small)
    small.click(f'#suggestions .suggestion[data-id="{stranger}"]')
    settle(small)
    width = small.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width}px)"
    assert ids_of(small, "#mutual-graph g.node.mutual") == mutual["people"]
    shot(small, "6-phone")
    phone.close()
    context.close()


def test_the_page_is_served_offline_with_a_strict_policy(server: DemoServer) -> None:
    with urllib.request.urlopen(server.base + "/", timeout=20) as response:
        html = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    for asset in ("/explorer/explorer.js", "/explorer/explorer.css"):
        with urllib.request.urlopen(server.base + asset, timeout=20) as response:
            body = response.read().decode()
        assert response.status == 200 and "http://" not in body.replace(
            "http://www.w3.org/2000/svg", ""
        )
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.base + "/explorer/nope.js", timeout=20)
    missing.value.close()
    assert missing.value.code == 404


TOKEN_SECRET = "explorer-test-secret-that-is-long-enough-0123456789"


def test_a_viewer_token_walks_its_own_story(browser: Any) -> None:
    """A viewer token acts for one person: the page takes its person and sends it as Bearer."""
    if not (ROOT / "api" / "viewer.py").is_file():
        pytest.skip("viewer tokens (api/viewer.py) are not in this checkout")
    viewer = pytest.importorskip("api.viewer")
    server = DemoServer(GRAPHMATCH_TOKEN_SECRET=TOKEN_SECRET)
    try:
        best = server.call("GET", "/v1/events")["events"][0]
        pair = server.call("GET", f"/v1/events/{q(best['id'])}/top-pairs?limit=1")["pairs"][0]
        me, stranger = pair["a"], pair["b"]
        token = viewer.mint_token(me, secret=TOKEN_SECRET)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        requests: list[Any] = []
        page.on("request", lambda r: requests.append(r))
        page.goto(server.base + "/")
        page.wait_for_selector('body[data-busy="0"]', state="attached")
        page.click("#key-box summary")
        page.fill("#key-input", token)
        page.press("#key-input", "Enter")
        settle(page)
        assert page.locator("#me-id").text_content() == f"#{me}"  # the token's person
        assert page.locator("#search-form").is_hidden()
        mine = server.call(
            "GET", f"/v1/people/{q(me)}/suggestions?limit=10&explain=5", key=token, bearer=True
        )["suggestions"]
        assert ids_of(page, "#suggestions .suggestion") == [s["id"] for s in mine]
        page.click(f'#suggestions .suggestion[data-id="{stranger}"]')
        settle(page)
        mutual = server.call(
            "GET", f"/v1/people/{q(me)}/mutual/{q(stranger)}", key=token, bearer=True
        )
        assert ids_of(page, "#mutual-graph g.node.mutual") == mutual["people"]
        here = server.call(
            "GET",
            f"/v1/events/{q(best['id'])}/introductions/{q(me)}?limit=10&explain=3",
            key=token,
            bearer=True,
        )
        assert ids_of(page, "#here .suggestion") == [s["id"] for s in here["suggestions"]]
        shot(page, "7-viewer-token")
        # A viewer token may turn down its own person's suggestions.
        gone = next(p for p in ids_of(page, "#suggestions .suggestion") if p != stranger)
        page.click(f'#suggestions button.dismiss[data-id="{gone}"]')
        settle(page)
        assert gone not in ids_of(page, "#suggestions .suggestion")
        listed = server.call("GET", f"/v1/people/{q(me)}/dismissals", key=token, bearer=True)
        assert listed["dismissed"] == [gone]
        sent = [
            r
            for r in requests
            if urlsplit(r.url).path.startswith("/v1/") and urlsplit(r.url).path != "/v1/scores"
        ][1:]  # /v1/scores is public, asked before the token is read from the address
        assert sent and all(r.headers.get("authorization") == f"Bearer {token}" for r in sent)
        assert not any("x-api-key" in r.headers for r in sent)
        context.close()
    finally:
        server.stop()
