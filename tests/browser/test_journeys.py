"""The product's main story in a real browser on an iPad, told by the people who live it:

1. a reviewer plans a visit, records three findings on site (one with a photo from the tablet) and sends the
   draft to the unit for comment — by touch;
2. a member of the unit answers each finding, accepts the follow-up and reports a reading that crosses an
   agreed boundary — with the keyboard alone;
3. the coordinator sees the unit in closer review, the reviewer closes the breach and the coordinator restores
   baseline trust;
4. a reminder e-mail reaches the outbox, and its link, opened logged out, leads to the follow-up after login.

The story runs in landscape in Swedish and in portrait in English, so every page it visits is checked by
axe-core (WCAG 2.0/2.1 A and AA) in both languages, and photographed into test-artifacts/screenshots/.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.journey import Journey, translated
from tests.conftest import PASSWORD

STOCKHOLM = ZoneInfo("Europe/Stockholm")

FINDINGS = [
    ("strength", None, 0, "Personalen känner de boende väl och överlämningen mellan passen är noggrann."),
    ("development", None, 1, "De boende är sällan med när genomförandeplanerna följs upp."),
    ("deviation", "serious", 0, "Två larm nattetid besvarades först efter mer än 20 minuter."),
]
ANSWERS = [
    ("agree", "Tack, det är något vi är stolta över."),
    ("partly", "Vi bjuder in, men många avböjer; vi prövar att ha mötena på avdelningen."),
    ("agree", "Vi har redan bytt larmleverantör och ser över bemanningen nattetid."),
]
FOLLOW_UP_TITLE = "Rutin för att besvara larm nattetid"


def _photo(folder: Path) -> Path:
    """A real JPEG, as the tablet's camera would give (uploads are checked by content, not by name)."""
    from PIL import Image

    path = folder / "larmpanel.jpg"
    Image.new("RGB", (1200, 900), (180, 200, 220)).save(path, "JPEG", quality=80)
    return path


