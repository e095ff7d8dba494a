"""Fixtures for the browser tests: the app behind a real HTTP server, and Debian's Chromium via Playwright.

Playwright's own browser download is never used: the tests drive the system Chromium (``CHROMIUM_PATH``,
else ``chromium`` on PATH, else /usr/bin/chromium). Without it the tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
# axe-core, the npm package (package.json; `make test` runs `npm ci` when npm is there).
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return shutil.which(configured) or configured
    return shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def live_server_url(app_config: dict[str, Any]) -> Iterator[str]:
    """The app (on this test's database) served by werkzeug on 127.0.0.1 from a background thread."""
    from werkzeug.serving import make_server

    from app import create_app
    from app.extensions import db

    flask_app = create_app(app_config)
    server = make_server(host="127.0.0.1", port=0, app=flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    url = f"http://127.0.0.1:{server.server_port}"
    flask_app.config["PUBLIC_BASE_URL"] = url  # links in its e-mails lead back to this server
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with flask_app.app_context():
            db.engine.dispose()  # no pooled connection outlives the test (TRUNCATE on PostgreSQL waits for none)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One system Chromium for the whole run."""
    executable = chromium_executable()
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        message = (
            f"Chromium not found at {executable!r}: install Debian's chromium (apt-get install chromium) "
            "or set CHROMIUM_PATH. Do not run `playwright install`."
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    # Other folders import this fixture (tests/auth/conftest.py), which makes it a second fixture of its own: one
    # Playwright per process, shared by reference count, since a second sync Playwright in a process is refused.
    if not _SHARED:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception:
            playwright.stop()
            raise
        _SHARED.update(playwright=playwright, browser=browser, users=0)
    _SHARED["users"] += 1
    try:
        yield _SHARED["browser"]
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            shared = dict(_SHARED)
            _SHARED.clear()
            try:
                shared["browser"].close()
            finally:
                shared["playwright"].stop()


_SHARED: dict[str, Any] = {}


@pytest.fixture
def tablet_context(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Opens a fresh browser context at a tablet viewport with touch (an iPad); all are closed after the test."""
    contexts: list[Any] = []

    def open_context(width: int, height: int) -> Any:
        context = chromium.new_context(
            viewport={"width": width, "height": height},
            has_touch=True,
            is_mobile=False,
            device_scale_factor=2,
            locale="sv-SE",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        message = f"axe-core not found at {AXE_SCRIPT}: run `npm ci` (make test does when npm is installed)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def check_accessibility(axe_source: str) -> Callable[[Any, str], None]:
    """Runs axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now; any violation fails the test,
    listing each rule with the elements it found."""

    def check(page: Any, where: str) -> None:
        # Only a page of the site: a stored file is served with a CSP sandbox that runs no scripts, where axe.run's
        # timers never fire and page.evaluate (which has no timeout) would wait forever. Fail at once instead.
        content_type = page.evaluate("() => document.contentType")
        assert content_type == "text/html", (
            f"{where} ({page.url}) is a file ({content_type}), not a page: fetch it with page.request instead"
        )
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP (script-src 'self') stays on
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_AA_TAGS,
        )
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in result["violations"]
        ]
        assert not problems, f"accessibility violations on {where} ({page.url}):\n" + "\n".join(problems)

    return check


@pytest.fixture
def open_journey(
    live_server_url: str,
    tablet_context: Callable[..., Any],
    screenshot_dir: Path,
    check_accessibility: Callable[[Any, str], None],
) -> Callable[..., Any]:
    """A new person's way through the product in a fresh tablet context (``orientation``: a key of VIEWPORTS);
    its screenshots are named after ``name``, then ``variant`` and the database."""
    from tests.browser.journey import VIEWPORTS, Journey
    from tests.conftest import TEST_DB

    def open_one(name: str, orientation: str, variant: str = "") -> Journey:
        page = tablet_context(*VIEWPORTS[orientation]).new_page()
        suffix = f"-{variant}-{TEST_DB}" if variant else f"-{TEST_DB}"
        return Journey(page, live_server_url, name, screenshot_dir, check_accessibility, suffix=suffix)

    return open_one
