"""Every page of the product, not only the journeys': each role walks through every link it can reach from its
start page on the demo data, one page per route, and axe-core checks each page: the coordinator, who reaches
every route, in Swedish, the reviewer and the unit member in English. (The journeys check their own pages in
both languages.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.demo import DEMO_PASSWORD
from tests.browser.journey import VIEWPORTS

PEOPLE = {
    "coordinator": "samordnare@demo.tillsyn.se",
    "reviewer": "granskare@demo.tillsyn.se",
    "unit_member": "enhet@demo.tillsyn.se",
}
# Links the tour does not follow: what would end the tour, and the static assets.
SKIP = re.compile(r"/(logout|static)/")
# Files and downloads (not pages): the tour fetches each (one per route and format) through the browser context's
# request API, with the tour's login, and checks the answer, instead of opening it as a page. Opened as a page, a
# stored file (a library photo, evidence) is a document its CSP sandboxes without scripts, where axe.run's timers
# never fire, so the check waited forever (the hang behind d2414f7); a CSV or a PDF starts a download, which
# page.goto refuses ("Download is starting").
FILE = re.compile(
    r"\.(pdf|ics|eml|csv|jpg|png)$|/thumb$|/(evidence|attachments|follow-up-evidence)/"
    r"|/good-examples/[^/]+/photos/|[?&]format=csv"
)
# The learning pages (DESIGN.md 4.5) each role must reach on the demo data (issue 15). The staff's read view of a
# self-assessment hangs off one visit's page, and the tour opens one page per route (the first visit it meets), so
# tests/browser/test_learning_journey.py checks that view instead, in both languages.
LEARNING_ROUTES = {
    "coordinator": {"/good-examples", "/good-examples/<id>", "/statistics/findings", "/feedback"},
    "reviewer": {"/good-examples", "/good-examples/<id>", "/statistics/findings"},
    "unit_member": {
        "/good-examples",
        "/good-examples/<id>",
        "/visits/<id>/self-assessment",
        "/visits/<id>/feedback",
        "/statistics/findings",
    },
}
# The files each role must fetch on the demo data: the library's photos (linked, or the cards' thumbnails) and the
# CSV downloads it can reach.
FILE_ROUTES = {
    "coordinator": {
        "/good-examples/<id>/photos/<id>",
        "/statistics/findings?format=csv",
        "/follow-ups?format=csv",
        "/people?format=csv",
        "/units?format=csv",
    },
    "reviewer": {"/good-examples/<id>/photos/<id>", "/statistics/findings?format=csv"},
    # The unit member's start page leads to its own example first (one page per route), which shows no photos.
    "unit_member": {"/good-examples/<id>/photos/<id>?thumb=1", "/statistics/findings?format=csv"},
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _file_route(path: str) -> str:
    """One file per route and kind: a photo and its thumbnail, a list and its CSV are different files."""
    query = urlsplit(path).query
    kinds = sorted(part for part in query.split("&") if part in ("thumb=1", "format=csv"))
    return _route(path) + ("?" + "&".join(kinds) if kinds else "")


def _check_file(page: Any, url: str) -> str | None:
    """What is wrong with the file at ``url`` (None if nothing): it must answer 200 with a body, never be sniffed
    into a page, come as an attachment when it is CSV, and be an image when it is a photo."""
    response = page.request.get(url, timeout=30_000)
    headers = response.headers
    kind = headers.get("content-type", "")
    problems = []
    if response.status != 200:
        problems.append(f"status {response.status}")
    elif not response.body():
        problems.append("empty body")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no nosniff")
    is_csv = "format=csv" in url or url.endswith(".csv")
    if is_csv and (not kind.startswith("text/csv") or "attachment" not in headers.get("content-disposition", "")):
        problems.append(f"CSV not as an attachment ({kind}, {headers.get('content-disposition')})")
    if "/photos/" in url and not kind.startswith("image/"):
        problems.append(f"photo as {kind}")
    return f"{url}: {', '.join(problems)}" if problems else None


def _route(path: str) -> str:
    """One page per route: /visits/<uuid>/site?area=… and /visits/<uuid>/site are one route."""
    return UUID.sub("<id>", urlsplit(path).path)


@pytest.mark.browser
@pytest.mark.parametrize(
    ("role", "languages"), [("coordinator", ("sv",)), ("reviewer", ("en",)), ("unit_member", ("en",))]
)
def test_every_page_a_role_reaches_has_no_wcag_violations(
    role: str,
    languages: tuple[str, ...],
    app: Any,
    db: Any,
    live_server_url: str,
    tablet_context: Callable[..., Any],
    check_accessibility: Callable[[Any, str], None],
) -> None:
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    page = tablet_context(*VIEWPORTS["landscape"]).new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{live_server_url}/login")
    page.locator("#email").fill(PEOPLE[role])
    page.locator("#password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    seen: set[str] = set()
    files: dict[str, str] = {}  # file route -> the first link to it
    queue = ["/start"]
    visited = 0
    while queue:
        path = queue.pop(0)
        if _route(path) in seen:
            continue
        seen.add(_route(path))
        for lang in languages:
            joiner = "&" if "?" in path else "?"
            page.goto(f"{live_server_url}{path}{joiner}lang={lang}")
            check_accessibility(page, f"{role}: {path} ({lang})")
        visited += 1
        links = page.eval_on_selector_all("a[href^='/']", "(links) => links.map((a) => a.getAttribute('href'))")
        images = page.eval_on_selector_all("img[src^='/']", "(images) => images.map((i) => i.getAttribute('src'))")
        for src in images:  # thumbnails: the library's cards show them, and a unit member's example may have none
            if FILE.search(src):
                files.setdefault(_file_route(src), src)
        for href in links:
            if SKIP.search(href):
                continue
            if FILE.search(href):
                files.setdefault(_file_route(href), href)
            elif _route(href) not in seen:
                queue.append(href)
    bad_files = [problem for href in files.values() if (problem := _check_file(page, f"{live_server_url}{href}"))]
    assert not failed, f"requests that failed on the tour: {failed}"
    assert not bad_files, f"files the tour fetched that are wrong: {bad_files}"
    assert FILE_ROUTES[role] <= set(files), f"files the tour missed: {FILE_ROUTES[role] - set(files)}"
    assert LEARNING_ROUTES[role] <= seen, f"learning pages the tour missed: {LEARNING_ROUTES[role] - seen}"
    assert visited >= 15, f"the tour reached only {visited} routes: {sorted(seen)}"


@pytest.mark.browser
def test_axe_check_refuses_a_stored_file_at_once(
    tablet_context: Callable[..., Any], check_accessibility: Callable[[Any, str], None]
) -> None:
    """A stored file opened as a page (served as the product serves them: FILE_CSP sandboxes it without scripts)
    fails the accessibility check at once; axe.run never finished there and the tour hung (d2414f7)."""
    from app.core.files import FILE_CSP

    page = tablet_context(*VIEWPORTS["landscape"]).new_page()
    page.route(
        "http://files.test/photo.jpg",
        lambda route: route.fulfill(
            status=200,
            body=b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
            b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            headers={"Content-Type": "image/gif", "Content-Security-Policy": FILE_CSP},
        ),
    )
    page.goto("http://files.test/photo.jpg")
    with pytest.raises(AssertionError, match="not a page"):
        check_accessibility(page, "a photo")