def _previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.mark.browser
@pytest.mark.parametrize(("orientation", "lang"), [("landscape", "sv"), ("portrait", "en")])
def test_from_planned_visit_to_restored_trust_on_a_tablet(
    orientation: str,
    lang: str,
    app: Any,
    db: Any,
    live_server_url: str,
    open_journey: Callable[..., Journey],
    make_user: Callable[..., Any],
    make_unit: Callable[..., Any],
    make_template: Callable[..., Any],
    make_indicator: Callable[..., Any],
    make_boundary: Callable[..., Any],
    report: Callable[..., Any],
    enqueued: Any,
    send_now: Callable[[Any], str],
    tmp_path: Path,
) -> None:
    from app.units.models import TrustLevel
    from app.visits.models import Visit

    today = datetime.now(STOCKHOLM).date()
    from app.units.models import UnitKind

    unit = make_unit("Björkbackens äldreboende", kind=UnitKind.elderly_care)
    make_unit("Östra gymnasiet")  # another unit, never seen by the unit member
    template = make_template("Äldreomsorg")
    reviewer = make_user("reviewer", name="Gustav Granskäre", email="gustav@example.se", language=lang)
    colleague = make_user("reviewer", name="Rut Rydberg", email="rut@example.se", language=lang)
    member = make_user("unit_member", units=[unit], name="Elin Öberg", email="elin@example.se", language=lang)
    coordinator = make_user("coordinator", name="Åsa Samordnare", email="asa@example.se", language=lang)
    # The boundary the unit agreed to earlier: alarms answered within 10 minutes under 90 % two months running.
    larm = make_indicator("larm_inom_10_min")
    make_boundary(unit, indicator=larm, comparator="<", threshold=90, periods=2, proposer=reviewer, acceptor=member)
    last_month = _previous_month(today)
    earlier = _previous_month(last_month)
    report(unit, larm, {f"{_previous_month(earlier):%Y-%m}": 94.5, f"{earlier:%Y-%m}": 88.0}, today=today)

    member_email = member.email  # the send task below ends the session these objects belong to

    def journey(name: str) -> Journey:
        return open_journey(name, orientation, f"{orientation}-{lang}")

    def text(message: str) -> str:
        return translated(app, lang, message)

    # ---- 1. The reviewer plans the visit, records on site and sends the draft for comment (touch) ----------
    gustav = journey("1-reviewer")
    page = gustav.page
    gustav.log_in_by_touch(reviewer.email)
    expect(page).to_have_url(re.compile(r"/start$"))
    gustav.step("start page")
    gustav.tap("header nav a[href='/visits']")
    gustav.step("visits")
    gustav.tap(page.locator("main a[href='/visits/new']").first)
    gustav.step("plan a visit")
    page.locator("#unit").select_option(str(unit.id))
    page.locator("#template").select_option(str(template.id))
    page.locator("#purpose").select_option("planned")
    page.locator("#visit_date").fill(today.isoformat())
    page.locator("#lead").select_option(str(reviewer.id))
    page.locator(f"input[name=team][value='{colleague.id}']").tap()
    page.locator("#aim").fill("Trygghet nattetid och de boendes delaktighet.")
    gustav.tap("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/visits/[0-9a-f-]{36}$"))
    visit_id = uuid.UUID(page.url.rsplit("/", 1)[1])
    visit_path = f"/visits/{visit_id}"
    gustav.step("visit planned")

    gustav.tap("form:has(input[name=to][value=in_progress]) button")
    gustav.step("visit started")
    gustav.tap(f"a[href='{visit_path}/site']")
    gustav.step("on site")
    areas = page.locator(".area-tabs a")
    photo = _photo(tmp_path)
    for number, (kind, severity, area, finding_text) in enumerate(FINDINGS, start=1):
        gustav.tap(areas.nth(area))
        expect(areas.nth(area)).to_have_attribute("aria-current", "page")
        page.locator(f"input[name=kind][value={kind}]").tap()
        if severity:
            page.locator(f"input[name=severity][value={severity}]").tap()
        page.locator("#text").fill(finding_text)
        if kind == "deviation":
            page.locator("#files").set_input_files(photo)
        gustav.tap("form[action$='/findings'] button[type=submit]")
        expect(page.locator("#findings")).to_contain_text(finding_text)
        expect(page.locator("#text")).to_have_value("")  # saved, so the draft kept in the browser is gone
        gustav.step(f"finding {number} recorded")
    photo_thumbnail = page.locator("#findings img")
    expect(photo_thumbnail).to_have_count(1)
    loaded = photo_thumbnail.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert loaded, "the photo's thumbnail did not load"

    gustav.tap(page.locator(f"main a[href='{visit_path}']").first)
    gustav.tap("form:has(input[name=to][value=draft]) button")
    expect(page.locator(".badge.status-draft")).to_be_visible()
    gustav.step("draft")
    # The serious deviation needs an agreed follow-up before the report can be final: the reviewer proposes one.
    gustav.tap("a[href*='/follow-ups/new'][href*='finding=']")
    gustav.step("propose a follow-up")
    page.locator("#title").fill(FOLLOW_UP_TITLE)
    page.locator("#description").fill("Skriv en rutin för larm nattetid och öva den med alla nattpass.")
    page.locator("#owner").select_option(str(member.id))
    due = today + timedelta(days=30)
    page.locator("#due_date").fill(due.isoformat())
    gustav.tap("main form button[type=submit]")
    expect(page.locator("h1")).to_contain_text(FOLLOW_UP_TITLE)
    follow_up_path = urlpath(page.url)
    gustav.step("follow-up proposed")
    gustav.tap(page.locator(f"main a[href='{visit_path}']").first)
    gustav.tap("form:has(input[name=to][value=sent_for_comment]) button")
    expect(page.locator(".badge.status-sent_for_comment")).to_be_visible()
    gustav.step("sent for comment")

    # ---- 2. The unit answers, accepts the follow-up and reports a reading (keyboard alone) -----------------
    elin = journey("2-unit-keyboard")
    page = elin.page
    elin.log_in_by_keyboard(member.email)
    expect(page).to_have_url(re.compile(r"/start$"))
    elin.step("start page")
    page.keyboard.press("Tab")  # the first stop is the skip link, which takes the keyboard past the menu
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')"), "no skip link first"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main", "the skip link did not move the focus"
    elin.activate(f"a[href='{visit_path}/respond']")
    elin.step("respond")
    elin.type_into("#overall", "Tack för ett lärorikt besök. Vi tar till oss av det ni såg.")
    order = {f.text: f.id for f in db.session.get(Visit, visit_id).findings}
    for (_, _, _, finding_text), (stance, comment) in zip(FINDINGS, ANSWERS, strict=True):
        finding_id = order[finding_text]
        elin.choose(f"#stance-{finding_id}", value=stance)
        elin.type_into(f"#text-{finding_id}", comment)
    elin.activate("main form button[type=submit]")
    expect(page).to_have_url(re.compile(f"{visit_path}$"))
    elin.step("response sent")
    elin.activate(f"a[href='{follow_up_path}']")
    elin.step("follow-up to accept")
    elin.activate("form[action$='/accept'] button")
    expect(page.locator(".badge.fu-agreed")).to_be_visible()
    elin.step("follow-up agreed")
    elin.activate(f"main a[href='/units/{unit.id}']")
    elin.step("unit")
    elin.activate(f"a[href='/units/{unit.id}/readings']")
    elin.step("readings")
    elin.choose("#indicator", value=larm.key)
    elin.tab_to("#period")
    page.keyboard.type(f"{last_month:%m}")
    page.keyboard.press("ArrowRight")
    page.keyboard.type(f"{last_month:%Y}")
    elin.type_into("#value", "86,5" if lang == "sv" else "86.5")
    elin.activate("form[action$='/readings'] button[type=submit]")
    elin.step("reading saved")
    elin.activate(f"main a[href='/units/{unit.id}']")
    expect(page.locator(".badge.trust-closer_review").first).to_be_visible()
    elin.step("unit in closer review")

    # ---- 3. Closer review: the coordinator sees it, the reviewer closes the breach, baseline is restored ---
    asa = journey("3-coordinator")
    page = asa.page
    asa.log_in_by_touch(coordinator.email)
    asa.step("start page")
    asa.tap("header nav a[href='/trust']")
    row = page.locator("main tr", has_text=unit.name)
    expect(row.locator(".badge.trust-closer_review").first).to_be_visible()
    asa.step("trust overview")

    page = gustav.page
    gustav.goto(f"/units/{unit.id}")
    gustav.step("unit in closer review")
    gustav.tap(page.locator(f"a[href='/units/{unit.id}/breaches']").first)
    gustav.step("breaches")
    page.locator("article.breach.open summary").tap()
    page.locator("form[action*='/breaches/'] textarea[name=note]").fill(
        "Vi gick igenom larmloggen med enheten. Ny rutin är införd och följs upp varje vecka."
    )
    gustav.tap("form[action*='/breaches/'] button[type=submit]")
    expect(page.locator("article.breach.open")).to_have_count(0)
    gustav.step("breach closed")

    page = asa.page
    asa.goto(f"/units/{unit.id}/breaches")
    asa.step("breaches closed")
    page.locator("#reason").fill("Larmen besvaras i tid igen och rutinen följs; åter till grundnivå.")
    asa.tap(f"form[action='/units/{unit.id}/restore-baseline'] button")
    expect(page.locator(".badge.trust-baseline").first).to_be_visible()
    asa.step("baseline restored")
    db.session.refresh(unit)
    assert unit.trust_level is TrustLevel.baseline

    # ---- 4. A reminder e-mail and its link, opened logged out ---------------------------------------------
    from app.followups import reminders

    seven_days_before = datetime.combine(due - timedelta(days=7), time(8, 0), tzinfo=STOCKHOLM)
    reminders.sweep(now=seven_days_before)  # as the beat's sweep would, a week before the due date
    db.session.commit()  # the send tasks are enqueued once the sweep's claim is committed
    reminder_ids = enqueued.ids("followups.send_reminder")
    assert reminder_ids, "the sweep sent no reminder"
    enqueued.clear()
    app.config["PUBLIC_BASE_URL"] = live_server_url  # this process renders the e-mail: its links lead to the server
    for reminder_id in reminder_ids:
        send_now(reminder_id)

    asa.goto("/admin/outbox")
    asa.step("outbox")
    asa.tap(page.locator("main td a", has_text=FOLLOW_UP_TITLE).first)
    asa.step("reminder e-mail")

    mails = sorted((Path(app.config["MAIL_OUTBOX_DIR"])).glob("*.eml"))
    to_elin = [m for m in mails if member_email in m.read_text(encoding="utf-8", errors="replace")]
    assert to_elin, f"no e-mail to {member_email} among {len(mails)} in the outbox"
    message = email.message_from_bytes(to_elin[-1].read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    links = re.findall(rf"{re.escape(live_server_url)}/\S+", body)
    assert any(follow_up_path in link for link in links), f"no link to the follow-up in:\n{body}"
    link = next(link for link in links if follow_up_path in link)

    from_mail = journey("4-reminder-link")
    page = from_mail.page
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    from_mail.step("login from the link")
    page.locator("#email").fill(member_email)
    page.locator("#password").fill(PASSWORD)
    from_mail.tap("main form button[type=submit]")
    expect(page).to_have_url(re.compile(f"{follow_up_path}$"))
    expect(page.locator("h1")).to_contain_text(FOLLOW_UP_TITLE)
    from_mail.step("the follow-up")
    assert text("Agreed") in page.locator(".badge.fu-agreed").inner_text()


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
