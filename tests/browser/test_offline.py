"""The tablet without a network and drafts that survive everything (DESIGN.md 4.8), in Debian's Chromium at an
iPad viewport with touch: offline recording that outlives a reload and a browser restart, the queue's sync with
a lost answer and a refused item, whole forms back after a session ran out, drafts per person, and axe on the
offline states."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

IPAD = {"width": 1024, "height": 768}
CONTEXT = {"viewport": IPAD, "has_touch": True, "device_scale_factor": 2, "locale": "sv-SE"}


@pytest.fixture
def contexts(chromium: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Opens browser contexts at an iPad viewport with touch; ``persistent=True`` keeps its profile (IndexedDB,
    the service worker and its caches) in one folder across a close and a reopen, as a restarted browser does."""
    opened: list[Any] = []
    profile = tmp_path / "profile"

    def open_context(*, persistent: bool = False, **options: Any) -> Any:
        if persistent:
            context = chromium.browser_type.launch_persistent_context(
                str(profile), executable_path=chromium_executable(), args=CHROMIUM_ARGS, **CONTEXT, **options
            )
        else:
            context = chromium.new_context(**CONTEXT, **options)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        with contextlib.suppress(PlaywrightError):  # closed by the test already
            context.close()


def jpeg(width: int = 3200, height: int = 2400) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def log_in(page: Any, base: str, person: Any, then: str | None = None) -> None:
    page.goto(f"{base}/login" + (f"?next={then}" if then else ""))
    page.locator("#email").fill(person.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").tap()
    expect(page.locator("body[data-user-id]")).to_have_count(1)


def counter(page: Any) -> Any:
    return page.locator("#pending-changes")


def record(page: Any, kind: str, text: str, photo: bytes | None = None) -> None:
    """Fill and send the site screen's finding form (offline: into the tablet's queue)."""
    form = page.locator("form[action$='/findings']")
    form.locator(f"input[name=kind][value={kind}]").tap()
    form.locator("#text").fill(text)
    if photo is not None:
        form.locator("#files").set_input_files({"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": photo})
    form.locator("button[type=submit]").tap()
    expect(form.locator(".offline-status")).to_have_attribute("role", "status")
    expect(page.locator("#offline-queue")).to_contain_text(text)


def findings_of(db: Any, visit: Any) -> list[Any]:
    from app.visits.models import Finding

    db.session.expire_all()
    return list(db.session.scalars(select(Finding).where(Finding.visit_id == visit.id).order_by(Finding.created_at)))


def wait_for_service_worker(page: Any) -> None:
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def test_findings_recorded_offline_outlive_a_reload_and_a_restart_and_reach_the_server_once(
    db: Any,
    live_server_url: str,
    contexts: Callable[..., Any],
    make_visit: Callable[..., Any],
    check_accessibility: Any,
) -> None:
    from app.visits.models import Evidence

    visit = make_visit("in_progress", findings=())
    base, site = live_server_url, f"/visits/{visit.id}/site?area=other"
    context = contexts(persistent=True)
    page = context.new_page()
    log_in(page, base, visit.lead)
    page.goto(f"{base}/start")  # "Mina granskningsbesök": the coming visits are kept on the tablet
    expect(page.locator("tr[data-offline-pages] .offline-mark")).to_be_visible()
    wait_for_service_worker(page)
    page.goto(f"{base}{site}")

    context.set_offline(True)
    texts = ["Första iakttagelsen: rutinen för överlämning följs.", "Andra: trasig lyftanordning.", "Tredje."]
    record(page, "strength", texts[0])
    record(page, "development", texts[1], photo=jpeg())
    record(page, "strength", texts[2])
    expect(counter(page)).to_have_text("4 ändringar väntar på att skickas")
    check_accessibility(page, "the site screen offline with a counter")

    page.reload()  # offline: the page comes from the tablet, the queue from IndexedDB
    for text in texts:
        expect(page.locator("#offline-queue")).to_contain_text(text)
    expect(counter(page)).to_have_text("4 ändringar väntar på att skickas")

    context.close()  # the browser is closed and opened again, still without a network
    context = contexts(persistent=True, offline=True)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{base}{site}")
    for text in texts:
        expect(page.locator("#offline-queue")).to_contain_text(text)
    assert findings_of(db, visit) == []

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    # The session cookie went with the closed browser: the queue waits for the same person.
    expect(counter(page)).to_contain_text("4 ändringar väntar på att skickas")
    log_in(page, base, visit.lead, then=site)
    expect(page.locator("body")).to_have_attribute("data-pending-changes", "0")  # counted after the sync
    expect(counter(page)).to_have_text("")
    found = findings_of(db, visit)
    assert [f.text for f in found] == texts
    photos = db.session.scalars(select(Evidence)).all()
    assert [(p.finding_id, p.kind.value) for p in photos] == [(found[1].id, "photo")]
    from PIL import Image

    from app.core.files import file_path

    with Image.open(file_path(photos[0])) as image:
        assert image.size == (2560, 1920)  # scaled on the tablet from 3200 × 2400


def offline_tablet(contexts: Callable[..., Any], base: str, person: Any, path: str) -> tuple[Any, Any]:
    """A tablet context without the service worker (so Playwright's routing sees every request), logged in and
    on ``path``."""
    context = contexts(service_workers="block")
    page = context.new_page()
    log_in(page, base, person)
    page.goto(f"{base}{path}")
    return context, page


def test_a_resend_after_a_lost_answer_creates_nothing_twice(
    db: Any, live_server_url: str, contexts: Callable[..., Any], make_visit: Callable[..., Any]
) -> None:
    visit = make_visit("in_progress", findings=())
    context, page = offline_tablet(contexts, live_server_url, visit.lead, f"/visits/{visit.id}/site?area=other")
    context.set_offline(True)
    record(page, "strength", "Personalen känner de boende väl.")
    record(page, "development", "Dokumentationen är ofullständig.")

    answers: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        response = route.fetch()  # the server applies the batch ...
        if not answers:
            answers.append("lost")
            route.abort("connectionreset")  # ... and the answer never reaches the tablet
        else:
            answers.append("delivered")
            route.fulfill(response=response)

    page.route("**/api/v1/sync", lose_the_first_answer)
    context.set_offline(False)
    with page.expect_event("requestfailed", lambda request: request.url.endswith("/api/v1/sync")):
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert len(findings_of(db, visit)) == 2  # applied, though the tablet does not know it yet
    expect(counter(page)).to_have_text("2 ändringar väntar på att skickas")

    page.evaluate("() => window.dispatchEvent(new Event('online'))")  # the next try
    expect(page.locator("body")).to_have_attribute("data-pending-changes", "0")  # counted after the sync
    expect(counter(page)).to_have_text("")
    assert answers == ["lost", "delivered"]
    assert [f.text for f in findings_of(db, visit)] == [
        "Personalen känner de boende väl.",
        "Dokumentationen är ofullständig.",
    ]


def test_a_finding_for_a_visit_sent_for_comment_meanwhile_is_refused_stays_and_loses_nothing_else(
    db: Any,
    live_server_url: str,
    contexts: Callable[..., Any],
    make_visit: Callable[..., Any],
    make_user: Callable[..., Any],
    check_accessibility: Any,
) -> None:
    from app.visits import services

    reviewer = make_user("reviewer", name="Rut Granskare")
    sent, other = make_visit("in_progress", lead=reviewer), make_visit("in_progress", lead=reviewer)
    base = live_server_url
    context = contexts()
    page = context.new_page()
    log_in(page, base, reviewer)
    page.goto(f"{base}/start")
    expect(page.locator("tr[data-offline-pages] .offline-mark")).to_have_count(2)
    expect(page.locator("tr[data-offline-pages] .offline-mark").nth(1)).to_be_visible()
    expect(page.locator("tr[data-offline-pages] .offline-mark").nth(0)).to_be_visible()
    wait_for_service_worker(page)

    context.set_offline(True)
    page.goto(f"{base}/visits/{sent.id}/site?area=other")
    refused_text = "Brandlarmet testas inte varje månad."
    record(page, "development", refused_text)
    page.goto(f"{base}/visits/{other.id}/site?area=other")
    record(page, "strength", "Trygg nattbemanning.")

    # Meanwhile a colleague sends the first visit's draft report to the unit for comment.
    services.transition(sent.id, actor=reviewer, to="draft")
    services.transition(sent.id, actor=reviewer, to="sent_for_comment")
    db.session.commit()

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(counter(page)).to_have_text("1 ändring väntar på att skickas. 1 ändring togs inte emot av servern")
    assert [f.text for f in findings_of(db, other)][-1] == "Trygg nattbemanning."
    assert [f.text for f in findings_of(db, sent)] == ["Bra rutiner för överlämning."]

    page.goto(f"{base}/visits/{sent.id}/site?area=other")
    item = page.locator("#offline-queue li.refused")
    expect(item.locator(".queued-text")).to_have_text(refused_text)
    expect(item.locator(".error")).to_contain_text("Togs inte emot av servern:")
    assert item.locator(".queued-text").evaluate("el => getComputedStyle(el).userSelect") != "none"
    check_accessibility(page, "a refused change on the site screen")

    page.reload()  # the refused item stays on the tablet
    expect(page.locator("#offline-queue li.refused .queued-text")).to_have_text(refused_text)


def expire_session(db: Any, person: Any) -> None:
    """The session ends on the server (idle timeout) while the page is still open."""
    from datetime import timedelta

    from app.auth.models import AuthSession
    from app.core.models import utcnow

    db.session.expire_all()
    for row in db.session.scalars(select(AuthSession).where(AuthSession.user_id == person.id)):
        row.last_seen_at = utcnow() - timedelta(hours=3)
    db.session.commit()


def send_after_the_session_ran_out(
    page: Any, db: Any, base: str, person: Any, path: str, field: str, text: str
) -> None:
    """Type ``text`` into ``field`` on ``path``, let the session run out, send, log in again: back on ``path``."""
    page.goto(f"{base}{path}")
    form = page.locator(f"form[data-autosave]:has({field})")
    form.locator(field).fill(text)
    expire_session(db, person)
    form.locator("button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.locator("#email").fill(person.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").tap()
    expect(page).to_have_url(re.compile(re.escape(path)))


def test_long_text_sent_after_the_session_ran_out_is_back_in_its_form_after_logging_in(
    db: Any,
    live_server_url: str,
    contexts: Callable[..., Any],
    make_visit: Callable[..., Any],
    make_user: Callable[..., Any],
    check_accessibility: Any,
) -> None:
    base = live_server_url
    visit = make_visit("in_progress", findings=())
    finding = ("Genomförandeplanerna saknar de boendes egna ord och önskemål. " * 80)[:5000]
    page = contexts().new_page()
    log_in(page, base, visit.lead)
    page.goto(f"{base}/visits/{visit.id}/site?area=other")
    page.locator("input[name=kind][value=development]").tap()
    send_after_the_session_ran_out(page, db, base, visit.lead, f"/visits/{visit.id}/site", "#text", finding)
    expect(page.locator("#text")).to_have_value(finding)
    expect(page.locator("form[action$='/findings'] .draft-notice")).to_be_visible()
    check_accessibility(page, "a finding restored after logging in again")

    message = "Kan ni skicka rutinen för läkemedelshantering innan mötet på torsdag? " * 3
    send_after_the_session_ran_out(
        page, db, base, visit.lead, f"/visits/{visit.id}/messages", "textarea[name=text]", message
    )
    expect(page.locator("form[data-autosave^='message-'] textarea[name=text]")).to_have_value(message)

    commented = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[commented.unit])
    unit_page = contexts().new_page()
    log_in(unit_page, base, member)
    response = "Vi delar inte bilden av bemanningen på helger; schemat för november visar två sjuksköterskor. " * 4
    send_after_the_session_ran_out(unit_page, db, base, member, f"/visits/{commented.id}/respond", "#overall", response)
    expect(unit_page.locator("#overall")).to_have_value(response)
    expect(unit_page.locator(".draft-notice")).to_be_visible()


def test_after_a_confirmed_logout_the_next_person_sees_nothing_of_the_drafts(
    db: Any,
    live_server_url: str,
    contexts: Callable[..., Any],
    make_visit: Callable[..., Any],
    make_user: Callable[..., Any],
    check_accessibility: Any,
) -> None:
    base = live_server_url
    visit = make_visit("sent_for_comment")
    member = make_user("unit_member", units=[visit.unit])
    context = contexts()
    page = context.new_page()
    log_in(page, base, visit.lead)
    thread = f"/visits/{visit.id}/messages"
    page.goto(f"{base}{thread}")
    secret = "Internt: enhetschefen verkar inte ha läst rapporten."
    page.locator("form[data-autosave^='message-'] textarea[name=text]").fill(secret)

    page.locator("#logout-form button[type=submit]").tap()
    dialog = page.locator("dialog#logout-warning")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("1 formulär har text som inte har skickats")
    check_accessibility(page, "the warning about unsent text at logout")
    dialog.locator("[data-logout-confirm]").tap()
    expect(page.locator("#email")).to_be_visible()

    log_in(page, base, member)
    page.goto(f"{base}{thread}")
    expect(page.locator("form[data-autosave^='message-'] textarea[name=text]")).to_have_value("")
    expect(page.locator(".draft-notice")).to_have_count(0)
    assert secret not in page.content()
    kept = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('tillsyn-draft:'))")
    assert kept == []


