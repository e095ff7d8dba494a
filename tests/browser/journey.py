"""What every step of a browser journey does: the page loaded without errors, fits the tablet, passes axe's
WCAG 2.0/2.1 A and AA rules, links the accessibility statement from its footer, and leaves a screenshot
behind; and how a person without a mouse moves (Tab, Enter, arrow keys), with a visible focus indicator
wherever the keyboard lands."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.conftest import PASSWORD

VIEWPORTS = {"landscape": (1024, 768), "portrait": (768, 1024)}


def translated(app: Any, lang: str, message: str, **kwargs: Any) -> str:
    """A message of the product's catalog as a page in ``lang`` shows it (to find a link or button by its words)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return gettext(message, **kwargs)


# Where the keyboard is, as a person would read it in a failure message.
_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return "(nothing)"; }
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60);
  return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}"`;
}"""

_FOCUS_MATCHES = """([selector, text]) => {
  const el = document.activeElement;
  if (!el || !el.matches(selector)) { return false; }
  if (!text) { return true; }
  const own = (el.innerText || el.value || el.getAttribute("aria-label") || "").replace(/\\s+/g, " ");
  return own.includes(text);
}"""

# A focus indicator someone can see: an outline or a box shadow on the focused element (WCAG 2.4.7).
_FOCUS_VISIBLE = """() => {
  const style = getComputedStyle(document.activeElement);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


@dataclass
class Journey:
    """One person's way through the product in one browser tab; ``step`` is called on every page they reach."""

    page: Any
    base_url: str
    name: str
    shots: Path
    check_accessibility: Callable[[Any, str], None]
    suffix: str = ""
    problems: list[str] = field(default_factory=list)
    counter: int = 0

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def step(self, label: str) -> None:
        """The page as it is now: loaded, no errors so far, no horizontal scroll, no WCAG violation; a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        assert not self.problems, f"{self.name}, {label}: {self.problems}"
        assert page.evaluate("() => document.styleSheets.length") >= 1, f"{self.name}, {label}: no stylesheet"
        width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{self.name}, {label}: scrolls sideways ({width}px > {inner}px) at {page.url}"
        self.check_accessibility(page, f"{self.name}: {label}")
        statement = page.locator("footer a[href^='/accessibility']")
        assert statement.count() == 1, f"{self.name}, {label}: no link to the accessibility statement in the footer"
        self.counter += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        page.screenshot(
            path=self.shots / f"{self.name}-{self.counter:02d}-{slug}{self.suffix}.png", full_page=True, scale="css"
        )

    # ---- touch ----------------------------------------------------------------------------------------

    def tap(self, target: Any) -> None:
        """Tap a link or a form's button (a selector or a locator) and wait for the page it leads to."""
        locator = self.page.locator(target).first if isinstance(target, str) else target
        with self.page.expect_navigation():
            locator.tap()

    def log_in_by_touch(self, email: str) -> None:
        self.goto("/login")
        self.page.locator("#email").tap()
        self.page.locator("#email").fill(email)
        self.page.locator("#password").fill(PASSWORD)
        self.tap("main form button[type=submit]")

    def log_out(self) -> None:
        self.tap("header form button[type=submit]")
        expect(self.page.locator("#email")).to_be_visible()

    # ---- keyboard -------------------------------------------------------------------------------------

    def tab_to(self, selector: str, text: str = "", *, limit: int = 150) -> None:
        """Press Tab until the element matching ``selector`` (and containing ``text``) has the focus, which
        must then be visible. Fails when the keyboard cannot get there."""
        page = self.page
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(_FOCUS_MATCHES, [selector, text]):
                assert page.evaluate(_FOCUS_VISIBLE), (
                    f"{self.name}: no visible focus on {page.evaluate(_DESCRIBE_FOCUS)} at {page.url}"
                )
                return
        raise AssertionError(
            f"{self.name}: Tab never reached {selector} {text!r} at {page.url} "
            f"(focus ended on {page.evaluate(_DESCRIBE_FOCUS)})"
        )

    def activate(self, selector: str, text: str = "") -> None:
        """Tab to a link or button and press Enter, as a keyboard user follows a link or sends a form."""
        self.tab_to(selector, text)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def type_into(self, selector: str, value: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.type(value)

    def choose(self, selector: str, value: str) -> None:
        """Pick the option with ``value`` of a <select> with the arrow keys."""
        self.tab_to(selector)
        values: list[str] = self.page.locator(f"{selector} option").evaluate_all("(os) => os.map((o) => o.value)")
        index = values.index(value)
        current = self.page.evaluate("(s) => document.querySelector(s).selectedIndex", selector)
        key = "ArrowDown" if index >= current else "ArrowUp"
        for _ in range(abs(index - current)):
            self.page.keyboard.press(key)
        chosen = self.page.evaluate("(s) => document.querySelector(s).value", selector)
        assert chosen == value, f"{self.name}: the arrow keys chose {chosen!r}, not {value!r}, in {selector}"

    def log_in_by_keyboard(self, email: str) -> None:
        self.goto("/login")
        self.type_into("#email", email)
        self.type_into("#password", PASSWORD)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
