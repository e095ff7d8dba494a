"""Learning (DESIGN.md 4.5, issue 15) in a real browser on an iPad:

1. a member of the unit, with the keyboard alone, consents to share a strength as a good example (named, with its
   photo), answers and submits the self-assessment before the next visit, and gives feedback on a final visit;
2. a member of another unit searches the library for "skolor" and finds the example about a "skola", and opens it;
3. the reviewer finds it too, reads the unit's self-assessment, starts the visit and sees the unit's answers beside
   the findings on the site screen, and looks at the years at a glance;
4. the coordinator reads the feedback on the supervision.

It runs in landscape in Swedish and in portrait in English: every page is checked by axe-core (WCAG 2.0/2.1 A and
AA) in both languages and photographed into test-artifacts/screenshots/ (scripts/docs_screenshots.py picks some).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey, translated

STRENGTH = "Skolan är en trygg skola: varje elev har en vuxen att vända sig till, och rasterna har rastvakter."
# (rating 1–4, text) per guiding question of the template (tests/fixtures_visits.AREAS: three questions).
SELF_ASSESSMENT = [
    (3, "Vi gör riskbedömningar varje månad och går igenom dem på arbetsplatsträffen."),
    (2, "Avvikelser rapporteras, men återkopplingen till personalen dröjer."),
    (4, "Eleverna är med i klassråd och elevråd varje månad."),
]
FEEDBACK = {"useful": 4, "respectful": 5, "clear": 3}


def _jpeg() -> bytes:
    """A made-up photo of a schoolyard (the demo's drawing: sky, ground and a few shapes)."""
    from app.learning.demo import photo

    return photo("utemiljo.jpg")


def _proposed_with_photo(db: Any, make_visit: Callable[..., Any], unit: Any, lead: Any, template: Any) -> Any:
    """A visit out for comment whose strength has a photo and is proposed as a good example by the lead."""
    from app.core import access
    from app.learning import services
    from app.visits import evidence
    from app.visits import services as visits

    visit = make_visit("draft", unit=unit, lead=lead, template=template, findings=(("strength", None, STRENGTH),))
    evidence.store_upload(visit.findings[0].id, actor=lead, filename="skolgard.jpg", data=_jpeg())
    visits.transition(
        visit.id, actor=access.OPERATOR, to="sent_for_comment", comment_deadline=date.today() + timedelta(days=14)
    )
    example = services.propose(visit.findings[0].id, actor=lead)
    db.session.commit()
    return example


def _pick(journey: Journey, name: str, index: int) -> None:
    """Choose the ``index``-th radio button of the group ``name`` by keyboard: Tab into the group (on its first
    button when none is chosen), Space to choose it, the arrow keys to move on."""
    page = journey.page
    journey.tab_to(f"input[type=radio][name='{name}']")
    page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    checked = page.evaluate(
        "(n) => [...document.getElementsByName(n)].findIndex((r) => r.checked)",
        name,
    )
    assert checked == index, f"{journey.name}: the keyboard chose option {checked}, not {index}, of {name}"


@pytest.mark.browser
@pytest.mark.parametrize(("orientation", "lang"), [("landscape", "sv"), ("portrait", "en")])
def test_learning_by_keyboard_and_a_search_in_swedish(
    orientation: str,
    lang: str,
    app: Any,
    db: Any,
    open_journey: Callable[..., Journey],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_template: Callable[..., Any],
    make_visit: Callable[..., Any],
) -> None:
    from app.learning.services.self_assessment import answer_key
    from app.units.models import UnitKind

    unit = make_unit("Norra skolan", kind=UnitKind.school)
    other = make_unit("Solrosens förskola", kind=UnitKind.preschool)
    template = make_template("Skola")
    reviewer = make_user("reviewer", name="Gustav Granskare", email="gustav@example.se", language=lang)
    member = make_user("unit_member", units=[unit], name="Elin Öberg", email="elin@example.se", language=lang)
    outsider = make_user("unit_member", units=[other], name="Ulla Unt", email="ulla@example.se", language=lang)
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="asa@example.se", language=lang)
    # Earlier years, so the years at a glance have something to show.
    for years_ago, findings in (
        (2, (("development", None, "Elevhälsan nås sent."), ("deviation", "minor", "Kränkningar utreds sent."))),
        (1, (("strength", None, "Tydlig studiero."), ("deviation", "minor", "Rutinen för frånvaro är okänd."))),
    ):
        when = date.today().replace(month=3, day=15) - timedelta(days=365 * years_ago)
        make_visit("final", unit=unit, lead=reviewer, template=template, findings=findings, visit_date=when)
    example = _proposed_with_photo(db, make_visit, unit, reviewer, template)
    final = make_visit("final", unit=unit, lead=reviewer, template=template)
    coming = make_visit("planned", unit=unit, lead=reviewer, template=template)
    db.session.commit()
    areas = [(a.id, a.title, len(a.question_list)) for a in coming.template_version.areas]
    example_path, coming_path, final_path = (
        f"/good-examples/{example.id}",
        f"/visits/{coming.id}",
        f"/visits/{final.id}",
    )

    def journey(name: str) -> Journey:
        return open_journey(f"learning-{name}", orientation, f"{orientation}-{lang}")

    def text(message: str) -> str:
        return translated(app, lang, message)

    # ---- 1. The unit's member: consent, self-assessment, feedback — with the keyboard alone ------------------
    elin = journey("1-unit-keyboard")
    page = elin.page
    elin.log_in_by_keyboard(member.email)
    expect(page).to_have_url(re.compile(r"/start$"))
    elin.step("portal")
    elin.activate(f"main a[href='{example_path}']")
    elin.step("proposal")
    elin.tab_to("input[name=show_as]")  # the group's chosen button: "only as the kind of unit"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.querySelector('input[name=show_as]:checked').value") == "named"
    elin.tab_to("#photo-1")
    page.keyboard.press("Space")
    assert page.locator("#photo-1").is_checked()
    elin.activate("main form button[type=submit]", text("Consent and share"))
    expect(page.locator("form[action$='/withdraw'] button")).to_be_visible()
    expect(page.locator("main ul.evidence img")).to_have_count(1)
    elin.step("consented")

    elin.activate("header a[href='/start']")
    elin.activate(f"main a[href='{coming_path}/self-assessment']")
    elin.step("self-assessment")
    n = 0
    for area_id, _title, questions in areas:
        for index in range(questions):
            rating, words = SELF_ASSESSMENT[n % len(SELF_ASSESSMENT)]
            key = answer_key(area_id, index)
            _pick(elin, f"rating-{key}", rating - 1)
            elin.type_into(f"#text-{key.replace(':', '-')}", words)
            n += 1
            if n == 1:  # a draft after the first answer, as someone who is interrupted
                elin.activate("button[value=save]")
                expect(page.locator(f"#text-{key.replace(':', '-')}")).to_have_value(words)
                elin.step("self-assessment draft saved")
    elin.activate("button[value=submit]")
    expect(page.locator("main")).to_contain_text(SELF_ASSESSMENT[1][1])
    expect(page.locator("main textarea")).to_have_count(0)  # submitted: read only
    elin.step("self-assessment submitted")

    elin.activate("header a[href='/start']")
    elin.activate(f"main a[href='{final_path}/feedback']")
    elin.step("feedback")
    for name, score in FEEDBACK.items():
        _pick(elin, name, score - 1)
    elin.type_into("#text", "Bra samtal och en tydlig rapport.")
    elin.activate("main form button[type=submit]")
    expect(page.locator("#given-h")).to_be_visible()
    elin.step("feedback given")

    # ---- 2. Another unit's member finds the example by another word form ("skolor" finds "skola") -----------
    ulla = journey("2-other-unit")
    page = ulla.page
    ulla.log_in_by_keyboard(outsider.email)
    ulla.activate("header a[href='/good-examples']")
    ulla.step("library")
    ulla.type_into("#q", "skolor")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    card = page.locator(f"main a[href='{example_path}']")
    expect(card).to_have_count(1)
    ulla.step("library search")
    ulla.activate(f"main a[href='{example_path}']")
    expect(page.locator("main")).to_contain_text(STRENGTH)
    expect(page.locator("main")).to_contain_text("Norra skolan")  # the unit chose to be named
    expect(page.locator("main ul.evidence img")).to_have_count(1)
    assert page.locator("main ul.evidence img").evaluate("(img) => img.complete && img.naturalWidth > 0")
    expect(page.locator("#contact-h")).to_be_visible()
    ulla.step("good example")
    # Nothing else of that unit: its visit is a 404.
    response = page.goto(f"{ulla.base_url}{coming_path}")
    assert response is not None and response.status == 404
    ulla.problems.clear()

    # ---- 3. The reviewer: the library, the self-assessment beside the findings, the years at a glance --------
    gustav = journey("3-reviewer")
    page = gustav.page
    gustav.log_in_by_touch(reviewer.email)
    gustav.goto("/good-examples?q=skolor")
    expect(page.locator(f"main a[href='{example_path}']")).to_have_count(1)
    gustav.step("library search")
    gustav.goto(f"{coming_path}/self-assessment")
    expect(page.locator("main")).to_contain_text(SELF_ASSESSMENT[0][1])
    gustav.step("self-assessment read")
    gustav.goto(coming_path)
    gustav.tap("form:has(input[name=to][value=in_progress]) button")
    gustav.tap(f"a[href='{coming_path}/site']")
    page.locator("input[name=kind][value=development]").tap()
    page.locator("#text").fill("Riskbedömningarna görs, men åtgärderna följs inte upp skriftligt.")
    gustav.tap("form[action$='/findings'] button[type=submit]")
    panel = page.locator(".self-assessment-panel")
    expect(panel).to_contain_text(SELF_ASSESSMENT[0][1])
    expect(page.locator("#findings")).to_contain_text("Riskbedömningarna görs")
    gustav.step("on site beside the self-assessment")
    gustav.goto(f"/units/{unit.id}")
    gustav.tap(f"main a[href^='/statistics/findings?unit={unit.id}']")
    expect(page.locator("main svg").first).to_be_visible()
    expect(page.locator("main table")).to_contain_text(str(date.today().year - 2))
    gustav.step("years at a glance")
    page.locator("#period").select_option("quarter")
    gustav.tap("main form.filters button[type=submit]")
    expect(page.locator("main table")).to_contain_text(f"{date.today().year - 2} Q1")
    gustav.step("years at a glance by quarter")

    # ---- 4. The coordinator reads the feedback ---------------------------------------------------------------
    asa = journey("4-coordinator")
    page = asa.page
    asa.log_in_by_touch(coordinator.email)
    asa.goto("/feedback")
    expect(page.locator("main")).to_contain_text("Bra samtal och en tydlig rapport.")
    expect(page.locator("main")).not_to_contain_text(member.name)  # texts without names
    asa.step("feedback summary")