def test_an_edit_is_kept_when_a_photo_is_uploaded_on_the_edit_page(
    db: Any, live_server_url: str, contexts: Callable[..., Any], make_visit: Callable[..., Any]
) -> None:
    base = live_server_url
    visit = make_visit("in_progress")
    finding = findings_of(db, visit)[0]
    page = contexts().new_page()
    log_in(page, base, visit.lead)
    page.goto(f"{base}/findings/{finding.id}/edit")
    edited = "Bra rutiner för överlämning, också nattetid."
    page.locator("#text").fill(edited)
    upload = page.locator(f"form[action='/findings/{finding.id}/evidence']")
    upload.locator("input[type=file]").set_input_files(
        {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 600)}
    )
    upload.locator("button[type=submit]").tap()
    expect(page.locator("img[alt]").first).to_be_visible()  # the photo is there ...
    expect(page.locator("#text")).to_have_value(edited)  # ... and so is the edit, not yet saved
    expect(page.locator(".draft-notice")).to_be_visible()
    with page.expect_navigation():
        page.locator("form[data-autosave] button[type=submit]").tap()
    assert findings_of(db, visit)[0].text == edited
    page.goto(f"{base}/findings/{finding.id}/edit")  # saved: the draft is gone with the server's confirmation
    expect(page.locator("#text")).to_have_value(edited)
    expect(page.locator(".draft-notice")).to_have_count(0)


def test_offline_a_finding_is_edited_and_removed_before_it_is_sent_and_a_recorded_one_is_changed(
    db: Any, live_server_url: str, contexts: Callable[..., Any], make_visit: Callable[..., Any]
) -> None:
    base = live_server_url
    visit = make_visit("in_progress")
    recorded = findings_of(db, visit)[0]
    context = contexts()
    page = context.new_page()
    log_in(page, base, visit.lead)
    page.goto(f"{base}/start")
    expect(page.locator("tr[data-offline-pages] .offline-mark")).to_be_visible()
    wait_for_service_worker(page)

    context.set_offline(True)
    page.goto(f"{base}/visits/{visit.id}/site?area=other")
    record(page, "development", "Handhygienen brister.")
    record(page, "strength", "Skrivet av misstag.")
    queue = page.locator("#offline-queue")
    first = queue.locator("li.queued", has_text="Handhygienen brister.")
    first.get_by_role("button", name=re.compile("^Ändra")).tap()
    queue.locator("textarea").fill("Handhygienen brister vid måltiderna.")
    queue.get_by_role("button", name=re.compile("^Spara")).tap()
    expect(queue).to_contain_text("Handhygienen brister vid måltiderna.")
    queue.locator("li.queued", has_text="Skrivet av misstag.").get_by_role("button", name=re.compile("^Ta bort")).tap()
    expect(queue).not_to_contain_text("Skrivet av misstag.")
    expect(counter(page)).to_have_text("1 ändring väntar på att skickas")

    page.goto(f"{base}/findings/{recorded.id}/edit")  # kept on the tablet with the site screen
    page.locator("#text").fill("Bra rutiner för överlämning, dag som natt.")
    page.locator("form[data-autosave] button[type=submit]").tap()
    expect(page.locator("form[data-autosave] .offline-status")).to_be_visible()
    expect(counter(page)).to_have_text("2 ändringar väntar på att skickas")

    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("body")).to_have_attribute("data-pending-changes", "0")  # counted after the sync
    expect(counter(page)).to_have_text("")
    assert [f.text for f in findings_of(db, visit)] == [
        "Bra rutiner för överlämning, dag som natt.",
        "Handhygienen brister vid måltiderna.",
    ]
